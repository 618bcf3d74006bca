"""Progress against targets, for the board, the cockpit and the weekly report.

Figures for a region and period come from its own rows where it has them (an entered city
figure, the city's computed total), else, for summable indicators, from the sum of its areas.
A year without its own row sums its quarters, a quarter its months.

Expected progress is the share of the period gone by: up to today for computed indicators,
and for entered ones up to the end of the latest month or quarter any area has reported (the
statistics come out after the quarter closes). An area lags when its progress is more than
`GUANJIA_TARGETS_LAG_MARGIN` (default 0.05, five points) behind the expected share.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

from guanjia.regions.models import Region

from .areas import areas_of, top_region
from .models import Actual, Indicator, Target
from .periods import Period, months, quarters

Key = tuple[int, int, int]  # (region id, quarter, month)


def lag_margin() -> float:
    return float(getattr(settings, "GUANJIA_TARGETS_LAG_MARGIN", 0.05))


def _as_period(period: Period | int | str) -> Period:
    if isinstance(period, Period):
        return period
    if isinstance(period, int):
        return Period(period)
    return Period.parse(period)


class Book:
    """One indicator's targets and actuals for one year, loaded in two queries."""

    def __init__(self, indicator: Indicator, year: int) -> None:
        self.indicator = indicator
        self.year = year
        self.actuals: dict[Key, Decimal] = {
            (r, q, m): v
            for r, q, m, v in Actual.objects.filter(indicator=indicator, year=year).values_list(
                "region_id", "quarter", "month", "value"
            )
        }
        self.targets: dict[Key, Decimal] = {
            (r, q, m): v
            for r, q, m, v in Target.objects.filter(
                indicator=indicator, year=year, team=None, person=None
            ).values_list("region_id", "quarter", "month", "value")
        }
        self.children: dict[int, list[int]] = {}
        for pk, parent in Region.objects.active().values_list("pk", "parent_id"):
            if parent is not None:
                self.children.setdefault(parent, []).append(pk)

    def _own(self, rows: dict[Key, Decimal], region: int, period: Period) -> Decimal | None:
        direct = rows.get((region, period.quarter, period.month))
        if direct is not None or not self.indicator.summable or period.month:
            return direct
        if period.quarter:
            parts = [rows.get((region, 0, p.month)) for p in months(period.year, period.quarter)]
        else:
            parts = [self._own(rows, region, q) for q in quarters(period.year)]
        found = [p for p in parts if p is not None]
        return sum(found, Decimal(0)) if found else None

    def _value(self, rows: dict[Key, Decimal], region: int, period: Period) -> Decimal | None:
        own = self._own(rows, region, period)
        if own is not None or not self.indicator.summable:
            return own
        parts = [self._value(rows, child, period) for child in self.children.get(region, [])]
        found = [p for p in parts if p is not None]
        return sum(found, Decimal(0)) if found else None

    def actual(self, region: Region, period: Period) -> Decimal | None:
        return self._value(self.actuals, region.pk, period)

    def target(self, region: Region, period: Period) -> Decimal | None:
        return self._value(self.targets, region.pk, period)

    def as_of(self, period: Period, today: dt.date) -> dt.date:
        """The date progress is expected up to (see the module's note)."""
        if self.indicator.is_computed:
            return today
        ends = [
            Period(self.year, q, m).end
            for (_r, q, m) in self.actuals
            if period.contains(Period(self.year, q, m))
        ]
        return min(max(ends), today) if ends else today

    def progress(
        self, region: Region, period: Period, today: dt.date, as_of: dt.date | None = None
    ) -> dict[str, Any]:
        indicator = self.indicator
        target = self.target(region, period)
        actual = self.actual(region, period)
        as_of = as_of or self.as_of(period, today)
        expected = round(period.elapsed(as_of), 4)
        ratio = round(float(actual / target), 4) if target and actual is not None else None
        if target is None:
            status = "no_target"
        elif actual is None:
            status = "no_data"
        elif ratio is not None and ratio < expected - lag_margin():
            status = "lagging"
        else:
            status = "on_track"
        return {
            "indicator": indicator,
            "code": indicator.code,
            "name": indicator.name,
            "unit": indicator.unit,
            "period": period,
            "region": region,
            "target": indicator.to_unit(target),
            "actual": indicator.to_unit(actual),
            "ratio": ratio,
            "expected": expected,
            "as_of": as_of,
            "status": status,
            "lagging": status == "lagging",
        }


def progress(
    indicator: Indicator,
    period: Period | int | str,
    region: Region,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """Target, actual (in the indicator's unit), ratio, expected ratio and lagging flag."""
    period = _as_period(period)
    return Book(indicator, period.year).progress(region, period, today or timezone.localdate())


def area_progress(
    indicator: Indicator,
    period: Period | int | str,
    city: Region,
    today: dt.date | None = None,
    book: Book | None = None,
) -> list[dict[str, Any]]:
    """One progress row per area of the city, in the city's order."""
    period = _as_period(period)
    today = today or timezone.localdate()
    book = book or Book(indicator, period.year)
    as_of = book.as_of(period, today)
    return [book.progress(area, period, today, as_of) for area in areas_of(city)]


def lagging_areas(
    indicator: Indicator,
    period: Period | int | str,
    city: Region | None = None,
    today: dt.date | None = None,
) -> list[dict[str, Any]]:
    """The areas behind schedule, furthest behind first (of every city unless one is named)."""
    period = _as_period(period)
    book = Book(indicator, period.year)
    cities = [city] if city is not None else _cities_under(top_region())
    rows = [
        row for c in cities for row in area_progress(indicator, period, c, today, book)
        if row["lagging"]
    ]  # fmt: skip
    return sorted(rows, key=lambda row: row["ratio"] - row["expected"])


def _cities_under(region: Region | None) -> list[Region]:
    from .areas import cities

    if region is None:
        return []
    return [c for c in cities() if c.path.startswith(region.path)]


def summary(region: Region | None, year: int, today: dt.date | None = None) -> list[dict[str, Any]]:
    """One row per active indicator for `region` (None: the city, or the whole tree) and year.

    Each row is `progress(...)` for the year plus `areas` (the per-area rows when the region
    is a city) and `lagging_areas` (the names of those behind schedule).
    """
    today = today or timezone.localdate()
    region = region or top_region()
    if region is None:
        return []
    period = Period(year)
    rows = []
    for indicator in Indicator.objects.filter(active=True):
        book = Book(indicator, year)
        row = book.progress(region, period, today)
        areas = area_progress(indicator, period, region, today, book) if areas_of(region) else []
        row["areas"] = areas
        row["lagging_areas"] = [a["region"].name for a in areas if a["lagging"]]
        rows.append(row)
    return rows
