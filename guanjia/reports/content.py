"""What a report says, computed from records: one function builds it, the renderers draw it.

Every figure is a query over the ledger (projects, stage changes, signings), the direct line
(requests) and the service records; nothing is typed. The leaders' cockpit figures
(`guanjia.cockpit.figures.kpis`) and the targets' progress (`guanjia.targets.progress.summary`)
are added when those apps are there.
"""

import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from guanjia.core.amounts import format_yi
from guanjia.core.templatetags.amount_tags import money
from guanjia.events.models import Event, Signing
from guanjia.projects.models import Project, StageChange, StallKind
from guanjia.projects.stages import Stage
from guanjia.projects.stalled import rows as stalled_rows
from guanjia.projects.stalled import stalled
from guanjia.regions.models import Region
from guanjia.requests.models import OPEN_STATUSES, ServiceRequest
from guanjia.servicerecords.models import Kind as ServiceKind
from guanjia.servicerecords.models import ServiceRecord

from .models import ReportKind

logger = logging.getLogger(__name__)

# At most this many rows in a table; the count above it says how many there are in all.
MAX_ROWS = 300


@dataclass
class Figure:
    """One headline figure for the period and for the year to date."""

    label: str
    period: str
    year: str
    unit: str = ""


@dataclass
class Table:
    """A section's table: a title, column heads, rows of text, and how many rows in all."""

    title: str
    columns: list[str]
    rows: list[list[str]]
    total: int = 0
    empty: str = ""
    # Column widths in percent for a fixed layout (much faster to draw than an automatic one).
    widths: list[int] = field(default_factory=list)
    note: str = ""

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)

    @property
    def styled_rows(self) -> list[list[tuple[str, str]]]:
        """Each cell with its CSS class: numbers right-aligned, dates kept on one line."""
        return [[(cell, _css(cell)) for cell in row] for row in self.rows]


def _css(cell: str) -> str:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", cell):
        return "date"
    return "num" if re.fullmatch(r"-?[\d,]+(\.\d+)?[*%]?", cell) else ""


@dataclass
class ReportContent:
    kind: str
    start: dt.date
    end: dt.date
    region: Region | None
    generated_at: dt.datetime
    title: str
    area_name: str
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    # From the cockpit and targets apps when installed: (label, value) pairs, and a table.
    indicators: list[tuple[str, str]] = field(default_factory=list)
    targets: Table | None = None

    @property
    def year_start(self) -> dt.date:
        return self.end.replace(month=1, day=1)


# --- Scoping ----------------------------------------------------------------------------------


def in_area(region: Region | None, field_name: str) -> Q:
    """Q limiting `field_name` (a path to a Region) to the region's subtree (all when None)."""
    if region is None:
        return Q()
    ids = Region.objects.filter(path__startswith=region.path).values("pk")
    return Q(**{f"{field_name}__in": ids})


def _aware(day: dt.date, end: bool = False) -> dt.datetime:
    """Midnight at the start of `day` (or of the day after, with end=True), local time."""
    if end:
        day = day + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _count(qs: QuerySet[Any]) -> str:
    return f"{qs.count():,}"


def _between(field_name: str, start: dt.date, end: dt.date, *, stamp: bool = False) -> Q:
    if stamp:
        return Q(**{f"{field_name}__gte": _aware(start), f"{field_name}__lt": _aware(end, True)})
    return Q(**{f"{field_name}__gte": start, f"{field_name}__lte": end})


# --- Headline figures -------------------------------------------------------------------------


def _signings(region: Region | None, start: dt.date, end: dt.date) -> tuple[str, str]:
    """Projects signed (counted once, at the first signing) and the investment counted."""
    qs = Signing.objects.filter(
        in_area(region, "project__region"), _between("signed_on", start, end)
    )
    got = qs.aggregate(n=Count("pk", filter=Q(is_first=True)), wan=Sum("counted_amount_wan"))
    return f"{got['n'] or 0:,}", format_yi(got["wan"] or Decimal(0))


