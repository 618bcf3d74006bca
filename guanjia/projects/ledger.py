"""The ledger's filters, search, sort and summary: one definition for the web, API and Excel."""

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import BooleanField, Case, Count, Q, Sum, Value, When
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from guanjia.core.models import AuditEntry
from guanjia.enterprises.models import Enterprise
from guanjia.regions.models import Region

from .models import Project, ProjectQuerySet, StallKind, stalled_q
from .stages import LINE, ORDER, Stage

# Sort keys users may ask for → ORDER BY fields (a leading "-" in the key reverses it).
SORTS: dict[str, list[str]] = {
    "name": ["name", "id"],
    "investment": ["total_investment_wan", "id"],
    "stage": ["stage", "id"],
    "signed_on": ["signed_on", "id"],
    "region": ["region__path", "id"],
    "updated": ["updated_at", "id"],
    "id": ["id"],
}
DEFAULT_SORT = "-id"
SEARCH_ID_LIMIT = 500
SUMMARY_TTL = 600  # seconds; correctness comes from the key, this only bounds memory


@dataclass
class LedgerFilter:
    region: str = ""  # a region id or code; includes everything under it
    industry: str = ""  # an industry id or code
    stage: str = ""
    level: str = ""
    stalled: str = ""  # "1" for any stall list, or a StallKind value
    q: str = ""  # project or enterprise name, or a credit code
    sort: str = DEFAULT_SORT
    reached: str = ""  # a stage: projects at it or further on the line (never withdrawn)
    period: str = ""  # "YYYY" or "YYYY-MM": the `dated` stage's date falls in it
    dated: str = ""  # the stage whose date `period` filters on; signed when blank

    @classmethod
    def from_params(cls, params: Any) -> "LedgerFilter":
        """Build from a QueryDict or dict; unknown values are ignored, not errors."""
        get = params.get
        return cls(
            region=(get("region") or "").strip(),
            industry=(get("industry") or "").strip(),
            stage=(get("stage") or "").strip(),
            level=(get("level") or "").strip(),
            stalled=(get("stalled") or "").strip(),
            q=(get("q") or "").strip()[:100],
            sort=(get("sort") or DEFAULT_SORT).strip(),
            reached=(get("reached") or "").strip(),
            period=(get("period") or "").strip()[:7],
            dated=(get("dated") or "").strip(),
        )

    def apply(self, qs: ProjectQuerySet, today: dt.date | None = None) -> ProjectQuerySet:
        if self.region:
            region = _region(self.region)
            if region is None:
                return qs.none()
            qs = qs.filter(region__in=Region.objects.within(region).values("pk"))
        if self.industry:
            key = "industry_id" if self.industry.isdigit() else "industry__code"
            qs = qs.filter(**{key: self.industry})
        if self.stage in Stage.values:
            qs = qs.filter(stage=self.stage)
        if self.level:
            qs = qs.filter(level=self.level)
        if self.reached in ORDER:
            qs = qs.filter(stage__in=LINE[ORDER[self.reached] :])
        if self.period:
            bounds = period_bounds(self.period)
            if bounds is None:
                return qs.none()
            field = f"{self.dated if self.dated in ORDER else Stage.SIGNED}_on"
            qs = qs.filter(**{f"{field}__gte": bounds[0], f"{field}__lt": bounds[1]})
        if self.stalled:
            kind = self.stalled if self.stalled in StallKind.values else None
            qs = qs.filter(stalled_q(today or timezone.localdate(), kind))
        if self.q:
            # The enterprise match is a subquery so that each side can use its own trigram
            # index on PostgreSQL (an OR across a join cannot).
            enterprises = Enterprise.objects.filter(
                Q(name__icontains=self.q) | Q(credit_code=self.q.upper())
            ).values_list("pk", flat=True)
            # A short list of ids lets PostgreSQL OR two index scans together; a long one
            # (a search for "有限公司") stays a subquery.
            ids = list(enterprises[: SEARCH_ID_LIMIT + 1])
            matched = ids if len(ids) <= SEARCH_ID_LIMIT else enterprises
            qs = qs.filter(Q(name__icontains=self.q) | Q(enterprise__in=matched))
        return qs.order_by(*self.ordering())

    def ordering(self) -> list[str]:
        key = self.sort.lstrip("-")
        fields = SORTS.get(key)
        if fields is None:
            return ["-id"]
        if self.sort.startswith("-"):
            return [f"-{f}" for f in fields]
        return fields


def period_bounds(period: str) -> tuple[dt.date, dt.date] | None:
    """[first day, first day after) of "YYYY" or "YYYY-MM"; None when it is neither."""
    try:
        if len(period) == 4:
            year = int(period)
            return dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
        if len(period) == 7 and period[4] == "-":
            year, month = int(period[:4]), int(period[5:])
            start = dt.date(year, month, 1)
            return start, (start + dt.timedelta(days=32)).replace(day=1)
    except ValueError:
        return None
    return None


def _region(value: str) -> Region | None:
    qs = Region.objects.all()
    if value.isdigit() and len(value) < 6:
        return qs.filter(pk=int(value)).first()
    return qs.filter(code=value).first() or (
        qs.filter(pk=int(value)).first() if value.isdigit() else None
    )


@dataclass
class Summary:
    count: int
    total_investment_wan: Decimal

    @property
    def total_investment_yi(self) -> Decimal:
        return self.total_investment_wan / Decimal(10_000)


