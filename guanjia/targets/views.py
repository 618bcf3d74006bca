"""Target pages: the board, entering actuals, setting targets, export, import, recompute, and
the assessment's ranking."""

import tempfile
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_GET, require_POST

from guanjia.accounts.models import User
from guanjia.accounts.scope import region_q
from guanjia.accounts.typing import AuthedRequest
from guanjia.core.models import ImportKind
from guanjia.core.sheets.pages import HelpColumn, ImportPages, PreviewColumn
from guanjia.regions.models import Region

from . import ranking, services
from .access import (
    board_city,
    board_focus,
    can_enter_actuals,
    can_read_ranking,
    can_set_targets,
    can_view,
    in_scope,
    ranking_city,
    referenceable_people,
    referenceable_teams,
)
from .areas import areas_of
from .computations import compute_all
from .exporters import STATUS, export_ranking, export_targets
from .forms import ValueForm
from .importers import HEADERS, LABELS, REQUIRED
from .models import Indicator, Source, SubjectKind, Target
from .periods import Period, PeriodError
from .progress import Book


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied("not allowed")


def _year(request: HttpRequest) -> int:
    raw = request.GET.get("year", "")
    if raw.isdigit() and 1900 < int(raw) < 3000:
        return int(raw)
    today = timezone.localdate()
    years = set(Target.objects.values_list("year", flat=True).distinct())
    if not years or today.year in years:
        return today.year
    return max(years)


def _fmt(value: Any) -> float | None:
    return None if value is None else round(float(value), 2)


def _chart(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": row["name"],
        "unit": row["unit"],
        "target": _fmt(row["target"]),
        "actual": _fmt(row["actual"]),
        "ratio": row["ratio"],
        "expected": row["expected"],
        "lagging": row["lagging"],
    }


@login_required
def board(request: AuthedRequest) -> HttpResponse:
    user = request.user
    _require(can_view(user))
    year = _year(request)
    today = timezone.localdate()
    city = board_city(user, request.GET.get("city", ""))
    focus = board_focus(user, city)
    period = Period(year)
    cards = []
    if focus is not None:
        for indicator in Indicator.objects.filter(active=True):
            book = Book(indicator, year)
            as_of = book.as_of(period, today)
            main = book.progress(focus, period, today, as_of)
            areas = [
                book.progress(area, period, today, as_of)
                for area in areas_of(focus)
                if in_scope(user, area)
            ]
            cards.append(
                {
                    "main": main,
                    "areas": areas,
                    "lagging": [a for a in areas if a["lagging"]],
                    "chart": _chart(main)
                    | {
                        "id": indicator.code,
                        "areas": [_chart(a) | {"name": a["region"].name} for a in areas],
                    },
                }
            )
    years = sorted(set(Target.objects.values_list("year", flat=True)) | {today.year})
    context = {
        "year": year,
        "years": years,
        "city": city,
        "focus": focus,
        "cards": cards,
        "charts": [c["chart"] for c in cards],
        "chart_labels": {
            "target": _("Target"),
            "actual": _("Actual"),
            "expected": _("Expected by now"),
            "progress": pgettext("target", "Progress"),
        },
        "status_labels": {k: str(v) for k, v in STATUS.items()},
        "may_enter": can_enter_actuals(user),
        "may_set": can_set_targets(user),
        "may_rank": can_read_ranking(user),
    }
    return render(request, "targets/board.html", context)


def _regions_for(user: User) -> Any:
    """The regions a user may enter figures for: their city and its areas, or their area."""
    city_or_areas = Q(kind="city") | Q(parent__kind="city")
    return Region.objects.active().filter(region_q(user, "")).filter(city_or_areas)


