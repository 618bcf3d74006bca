"""Guarantee pages: the panel's update and override posts, the unmet list and its export."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanjia.accounts.models import Department
from guanjia.accounts.scope import region_q, require_writer
from guanjia.accounts.typing import AuthedRequest
from guanjia.projects import access as project_access
from guanjia.regions.models import Region

from . import access, services
from .exporters import export_guarantees
from .forms import GuaranteeForm, OverrideForm
from .models import Guarantee, Kind


def _errors(exc: ValidationError) -> str:
    return "; ".join(str(m) for m in exc.messages)


def _back(pk: int) -> HttpResponse:
    return redirect(reverse("projects:project_detail", args=[pk]) + "#guarantees")


@login_required
@require_POST
def update(request: AuthedRequest, pk: int) -> HttpResponse:
    project = project_access.get_project(request.user, pk, write=True)
    require_writer(request.user)
    form = GuaranteeForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(
            request,
            _("The guarantee was not saved: %(errors)s")
            % {"errors": "; ".join(f"{e}" for errs in form.errors.values() for e in errs)},
        )
        return _back(project.pk)
    data = form.cleaned_data
    fields = {
        name: value
        for name, value in data.items()
        if name != "kind" and name in request.POST and not (name == "status" and not value)
    }
    try:
        services.set_guarantee(request.user, project, data["kind"], **fields)
    except ValidationError as exc:
        messages.error(
            request, _("The guarantee was not saved: %(errors)s") % {"errors": _errors(exc)}
        )
    else:
        messages.success(
            request, _("Guarantee “%(kind)s” saved.") % {"kind": Kind(data["kind"]).label}
        )
    return _back(project.pk)


@login_required
@require_POST
def override_view(request: AuthedRequest, pk: int) -> HttpResponse:
    project = project_access.get_project(request.user, pk)
    access.require_overrider(request.user)
    form = OverrideForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the stage and a reason for the override."))
        return _back(project.pk)
    try:
        services.override(
            request.user, project, form.cleaned_data["stage"], form.cleaned_data["reason"]
        )
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, _("Override recorded."))
    return _back(project.pk)


def unmet_queryset(request: AuthedRequest) -> tuple[QuerySet[Guarantee], dict[str, Any]]:
    """Unmet guarantees on projects the user sees, filtered by the GET parameters (a list of
    the bureau's: not for an enterprise's contacts)."""
    user = request.user
    project_access.require_ledger_reader(user)
    qs = (
        access.guarantees_for(user)
        .filter(met_on__isnull=True)
        .select_related("project", "project__region", "department")
    )
    get = request.GET
    chosen: dict[str, Any] = {
        "department": get.get("department", ""),
        "area": get.get("area", ""),
        "kind": get.get("kind", ""),
        "overdue": get.get("overdue", "") == "1",
    }
    if chosen["department"].isdigit():
        qs = qs.filter(department_id=int(chosen["department"]))
    if chosen["area"].isdigit():
        region = Region.objects.filter(pk=int(chosen["area"])).first()
        if region is not None:
            qs = qs.filter(project__region__in=Region.objects.within(region).values("pk"))
    if chosen["kind"] in Kind.values:
        qs = qs.filter(kind=chosen["kind"])
    if chosen["overdue"]:
        qs = qs.filter(due_on__lt=timezone.localdate())
    qs = qs.order_by("due_on", "project__name", "kind")
    return qs, chosen


@login_required
def unmet(request: AuthedRequest) -> HttpResponse:
    qs, chosen = unmet_queryset(request)
    page = Paginator(qs, settings.GUANJIA_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": page.object_list,
        "chosen": chosen,
        "kinds": Kind.choices,
        "departments": Department.objects.filter(region_q(request.user, "region")),
        "areas": Region.objects.filter(region_q(request.user, "")).filter(
            abolished_on__isnull=True
        ),
        "today": timezone.localdate(),
        "query": request.GET.urlencode(),
    }
    return render(request, "guarantees/unmet.html", context)


@login_required
def export(request: AuthedRequest) -> FileResponse:
    qs, _chosen = unmet_queryset(request)
    return export_guarantees(qs)
