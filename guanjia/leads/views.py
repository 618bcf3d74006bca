"""The lead pages: the list, a lead with its negotiation records and steps, the forms, the
pipeline board, the figures and the investors. Thin: rules live in `services`, `access`,
`figures`; who sees what in `access`."""

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanjia.accounts.typing import AuthedRequest
from guanjia.core import panels
from guanjia.core.health import FontMissing
from guanjia.core.models import ImportKind
from guanjia.core.sheets.pages import HelpColumn, ImportPages, PreviewColumn
from guanjia.core.templatetags.amount_tags import money
from guanjia.core.views import add_service_errors, history_rows, is_htmx, paginate
from guanjia.enterprises.access import enterprises_for, get_enterprise
from guanjia.enterprises.models import Enterprise
from guanjia.enterprises.services import similar_enterprises

from . import access, counts, exporters, figures, importers, services, trip_report
from .forms import (
    InvestorFilterForm,
    LeadFilterForm,
    LeadForm,
    MeetingForm,
    MergeForm,
    OutingFilterForm,
    RecordForm,
    SigningListForm,
    StepForm,
    TripForm,
    VisitForm,
)
from .models import LINE, Lead, Status


def _stale_before() -> dt.date:
    return timezone.localdate() - dt.timedelta(days=settings.GUANJIA_LEAD_STALE_DAYS)


def _filtered(request: AuthedRequest) -> tuple[LeadFilterForm, QuerySet[Lead]]:
    """The filter form and the leads it leaves of those the user sees (`access.leads_for`)."""
    access.require_open(request.user)
    form = LeadFilterForm(request.user, request.GET)
    return form, form.apply(access.leads_for(request.user), stale_before=_stale_before())


# --- the list ------------------------------------------------------------------------------------


@login_required
@require_GET
def lead_list(request: AuthedRequest) -> HttpResponse:
    with counts.one_version():  # the filters' choices and the total: one version read
        return _lead_list(request)


def _lead_list(request: AuthedRequest) -> HttpResponse:
    form, qs = _filtered(request)
    # The page's ids first (an index walk, cheap even deep in the list), then the joined rows
    # of just those ids: the queries do not grow with the page size nor with its number.
    page = paginate(request, qs.values_list("pk", flat=True), count=counts.count(qs))
    ids = list(page.object_list)
    rows = Lead.objects.select_related(
        "investor", "industry", "region", "department", "owner"
    ).in_bulk(ids)
    page.object_list = [rows[pk] for pk in ids]
    context: dict[str, Any] = {
        "form": form,
        "page": page,
        "filtered": form.filtered,
        "can_create": access.can_create(request.user),
        "stale_before": _stale_before(),
        "stale_days": settings.GUANJIA_LEAD_STALE_DAYS,
    }
    template = "leads/_results.html" if is_htmx(request) else "leads/list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_GET
def export(request: AuthedRequest) -> FileResponse:
    _form, qs = _filtered(request)
    return exporters.export_leads(qs)


# --- Excel import ---------------------------------------------------------------------------------


def _import_columns() -> list[HelpColumn]:
    return [HelpColumn(c.header, c.aliases, c.required, c.label) for c in importers.COLUMNS]


# Another office's lead list (招商线索台账), on the one import flow (guanjia.core.sheets.pages):
# checked in the background like the lead form, previewed, written all or none on confirm.
import_pages = ImportPages(
    kind=ImportKind.LEADS,
    namespace="leads",
    may_import=access.may_import,
    title=gettext_lazy("Import leads from Excel"),
    intro=gettext_lazy(
        "A lead list (招商线索台账) from another office, or one exported here: every row is "
        "checked with the same rules as the lead form and written all or none. Investors are "
        "matched by credit code, then by name or a look-alike name among those you see; the "
        "others are created. Leads already entered, or repeated in the file, are skipped."
    ),
    columns=_import_columns,
    preview=(
        PreviewColumn("row", gettext_lazy("Row")),
        PreviewColumn("name", gettext_lazy("Intended project")),
        PreviewColumn("investor", gettext_lazy("Investor")),
        PreviewColumn("investment", gettext_lazy("Intended investment (10k yuan)")),
        PreviewColumn("region", gettext_lazy("Area")),
        PreviewColumn("owner", gettext_lazy("Owner")),
        PreviewColumn("status", gettext_lazy("Status")),
    ),
    done_url="leads:list",
    done_label=gettext_lazy("Open the leads"),
    nav="leads",
)


