"""The cockpit's one write: rebuilding its rollup tables from the records (`refresh`).

`refresh()` recomputes every rollup table in one transaction: each table is emptied and
refilled by `INSERT INTO … SELECT … GROUP BY` statements (the SELECTs are built with the ORM,
so month extraction in the site's time zone works the same on SQLite and PostgreSQL). The
requests are read in one grouped scan per rollup (a materialised CTE spread into the months
of submission, answer and rating). The periodic task `tasks.refresh_cockpit` runs it every
30 s; the readers are in `figures.py`, and the definitions of the figures are there too.

The rollups are derived data, a cache of the records that anyone can rebuild: a refresh
changes nothing a person decided, so it writes no audit entry (the records' own changes are
audited where they are made).
"""

import datetime as dt
import time
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import ExtractMonth, ExtractYear
from django.utils import timezone

from guanjia.events.models import Signing
from guanjia.projects.models import Project
from guanjia.requests.models import OPEN_STATUSES, Rating, ServiceRequest
from guanjia.servicerecords.models import ServiceRecord

from .figures import STATE_KEY
from .models import (
    FlowRollup,
    Milestone,
    ProjectRollup,
    RefreshState,
    RequestRollup,
    StewardRollup,
)

GOOD_RATINGS = [Rating.SATISFIED, Rating.BASICALLY]


def _insert(model: type[Any], columns: dict[str, str], qs: QuerySet[Any]) -> None:
    """INSERT INTO model's table (columns) SELECT the aliases of `qs` (a grouped query).

    `columns` maps each target column to an alias selected by `qs` or to a literal (a
    string starting with "="); the compiled SELECT is wrapped so the order of its columns
    never matters.
    """
    sql, params = qs.query.sql_with_params()
    quote = connection.ops.quote_name
    targets, sources, literal_params = [], [], []
    for column, source in columns.items():
        targets.append(quote(column))
        if source.startswith("="):
            sources.append("%s")
            literal_params.append(source[1:])
        else:
            sources.append(f"sub.{quote(source)}")
    statement = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(targets)}) "  # noqa: S608
        f"SELECT {', '.join(sources)} FROM ({sql}) sub"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, (*literal_params, *params))


def _ym(field: str) -> dict[str, Any]:
    return {"yy": ExtractYear(field), "mm": ExtractMonth(field)}


def _refresh_projects() -> None:
    projects = (
        Project.objects.annotate(
            rg=F("region_id"), ind=F("industry_id"), st=F("stage"), yy=ExtractYear("signed_on")
        )
        .values("rg", "ind", "st", "yy")
        .annotate(n=Count("pk"), inv=Sum("total_investment_wan"), funds=Sum("funds_in_place_wan"))
        .order_by()
    )
    _insert(
        ProjectRollup,
        {
            "region_id": "rg",
            "industry_id": "ind",
            "stage": "st",
            "signed_year": "yy",
            "projects": "n",
            "total_investment_wan": "inv",
            "funds_in_place_wan": "funds",
        },
        projects,
    )


FLOW_COLUMNS = {
    "region_id": "rg",
    "industry_id": "ind",
    "year": "yy",
    "month": "mm",
    "projects": "n",
    "amount_wan": "amt",
}


def _refresh_flows() -> None:
    signings = (
        Signing.objects.annotate(
            rg=F("project__region_id"), ind=F("project__industry_id"), **_ym("signed_on")
        )
        .values("rg", "ind", "yy", "mm")
        .annotate(n=Count("pk", filter=Q(is_first=True)), amt=Sum("counted_amount_wan"))
        .order_by()
    )
    _insert(FlowRollup, {"milestone": "=signed", **FLOW_COLUMNS}, signings)
    unsigned = Project.objects.filter(signed_on__isnull=False).exclude(
        Exists(Signing.objects.filter(project=OuterRef("pk")))
    )
    _insert(FlowRollup, {"milestone": "=signed", **FLOW_COLUMNS}, _flow(unsigned, "signed_on"))
    for milestone in (Milestone.REGISTERED, Milestone.CONSTRUCTION, Milestone.OPERATION):
        field = f"{milestone}_on"
        qs = Project.objects.filter(**{f"{field}__isnull": False})
        _insert(FlowRollup, {"milestone": f"={milestone}", **FLOW_COLUMNS}, _flow(qs, field))


