"""Actuals computed from the ledger, set-based: one GROUP BY per indicator and year.

- key projects landed: projects at 省重点/市重点 level that reached 注册落地 in the month;
- signed investment: the counted amount of signings in the month, by the bureau's rule (a
  project counts once at its first signing, a later signing only for the increase), so a
  project first signed in the period counts its whole contracted amount.

Counts go to the area (one of the city's 县(市)区 or zones) the project's region lies in, and
to the city for all of them (projects kept at city level count for the city only). Each area
and the city get a row for every month of the year that has begun, zeros included.
"""

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, Sum
from django.db.models.functions import ExtractMonth
from django.utils import timezone

from guanjia.core.audit import record
from guanjia.core.models import AuditAction
from guanjia.events.models import Signing
from guanjia.projects.models import Level, Project
from guanjia.regions.models import Region

from .areas import areas_of, cities
from .models import Actual, Computation, Indicator, Source

KEY_LEVELS = (Level.PROVINCIAL, Level.MUNICIPAL)


def _by_region_month(indicator: Indicator, year: int) -> dict[tuple[int, int], Decimal]:
    """(region id, month) → value straight from the ledger, one GROUP BY."""
    rows: Any
    if indicator.computation == Computation.KEY_PROJECTS_LANDED:
        rows = (
            Project.objects.filter(level__in=KEY_LEVELS, registered_on__year=year)
            .annotate(m=ExtractMonth("registered_on"))
            .values("region_id", "m")
            .annotate(v=Count("pk"))
            .values_list("region_id", "m", "v")
        )
    elif indicator.computation == Computation.SIGNED_INVESTMENT:
        rows = (
            Signing.objects.filter(signed_on__year=year)
            .annotate(m=ExtractMonth("signed_on"))
            .values("project__region_id", "m")
            .annotate(v=Sum("counted_amount_wan"))
            .values_list("project__region_id", "m", "v")
        )
    else:
        raise ValueError(f"unknown computation {indicator.computation!r}")
    return {(region, month): Decimal(value or 0) for region, month, value in rows}


def ledger_values(indicator: Indicator, year: int) -> dict[tuple[int, int], Decimal]:
    """(area or city id, month) → value: the ledger's figures rolled up to areas and cities."""
    raw = _by_region_month(indicator, year)
    paths = dict(Region.objects.values_list("pk", "path"))
    totals: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for city in cities():
        for area in [city, *areas_of(city)]:
            for (region_id, month), value in raw.items():
                if paths.get(region_id, "").startswith(area.path):
                    totals[(area.pk, month)] += value
    return totals


def _months_begun(year: int, today: dt.date) -> range:
    if year < today.year:
        return range(1, 13)
    if year > today.year:
        return range(1, 1)
    return range(1, today.month + 1)


@transaction.atomic
def compute(indicator: Indicator, year: int, today: dt.date | None = None) -> int:
    """Recompute an indicator's monthly actuals for a year; returns how many rows changed."""
    if indicator.source != Source.COMPUTED:
        return 0
    today = today or timezone.localdate()
    now = timezone.now()
    values = ledger_values(indicator, year)
    regions = [r for city in cities() for r in (city, *areas_of(city))]
    wanted = {
        (r.pk, m): values.get((r.pk, m), Decimal(0))
        for r in regions
        for m in _months_begun(year, today)
    }
    existing = {
        (a.region_id, a.month): a
        for a in Actual.objects.select_for_update().filter(
            indicator=indicator, year=year, quarter=0, month__gt=0
        )
    }
    note = "computed from the project ledger"
    new, changed = [], []
    for key, value in wanted.items():
        row = existing.pop(key, None)
        if row is None:
            new.append(
                Actual(
                    indicator=indicator, year=year, month=key[1], region_id=key[0],
                    value=value, computed_at=now, source_note=note,
                )
            )  # fmt: skip
        elif row.value != value:
            row.value, row.computed_at = value, now
            changed.append(row)
    Actual.objects.bulk_create(new, batch_size=500)
    Actual.objects.bulk_update(changed, ["value", "computed_at"], batch_size=500)
    stale = [a.pk for a in existing.values()]
    Actual.objects.filter(pk__in=stale).delete()
    count = len(new) + len(changed) + len(stale)
    if count:
        record(
            None,
            AuditAction.UPDATE,
            indicator,
            note=f"recomputed {year}: {len(new)} new, {len(changed)} changed, {len(stale)} removed",
        )
    return count


def compute_all(years: list[int] | None = None, today: dt.date | None = None) -> int:
    """Every computed indicator for the given years (default: this year and last)."""
    today = today or timezone.localdate()
    years = years or [today.year - 1, today.year]
    total = 0
    for indicator in Indicator.objects.filter(source=Source.COMPUTED, active=True):
        for year in years:
            total += compute(indicator, year, today)
    return total