# --- one lead -------------------------------------------------------------------------------------


@login_required
@require_GET
def lead_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    access.require_open(request.user)
    lead = access.get_lead(request.user, pk)
    can_work = access.can_work(request.user, lead)
    context = {
        "lead": lead,
        "records": lead.records.select_related("created_by"),
        "can_work": can_work,
        "steps": services.allowed_steps(request.user, lead) if can_work else [],
        "step_form": StepForm(),
        "record_form": RecordForm(initial={"date": timezone.localdate()}) if can_work else None,
        "signing_form": (SigningListForm(user=request.user) if can_work and lead.is_open else None),
        "signing_rows": _signing_rows(lead),
        "stale": lead.is_stale(timezone.localdate(), settings.GUANJIA_LEAD_STALE_DAYS),
        "history": history_rows(lead),
        "visits": access.visits_for(request.user)
        .filter(Q(leads=lead) | Q(records__lead=lead))
        .distinct()
        .order_by("-date"),
        "trips": access.trips_for(request.user)
        .filter(records__lead=lead)
        .distinct()
        .order_by("-start_on"),
        # The other apps' cards (parks: the matching land).
        "panels": [html for part in panels.lead_detail if (html := part(request, lead))],
    }
    return render(request, "leads/detail.html", context)


def _signing_rows(lead: Lead) -> list[Any]:
    """The signing list rows of the lead's project, with their events (what the page shows)."""
    from guanjia.events.models import SigningListRow

    if not lead.project_id:
        return []
    return list(
        SigningListRow.objects.filter(project_id=lead.project_id)
        .select_related("event")
        .order_by("event__date", "id")
    )


@login_required
@require_POST
def signing_list(request: AuthedRequest, pk: int) -> HttpResponse:
    """Put the lead on an event's signing list (the lead's facts: nothing typed again)."""
    from guanjia.events.access import get_run

    access.require_open(request.user)
    lead = access.get_lead(request.user, pk, write=True)
    form = SigningListForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, _("Choose an event that is not finished."))
        return redirect("leads:detail", pk=lead.pk)
    event = get_run(request.user, form.cleaned_data["event"].pk, write=True)
    try:
        services.put_on_signing_list(lead, request.user, event)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("leads:detail", pk=lead.pk)
    messages.success(
        request, _("On the signing list of %(event)s (to be signed).") % {"event": event.name}
    )
    return redirect("events:signing_list", pk=event.pk)