def headline(region: Region | None, start: dt.date, end: dt.date, now: dt.datetime) -> list[Figure]:
    year_start = end.replace(month=1, day=1)
    projects = Project.objects.filter(in_area(region, "region"))
    requests = ServiceRequest.objects.filter(in_area(region, "region"))
    services = ServiceRecord.objects.filter(in_area(region, "region"))

    def both(fn: Callable[[dt.date, dt.date], str]) -> tuple[str, str]:
        return fn(start, end), fn(year_start, end)

    signed_p, invested_p = _signings(region, start, end)
    signed_y, invested_y = _signings(region, year_start, end)
    figures = [
        Figure(_("New signings (projects)"), signed_p, signed_y),
        Figure(_("Investment signed"), invested_p, invested_y, _("100 million yuan")),
    ]
    for label, date_field in (
        (_("Projects registered"), "registered_on"),
        (_("Projects started construction"), "construction_on"),
        (_("Projects in operation"), "operation_on"),
    ):

        def stamped(a: dt.date, b: dt.date, f: str = date_field) -> str:
            return _count(projects.filter(_between(f, a, b)))

        figures.append(Figure(label, *both(stamped)))
    # The request figures in one scan: every count is a filtered COUNT over the year so far.
    spans = {"p": (start, end), "y": (year_start, end)}
    counts = requests.filter(
        Q(submitted_at__gte=_aware(year_start))
        | Q(replied_at__gte=_aware(year_start))
        | Q(closed_at__gte=_aware(year_start))
    ).aggregate(
        **{
            f"{name}_{key}": Count("pk", filter=cond(a, b))
            for key, (a, b) in spans.items()
            for name, cond in (
                ("received", lambda a, b: _between("submitted_at", a, b, stamp=True)),
                ("answered", lambda a, b: _between("replied_at", a, b, stamp=True)),
                (
                    "on_time",
                    lambda a, b: _between("replied_at", a, b, stamp=True) & Q(on_time=True),
                ),
                ("closed", lambda a, b: _between("closed_at", a, b, stamp=True)),
            )
        }
    )
    for label, name in (
        (_("Requests received"), "received"),
        (_("Requests answered"), "answered"),
        (_("Answered on time"), "on_time"),
        (_("Requests closed"), "closed"),
    ):
        figures.append(Figure(label, f"{counts[name + '_p']:,}", f"{counts[name + '_y']:,}"))
    cutoff = min(now, _aware(end, True))
    overdue = _count(requests.filter(status__in=OPEN_STATUSES, due_at__lt=cutoff))
    figures.append(Figure(_("Requests overdue now"), overdue, overdue))
    figures += [
        Figure(
            _("Steward services"),
            *both(lambda a, b: _count(services.filter(_between("date", a, b)))),
        ),
        Figure(
            _("of which visits"),
            *both(
                lambda a, b: _count(services.filter(_between("date", a, b), kind=ServiceKind.VISIT))
            ),
        ),
    ]
    return figures


# --- Tables -----------------------------------------------------------------------------------


def _wan(value: Decimal | None) -> str:
    return f"{(value or Decimal(0)).quantize(Decimal(1)):,}"


def moved_table(region: Region | None, start: dt.date, end: dt.date) -> Table:
    qs = (
        StageChange.objects.filter(
            in_area(region, "project__region"), _between("effective_on", start, end)
        )
        .select_related("project", "project__region", "project__enterprise")
        .order_by("effective_on", "id")
    )
    labels = dict(Stage.choices)
    rows = [
        [
            f"{c.effective_on:%Y-%m-%d}",
            c.project.name,
            c.project.region.name,
            str(labels.get(c.from_stage, c.from_stage or "—")),
            str(labels.get(c.to_stage, c.to_stage))
            + (" (" + _("correction") + ")" if c.is_correction else ""),
            _wan(c.project.total_investment_wan),
        ]
        for c in qs[:MAX_ROWS]
    ]
    return Table(
        _("Projects that moved stage"),
        [_("Date"), _("Project"), _("Area"), _("From"), _("To"), _("Investment (10k yuan)")],
        rows,
        total=qs.count() if len(rows) == MAX_ROWS else len(rows),
        empty=_("No project moved stage in this period."),
        widths=[13, 37, 16, 10, 12, 12],
    )


def signings_table(region: Region | None, start: dt.date, end: dt.date) -> Table:
    qs = (
        Signing.objects.filter(
            in_area(region, "project__region"), _between("signed_on", start, end)
        )
        .select_related("project", "project__region", "project__enterprise", "event", "government")
        .order_by("signed_on", "id")
    )
    rows = [
        [
            f"{s.signed_on:%Y-%m-%d}",
            s.project.name,
            s.project.enterprise.name,
            s.government.name,
            s.event.name if s.event else "—",
            _wan(s.amount_wan),
            _wan(s.counted_amount_wan) if s.is_first else _wan(s.counted_amount_wan) + "*",
        ]
        for s in qs[:MAX_ROWS]
    ]
    return Table(
        _("New signings"),
        [
            _("Signed on"),
            _("Project"),
            _("Investor"),
            _("Signing government"),
            _("Event"),
            _("Contracted (10k yuan)"),
            _("Counted (10k yuan)"),
        ],
        rows,
        total=qs.count() if len(rows) == MAX_ROWS else len(rows),
        empty=_("No signing in this period."),
        widths=[13, 23, 19, 13, 14, 9, 9],
        note=_(
            "* A re-signing or expansion: only the increase over the amount signed before counts."
        ),
    )


