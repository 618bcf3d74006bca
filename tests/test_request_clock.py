"""The request clock as properties: pauses never count, deadlines land in working time."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guanjia.requests import sla
from guanjia.requests.models import ServiceRequest, Status
from guanjia.worktime.clock import WorkCalendar, parse_hours
from guanjia.worktime.loading import exceptions
from guanjia.worktime.models import DayKind

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    days = exceptions([2024, 2025, 2026])
    return WorkCalendar(
        holidays=frozenset(d for d, kind, _ in days if kind == DayKind.HOLIDAY),
        workdays=frozenset(d for d, kind, _ in days if kind == DayKind.WORKDAY),
        hours=tuple(parse_hours("08:30-12:00,13:30-17:30")),
        tz=TZ,
    )


moments = st.datetimes(min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2026, 6, 30)).map(
    lambda d: d.replace(tzinfo=TZ)
)
hours = st.integers(min_value=0, max_value=24 * 60)  # minutes of wall time


def handling(start: dt.datetime, resolve_days: str = "5") -> ServiceRequest:
    return ServiceRequest(
        status=Status.HANDLING,
        sign_started_at=start,
        clock_started_at=start,
        signed_at=start,
        resolve_days=Decimal(resolve_days),
    )


@settings(max_examples=200, deadline=None)
@given(start=moments, before=hours, waited=st.integers(min_value=0, max_value=30 * 24 * 60))
def test_a_pause_never_counts_against_the_deadline(cal, start, before, waited):
    """Working time from dispatch to the deadline, less the time paused, is the window."""
    sr = handling(start)
    paused_at = start + dt.timedelta(minutes=before)
    resumed_at = paused_at + dt.timedelta(minutes=waited)
    sr.paused_minutes = cal.between(paused_at, resumed_at)
    sla.reschedule(sr, cal, resumed_at, done=set())
    assert sr.resolve_due_at is not None
    worked = cal.between(start, sr.resolve_due_at) - sr.paused_minutes
    assert worked == pytest.approx(5 * cal.minutes_per_day)
    assert cal.is_working_time(sr.resolve_due_at)


@settings(max_examples=200, deadline=None)
@given(start=moments, a=st.integers(1, 20), b=st.integers(1, 20))
def test_more_working_days_never_mean_an_earlier_deadline(cal, start, a, b):
    small, large = sorted((a, b))
    one, two = handling(start, str(small)), handling(start, str(large))
    sla.reschedule(one, cal, start, done=set())
    sla.reschedule(two, cal, start, done=set())
    assert one.resolve_due_at <= two.resolve_due_at


@settings(max_examples=200, deadline=None)
@given(start=moments)
def test_marks_come_in_order_and_the_last_is_a_period_late(cal, start):
    sr = handling(start)
    times = [at for _mark, at in sla.mark_times(sr, cal)]
    assert times == sorted(times)
    assert cal.between(start, times[-1]) == pytest.approx(10 * cal.minutes_per_day)