def _form_page(request: AuthedRequest, form: LeadForm, lead: Lead | None = None) -> HttpResponse:
    status = 400 if form.is_bound else 200
    return render(request, "leads/form.html", {"form": form, "lead": lead}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def lead_create(request: AuthedRequest) -> HttpResponse:
    access.require_open(request.user)
    if not access.can_create(request.user):
        raise PermissionDenied("this role does not work leads")
    initial = {k: request.GET[k] for k in ("investor", "region", "source") if request.GET.get(k)}
    form = LeadForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            lead = services.create_lead(request.user, **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The lead is entered."))
            return redirect("leads:detail", pk=lead.pk)
    return _form_page(request, form)


@login_required
@require_http_methods(["GET", "POST"])
def lead_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    access.require_open(request.user)
    lead = access.get_lead(request.user, pk, write=True)
    initial = {name: getattr(lead, name) for name in LeadForm.FACTS}
    initial["investor"] = lead.investor_id
    form = LeadForm(request.POST or None, user=request.user, lead=lead, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_lead(lead, request.user, **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("leads:detail", pk=lead.pk)
    return _form_page(request, form, lead)


@login_required
@require_http_methods(["GET", "POST"])
def record_create(request: AuthedRequest, pk: int) -> HttpResponse:
    access.require_open(request.user)
    lead = access.get_lead(request.user, pk, write=True)
    form = RecordForm(request.POST or None, initial={"date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.add_record(lead, request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The negotiation is recorded."))
            return redirect("leads:detail", pk=lead.pk)
    status = 400 if form.is_bound else 200
    return render(request, "leads/record_form.html", {"form": form, "lead": lead}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def record_edit(request: AuthedRequest, pk: int, record_pk: int) -> HttpResponse:
    access.require_open(request.user)
    lead = access.get_lead(request.user, pk, write=True)
    record = access.get_record(request.user, lead, record_pk)
    form = RecordForm(request.POST or None, instance=record)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_record(record, request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("leads:detail", pk=lead.pk)
    status = 400 if form.is_bound else 200
    context = {"form": form, "lead": lead, "record": record}
    return render(request, "leads/record_form.html", context, status=status)


@login_required
@require_POST
def step(request: AuthedRequest, pk: int, name: str) -> HttpResponse:
    """Take one step (the lead page's buttons and the board's cards post here)."""
    access.require_open(request.user)
    if name not in services.STEPS:
        raise Http404("no such step")
    lead = access.get_lead(request.user, pk, write=True)
    taken = services.STEPS[name]
    form = StepForm(request.POST)
    back = request.POST.get("next", "")
    target = back if back in (reverse("leads:board"),) else reverse("leads:detail", args=[lead.pk])
    if not form.is_valid():
        messages.error(request, _("The date is not a date."))
        return redirect(target)
    if taken.confirm and not form.cleaned_data["confirm"]:
        messages.error(request, _("Tick the box to confirm “%(step)s”.") % {"step": taken.label})
        return redirect(target)
    try:
        services.take_step(
            lead,
            name,
            request.user,
            on=form.cleaned_data["on"],
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, str(taken.done or taken.label))
    return redirect(target)


# --- the pipeline board -----------------------------------------------------------------------


BOARD_CARDS = 20  # cards shown per column (each with its step forms); the list has the rest
_ANY_LEAD = 987654321  # the lead id a board's step form is drawn with, then replaced per card
_ANY_TEXT = str(_ANY_LEAD)


def _move_forms(request: AuthedRequest, steps: list[Any]) -> dict[str, tuple[str, str]]:
    """Each step's form on the board drawn once (the same `_step_form.html` as the lead's page,
    its lead id a placeholder), with the action the placeholder gives: 120 cards of three or
    four forms each, drawn one by one, took most of the board's time (bench/leads.py)."""
    board_url = reverse("leads:board")
    forms: dict[str, tuple[str, str]] = {}
    for step in steps:
        html = render_to_string(
            "leads/_step_form.html",
            {"lead": {"pk": _ANY_LEAD}, "step": step, "next": board_url},
            request=request,
        )
        forms[step.name] = (html, reverse("leads:step", args=[_ANY_LEAD, step.name]))
    return forms


# What a card reads of a lead and what it joins (the rest of a lead's 40 columns stays unread).
_CARD_FIELDS = (
    "name", "status", "investment_wan", "last_contact_on", "lead_on", "region_id",
    "investor__name", "region__name", "owner__display_name", "owner__first_name",
    "owner__last_name", "owner__username",
)  # fmt: skip
_CARD = (
    '\n    <article class="board-card{}">\n      <h3><a href="{}">{}</a></h3>\n'
    '      <p class="muted">{} · {} · {}</p>\n      <p>{}{}</p>\n      {}\n    </article>\n    '
)
_CARD_MOVES = (
    "\n      <details>\n        <summary>{}</summary>\n        {}\n      </details>\n      "
)


def _column_moves(
    request: AuthedRequest,
    steps: list[Any],
    words: dict[str, str],
    drawn: dict[str, tuple[str, str]],
) -> SafeString:
    """The "Move" block of the cards of a column, which all offer `steps`, for the placeholder
    lead: each step's form drawn once a page (`_move_forms`, remembered in `drawn`)."""
    if not steps:
        return mark_safe("")
    missing = [step for step in steps if step.name not in drawn]
    drawn.update(_move_forms(request, missing) if missing else {})
    forms = "".join(drawn[step.name][0] for step in steps)
    return format_html(_CARD_MOVES, words["move"], mark_safe(forms))  # noqa: S308 - drawn escaped


def _card(card: Lead, moves: SafeString, words: dict[str, str], detail_url: str) -> SafeString:
    """One card of the board, as `leads/board.html` drew it: every value escaped; the moves
    given the card's own id (a number) in place of the placeholder's."""
    stale: bool = card.stale  # type: ignore[attr-defined]
    own = str(card.pk)
    return format_html(
        _CARD,
        " is-stale" if stale else "",
        detail_url.replace(_ANY_TEXT, own), card.name,
        card.investor.name, card.region.name, card.owner,
        money(card.investment_wan),
        format_html(' <span class="tag stale">{}</span>', words["stale"]) if stale else "",
        mark_safe(moves.replace(f"/{_ANY_TEXT}/", f"/{own}/")),  # noqa: S308 - see above
    )  # fmt: skip


def _column_cards(qs: QuerySet[Lead], statuses: Sequence[str]) -> dict[str, list[Lead]]:
    """The first `BOARD_CARDS` leads of `qs` in each status, with what a card shows joined.
    On PostgreSQL one query: the leads among each column's first ids (a UNION ALL of the
    columns' sliced id lists, each an index walk) in `qs`'s order, which is each column's;
    elsewhere (SQLite cannot slice inside a UNION) one query a column."""
    shown = qs.select_related("investor", "owner", "region").only(*_CARD_FIELDS)
    if not connection.features.supports_slicing_ordering_in_compound:
        return {s: list(shown.filter(status=s)[:BOARD_CARDS]) for s in statuses}
    columns: dict[str, list[Lead]] = {s: [] for s in statuses}
    if qs.query.is_empty():
        return columns
    firsts = [qs.filter(status=s).values("pk")[:BOARD_CARDS] for s in statuses]
    cards = (
        Lead.objects.filter(pk__in=firsts[0].union(*firsts[1:], all=True))
        .select_related("investor", "owner", "region")
        .only(*_CARD_FIELDS)
        .order_by(*qs.query.order_by)
    )
    for card in cards:
        columns[card.status].append(card)
    return columns


@login_required
@require_GET
def board(request: AuthedRequest) -> HttpResponse:
    with counts.one_version():  # the filters' choices and the columns: one version read
        return _board(request)


def _board(request: AuthedRequest) -> HttpResponse:
    form, qs = _filtered(request)
    user = request.user
    statuses = [*LINE, Status.PAUSED]
    # One query counts every column (cached under the data's version, see `counts`); one reads
    # every column's first cards (one a column on SQLite, `_column_cards`), all of them leads
    # the user sees, so a worker works them all: constant in the number of cards.
    in_column = counts.by_status(qs, [str(s) for s in statuses])
    cards_of = _column_cards(qs, statuses)
    every = [card for cards in cards_of.values() for card in cards]
    works = access.can_create(user)
    if works:
        access.mark_workable(user, every, seen=True)
    today = timezone.localdate()
    stale_days = settings.GUANJIA_LEAD_STALE_DAYS
    detail_url = reverse("leads:detail", args=[_ANY_LEAD])
    # The words translated once a page, escaped once.
    words = {"move": _("Move"), "stale": _("stale"), "none": _("None.")}
    words = {k: escape(v) for k, v in words.items()}
    drawn: dict[str, tuple[str, str]] = {}
    columns = []
    for status in statuses:
        cards = cards_of[status]
        # A column's cards share their status and are all workable (or none is): the steps
        # a card offers are its column's, asked of its first card.
        steps = services.allowed_steps(user, cards[0]) if works and cards else []
        moves = _column_moves(request, steps, words, drawn)
        html = []
        for card in cards:
            card.steps = steps  # type: ignore[attr-defined]
            card.stale = card.is_stale(today, stale_days)  # type: ignore[attr-defined]
            html.append(_card(card, moves, words, detail_url))
        columns.append(
            {
                "status": status,
                "label": Status(status).label,
                "cards": cards,
                # The cards drawn here in one pass, not by the template engine card by card.
                "html": mark_safe("".join(html))  # noqa: S308 - each card built by format_html
                if cards
                else format_html('\n    <p class="muted">{}</p>\n    ', words["none"]),
                "count": in_column[str(status)],
            }
        )
    context = {
        "form": form,
        "can_create": works,
        "columns": columns,
        "more": BOARD_CARDS,
    }
    return render(request, "leads/board.html", context)


@login_required
@require_GET
def figures_page(request: AuthedRequest) -> HttpResponse:
    form, qs = _filtered(request)
    data = figures.pipeline(qs)
    labels = {"conversion": _("Conversion (%)"), "median": _("Median days")}
    context = {
        "form": form,
        "figures": data,
        "chart": figures.chart(data),
        "labels": labels,
        "can_create": access.can_create(request.user),
    }
    return render(request, "leads/figures.html", context)


# --- investors (客商库) ------------------------------------------------------------------------


def _investors(request: AuthedRequest) -> QuerySet[Enterprise]:
    """The enterprises the user sees that are investors: with a lead, a source of contact, or
    no local region yet."""
    return (
        enterprises_for(request.user)
        .filter(Q(leads__isnull=False) | ~Q(contact_source="") | Q(region__isnull=True))
        .distinct()
    )


@login_required
@require_GET
def investor_list(request: AuthedRequest) -> HttpResponse:
    access.require_open(request.user)
    form = InvestorFilterForm(request.GET)
    qs = form.apply(_investors(request)).annotate(
        lead_count=Count("leads", filter=Q(leads__in=access.leads_for(request.user)))
    )
    page = paginate(request, qs.order_by("group", "name"))
    context = {
        "form": form,
        "page": page,
        "can_create": access.can_create(request.user),
        "can_merge": access.may_merge(request.user),
    }
    return render(request, "leads/investors.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def investor_merge(request: AuthedRequest, pk: int) -> HttpResponse:
    """ "Same as": fold a duplicate investor into this one (the city bureau's); the page lists
    the names that look alike."""
    access.require_open(request.user)
    keep = get_enterprise(request.user, pk)
    if not access.may_merge(request.user):
        raise PermissionDenied("only the city bureau merges investors")
    form = MergeForm(request.POST or None, user=request.user, keep=keep)
    if request.method == "POST" and form.is_valid():
        try:
            services.merge_investors(
                keep, form.cleaned_data["duplicate"], request.user, form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Merged: one investor remains."))
            return redirect("leads:investors")
    similar = similar_enterprises(keep.name, enterprises_for(request.user), exclude_pk=keep.pk)
    context = {"keep": keep, "form": form, "similar": similar}
    return render(request, "leads/merge.html", context, status=400 if form.errors else 200)


# --- visits received (来访接待) and trips out (外出招商) -----------------------------------------


def _outing_list(
    request: AuthedRequest, qs: QuerySet[Any], kind: str, first: str, last: str
) -> HttpResponse:
    access.require_open(request.user)
    form = OutingFilterForm(request.user, qs, request.GET)
    found = form.apply(qs, first, last).select_related("region", "owner")
    page = paginate(request, found.order_by(f"-{first}", "-id"))
    context = {
        "form": form,
        "page": page,
        "kind": kind,
        "filtered": form.filtered,
        "can_create": access.can_create(request.user),
    }
    return render(request, "leads/outings.html", context)


@login_required
@require_GET
def visit_list(request: AuthedRequest) -> HttpResponse:
    qs = access.visits_for(request.user).prefetch_related("investors")
    return _outing_list(request, qs, "visit", "date", "date")


@login_required
@require_GET
def trip_list(request: AuthedRequest) -> HttpResponse:
    qs = access.trips_for(request.user).annotate(meetings=Count("records"))
    return _outing_list(request, qs, "trip", "start_on", "end_on")


def _outing_form(request: AuthedRequest, form: Any, kind: str, obj: Any = None) -> HttpResponse:
    status = 400 if form.is_bound else 200
    context = {"form": form, "kind": kind, "obj": obj}
    return render(request, "leads/outing_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def visit_create(request: AuthedRequest) -> HttpResponse:
    access.require_open(request.user)
    if not access.can_create(request.user):
        raise PermissionDenied("this role does not work leads")
    initial: dict[str, Any] = {"date": timezone.localdate()}
    if request.GET.get("lead"):
        initial["leads"] = [request.GET["lead"]]
    form = VisitForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            visit = services.create_visit(request.user, **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The visit is recorded."))
            return redirect("leads:visit_detail", pk=visit.pk)
    return _outing_form(request, form, "visit")


@login_required
@require_http_methods(["GET", "POST"])
def visit_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    access.require_open(request.user)
    visit = access.get_visit(request.user, pk, write=True)
    initial = {
        "date": visit.date, "region": visit.region_id, "owner": visit.owner_id,
        "visitors": visit.visitors, "host_names": visit.host_names, "sites": visit.sites,
        "notes": visit.notes, "investors": list(visit.investors.values_list("pk", flat=True)),
        "hosts": list(visit.hosts.values_list("pk", flat=True)),
        "leads": list(visit.leads.values_list("pk", flat=True)),
    }  # fmt: skip
    form = VisitForm(request.POST or None, user=request.user, visit=visit, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_visit(visit, request.user, **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("leads:visit_detail", pk=visit.pk)
    return _outing_form(request, form, "visit", visit)


@login_required
@require_GET
def visit_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    access.require_open(request.user)
    visit = access.get_visit(request.user, pk)
    seen = access.leads_for(request.user)
    context = {
        "visit": visit,
        "can_work": access.can_work_visit(request.user, visit),
        "investors": visit.investors.all(),
        "hosts": visit.hosts.all(),
        "leads": visit.leads.filter(pk__in=seen.values("pk")).select_related("investor"),
        "records": visit.records.filter(lead__in=seen).select_related("lead"),
        "history": history_rows(visit),
    }
    return render(request, "leads/visit_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def trip_create(request: AuthedRequest) -> HttpResponse:
    access.require_open(request.user)
    if not access.can_create(request.user):
        raise PermissionDenied("this role does not work leads")
    form = TripForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            trip = services.create_trip(request.user, **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The trip is recorded."))
            return redirect("leads:trip_detail", pk=trip.pk)
    return _outing_form(request, form, "trip")


@login_required
@require_http_methods(["GET", "POST"])
def trip_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    access.require_open(request.user)
    trip = access.get_trip(request.user, pk, write=True)
    initial = {
        "destinations": trip.destinations, "start_on": trip.start_on, "end_on": trip.end_on,
        "region": trip.region_id, "owner": trip.owner_id, "purpose": trip.purpose,
        "team": list(trip.team.values_list("pk", flat=True)),
    }  # fmt: skip
    form = TripForm(request.POST or None, user=request.user, trip=trip, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_trip(trip, request.user, **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("leads:trip_detail", pk=trip.pk)
    return _outing_form(request, form, "trip", trip)


@login_required
@require_GET
def trip_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    access.require_open(request.user)
    trip = access.get_trip(request.user, pk)
    seen = access.leads_for(request.user)
    created, advanced = trip_report.leads_of(trip, seen)
    context = {
        "trip": trip,
        "can_work": access.can_work_trip(request.user, trip),
        "team": trip.team.all(),
        "records": trip.records.filter(lead__in=seen)
        .select_related("lead", "lead__investor")
        .order_by("date", "id"),
        "created": created,
        "advanced": advanced,
        "history": history_rows(trip),
    }
    return render(request, "leads/trip_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def meeting_create(request: AuthedRequest, pk: int, kind: str) -> HttpResponse:
    """Log a meeting of a trip (or of a visit): a negotiation record of the chosen lead."""
    access.require_open(request.user)
    outing: Any = (
        access.get_trip(request.user, pk, write=True)
        if kind == "trip"
        else access.get_visit(request.user, pk, write=True)
    )
    day = outing.start_on if kind == "trip" else outing.date
    form = MeetingForm(request.POST or None, user=request.user, initial={"date": day})
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        try:
            services.add_meeting(outing, request.user, lead=fields.pop("lead"), **fields)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The negotiation is recorded."))
            return redirect(f"leads:{kind}_detail", pk=outing.pk)
    status = 400 if form.is_bound else 200
    context = {"form": form, "kind": kind, "obj": outing}
    return render(request, "leads/meeting_form.html", context, status=status)


@login_required
@require_GET
def trip_report_file(request: AuthedRequest, pk: int, fmt: str) -> HttpResponse:
    """出访报告 as PDF or Word, drawn from the trip's records at the time of asking."""
    access.require_open(request.user)
    if fmt not in ("pdf", "docx"):
        raise Http404("no such format")
    trip = access.get_trip(request.user, pk)
    report = trip_report.build(trip, access.leads_for(request.user))
    if fmt == "pdf":
        try:
            body, mime = trip_report.to_pdf(report), "application/pdf"
        except FontMissing as exc:  # no PDF with empty boxes: say why instead
            return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    else:
        body = trip_report.to_docx(report)
        mime = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    response = HttpResponse(body, content_type=mime)
    name = f"trip-{trip.pk}-{trip.start_on:%Y%m%d}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response