def _value_page(
    request: AuthedRequest, *, kind: str, indicators: Any, template_title: str
) -> HttpResponse:
    user = request.user
    regions = _regions_for(user).order_by("path")
    initial = {k: v for k, v in request.GET.items() if k in ("indicator", "period", "region")}
    target = kind == "target"
    form = ValueForm(
        request.POST or None,
        indicators=indicators,
        regions=regions,
        initial=initial,
        teams=referenceable_teams(user) if target else None,
        people=referenceable_people(user) if target else None,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if kind == "target":
                saved = services.set_target(
                    user, data["indicator"], data["period"], data.get("region"), form.stored,
                    note=data["note"], team=data.get("team"), person=data.get("person"),
                )  # fmt: skip
                data["region"] = saved.region
                done = _("Target saved: %(what)s")
            else:
                services.enter_actual(
                    user, data["indicator"], data["period"], data["region"], form.stored,
                    source_note=data["note"],
                )  # fmt: skip
                done = _("Actual saved: %(what)s")
        except ValidationError as exc:
            form.add_error(None, "; ".join(exc.messages))
        else:
            subject = data.get("team") or data.get("person") or data["region"]
            what = f"{data['indicator'].name} · {subject} · {data['period'].label}"
            messages.success(request, done % {"what": what})
            return redirect(f"{reverse('targets:board')}?year={data['period'].year}")
    return render(
        request,
        "targets/value_form.html",
        {"form": form, "kind": kind, "title": template_title},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def enter_actual(request: AuthedRequest) -> HttpResponse:
    _require(can_enter_actuals(request.user))
    return _value_page(
        request,
        kind="actual",
        indicators=Indicator.objects.filter(active=True, source=Source.ENTERED),
        template_title=_("Enter an actual"),
    )


@login_required
def set_target(request: AuthedRequest) -> HttpResponse:
    _require(can_set_targets(request.user))
    return _value_page(
        request,
        kind="target",
        indicators=Indicator.objects.filter(active=True),
        template_title=_("Set a target"),
    )


@login_required
def export(request: AuthedRequest) -> FileResponse:
    user = request.user
    _require(can_view(user))
    city = board_city(user, request.GET.get("city", ""))
    focus = board_focus(user, city)
    regions = (
        [focus, *[a for a in areas_of(focus) if in_scope(user, a)]] if focus is not None else []
    )
    return export_targets(user, _year(request), regions)


def _import_columns() -> list[HelpColumn]:
    return [
        HelpColumn(names[0], names[1:], key in REQUIRED, LABELS[key])
        for key, names in HEADERS.items()
    ]


# Actuals from a spreadsheet, on the one import flow (guanjia.core.sheets.pages): checked in the
# background, previewed, then each written as if entered by hand, all or none, on confirm.
import_pages = ImportPages(
    kind=ImportKind.TARGETS,
    namespace="targets",
    may_import=can_enter_actuals,
    title=gettext_lazy("Import actuals"),
    intro=gettext_lazy(
        "Actuals by indicator, region and period (2026, 2026Q3, 2026-09); a unit in the header "
        "or the cell, as 实际值(亿元), applies. The export's 实际值 sheet is read when the file "
        "has one."
    ),
    columns=_import_columns,
    preview=(
        PreviewColumn("row", gettext_lazy("Row")),
        PreviewColumn("indicator", gettext_lazy("Indicator")),
        PreviewColumn("region", gettext_lazy("Region")),
        PreviewColumn("period", gettext_lazy("Period")),
        PreviewColumn("value", gettext_lazy("Value")),
        PreviewColumn("note", gettext_lazy("Source")),
    ),
    done_url="targets:board",
    done_label=gettext_lazy("Open the board"),
    nav="targets",
)


@login_required
@require_POST
def recompute(request: AuthedRequest) -> HttpResponse:
    _require(can_set_targets(request.user))
    year = _year(request)
    changed = compute_all([year])
    messages.success(
        request, _("Actuals recomputed from the ledger: %(n)d changed.") % {"n": changed}
    )
    return redirect(f"{reverse('targets:board')}?year={year}")


# --- The assessment's ranking (招商考核排名通报) --------------------------------------------------


def _ranking_query(request: AuthedRequest) -> dict[str, Any]:
    """What the ranking page and its export show: the city, period, indicator and kind asked
    for, else the latest quarter with targets and its first indicator and kind."""
    if not can_read_ranking(request.user):
        raise Http404("no ranking")
    city = ranking_city(request.user, request.GET.get("city", ""))
    if city is None:
        raise Http404("no city")
    period = None
    raw = request.GET.get("period", "")
    if raw:
        try:
            period = Period.parse(raw)
        except PeriodError:
            period = None
    period = period or ranking.latest_period(city) or Period(timezone.localdate().year)
    indicators = ranking.indicators_with_targets(period, city)
    code = request.GET.get("indicator", "")
    indicator = next(
        (i for i in indicators if i.code == code), indicators[0] if indicators else None
    )
    kinds = ranking.kinds_with_targets(indicator, period, city) if indicator else []
    kind = request.GET.get("kind", "")
    kind = kind if kind in kinds else (kinds[0] if kinds else SubjectKind.AREA)
    rows = ranking.ranking(indicator, period, kind, city) if indicator else []
    return {
        "city": city,
        "period": period,
        "previous": ranking.previous(period),
        "indicators": indicators,
        "indicator": indicator,
        "kinds": [(k, SubjectKind(k).label) for k in kinds],
        "kind": kind,
        "kind_label": SubjectKind(kind).label,
        "rows": rows,
    }


@login_required
@require_GET
def ranking_page(request: AuthedRequest) -> HttpResponse:
    context = _ranking_query(request)
    rows = context["rows"]
    context["chart"] = {
        "names": [r.name for r in rows],
        "completion": [None if r.ratio is None else round(r.ratio * 100, 1) for r in rows],
        "label": _("Completion (%)"),
    }
    context["period_choices"] = [
        p for p in (ranking.previous(context["period"]), context["period"]) if p
    ]
    context["may_set"] = can_set_targets(request.user)
    return render(request, "targets/ranking.html", context)


@login_required
@require_GET
def ranking_export(request: AuthedRequest) -> FileResponse:
    context = _ranking_query(request)
    indicator = context["indicator"]
    title = (
        f"{context['period'].label} {indicator.name if indicator else ''} {context['kind_label']}"
    )
    target = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115  (FileResponse closes it)
    export_ranking(context["rows"], target, title)
    target.seek(0)
    name = f"{_('ranking')}-{context['period']}-{context['kind']}.xlsx"
    return FileResponse(target, as_attachment=True, filename=name)
