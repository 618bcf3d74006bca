"""The ledger's web pages: parse the request, check access, call a service, render."""

import itertools
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models import Prefetch, Q, QuerySet
from django.db.models.fields import BLANK_CHOICE_LABEL
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanjia.accounts.masking import can_unmask
from guanjia.accounts.models import User
from guanjia.accounts.scope import require_writer
from guanjia.core.audit import history
from guanjia.core.models import AuditAction, AuditEntry
from guanjia.enterprises import access as enterprise_access
from guanjia.enterprises import services as enterprise_services
from guanjia.enterprises.models import Contact, Enterprise
from guanjia.events.access import events_for, get_event
from guanjia.events.models import Signing
from guanjia.projects import access as project_access
from guanjia.projects import holding
from guanjia.projects import services as project_services
from guanjia.projects.ledger import LedgerFilter, fetch_page, summarise
from guanjia.projects.models import Project
from guanjia.projects.stages import LINE, Stage

from .forms import (
    EnterpriseFilterForm,
    EnterpriseForm,
    LedgerFilterForm,
    ProjectCreateForm,
    ProjectForm,
    TransitionForm,
)

ENTERPRISE_OPTIONS_LIMIT = 50


class AuthedRequest(HttpRequest):
    """A request behind `login_required`: its user is a real `User`."""

    user: User


def _is_htmx(request: HttpRequest) -> bool:
    # A history restore asks for the whole page, so it gets one.
    return "HX-Request" in request.headers and "HX-History-Restore-Request" not in request.headers


def _paginate(request: HttpRequest, qs: QuerySet[Any], count: int | None = None) -> Page:
    paginator = Paginator(qs, settings.GUANJIA_PAGE_SIZE)
    if count is not None:
        paginator.count = count  # already counted by the summary: save a query
    return paginator.get_page(request.GET.get("page"))