def stalled_table(region: Region | None, end: dt.date) -> Table:
    base = Project.objects.filter(in_area(region, "region")).select_related("region")
    rows: list[list[str]] = []
    total = 0
    for kind in StallKind.values:
        qs = stalled(base, kind, end)
        found = list(qs[: max(0, MAX_ROWS - len(rows))])
        total += qs.count() if len(found) + len(rows) >= MAX_ROWS else len(found)
        for row in stalled_rows(found, kind, end):
            rows.append(
                [
                    str(StallKind(kind).label),
                    row.project.name,
                    row.project.region.name,
                    f"{row.since:%Y-%m-%d}" if row.since else "—",
                    f"{row.days}",
                    f"{row.limit}",
                    "；".join(row.reasons) or _("no reason recorded"),
                ]
            )
    return Table(
        _("Stalled projects and what holds them"),
        [
            _("List"),
            _("Project"),
            _("Area"),
            _("Since"),
            _("Days"),
            _("Limit (days)"),
            _("Holding it"),
        ],
        rows,
        total=total,
        empty=_("No project is stalled."),
        widths=[13, 25, 12, 13, 7, 7, 23],
    )


def overdue_table(region: Region | None, end: dt.date, now: dt.datetime) -> Table:
    cutoff = min(now, _aware(end, True))
    qs = (
        ServiceRequest.objects.filter(
            in_area(region, "region"), status__in=OPEN_STATUSES, due_at__lt=cutoff
        )
        .values("region__name", "region__path")
        .annotate(n=Count("pk"), escalated=Count("pk", filter=Q(escalation_level__gt=0)))
        .order_by("region__path")
    )
    rows = [[r["region__name"], f"{r['n']:,}", f"{r['escalated']:,}"] for r in qs]
    return Table(
        _("Overdue requests by area"),
        [_("Area"), _("Overdue"), _("of which escalated")],
        rows,
        total=len(rows),
        empty=_("No request is overdue."),
        widths=[50, 25, 25],
    )


def events_table(region: Region | None, end: dt.date, kind: str = ReportKind.WEEKLY) -> Table:
    """The events of the week after a weekly report, of the month after a monthly one."""
    first = end + dt.timedelta(days=1)
    if kind == ReportKind.MONTHLY:
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        title, empty = _("Next month's events"), _("No event in the coming month.")
    else:
        last = end + dt.timedelta(days=7)
        title, empty = _("Next week's events"), _("No event in the coming week.")
    qs = (
        Event.objects.filter(in_area(region, "region"), _between("date", first, last))
        .select_related("region")
        .order_by("date", "id")
    )
    labels = dict(Event._meta.get_field("kind").choices or [])
    rows = [
        [
            f"{e.date:%Y-%m-%d}",
            e.name,
            str(labels.get(e.kind, e.kind)),
            e.region.name,
            e.location or "—",
            e.organiser or "—",
        ]
        for e in qs[:MAX_ROWS]
    ]
    return Table(
        title,
        [_("Date"), _("Event"), _("Kind"), _("Host"), _("Location"), _("Organiser")],
        rows,
        total=len(rows),
        empty=empty,
        widths=[13, 33, 12, 14, 14, 14],
    )


# --- Figures from the cockpit and targets apps, when they are installed ----------------------

INDICATOR_LABELS = {
    "signed_count": lambda: _("Projects signed this year"),
    "signed_investment": lambda: _("Investment signed this year"),
    "landing_rate": lambda: _("Landing rate (signed → registered)"),
    "start_rate": lambda: _("Construction start rate"),
    "operation_rate": lambda: _("Operation rate"),
    "funds_rate": lambda: _("Funds in place"),
    "requests_on_time_rate": lambda: _("Requests answered on time"),
    "satisfaction_rate": lambda: _("Satisfaction"),
    "overdue_now": lambda: _("Requests overdue now"),
    "services_this_month": lambda: _("Steward services this month"),
}


def _optional(app: str, path: str) -> Callable[..., Any] | None:
    if not apps.is_installed(app):
        return None
    try:
        return import_string(path)  # type: ignore[no-any-return]
    except ImportError:
        return None


def _show(value: Any, key: str = "") -> str:
    """A figure as text: rates (keys ending in _rate, as fractions or percentages) with a %."""
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return str(value)
    if key.endswith("_rate"):
        number = Decimal(str(value))
        return f"{(number * 100 if number <= 1 else number):.1f}%"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{Decimal(str(value)):,.2f}"


