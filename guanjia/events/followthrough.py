"""Follow-through (履约) of signings: what became of the projects signed at an event, or in a year.

Every measure is one set-based query over the signings, joined to their projects; nothing
loops over projects in Python.

Definitions (the bureaus' own, as the cockpit's rollups use them):

- the signed projects are the first signings (`Signing.is_first`, the counting rule: a project
  counts once, at its first signing), so an event's follow-through is about the projects its
  headline figure counts; withdrawn projects stay in the denominator;
- 落地率 / 开工率 / 投产率: the share of those projects whose stage now is 注册落地 / 开工 /
  投产 or further on the line (withdrawn never counts as reached). The stage is what counts
  now, so a project imported at 开工 without stage dates is started;
- 资金到位率: the projects' funds in place (`Project.funds_in_place_wan`) over the amount
  contracted at the signing (`Signing.amount_wan`), withdrawn projects left out of both;
- over time: how many of the projects had registered / started / gone into operation N months
  after the event (by their stage dates; a project without the date cannot be placed and is
  counted as "date unknown"); a point whose day has not come yet is None;
- laggards: signed, not withdrawn, not yet started, signed more than N months ago; oldest first.
"""

import calendar
import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum, Window
from django.db.models.functions import Coalesce, DenseRank

from guanjia.projects.models import Project
from guanjia.projects.stages import LINE, ORDER, Stage

from .models import Event, Signing

ZERO = Decimal(0)
MONTHS = (3, 6, 12)  # the chart's points after the event date
LAG_MONTHS = 6  # a signed project not started after this long is a laggard (the default)
LAGGARDS_SHOWN = 50

# The three stages the bureaus report on, with the date field each stamps.
MEASURES: tuple[tuple[str, str], ...] = (
    ("registered", Stage.REGISTERED),
    ("started", Stage.CONSTRUCTION),
    ("operating", Stage.OPERATION),
)