def _add_service_errors(form: BaseForm, exc: ValidationError) -> None:
    """Put a service's ValidationError next to the fields it names (else above the form)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _history_rows(obj: models.Model) -> list[dict[str, Any]]:
    """Audit entries with field names, choice labels and related objects in words."""
    model = type(obj)
    entries: list[AuditEntry] = list(history(obj))
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    # Fetch the related objects every entry mentions, one query per related model.
    wanted: dict[type[models.Model], set[Any]] = {}
    for entry in entries:
        if entry.action == AuditAction.CREATE:
            continue
        for attname, before, after in entry.changed_fields():
            field = by_attname.get(attname)
            if field is not None and field.is_relation and field.related_model is not None:
                wanted.setdefault(field.related_model, set()).update(
                    v for v in (before, after) if v is not None
                )
    names = {
        related: related._default_manager.in_bulk(list(ids)) for related, ids in wanted.items()
    }

    def words(field: models.Field | None, value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if field is None:
            return value
        if field.is_relation and field.related_model is not None:
            found = names.get(field.related_model, {}).get(value)
            return str(found) if found is not None else f"#{value}"
        if field.choices:
            return dict(field.flatchoices).get(value, value)
        return value

    rows = []
    for entry in entries:
        changes = []
        if entry.action != AuditAction.CREATE:
            for attname, before, after in entry.changed_fields():
                field = by_attname.get(attname)
                label = field.verbose_name if field is not None else attname
                changes.append((label, words(field, before), words(field, after)))
        rows.append({"entry": entry, "changes": changes})
    return rows


# Projects -------------------------------------------------------------------------------


@login_required
def project_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    ledger_filter = LedgerFilter.from_params(request.GET)
    qs = ledger_filter.apply(project_access.projects_for(user))
    summary = summarise(qs)
    page = _paginate(request, qs, summary.count)
    rows = fetch_page(qs, page.start_index() - 1, page.paginator.per_page) if summary.count else []
    context = {
        "page": page,
        "rows": [(p, p.is_stalled) for p in rows],
        "summary": summary,
        "filtered": any(
            getattr(ledger_filter, f)
            for f in ("region", "industry", "stage", "level", "stalled", "q", "reached", "period")
        ),
    }
    form = LedgerFilterForm(user, request.GET)
    if _is_htmx(request):
        context["sort_field"] = form["sort"]
        response = render(request, "ledger/_project_results.html", context)
    else:
        context["form"] = form
        response = render(request, "ledger/project_list.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _timeline(project: Project) -> list[dict[str, Any]]:
    """Every stage on the line with its date and planned date; withdrawn last if it happened."""
    planned = {m.stage: m.planned_on for m in project.milestones.all()}
    withdrawn = project.stage == Stage.WITHDRAWN
    items = []
    for stage in LINE:
        on = project.stage_date(stage)
        if stage == project.stage:
            state = "current"
        elif on:
            state = "done"
        else:
            state = "future"
        items.append(
            {
                "stage": stage,
                "label": Stage(stage).label,
                "on": on,
                "planned_on": planned.get(stage),
                "state": state,
            }
        )
    if withdrawn:
        items.append(
            {
                "stage": Stage.WITHDRAWN,
                "label": Stage.WITHDRAWN.label,
                "on": project.withdrawn_on,
                "planned_on": None,
                "state": "current withdrawn",
                "reason": project.withdrawn_reason,
            }
        )
    return items


def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
    return part / whole * 100 if whole else None


def _project_page(
    request: AuthedRequest,
    project: Project,
    transition_form: TransitionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    writable = user.can_write and project_access.can_edit(user, project)
    if writable and transition_form is None:
        transition_form = TransitionForm(project)
    today = timezone.localdate()
    completion = _percent(
        project.completed_investment_year_wan, project.planned_investment_year_wan
    )
    context = {
        "project": project,
        "partners": project.partners.all(),
        "stalled_kinds": project.stall_kinds(today),
        # What holds it (guarantees, approvals, task force items), for staff only.
        "holding": holding.reasons(project) if request.user.role != "enterprise" else [],  # type: ignore[union-attr]
        "timeline": _timeline(project),
        "stage_changes": project.stage_changes.select_related("actor"),
        "signings": project.signings.select_related("event", "government"),
        "milestones": project.milestones.all(),
        "history": _history_rows(project),
        "writable": writable,
        "transition_form": transition_form if writable else None,
        "funds_ratio": _percent(project.funds_in_place_wan, project.total_investment_wan),
        "completion_ratio": completion,
        "completion_bar": min(int(completion), 100) if completion is not None else 0,
    }
    return render(request, "ledger/project_detail.html", context, status=status)


@login_required
def project_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    return _project_page(request, project_access.get_project(request.user, pk))


@login_required
@require_POST
def project_transition(request: AuthedRequest, pk: int) -> HttpResponse:
    project = project_access.get_project(request.user, pk, write=True)
    require_writer(request.user)
    form = TransitionForm(project, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            change = project_services.transition(
                project,
                data["to_stage"],
                request.user,
                on=data["on"],
                evidence=data["evidence"],
                reason=data["reason"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if change.is_correction:
                text = _("Corrected back to “%(stage)s”.")
            else:
                text = _("Moved to “%(stage)s”.")
            messages.success(request, text % {"stage": Stage(change.to_stage).label})
            return redirect("ledger:project_detail", pk=project.pk)
    project.refresh_from_db()
    return _project_page(request, project, transition_form=form, status=400)


@login_required
def project_create(request: AuthedRequest) -> HttpResponse:
    require_writer(request.user)
    form = ProjectCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        stage, stage_on = data.pop("stage"), data.pop("stage_on")
        partners = list(data.pop("partners"))
        try:
            project = project_services.create_project(
                request.user, stage=stage, stage_on=stage_on, partners=partners, **data
            )
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            messages.success(request, _("The project is in the ledger."))
            return redirect("ledger:project_detail", pk=project.pk)
    status = 400 if form.is_bound else 200
    return render(request, "ledger/project_form.html", {"form": form}, status=status)


@login_required
def project_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    project = project_access.get_project(request.user, pk, write=True)
    require_writer(request.user)
    title = project.name  # the form changes the instance while it validates
    form = ProjectForm(request.POST or None, instance=project, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            project_services.update_project(project, request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("ledger:project_detail", pk=project.pk)
    status = 400 if form.is_bound else 200
    return render(
        request,
        "ledger/project_form.html",
        {"form": form, "project": project, "title": title},
        status=status,
    )


# Enterprises ----------------------------------------------------------------------------


@login_required
def enterprise_list(request: AuthedRequest) -> HttpResponse:
    form = EnterpriseFilterForm(request.GET)
    qs = enterprise_access.enterprises_for(request.user).select_related("region", "industry")
    q = (request.GET.get("q") or "").strip()[:100]
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(credit_code__istartswith=q.replace(" ", "")))
    ownership = request.GET.get("ownership") or ""
    if ownership:
        qs = qs.filter(ownership=ownership)
    qs = qs.order_by("name", "pk").prefetch_related(
        Prefetch("contacts", queryset=Contact.objects.order_by("-is_primary", "name"))
    )
    page = _paginate(request, qs)
    context = {
        "form": form,
        "page": page,
        "can_create": enterprise_access.can_create(request.user),
    }
    template = (
        "ledger/_enterprise_results.html" if _is_htmx(request) else "ledger/enterprise_list.html"
    )
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
def enterprise_options(request: AuthedRequest) -> HttpResponse:
    """<option>s for the enterprise select of the project form, found by name or code."""
    qs = enterprise_access.enterprises_for(request.user).order_by("name")
    q = (request.GET.get("enterprise_q") or "").strip()[:100]
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(credit_code__istartswith=q))
    found = list(qs[:ENTERPRISE_OPTIONS_LIMIT])
    selected = request.GET.get("enterprise") or ""
    if selected.isdigit() and all(str(e.pk) != selected for e in found):
        current = enterprise_access.enterprises_for(request.user).filter(pk=selected).first()
        if current is not None:
            found.insert(0, current)
    return render(
        request,
        "ledger/_enterprise_options.html",
        {"enterprises": found, "selected": selected, "empty_label": BLANK_CHOICE_LABEL},
    )


@login_required
def enterprise_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    enterprise = enterprise_access.get_enterprise(user, pk)
    writable = user.can_write and enterprise_access.can_edit(user, enterprise)
    projects = (
        project_access.projects_for(user)
        .filter(Q(enterprise=enterprise) | Q(partners=enterprise))
        .select_related("region", "industry")
        .distinct()
        .order_by("-total_investment_wan", "pk")
    )
    events = events_for(user).filter(participants=enterprise).select_related("region").distinct()
    context = {
        "enterprise": enterprise,
        "contacts": enterprise.contacts.all(),
        "show_phones": writable,  # e-mail addresses for those who serve them
        # Phones stay masked; the unmask permission reveals one at a time (audited).
        "can_unmask": can_unmask(user),
        "projects": projects,
        "events": events,
        "history": _history_rows(enterprise),
        "writable": writable,
    }
    return render(request, "ledger/enterprise_detail.html", context)


def _enterprise_form_page(
    request: AuthedRequest,
    form: EnterpriseForm,
    enterprise: Enterprise | None = None,
    title: str = "",
) -> HttpResponse:
    status = 400 if form.is_bound else 200
    return render(
        request,
        "ledger/enterprise_form.html",
        {"form": form, "enterprise": enterprise, "title": title},
        status=status,
    )


@login_required
def enterprise_create(request: AuthedRequest) -> HttpResponse:
    if not enterprise_access.can_create(request.user):
        raise PermissionDenied("read-only role")
    form = EnterpriseForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            enterprise = enterprise_services.create_enterprise(request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            messages.success(request, _("The enterprise is saved."))
            return redirect("ledger:enterprise_detail", pk=enterprise.pk)
    return _enterprise_form_page(request, form)


@login_required
def enterprise_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    enterprise = enterprise_access.get_enterprise(request.user, pk, write=True)
    require_writer(request.user)
    title = enterprise.name
    form = EnterpriseForm(request.POST or None, instance=enterprise, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            enterprise_services.update_enterprise(enterprise, request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("ledger:enterprise_detail", pk=enterprise.pk)
    return _enterprise_form_page(request, form, enterprise, title)


# Events ---------------------------------------------------------------------------------


@login_required
def event_list(request: AuthedRequest) -> HttpResponse:
    qs = events_for(request.user).with_figures().select_related("region").order_by("-date", "-pk")
    return render(request, "ledger/event_list.html", {"page": _paginate(request, qs)})


@login_required
def event_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    event = get_event(user, pk)
    figures = type(event).objects.with_figures().get(pk=event.pk)
    # The headline figures count every signing; the table lists those the user may see.
    all_signings = Signing.objects.filter(event=event)
    visible = project_access.projects_for(user).values("pk")
    signings = list(
        all_signings.filter(project__in=visible)
        .select_related("project", "project__enterprise", "government")
        .order_by("government__path", "government__sort_order", "signed_on", "pk")
    )
    groups = []
    for government, rows_iter in itertools.groupby(signings, key=lambda s: s.government):
        rows = list(rows_iter)
        groups.append(
            {
                "government": government,
                "signings": rows,
                "amount_wan": sum((s.amount_wan for s in rows), Decimal(0)),
                "counted_wan": sum((s.counted_amount_wan for s in rows), Decimal(0)),
                "first_count": sum(1 for s in rows if s.is_first),
            }
        )
    participants = list(event.participants.order_by("home_city", "name"))
    visible_enterprises = set(
        enterprise_access.enterprises_for(user)
        .filter(pk__in=[e.pk for e in participants])
        .values_list("pk", flat=True)
    )
    context = {
        "event": figures,
        "groups": groups,
        "shown_count": len(signings),
        "total_count": all_signings.count(),
        "participants": [(e, e.pk in visible_enterprises) for e in participants],
    }
    return render(request, "ledger/event_detail.html", context)