def _flow(qs: QuerySet[Project], field: str) -> QuerySet[Any]:
    return (
        qs.annotate(rg=F("region_id"), ind=F("industry_id"), **_ym(field))
        .values("rg", "ind", "yy", "mm")
        .annotate(n=Count("pk"), amt=Sum("total_investment_wan"))
        .order_by()
    )


RATED = Q(rated_at__isnull=False) & ~Q(rating="")
REPLIED = Q(replied_at__isnull=False)


def _sql(qs: QuerySet[Any]) -> tuple[str, list[Any]]:
    sql, params = qs.query.sql_with_params()
    return sql, list(params)


def _rollup_from(
    model: type[Any],
    keys: list[str],
    sums: list[str],
    cte: QuerySet[Any],
    parts: list[tuple[list[str], str]],
    extra: list[tuple[list[str], QuerySet[Any]]],
) -> None:
    """INSERT INTO model (keys, sums) one statement: SELECT keys, SUM(each) … GROUP BY keys
    over a UNION ALL of projections of `cte` (one grouped scan of a big table, materialised
    once) and of further grouped queries (`extra`).

    Each part lists its output expressions in the order keys + sums ("0" for a sum it does
    not feed), with a WHERE condition on the CTE's columns.
    """
    quote = connection.ops.quote_name
    cte_sql, params = _sql(cte)

    def named(expressions: list[str]) -> str:
        # The union's columns take the names of its first SELECT: u0, u1, …
        return ", ".join(f"{e} AS u{i}" for i, e in enumerate(expressions))

    selects = [f"SELECT {named(e)} FROM c WHERE {where}" for e, where in parts]  # noqa: S608
    for expressions, qs in extra:
        sql, more = _sql(qs)
        selects.append(f"SELECT {named(expressions)} FROM ({sql}) x")  # noqa: S608
        params += more
    names = [*keys, *sums]
    outer = ", ".join(
        [f"u.u{i}" for i in range(len(keys))]
        + [f"SUM(u.u{len(keys) + i})" for i in range(len(sums))]
    )
    group = ", ".join(f"u.u{i}" for i in range(len(keys)))
    statement = (
        f"WITH c AS MATERIALIZED ({cte_sql}) "  # noqa: S608 (ORM-compiled SQL, our names)
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(n) for n in names)}) "
        f"SELECT {outer} FROM ({' UNION ALL '.join(selects)}) u GROUP BY {group}"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _refresh_requests(now: dt.datetime) -> None:
    """One scan of the requests, grouped by area and the months of submission, answer and
    rating (with the open ones overdue now), spread into the rollup's months."""
    late = Q(status__in=OPEN_STATUSES, due_at__lt=now)
    cte = (
        ServiceRequest.objects.annotate(
            rg=F("region_id"),
            sy=ExtractYear("submitted_at"),
            sm=ExtractMonth("submitted_at"),
            ry=ExtractYear("replied_at"),
            rm=ExtractMonth("replied_at"),
            ty=ExtractYear("rated_at"),
            tm=ExtractMonth("rated_at"),
        )
        .values("rg", "sy", "sm", "ry", "rm", "ty", "tm")
        .annotate(
            n=Count("pk"),
            rep=Count("pk", filter=REPLIED),
            ot=Count("pk", filter=REPLIED & Q(on_time=True)),
            rat=Count("pk", filter=RATED),
            sat=Count("pk", filter=RATED & Q(rating__in=GOOD_RATINGS)),
            late=Count("pk", filter=late),
        )
        .order_by()
    )
    services = (
        ServiceRecord.objects.annotate(rg=F("region_id"), **_ym("date"))
        .values("rg", "yy", "mm")
        .annotate(n=Count("pk"))
        .order_by()
    )
    _rollup_from(
        RequestRollup,
        ["region_id", "year", "month"],
        ["submitted", "replied", "on_time", "rated", "satisfied", "overdue", "services"],
        cte,
        [
            (["rg", "sy", "sm", "n", "0", "0", "0", "0", "0", "0"], "n > 0"),
            (["rg", "ry", "rm", "0", "rep", "ot", "0", "0", "0", "0"], "rep > 0"),
            (["rg", "ty", "tm", "0", "0", "0", "rat", "sat", "0", "0"], "rat > 0"),
            (["rg", "0", "0", "0", "0", "0", "0", "0", "late", "0"], "late > 0"),
        ],
        [(["x.rg", "x.yy", "x.mm", "0", "0", "0", "0", "0", "0", "x.n"], services)],
    )