def reached(stage: str) -> list[str]:
    """The stages at or beyond `stage` on the line (withdrawn never)."""
    return list(LINE[ORDER[stage] :])


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (the month's last day when it is shorter)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def signed(scope: Q | None = None) -> QuerySet[Signing]:
    """The first signings (one per project), within `scope` (a Q on Signing)."""
    qs = Signing.objects.filter(is_first=True)
    return qs.filter(scope) if scope is not None else qs


def _aggregates() -> dict[str, Any]:
    active = ~Q(project__stage=Stage.WITHDRAWN)
    money = {"output_field": Signing._meta.get_field("amount_wan")}
    parts: dict[str, Any] = {"signed": Count("pk")}
    for key, stage in MEASURES:
        parts[key] = Count("pk", filter=Q(project__stage__in=reached(stage)))
    parts["withdrawn"] = Count("pk", filter=Q(project__stage=Stage.WITHDRAWN))
    parts["contracted_wan"] = Coalesce(Sum("amount_wan", filter=active), ZERO, **money)
    parts["funds_wan"] = Coalesce(Sum("project__funds_in_place_wan", filter=active), ZERO, **money)
    return parts


def _rate(part: int | Decimal, whole: int | Decimal) -> float | None:
    return float(part) / float(whole) if whole else None


def with_rates(row: dict[str, Any]) -> dict[str, Any]:
    total = row["signed"]
    for key, _stage in MEASURES:
        row[f"{key}_rate"] = _rate(row[key], total)
    row["funds_rate"] = _rate(row["funds_wan"], row["contracted_wan"])
    return row


def rates(signings: QuerySet[Signing]) -> dict[str, Any]:
    """The counts and rates of these first signings' projects, in one query."""
    return with_rates(signings.aggregate(**_aggregates()))


def rates_by(signings: QuerySet[Signing], *keys: str) -> list[dict[str, Any]]:
    """The same, one row per value of `keys` (e.g. "government", "project__task_force")."""
    rows = signings.values(*keys).annotate(**_aggregates()).order_by(*keys)
    return [with_rates(dict(row)) for row in rows]


def rates_for_events(
    events: Iterable[int] | QuerySet[Event] | None = None, scope: Q | None = None
) -> dict[int, dict[str, Any]]:
    """The follow-through of every event at once (or of those given): event id → rates.

    One grouped query over the signings, for the event list, the reports and the benchmark."""
    qs = signed(scope).filter(event__isnull=False)
    if events is not None:
        qs = qs.filter(event__in=events)
    return {row.pop("event"): row for row in rates_by(qs, "event")}


def over_time(
    signings: QuerySet[Signing], start: dt.date, today: dt.date, months: Iterable[int] = MONTHS
) -> list[dict[str, Any]]:
    """For each N of `months`: how many projects had registered, started and gone into
    operation by `start` + N months (None for a day still to come). One query for all points."""
    points = [(n, add_months(start, n)) for n in months]
    parts: dict[str, Any] = {}
    for n, day in points:
        for key, stage in MEASURES:
            field = f"project__{stage}_on"
            parts[f"{key}_{n}"] = Count("pk", filter=Q(**{f"{field}__lte": day}))
    parts["signed"] = Count("pk")
    row = signings.aggregate(**parts)
    series = []
    for n, day in points:
        due = day <= today
        point: dict[str, Any] = {"months": n, "date": day, "due": due, "signed": row["signed"]}
        for key, _stage in MEASURES:
            point[key] = row[f"{key}_{n}"] if due else None
        point["started_rate"] = _rate(point["started"], row["signed"]) if due else None
        series.append(point)
    return series


def undated_started(signings: QuerySet[Signing]) -> int:
    """Projects started (by stage) whose start date the ledger lacks: the chart cannot place them."""
    return signings.filter(
        project__stage__in=reached(Stage.CONSTRUCTION), project__construction_on__isnull=True
    ).count()


def laggards(
    signings: QuerySet[Signing],
    today: dt.date,
    months: int = LAG_MONTHS,
    limit: int | None = LAGGARDS_SHOWN,
) -> QuerySet[Signing]:
    """Signed more than `months` ago, not withdrawn and not started yet: oldest first."""
    cutoff = add_months(today, -months)
    not_started = [s for s in Stage.values if s not in reached(Stage.CONSTRUCTION)]
    qs = (
        signings.filter(signed_on__lte=cutoff, project__stage__in=not_started)
        .exclude(project__stage=Stage.WITHDRAWN)
        .select_related("project", "project__enterprise", "government")
        .order_by("signed_on", "pk")
    )
    return qs[:limit] if limit else qs


def year_signings(year: int, scope: Q | None = None) -> QuerySet[Signing]:
    """The first signings dated in `year` (at an event or not)."""
    return signed(scope).filter(signed_on__year=year)


_AREA = ("government__path", "government", "government__name")
_TEAM = "project__task_force"
_LAGGARD_FIELDS = (
    "signed_on", "amount_wan", "project__name", "project__stage", "project__enterprise__name",
    "government__name",
)  # fmt: skip
_TOTALS = ("signed", *(key for key, _stage in MEASURES), "withdrawn", "contracted_wan", "funds_wan")


class _RankAfterGrouping(Window):
    """A window over the grouped rows (as SQL evaluates it): Django would put a window
    annotation into the GROUP BY of a `values().annotate()` query, which the databases refuse."""

    def get_group_by_cols(self) -> list[Any]:
        return []


def _over_time_parts(points: list[tuple[int, dt.date]]) -> dict[str, Any]:
    parts: dict[str, Any] = {}
    for n, day in points:
        for key, stage in MEASURES:
            parts[f"{key}_{n}"] = Count("pk", filter=Q(**{f"project__{stage}_on__lte": day}))
    return parts


def _folded(
    rows: list[dict[str, Any]], keys: tuple[str, ...], order: list[tuple[Any, ...]]
) -> list[dict[str, Any]]:
    """The grouped rows summed by `keys` (counts and sums add up), in `order`, with rates."""
    sums: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        key = tuple(row[k] for k in keys)
        into = sums.get(key)
        if into is None:
            sums[key] = {**{k: row[k] for k in keys}, **{k: row[k] for k in _TOTALS}}
        else:
            for k in _TOTALS:
                into[k] += row[k]
    return [with_rates(sums[key]) for key in order]


def event_followthrough(
    event: Event,
    today: dt.date,
    scope: Q,
    visible_projects: QuerySet[Project] | None = None,
    lag_months: int = LAG_MONTHS,
) -> dict[str, Any]:
    """Everything the event page's follow-through panel shows, within `scope` (a Q on
    Signing from `access.followthrough_scope`); laggards only of projects the user sees.

    Two queries: one grouped by signing government and task force that also counts the
    chart's points and the undated starts — the totals, the areas' and the task forces' rows
    are its sums (counts and sums add up), the task forces ranked by the database as
    `rates_by` orders them — and the laggards (none when nothing is signed in scope). The
    same figures as `rates`, `rates_by`, `over_time` and `undated_started` each give."""
    signings = signed(scope).filter(event=event)
    points = [(n, add_months(event.date, n)) for n in MONTHS]
    parts = {
        **_aggregates(),
        **_over_time_parts(points),
        "undated": Count(
            "pk",
            filter=Q(
                project__stage__in=reached(Stage.CONSTRUCTION),
                project__construction_on__isnull=True,
            ),
        ),
        "team_rank": _RankAfterGrouping(DenseRank(), order_by=F(_TEAM).asc()),
    }
    rows = list(signings.values(*_AREA, _TEAM).annotate(**parts).order_by(*_AREA, _TEAM))
    totals = with_rates(
        {k: sum((row[k] for row in rows), ZERO if k.endswith("_wan") else 0) for k in _TOTALS}
    )
    if not totals["signed"]:  # nothing signed in scope: the panel says so, no more queries
        return {
            "totals": totals, "by_area": [], "by_team": [], "over_time": [],
            "undated_started": 0, "laggards": [], "lag_months": lag_months,
        }  # fmt: skip
    areas = list(dict.fromkeys(tuple(row[k] for k in _AREA) for row in rows))
    teams = [(t,) for _rank, t in sorted({(row["team_rank"], row[_TEAM]) for row in rows})]
    counted = {k: sum(row[k] for row in rows) for k in _over_time_parts(points)}
    series = []
    for n, day in points:
        due = day <= today
        point: dict[str, Any] = {"months": n, "date": day, "due": due, "signed": totals["signed"]}
        for key, _stage in MEASURES:
            point[key] = counted[f"{key}_{n}"] if due else None
        point["started_rate"] = _rate(point["started"], totals["signed"]) if due else None
        series.append(point)
    mine = signings if visible_projects is None else signings.filter(project__in=visible_projects)
    # What the panel's table shows of a laggard, not its project's fifty columns.
    late = laggards(mine, today, lag_months).only(*_LAGGARD_FIELDS)
    return {
        "totals": totals,
        "by_area": _folded(rows, _AREA, areas),
        "by_team": [row for row in _folded(rows, (_TEAM,), teams) if row[_TEAM]],
        "over_time": series,
        "undated_started": sum(row["undated"] for row in rows),
        "laggards": list(late),
        "lag_months": lag_months,
    }
