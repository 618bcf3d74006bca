"""Seeding the holiday calendar from the chinese-calendar package (the State Council schedule)."""

import datetime as dt

import chinese_calendar
from django.db import transaction

from .models import CalendarDay, DayKind


def exceptions(years: list[int]) -> list[tuple[dt.date, str, str]]:
    """(date, kind, name) for the years' holidays on weekdays and 调休 working weekends.

    Years the package does not know are skipped (enter them by hand).
    """
    found = []
    for year in years:
        day = dt.date(year, 1, 1)
        try:
            chinese_calendar.is_holiday(day)
        except NotImplementedError:
            continue
        while day.year == year:
            is_holiday, name = chinese_calendar.get_holiday_detail(day)
            if day.weekday() < 5 and is_holiday and name:
                found.append((day, DayKind.HOLIDAY.value, name))
            elif day.weekday() >= 5 and not is_holiday:
                found.append((day, DayKind.WORKDAY.value, name or ""))
            day += dt.timedelta(days=1)
    return found


@transaction.atomic
def load_holidays(years: list[int]) -> int:
    """Store the years' exceptions to Monday–Friday; returns rows added.

    Days already in the table are left as an admin set them.
    """
    added = 0
    for day, kind, name in exceptions(years):
        _, created = CalendarDay.objects.get_or_create(
            date=day, defaults={"kind": kind, "name": name}
        )
        added += created
    return added
