"""Working time: adding it to a moment and measuring it between two moments.

Working days follow the State Council schedule: Monday to Friday, minus public holidays, plus
the adjusted working days (调休) — the exceptions live in CalendarDay. Working hours are
settings.GUANJIA_WORK_HOURS (default 08:30–12:00 and 13:30–17:30, 7.5 hours a day).
"""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from zoneinfo import ZoneInfo

from django.conf import settings


def parse_hours(text: str) -> list[tuple[dt.time, dt.time]]:
    """'08:30-12:00,13:30-17:30' → [(08:30, 12:00), (13:30, 17:30)], checked for order."""
    spans: list[tuple[dt.time, dt.time]] = []
    for part in text.split(","):
        start, end = (dt.time.fromisoformat(p.strip()) for p in part.split("-"))
        if end <= start or (spans and start < spans[-1][1]):
            raise ValueError(f"working hours must be ordered, non-overlapping spans: {text!r}")
        spans.append((start, end))
    if not spans:
        raise ValueError("no working hours")
    return spans


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]
    hours: tuple[tuple[dt.time, dt.time], ...]
    tz: ZoneInfo

    @classmethod
    def load(cls) -> "WorkCalendar":
        """The calendar as configured (one query for the exceptions)."""
        from .models import CalendarDay, DayKind

        rows = list(CalendarDay.objects.values_list("date", "kind"))
        return cls(
            holidays=frozenset(d for d, k in rows if k == DayKind.HOLIDAY),
            workdays=frozenset(d for d, k in rows if k == DayKind.WORKDAY),
            hours=tuple(parse_hours(settings.GUANJIA_WORK_HOURS)),
            tz=ZoneInfo(settings.TIME_ZONE),
        )

    @cached_property
    def minutes_per_day(self) -> int:
        return sum(_minutes(a, b) for a, b in self.hours)

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def spans(self, start: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """Working spans from the one containing or following `start`, onwards."""
        day = start.astimezone(self.tz).date()
        for _ in range(3660):  # ten years: a calendar with no working day is a mistake
            if self.is_working_day(day):
                for a, b in self.hours:
                    span_start = dt.datetime.combine(day, a, self.tz)
                    span_end = dt.datetime.combine(day, b, self.tz)
                    if span_end > start:
                        yield max(span_start, start), span_end
            day += dt.timedelta(days=1)
        raise ValueError("no working time in ten years: check the holiday calendar")

    def add(self, start: dt.datetime, minutes: float) -> dt.datetime:
        """The moment `minutes` of working time after `start` (a deadline)."""
        if minutes < 0:
            raise ValueError("working time cannot be negative")
        left = dt.timedelta(minutes=minutes)
        day = start.astimezone(self.tz).date()
        whole = dt.timedelta(minutes=self.minutes_per_day)
        for _ in range(3660):  # ten years: a calendar with no working day is a mistake
            if self.is_working_day(day):
                if left > whole and dt.datetime.combine(day, self.hours[0][0], self.tz) >= start:
                    left -= whole  # a whole working day, and more to go: no need to look inside
                else:
                    for a, b in self.hours:
                        span_start = dt.datetime.combine(day, a, self.tz)
                        span_end = dt.datetime.combine(day, b, self.tz)
                        if span_end <= start:
                            continue
                        span_start = max(span_start, start)
                        if span_end - span_start >= left:
                            return span_start + left
                        left -= span_end - span_start
            day += dt.timedelta(days=1)
        raise ValueError("no working time in ten years: check the holiday calendar")

    def add_days(self, start: dt.datetime, days: float) -> dt.datetime:
        """`days` working days after `start` (1 working day = one day's working hours)."""
        return self.add(start, days * self.minutes_per_day)

    def between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Working minutes from `start` to `end` (0 when end is not after start)."""
        total = dt.timedelta()
        if end <= start:
            return 0.0
        for a, b in self.spans(start):
            if a >= end:
                break
            total += min(b, end) - a
        return total.total_seconds() / 60

    def is_working_time(self, moment: dt.datetime) -> bool:
        local = moment.astimezone(self.tz)
        if not self.is_working_day(local.date()):
            return False
        return any(a <= local.time() <= b for a, b in self.hours)


def _minutes(a: dt.time, b: dt.time) -> int:
    return (b.hour * 60 + b.minute) - (a.hour * 60 + a.minute)
