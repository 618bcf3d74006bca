"""Thin views: each step is a POST from the panel on the project page, then back to it."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from guanjia.accounts.models import User
from guanjia.core.files import Served, serving_view
from guanjia.projects.access import get_project

from . import services
from .access import can_act
from .models import ApprovalItem, ApprovalKind, Material


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _back(project_pk: int) -> HttpResponse:
    return redirect(reverse("projects:project_detail", args=[project_pk]) + "#approvals")


def _item(request: HttpRequest, pk: int) -> ApprovalItem:
    """The item if the user may see its project (else 404) and act on it (else 403)."""
    item = get_object_or_404(ApprovalItem.objects.select_related("kind"), pk=pk)
    project = get_project(_user(request), item.project_id)
    if not can_act(_user(request), project, item.kind):
        raise PermissionDenied("you may not act on this approval")
    return item


@login_required
@require_POST
def add(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    project = get_project(user, pk)
    kind = get_object_or_404(ApprovalKind, pk=request.POST.get("kind") or 0)
    if not can_act(user, project, kind):
        raise PermissionDenied("you may not act on this approval")
    try:
        services.add_item(project, kind, user)
    except services.ApprovalError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The approval item is added."))
    return _back(project.pk)


def _chosen(request: HttpRequest, item: ApprovalItem) -> list[Material]:
    ids = [v for v in request.POST.getlist("materials") if v.isdigit()]
    return list(Material.objects.filter(kind=item.kind, pk__in=ids))


STEPS = {
    "submit": gettext_lazy("Materials recorded."),
    "accept": gettext_lazy("Accepted."),
    "tolerate": gettext_lazy("Accepted with tolerated gaps."),
    "supply": gettext_lazy("Materials supplied."),
    "approve": gettext_lazy("Approved."),
}


@login_required
@require_POST
def step(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    if name not in STEPS:
        raise Http404("no such step")
    user = _user(request)
    item = _item(request, pk)
    try:
        if name == "submit":
            services.submit(item, user, _chosen(request, item))
        elif name == "accept":
            services.accept(item, user)
        elif name == "tolerate":
            promised: dt.date | None
            try:
                promised = dt.date.fromisoformat(request.POST.get("promised_on", ""))
            except ValueError:
                promised = None
            services.accept_tolerated(item, user, request.FILES.get("commitment"), promised)
        elif name == "supply":
            services.supply(item, user, _chosen(request, item))
        else:
            services.approve(item, user)
    except services.ApprovalError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, str(STEPS[name]))
    return _back(item.project_id)


def _commitment(request: HttpRequest, pk: int) -> Served:
    """The written commitment, to whoever may see the project."""
    item = get_object_or_404(ApprovalItem, pk=pk)
    get_project(_user(request), item.project_id)
    if not item.commitment:
        raise Http404("no commitment")
    name = item.commitment_name or (item.commitment.name or "").rsplit("/", 1)[-1]
    return Served(item.commitment, name)


commitment = serving_view(_commitment)