def _refresh_stewards() -> None:
    """One scan of the requests grouped by steward, assignee, area and the years of answer
    and rating; each request counts for its steward, and for its assignee when that is
    someone else (as on the stewards' figures page). Services from the service records."""
    cte = (
        ServiceRequest.objects.filter(Q(steward_id__isnull=False) | Q(assignee_id__isnull=False))
        .filter(REPLIED | RATED)
        .annotate(
            s=F("steward_id"),
            a=F("assignee_id"),
            rg=F("region_id"),
            ry=ExtractYear("replied_at"),
            ty=ExtractYear("rated_at"),
        )
        .values("s", "a", "rg", "ry", "ty")
        .annotate(
            rep=Count("pk", filter=REPLIED),
            ot=Count("pk", filter=REPLIED & Q(on_time=True)),
            rat=Count("pk", filter=RATED),
            sat=Count("pk", filter=RATED & Q(rating__in=GOOD_RATINGS)),
        )
        .order_by()
    )
    services = (
        ServiceRecord.objects.annotate(
            who=F("steward_id"), rg=F("region_id"), yy=ExtractYear("date")
        )
        .values("who", "rg", "yy")
        .annotate(n=Count("pk"))
        .order_by()
    )
    other = "a IS NOT NULL AND (s IS NULL OR s <> a)"
    _rollup_from(
        StewardRollup,
        ["steward_id", "region_id", "year"],
        ["services", "replied", "on_time", "rated", "satisfied"],
        cte,
        [
            (["s", "rg", "ry", "0", "rep", "ot", "0", "0"], "s IS NOT NULL AND rep > 0"),
            (["a", "rg", "ry", "0", "rep", "ot", "0", "0"], f"{other} AND rep > 0"),
            (["s", "rg", "ty", "0", "0", "0", "rat", "sat"], "s IS NOT NULL AND rat > 0"),
            (["a", "rg", "ty", "0", "0", "0", "rat", "sat"], f"{other} AND rat > 0"),
        ],
        [(["x.who", "x.rg", "x.yy", "x.n", "0", "0", "0", "0"], services)],
    )


def refresh(now: dt.datetime | None = None) -> dt.datetime:
    """Recompute every rollup in one transaction; returns the refresh time.

    The state row is locked first (SELECT … FOR UPDATE), so two refreshes never interleave;
    readers keep seeing the previous figures until the commit.
    """
    started = time.monotonic()
    # Always the primary (never `read_alias()`): the refresh writes, and its raw INSERTs run
    # on `connection`, the default database.
    RefreshState.objects.using(DEFAULT_DB_ALIAS).get_or_create(key=STATE_KEY)
    with transaction.atomic(using=DEFAULT_DB_ALIAS):
        state = RefreshState.objects.using(DEFAULT_DB_ALIAS).select_for_update().get(key=STATE_KEY)
        now = now or timezone.now()
        for model in (ProjectRollup, FlowRollup, RequestRollup, StewardRollup):
            model.objects.using(DEFAULT_DB_ALIAS).all().delete()
        _refresh_projects()
        _refresh_flows()
        _refresh_requests(now)
        _refresh_stewards()
        state.refreshed_at = now
        state.seconds = time.monotonic() - started
        state.save(update_fields=["refreshed_at", "seconds"])
    return now