def summarise(qs: ProjectQuerySet, version: tuple[Any, ...] | None = None) -> Summary:
    """Count and total investment of a filtered set.

    Summing 100,000 rows costs more than the rest of a ledger page, so the figures are cached
    under a version read from two indexes: the audit log's high-water mark (every audited
    change: enterprises, regions, stall rules, deletions, imports) and the projects' latest
    `updated_at` (any project write, audited or not). A change means a new key, so a cached
    figure is never stale. Today's date is in the key for the stall lists. `version`: the
    ledger's version when the caller has just read it (`ledger_version`).
    """
    if qs.query.is_empty():
        return Summary(count=0, total_investment_wan=Decimal(0))
    if version is None:
        version = ledger_version()
    sql = str(qs.order_by().query)
    key = (
        "ledger-summary:"
        + hashlib.sha256(f"{version}|{timezone.localdate()}|{sql}".encode()).hexdigest()
    )
    cached = cache.get(key)
    if cached is not None:
        return Summary(count=cached[0], total_investment_wan=Decimal(cached[1]))
    row = qs.order_by().aggregate(n=Count("id"), total=Sum("total_investment_wan"))
    summary = Summary(count=row["n"], total_investment_wan=row["total"] or Decimal(0))
    cache.set(key, (summary.count, str(summary.total_investment_wan)), SUMMARY_TTL)
    return summary


def ledger_version() -> tuple[Any, ...]:
    """What every ledger write moves: the audit log's high-water mark (audited changes,
    deletions, imports), the projects' latest `updated_at` and their highest id. One query."""
    with connection.cursor() as cursor:
        audit, project = AuditEntry._meta.db_table, Project._meta.db_table  # our own tables
        sql = (
            f"SELECT (SELECT MAX(id) FROM {audit}), (SELECT MAX(updated_at) FROM {project}),"  # noqa: S608
            f" (SELECT MAX(id) FROM {project})"
        )
        cursor.execute(sql)
        return tuple(cursor.fetchone() or ())


FRAGMENT_TTL = 600  # seconds; correctness comes from the key, this only bounds memory


def fragments(*wanted: tuple[str, tuple[Any, ...], Callable[[], str]]) -> list[SafeString]:
    """Pieces of a ledger page's HTML, each `(kind, parts, build)`, cached under its `parts`
    (read in one round trip): the caller puts in them everything the HTML depends on — the
    ledger's version (`ledger_version`), the reference data's, today's date, the language,
    the user's role and scope (`scope_sql`) and the query — so an entry is never stale and
    two users who would see different HTML never share one."""
    keys = [
        f"ledger-fragment:{kind}:" + hashlib.sha256(repr(parts).encode()).hexdigest()
        for kind, parts, _build in wanted
    ]
    found = cache.get_many(keys)
    missing = {}
    html = []
    for key, (_kind, _parts, build) in zip(keys, wanted, strict=True):
        piece = found.get(key)
        if piece is None:
            piece = missing[key] = str(build())
        html.append(mark_safe(piece))  # noqa: S308 - HTML our templates rendered, kept as is
    if missing:
        cache.set_many(missing, FRAGMENT_TTL)
    return html


def scope_sql(qs: ProjectQuerySet) -> str:
    """The SQL of the projects a user may see (`access.projects_for`): their scope's
    conditions are in it, for a cache key."""
    try:
        return "none" if qs.query.is_empty() else str(qs.query)
    except EmptyResultSet:
        return "none"


LIST_RELATED = ("enterprise", "region", "industry")


def stalled_today() -> Case:
    """`is_stalled` for today, as a column: the list pages and the API's rows annotate it."""
    return Case(
        When(stalled_q(timezone.localdate()), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


def fetch_page(qs: ProjectQuerySet, offset: int, limit: int) -> list[Project]:
    """One page of rows: the ids first (an index walk, cheap even at page 500), then the
    joined rows for just those ids, each with `is_stalled` for today. Three queries (with the
    stall rules) whatever the page size or offset."""
    ids = list(qs.values_list("pk", flat=True)[offset : offset + limit])
    if not ids:
        return []
    stalled = stalled_today()
    rows = Project.objects.select_related(*LIST_RELATED).annotate(**{"is_stalled": stalled})
    by_id = rows.in_bulk(ids)
    return [by_id[pk] for pk in ids]


class LedgerRow(NamedTuple):
    """What a row of the ledger's table shows, and nothing else."""

    pk: int
    name: str
    is_stalled: bool
    enterprise: str
    region: str
    industry: str | None
    stage: str
    level: str
    total_investment_wan: Decimal
    signed_on: dt.date | None


def fetch_rows(qs: ProjectQuerySet, offset: int, limit: int) -> list[LedgerRow]:
    """`fetch_page` for the web table: the same rows, as tuples of the columns it shows (no
    model instances). Three queries (with the stall rules) whatever the page size or offset."""
    ids = list(qs.values_list("pk", flat=True)[offset : offset + limit])
    if not ids:
        return []
    stalled = stalled_today()
    found = (
        Project.objects.filter(pk__in=ids)
        .annotate(**{"is_stalled": stalled})
        .values_list(  # type: ignore[misc]  # the annotation, unknown to the plugin
            "pk",
            "name",
            "is_stalled",
            "enterprise__name",
            "region__name",
            "industry__name",
            "stage",
            "level",
            "total_investment_wan",
            "signed_on",
        )
    )
    by_id = {row[0]: LedgerRow(*row) for row in found}
    return [by_id[pk] for pk in ids]
