"""Actuals computed from the ledger, set-based: one GROUP BY per indicator and year.

- key projects landed: projects at 省重点/市重点 level that reached 注册落地 in the month;
- signed investment: the counted amount of signings in the month, by the bureau's rule (a
  project counts once at its first signing, a later signing only for the increase), so a
  project first signed in the period counts its whole contracted amount.

Counts go to the area (one of the city's 县(市)区 or zones) the project's region lies in, and
to the city for all of them (projects kept at city level count for the city only). Each area
and the city get a row for every month of the year that has begun, zeros included.

The assessment's indicators (招商考核) are computed the same way, and also for a team (the
lead's department, 招商小分队) or a person (the lead's owner):

- new leads: leads entered (`Lead.lead_on`) in the month;
- signed projects, projects landed, funds in place: the projects first signed in the month
  (`events.followthrough.signed`, the counting rule), their count, how many of them have
  reached 注册落地 or beyond, and their funds in place (withdrawn projects left out), by the
  follow-through's own aggregates (`followthrough.rates_by`). A signed lead's project counts
  for the lead's area, team and owner in the month of its first signing.
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
from guanjia.events import followthrough
from guanjia.events.models import Signing
from guanjia.leads.models import Lead
from guanjia.projects.models import Level, Project
from guanjia.regions.models import Region

from .areas import areas_of, cities
from .models import Actual, Computation, Indicator, Source
from .periods import Period, months

KEY_LEVELS = (Level.PROVINCIAL, Level.MUNICIPAL)


# How each kind of subject is found from a lead, a signing and a project.
BY_LEAD = {"area": "region_id", "team": "department_id", "person": "owner_id"}
BY_SIGNING = {
    "area": "project__region_id",
    "team": "project__lead__department_id",
    "person": "project__lead__owner_id",
}
BY_PROJECT = {"area": "region_id", "team": "lead__department_id", "person": "lead__owner_id"}
# The follow-through aggregate each cohort indicator reads.
COHORT = {
    Computation.SIGNED_PROJECTS: "signed",
    Computation.PROJECTS_LANDED: "registered",
    Computation.FUNDS_IN_PLACE: "funds_wan",
}


def grouped(computation: str, year: int, by: str = "area") -> dict[tuple[int, int], Decimal]:
    """(subject id, month) → value straight from the records, one GROUP BY. `by` is "area"
    (the record's own region, to be rolled up), "team" or "person"."""
    rows: Any
    if computation == Computation.KEY_PROJECTS_LANDED:
        key = BY_PROJECT[by]
        rows = (
            Project.objects.filter(level__in=KEY_LEVELS, registered_on__year=year)
            .annotate(m=ExtractMonth("registered_on"))
            .values(key, "m")
            .annotate(v=Count("pk"))
            .values_list(key, "m", "v")
        )
    elif computation == Computation.SIGNED_INVESTMENT:
        key = BY_SIGNING[by]
        rows = (
            Signing.objects.filter(signed_on__year=year)
            .annotate(m=ExtractMonth("signed_on"))
            .values(key, "m")
            .annotate(v=Sum("counted_amount_wan"))
            .values_list(key, "m", "v")
        )
    elif computation == Computation.NEW_LEADS:
        key = BY_LEAD[by]
        rows = (
            Lead.objects.filter(lead_on__year=year)
            .annotate(m=ExtractMonth("lead_on"))
            .values(key, "m")
            .annotate(v=Count("pk"))
            .values_list(key, "m", "v")
        )
    elif computation in COHORT:
        key, measure = BY_SIGNING[by], COHORT[Computation(computation)]
        cohort = followthrough.signed().filter(signed_on__year=year)
        found = followthrough.rates_by(cohort.annotate(m=ExtractMonth("signed_on")), key, "m")
        rows = [(row[key], row["m"], row[measure]) for row in found]
    else:
        raise ValueError(f"unknown computation {computation!r}")
    return {(s, month): Decimal(value or 0) for s, month, value in rows if s is not None}


def _by_region_month(indicator: Indicator, year: int) -> dict[tuple[int, int], Decimal]:
    """(region id, month) → value straight from the ledger, one GROUP BY."""
    return grouped(indicator.computation, year, "area")


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


def subject_values(indicator: Indicator, period: Period, by: str) -> dict[int, Decimal]:
    """Subject id → the indicator's value over `period`, computed from the records now: areas
    (and cities) rolled up from their regions, teams and people as the leads name them."""
    year = period.year
    inside = {p.month for p in months(year, period.quarter)} if not period.month else {period.month}
    raw = (
        ledger_values(indicator, year) if by == "area" else grouped(indicator.computation, year, by)
    )
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for (subject, month), value in raw.items():
        if month in inside:
            totals[subject] += value
    return dict(totals)


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
