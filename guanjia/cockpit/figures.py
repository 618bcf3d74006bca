"""The cockpit's figures: the rollup tables read back per area and year.

The rollups are rebuilt with set-based SQL by `services.refresh()` (the periodic task, every
30 s). The readers below sum the rows of an area's subtree; none of them touches the big
tables.

Definitions (the same as the records' own pages):

- signed projects and investment in a year: first signings dated in the year and the
  counted amounts of all signings dated in it (the counting rule: a project counts once, at
  its first signing; a re-signing or expansion adds only its increase); a project in the
  ledger with a signing date but no signing record counts once, with its total investment;
- 落地率 / 开工率 / 投产率: of the projects signed in the year (withdrawn ones included), the
  share now registered / under construction / in operation or further on the line;
- 资金到位率: funds in place / total investment of the year's signed projects not withdrawn;
- on-time rate: requests answered in the year on time / answered in the year; satisfaction:
  (basically) satisfied / rated in the year (guanjia.servicerecords.figures);
- overdue now: open requests past their current deadline at the refresh;
- services this month: service records dated in the current month;
- the funnel: projects not withdrawn that have reached each stage (at it or beyond), now.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum
from django.utils import timezone

from guanjia.accounts.models import User
from guanjia.core.dbrouter import read_alias
from guanjia.industries.models import Industry
from guanjia.projects.stages import LINE, ORDER, Stage
from guanjia.regions.models import Region

from .models import (
    FlowRollup,
    Milestone,
    ProjectRollup,
    RefreshState,
    RequestRollup,
    StewardRollup,
)

STATE_KEY = "cockpit"
ZERO = Decimal(0)


def last_refreshed() -> dt.datetime | None:
    """When the rollups the readers see were refreshed (on the replica if there is one, so
    that the cockpit's cache key and its figures come from the same copy)."""
    state = (
        RefreshState.objects.using(read_alias()).filter(key=STATE_KEY).only("refreshed_at").first()
    )
    return state.refreshed_at if state else None


# --- Reading ---------------------------------------------------------------------------------


def _in(region: Region | None) -> Q:
    """Rollup rows of the region's subtree (everything when None)."""
    if region is None:
        return Q()
    return Q(region_id__in=Region.objects.filter(path__startswith=region.path).values("pk"))


def _rate(part: int | Decimal, whole: int | Decimal) -> float | None:
    return float(part) / float(whole) if whole else None


def reached_stages(stage: str) -> list[str]:
    """The stages at or beyond `stage` on the line (withdrawn never)."""
    return list(LINE[ORDER[stage] :])


def kpis(region: Region | None, year: int) -> dict[str, Any]:
    """The tiles: this year's signings, the rates, the direct line and the services."""
    signed = (
        FlowRollup.objects.using(read_alias())
        .filter(_in(region), year=year, milestone=Milestone.SIGNED)
        .aggregate(n=Sum("projects"), amount=Sum("amount_wan"))
    )
    cohort = ProjectRollup.objects.using(read_alias()).filter(_in(region), signed_year=year)
    active = ~Q(stage=Stage.WITHDRAWN)
    reached = {
        key: Sum("projects", filter=Q(stage__in=reached_stages(stage)))
        for key, stage in (
            ("registered", Stage.REGISTERED),
            ("started", Stage.CONSTRUCTION),
            ("operating", Stage.OPERATION),
        )
    }
    row = cohort.aggregate(
        total=Sum("projects"),
        investment=Sum("total_investment_wan", filter=active),
        funds=Sum("funds_in_place_wan", filter=active),
        **reached,
    )
    total = row["total"] or 0
    today = timezone.localdate()
    now = Q(year=year) | Q(year=0) | Q(year=today.year, month=today.month)
    requests = (
        RequestRollup.objects.using(read_alias())
        .filter(_in(region))
        .filter(now)
        .aggregate(
            replied=Sum("replied", filter=Q(year=year)),
            on_time=Sum("on_time", filter=Q(year=year)),
            rated=Sum("rated", filter=Q(year=year)),
            satisfied=Sum("satisfied", filter=Q(year=year)),
            overdue=Sum("overdue", filter=Q(year=0)),
            services=Sum("services", filter=Q(year=today.year, month=today.month)),
        )
    )
    counts = {k: v or 0 for k, v in requests.items()}
    return {
        "signed_count": signed["n"] or 0,
        "signed_investment": signed["amount"] or ZERO,
        "landing_rate": _rate(row["registered"] or 0, total),
        "start_rate": _rate(row["started"] or 0, total),
        "operation_rate": _rate(row["operating"] or 0, total),
        "funds_rate": _rate(row["funds"] or ZERO, row["investment"] or ZERO),
        "requests_on_time_rate": _rate(counts["on_time"], counts["replied"]),
        "satisfaction_rate": _rate(counts["satisfied"], counts["rated"]),
        "overdue_now": counts["overdue"],
        "services_this_month": counts["services"],
    }


def by_industry(region: Region | None, year: int) -> list[dict[str, Any]]:
    """The year's signings by industry, largest investment first (no industry last)."""
    rows = (
        FlowRollup.objects.using(read_alias())
        .filter(_in(region), year=year, milestone=Milestone.SIGNED)
        .values("industry_id")
        .annotate(projects=Sum("projects"), amount=Sum("amount_wan"))
        .order_by()
    )
    names = dict(Industry.objects.using(read_alias()).values_list("pk", "name"))
    result: list[dict[str, Any]] = [
        {
            "industry_id": r["industry_id"],
            "name": names.get(r["industry_id"], "") if r["industry_id"] else "",
            "projects": r["projects"] or 0,
            "amount_wan": r["amount"] or ZERO,
        }
        for r in rows
        if r["projects"] or r["amount"]
    ]
    result.sort(key=lambda r: (r["industry_id"] is None, -r["amount_wan"], r["name"]))
    return result


def areas_under(region: Region | None) -> tuple[Region | None, list[Region]]:
    """The root shown (the city when None and there is one) and its active children."""
    root = region
    if root is None:
        from django.conf import settings

        root = (
            Region.objects.using(read_alias()).filter(code=settings.GUANJIA_CITY_CODE).first()
            or Region.objects.using(read_alias())
            .filter(parent__isnull=True)
            .order_by("path")
            .first()
        )
    if root is None:
        return None, []
    children = list(
        Region.objects.using(read_alias())
        .active()
        .filter(parent=root)
        .order_by("sort_order", "path")
    )
    return root, children


def by_area(region: Region | None, year: int) -> list[dict[str, Any]]:
    """One row per child area of the region (the region itself when it has none):
    the year's signings and the requests overdue now, each area's subtree included."""
    root, children = areas_under(region)
    if root is None:
        return []
    areas = children or [root]
    subtree = list(
        Region.objects.using(read_alias())
        .filter(path__startswith=root.path)
        .values_list("pk", "path")
    )
    owner: dict[int, int] = {}
    for pk, path in subtree:
        for area in areas:
            if path.startswith(area.path):
                owner[pk] = area.pk
                break
    signed = (
        FlowRollup.objects.using(read_alias())
        .filter(_in(root), year=year, milestone=Milestone.SIGNED)
        .values("region_id")
        .annotate(projects=Sum("projects"), amount=Sum("amount_wan"))
        .order_by()
    )
    overdue = (
        RequestRollup.objects.using(read_alias())
        .filter(_in(root), year=0)
        .values("region_id")
        .annotate(total=Sum("overdue"))
        .order_by()
    )
    rows: dict[int, dict[str, Any]] = {
        a.pk: {
            "region_id": a.pk,
            "code": a.code,
            "gb_code": a.gb_code,
            "name": a.name,
            "short_name": a.short_name or a.name,
            "kind": a.kind,
            "projects": 0,
            "amount_wan": ZERO,
            "overdue_now": 0,
        }
        for a in areas
    }
    for s in signed:
        area_pk = owner.get(s["region_id"])
        if area_pk is not None:
            rows[area_pk]["projects"] += s["projects"] or 0
            rows[area_pk]["amount_wan"] += s["amount"] or ZERO
    for o in overdue:
        area_pk = owner.get(o["region_id"])
        if area_pk is not None:
            rows[area_pk]["overdue_now"] += o["total"] or 0
    return list(rows.values())


def funnel(region: Region | None, year: int) -> list[dict[str, Any]]:
    """Projects not withdrawn that have reached each stage of the line, now.

    `year` is accepted for a uniform signature; the funnel is the pipeline as it stands.
    """
    rows = (
        ProjectRollup.objects.using(read_alias())
        .filter(_in(region))
        .exclude(stage=Stage.WITHDRAWN)
        .values("stage")
        .annotate(projects=Sum("projects"), investment=Sum("total_investment_wan"))
        .order_by()
    )
    at = {r["stage"]: (r["projects"] or 0, r["investment"] or ZERO) for r in rows}
    result = []
    for stage in LINE:
        beyond = reached_stages(stage)
        result.append(
            {
                "stage": stage,
                "label": str(Stage(stage).label),
                "projects": sum(at.get(s, (0, ZERO))[0] for s in beyond),
                "investment_wan": sum((at.get(s, (0, ZERO))[1] for s in beyond), ZERO),
            }
        )
    return result


def monthly(region: Region | None, year: int) -> list[dict[str, Any]]:
    """Per month of the year: projects signed, started and put in operation."""
    rows = (
        FlowRollup.objects.using(read_alias())
        .filter(_in(region), year=year)
        .values("month", "milestone")
        .annotate(projects=Sum("projects"))
        .order_by()
    )
    found = {(r["month"], r["milestone"]): r["projects"] or 0 for r in rows}
    return [
        {
            "month": m,
            "signed": found.get((m, Milestone.SIGNED), 0),
            "registered": found.get((m, Milestone.REGISTERED), 0),
            "started": found.get((m, Milestone.CONSTRUCTION), 0),
            "operating": found.get((m, Milestone.OPERATION), 0),
        }
        for m in range(1, 13)
    ]


def on_time_by_month(region: Region | None, year: int) -> list[dict[str, Any]]:
    """Per month of the year: requests answered, answered on time, and the rate."""
    rows = (
        RequestRollup.objects.using(read_alias())
        .filter(_in(region), year=year)
        .values("month")
        .annotate(n_replied=Sum("replied"), n_on_time=Sum("on_time"))
        .order_by()
    )
    found = {r["month"]: (r["n_replied"] or 0, r["n_on_time"] or 0) for r in rows}
    result = []
    for m in range(1, 13):
        replied, on_time = found.get(m, (0, 0))
        result.append(
            {"month": m, "replied": replied, "on_time": on_time, "rate": _rate(on_time, replied)}
        )
    return result


def leaderboard(region: Region | None, year: int, limit: int = 10) -> list[dict[str, Any]]:
    """The stewards with the most services in the year (in the area), with their requests."""
    top = list(
        StewardRollup.objects.using(read_alias())
        .filter(_in(region), year=year)
        .values("steward_id")
        .annotate(
            n_services=Sum("services"),
            n_replied=Sum("replied"),
            n_on_time=Sum("on_time"),
            n_rated=Sum("rated"),
            n_satisfied=Sum("satisfied"),
        )
        .filter(n_services__gt=0)
        .order_by("-n_services", "steward_id")[:limit]
    )
    people = (
        User.objects.using(read_alias())
        .select_related("region")
        .in_bulk([r["steward_id"] for r in top])
    )
    result = []
    for r in top:
        person = people.get(r["steward_id"])
        result.append(
            {
                "steward_id": r["steward_id"],
                "name": str(person) if person else f"#{r['steward_id']}",
                "region": person.region.name if person and person.region else "",
                "services": r["n_services"] or 0,
                "requests_handled": r["n_replied"] or 0,
                "on_time_rate": _rate(r["n_on_time"] or 0, r["n_replied"] or 0),
                "satisfaction_rate": _rate(r["n_satisfied"] or 0, r["n_rated"] or 0),
            }
        )
    return result


def followthrough(region: Region | None, year: int) -> dict[str, Any]:
    """签约项目落地率 / 开工率 / 投产率 / 资金到位率 of the first signings dated in the year
    whose signing government is in the region, in total and per child area (one grouped query
    over the signings, `guanjia.events.followthrough`; the areas are folded by their path)."""
    from guanjia.events import followthrough as ft

    root, children = areas_under(region)
    if root is None:
        return {"total": None, "areas": []}
    areas = children or [root]
    rows = ft.rates_by(
        ft.year_signings(year, Q(government__path__startswith=root.path)), "government__path"
    )
    keys = ("signed", "registered", "started", "operating", "withdrawn")
    money = ("contracted_wan", "funds_wan")

    def empty() -> dict[str, Any]:
        return {**dict.fromkeys(keys, 0), **dict.fromkeys(money, ZERO)}

    total = empty()
    per_area = {a.pk: {"region_id": a.pk, "name": a.name, **empty()} for a in areas}
    for row in rows:
        path = row["government__path"]
        targets = [total]
        for area in areas:
            if path.startswith(area.path):
                targets.append(per_area[area.pk])
                break
        for target in targets:
            for key in (*keys, *money):
                target[key] += row[key]
    return {
        "total": ft.with_rates(total),
        "areas": [ft.with_rates(r) for r in per_area.values()],
    }