def indicators(region: Region | None, year: int) -> list[tuple[str, str]]:
    kpis = _optional("guanjia.cockpit", "guanjia.cockpit.figures.kpis")
    if kpis is None:
        return []
    refreshed = _optional("guanjia.cockpit", "guanjia.cockpit.figures.last_refreshed")
    try:
        if refreshed is not None and refreshed() is None:
            return []  # the cockpit's rollups were never computed: its figures would all be 0
        values = kpis(region, year)
    except Exception:  # another app's figures must not stop the report
        logger.exception("cockpit figures failed for the report")
        return []
    out = []
    for key, value in values.items():
        label = INDICATOR_LABELS.get(key)
        if key == "signed_investment" and value is not None:
            shown = money(Decimal(value))
        else:
            shown = _show(value, key)
        out.append((label() if label else key, shown))
    return out


def targets(region: Region | None, year: int) -> Table | None:
    summary = _optional("guanjia.targets", "guanjia.targets.progress.summary")
    if summary is None:
        return None
    try:
        found = summary(region, year)
    except Exception:  # another app's figures must not stop the report
        logger.exception("targets progress failed for the report")
        return None
    if not found:
        return None
    if not {"name", "target", "actual"} <= set(found[0]):  # a shape we do not know: as it is
        columns = [str(k) for k in found[0]]
        rows = [[_show(item.get(k), str(k)) for k in found[0]] for item in found]
        return Table(_("Targets"), columns, rows, total=len(rows))
    statuses = {
        "on_track": _("On track"),
        "lagging": _("Behind schedule"),
        "no_target": _("No target"),
        "no_data": _("No data"),
    }
    rows = [
        [
            str(item["name"]),
            str(item.get("unit") or ""),
            _show(item["target"]),
            _show(item["actual"]),
            _show(item.get("ratio"), "_rate"),
            _show(item.get("expected"), "_rate"),
            str(statuses.get(item.get("status", ""), item.get("status", ""))),
            "、".join(item.get("lagging_areas") or []),
        ]
        for item in found
    ]
    return Table(
        _("Targets"),
        [
            _("Indicator"),
            _("Unit"),
            _("Target"),
            _("Actual"),
            _("Completed"),
            _("Expected by now"),
            _("Status"),
            _("Areas behind"),
        ],
        rows,
        total=len(rows),
        widths=[22, 8, 12, 12, 10, 10, 10, 16],
    )


def ranking(region: Region | None, end: dt.date) -> Table | None:
    """The assessment's ranking (招商考核排名通报) for the report's month and its quarter."""
    found = _optional("guanjia.targets", "guanjia.targets.ranking.for_report")
    if found is None:
        return None
    try:
        rankings = found(end, region)
    except Exception:  # another app's figures must not stop the report
        logger.exception("the assessment ranking failed for the report")
        return None
    if not rankings:
        return None
    rows = [
        [
            f"{item['indicator'].name}（{item['indicator'].unit}）",
            item["period"].label,
            str(item["kind"]),
            str(row.rank),
            row.name,
            _show(row.target),
            _show(row.actual),
            row.completion or "—",
            row.change or "—",
        ]
        for item in rankings
        for row in item["rows"]
    ]
    return Table(
        _("Assessment ranking"),
        [
            _("Indicator"),
            _("Period"),
            _("Ranked"),
            _("Rank"),
            _("Name"),
            _("Target"),
            _("Actual"),
            _("Completion"),
            pgettext("rank", "Change"),
        ],
        rows[:MAX_ROWS],
        total=len(rows),
        widths=[18, 10, 8, 6, 18, 10, 10, 10, 10],
    )


# --- The report -------------------------------------------------------------------------------


def build(
    kind: str,
    start: dt.date,
    end: dt.date,
    region: Region | None,
    now: dt.datetime | None = None,
) -> ReportContent:
    """Everything the report says for one period and area (all areas when region is None)."""
    now = now or timezone.now()
    title = str(ReportKind(kind).label)
    content = ReportContent(
        kind=kind,
        start=start,
        end=end,
        region=region,
        generated_at=now,
        title=title,
        area_name=region.name if region else _("All areas"),
    )
    content.figures = headline(region, start, end, now)
    content.tables = [
        moved_table(region, start, end),
        signings_table(region, start, end),
        stalled_table(region, end),
        overdue_table(region, end, now),
        events_table(region, end, kind),
    ]
    # The cockpit's figures are live ("this year", "overdue now"): only a report on the
    # period just ended carries them; an old period's report would show today's.
    if (now.date() - end).days <= 31 and end.year == now.year:
        content.indicators = indicators(region, end.year)
    content.targets = targets(region, end.year)
    if kind == ReportKind.MONTHLY:
        table = ranking(region, end)
        if table is not None:
            content.tables.append(table)
    return content
