"""Seeding the holiday calendar from the chinese-calendar package (the State Council schedule)."""

import datetime as dt

import chinese_calendar
from django.db import transaction

from .models import CalendarDay, DayKind


@transaction.atomic
def load_holidays(years: list[int]) -> int:
    """Add the year's holidays on weekdays and its 调休 working weekends; returns rows added.

    Only exceptions to Monday–Friday are stored; days already in the table are left as an
    admin set them. Years the package does not know are skipped (enter them by hand).
    """
    added = 0
    for year in years:
        day = dt.date(year, 1, 1)
        try:
            chinese_calendar.is_holiday(day)
        except NotImplementedError:
            continue
        while day.year == year:
            is_holiday, name = chinese_calendar.get_holiday_detail(day)
            kind = None
            if day.weekday() < 5 and is_holiday and name:
                kind = DayKind.HOLIDAY
            elif day.weekday() >= 5 and not is_holiday:
                kind = DayKind.WORKDAY
            if kind:
                _, created = CalendarDay.objects.get_or_create(
                    date=day, defaults={"kind": kind, "name": name or ""}
                )
                added += created
            day += dt.timedelta(days=1)
    return added
