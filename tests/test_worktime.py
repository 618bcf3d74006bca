"""The working-time clock: holidays, 调休 days, working hours; property-tested with hypothesis."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guanjia.worktime.clock import WorkCalendar, parse_hours
from guanjia.worktime.loading import exceptions, load_holidays
from guanjia.worktime.models import CalendarDay, DayKind

TZ = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=TZ)


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    """The 2023–2026 State Council schedule, built once without the database."""
    days = exceptions([2023, 2024, 2025, 2026])
    return WorkCalendar(
        holidays=frozenset(d for d, kind, _ in days if kind == DayKind.HOLIDAY),
        workdays=frozenset(d for d, kind, _ in days if kind == DayKind.WORKDAY),
        hours=tuple(parse_hours("08:30-12:00,13:30-17:30")),
        tz=TZ,
    )


def test_the_calendar_loaded_from_the_database_matches_the_package(db):
    load_holidays([2024])
    loaded = WorkCalendar.load()
    assert dt.date(2024, 10, 1) in loaded.holidays
    assert dt.date(2024, 9, 29) in loaded.workdays


class TestHandChecked:
    def test_national_day_2024_is_off_and_its_adjusted_sundays_are_on(self, cal):
        assert not cal.is_working_day(dt.date(2024, 10, 1))
        assert not cal.is_working_day(dt.date(2024, 10, 7))
        assert cal.is_working_day(dt.date(2024, 9, 29))  # a Sunday, worked (调休)
        assert cal.is_working_day(dt.date(2024, 10, 12))  # a Saturday, worked
        assert cal.is_working_day(dt.date(2024, 10, 8))

    def test_one_working_day_before_national_day_runs_past_the_holiday(self, cal):
        # Dispatched Monday 30 September 2024 at 16:00: 1.5 h that day, the week off, then
        # 3.5 h on the morning of 8 October and 2.5 h after lunch.
        deadline = cal.add_days(at(2024, 9, 30, 16), 1)
        assert deadline == at(2024, 10, 8, 16, 0)

    def test_spring_festival_2024(self, cal):
        assert cal.is_working_day(dt.date(2024, 2, 4))  # Sunday, worked
        assert not cal.is_working_day(dt.date(2024, 2, 12))
        assert cal.is_working_day(dt.date(2024, 2, 18))  # Sunday, worked
        # 除夕 (Friday 9 Feb) is officially a working day; from the end of Thursday 8 Feb,
        # three working days are 9 Feb, Sunday 18 Feb (调休) and Monday 19 Feb.
        deadline = cal.add_days(at(2024, 2, 8, 17, 30), 3)
        assert deadline == at(2024, 2, 19, 17, 30)

    def test_the_lunch_break_does_not_count(self, cal):
        assert cal.add(at(2024, 3, 4, 11, 30), 60) == at(2024, 3, 4, 14, 0)
        assert cal.between(at(2024, 3, 4, 11, 0), at(2024, 3, 4, 14, 0)) == 90

    def test_a_weekend_submission_starts_on_monday_morning(self, cal):
        assert cal.add(at(2024, 3, 9, 10), 30) == at(2024, 3, 11, 9, 0)

    def test_an_admin_can_enter_next_years_schedule_by_hand(self, db):
        CalendarDay.objects.create(date=dt.date(2027, 1, 1), kind=DayKind.HOLIDAY, name="元旦")
        CalendarDay.objects.create(date=dt.date(2027, 1, 2), kind=DayKind.WORKDAY, name="调休")
        cal = WorkCalendar.load()
        assert not cal.is_working_day(dt.date(2027, 1, 1))
        assert cal.is_working_day(dt.date(2027, 1, 2))

    def test_seeding_twice_adds_nothing_and_keeps_an_admins_change(self, db):
        assert load_holidays([2024]) > 0
        day = CalendarDay.objects.get(date=dt.date(2024, 10, 1))
        day.name = "国庆节"
        day.save()
        assert load_holidays([2024]) == 0
        assert CalendarDay.objects.get(date=dt.date(2024, 10, 1)).name == "国庆节"

    def test_working_hours_are_checked(self):
        assert parse_hours("09:00-17:00") == [(dt.time(9), dt.time(17))]
        with pytest.raises(ValueError):
            parse_hours("13:30-17:30,08:30-12:00")


moments = st.datetimes(min_value=dt.datetime(2023, 1, 1), max_value=dt.datetime(2026, 6, 30)).map(
    lambda d: d.replace(tzinfo=TZ)
)
durations = st.integers(min_value=1, max_value=60 * 7 * 40)


class TestProperties:
    @settings(max_examples=300, deadline=None)
    @given(start=moments, minutes=durations)
    def test_a_deadline_always_lands_in_working_time(self, cal, start, minutes):
        assert cal.is_working_time(cal.add(start, minutes))

    @settings(max_examples=300, deadline=None)
    @given(start=moments, minutes=durations)
    def test_measuring_what_was_added_gives_it_back(self, cal, start, minutes):
        assert cal.between(start, cal.add(start, minutes)) == pytest.approx(minutes)

    @settings(max_examples=300, deadline=None)
    @given(start=moments, a=durations, b=durations)
    def test_adding_working_time_is_monotonic(self, cal, start, a, b):
        small, large = sorted((a, b))
        assert cal.add(start, small) <= cal.add(start, large)

    @settings(max_examples=200, deadline=None)
    @given(start=moments, a=durations, b=durations)
    def test_adding_in_two_steps_equals_adding_at_once(self, cal, start, a, b):
        assert cal.add(cal.add(start, a), b) == cal.add(start, a + b)

    @settings(max_examples=200, deadline=None)
    @given(start=moments, minutes=durations)
    def test_non_working_days_never_count(self, cal, start, minutes):
        end = cal.add(start, minutes)
        day = start.astimezone(TZ).date()
        counted = 0.0
        while day <= end.astimezone(TZ).date():
            lo = max(start, dt.datetime.combine(day, dt.time(0), TZ))
            hi = min(end, dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), TZ))
            if not cal.is_working_day(day):
                assert cal.between(lo, hi) == 0
            counted += cal.between(lo, hi)
            day += dt.timedelta(days=1)
        assert counted == pytest.approx(minutes)
