"""The assessment's ranking (招商考核排名通报): for one indicator, period and kind of subject (areas,
teams, people), everyone with a target, ranked by completion, with the move since the period
before.

- The subjects are those with a target for the period in the city (an area: the city's own
  areas; a team or a person: their target's region lies in the city).
- The actual is computed from the records now (`computations.subject_values`), for every kind
  alike; an entered indicator reads its entered actuals for areas (no one enters a team's).
- Rank by completion (actual over target), then by actual, then by name; equal completion and
  actual share a rank (1, 2, 2, 4). A zero target cannot be completed: it ranks last.
- The change compares with the same ranking of the period before (the previous month, quarter or
  year): up N, down N, the same, or new (no target then).
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import pgettext

from guanjia.accounts.models import Department, User
from guanjia.regions.models import Region, RegionKind

from .areas import areas_of, cities
from .computations import subject_values
from .models import Actual, Indicator, SubjectKind, Target
from .periods import Period


def previous(period: Period) -> Period:
    """The period before: the month, quarter or year before."""
    if period.month:
        if period.month == 1:
            return Period(period.year - 1, month=12)
        return Period(period.year, month=period.month - 1)
    if period.quarter:
        if period.quarter == 1:
            return Period(period.year - 1, quarter=4)
        return Period(period.year, quarter=period.quarter - 1)
    return Period(period.year - 1)


@dataclass
class Row:
    rank: int
    subject_id: int
    name: str
    target: Decimal | None  # in the indicator's unit
    actual: Decimal | None
    ratio: float | None  # actual over target
    previous_rank: int | None = None
    had_previous: bool = False  # whether the period before was ranked at all

    @property
    def move(self) -> int | None:
        """Places gained since the period before (negative: lost); None when new."""
        return None if self.previous_rank is None else self.previous_rank - self.rank

    @property
    def change(self) -> str:
        """↑2, ↓1, — (the same) or new; empty when the period before had no ranking."""
        if not self.had_previous:
            return ""
        move = self.move
        if move is None:
            return pgettext("rank", "new")
        if move > 0:
            return f"↑{move}"
        if move < 0:
            return f"↓{-move}"
        return "—"

    @property
    def completion(self) -> str:
        return "" if self.ratio is None else f"{self.ratio * 100:.1f}%"


def _name(obj: Any) -> str:
    if isinstance(obj, User):
        return obj.display_name or obj.username
    return str(obj.name if isinstance(obj, Department | Region) else obj)


def _targets(indicator: Indicator, period: Period, kind: str, city: Region) -> dict[int, Any]:
    """Subject id → (subject, stored target value) for the period, in the city."""
    qs = Target.objects.filter(
        indicator=indicator, year=period.year, quarter=period.quarter, month=period.month
    )
    if kind == SubjectKind.TEAM:
        rows = qs.filter(team__isnull=False, region__path__startswith=city.path)
        return {t.team.pk: (t.team, t.value) for t in rows.select_related("team") if t.team}
    if kind == SubjectKind.PERSON:
        rows = qs.filter(person__isnull=False, region__path__startswith=city.path)
        return {t.person.pk: (t.person, t.value) for t in rows.select_related("person") if t.person}
    areas = {a.pk: a for a in areas_of(city)}
    rows = qs.filter(team=None, person=None, region__in=list(areas))
    return {t.region_id: (areas[t.region_id], t.value) for t in rows}


def _actuals(indicator: Indicator, period: Period, kind: str) -> dict[int, Decimal]:
    if indicator.is_computed:
        return subject_values(indicator, period, kind)
    if kind != SubjectKind.AREA:
        return {}
    return dict(
        Actual.objects.filter(
            indicator=indicator, year=period.year, quarter=period.quarter, month=period.month
        ).values_list("region_id", "value")
    )


def _ranked(indicator: Indicator, period: Period, kind: str, city: Region) -> list[Row]:
    targets = _targets(indicator, period, kind, city)
    if not targets:
        return []
    actuals = _actuals(indicator, period, kind)
    rows = []
    for pk, (subject, target) in targets.items():
        actual = actuals.get(pk, Decimal(0))
        ratio = round(float(actual / target), 4) if target else None
        rows.append(
            Row(0, pk, _name(subject), indicator.to_unit(target), indicator.to_unit(actual), ratio)
        )
    rows.sort(key=lambda r: (r.ratio is None, -(r.ratio or 0), -(r.actual or 0), r.name))
    for index, row in enumerate(rows):
        before = rows[index - 1] if index else None
        same = before is not None and (before.ratio, before.actual) == (row.ratio, row.actual)
        row.rank = before.rank if same and before is not None else index + 1
    return rows


def ranking(indicator: Indicator, period: Period, kind: str, city: Region) -> list[Row]:
    """The ranking of `kind` subjects of the city on the indicator for the period, with each
    one's move since the period before."""
    rows = _ranked(indicator, period, kind, city)
    earlier = {r.subject_id: r.rank for r in _ranked(indicator, previous(period), kind, city)}
    for row in rows:
        row.previous_rank = earlier.get(row.subject_id)
        row.had_previous = bool(earlier)
    return rows


def indicators_with_targets(period: Period, city: Region) -> list[Indicator]:
    """The active indicators with a target of any kind in the city for the period."""
    ids = Target.objects.filter(
        year=period.year,
        quarter=period.quarter,
        month=period.month,
        region__path__startswith=city.path,
    ).values("indicator")
    return list(Indicator.objects.filter(active=True, pk__in=ids))


def kinds_with_targets(indicator: Indicator, period: Period, city: Region) -> list[str]:
    return [k for k in SubjectKind.values if _targets(indicator, period, k, city)]


def latest_period(city: Region, kind_of_period: str = "quarter") -> Period | None:
    """The latest period of that kind (month, quarter, year) with a target in the city that has
    begun."""
    today = timezone.localdate()
    qs = Target.objects.filter(region__path__startswith=city.path)
    if kind_of_period == "month":
        qs = qs.filter(month__gt=0)
    elif kind_of_period == "quarter":
        qs = qs.filter(quarter__gt=0)
    else:
        qs = qs.filter(quarter=0, month=0)
    found = sorted(
        {Period(y, q, m) for y, q, m in qs.values_list("year", "quarter", "month").distinct()},
        reverse=True,
    )
    for period in found:
        if period.start <= today:
            return period
    return found[-1] if found else None


def for_report(end: dt.date, region: Region | None = None) -> list[dict[str, Any]]:
    """The rankings a monthly report ending `end` publishes: for the month, and for the quarter
    it falls in, every indicator and kind with targets, in the city of `region` (every city when
    None). One dict per ranking: period, indicator, kind label and rows."""
    if region is not None:
        city = region.city()
        if city is not None and city.kind == RegionKind.CITY:
            found = [city]
        else:
            found = [c for c in cities() if c.path.startswith(region.path)]
    else:
        found = cities()
    periods = [
        Period(end.year, month=end.month),
        Period(end.year, quarter=(end.month - 1) // 3 + 1),
    ]
    out = []
    for city in found:
        for period in periods:
            for indicator in indicators_with_targets(period, city):
                for kind in kinds_with_targets(indicator, period, city):
                    out.append(
                        {
                            "period": period,
                            "indicator": indicator,
                            "kind": SubjectKind(kind).label,
                            "rows": ranking(indicator, period, kind, city),
                        }
                    )
    return out
