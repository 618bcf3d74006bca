"""The task force's forms on the project page (thin: services decide and record)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from guanjia.accounts.models import User
from guanjia.projects.access import get_project
from guanjia.projects.models import Project

from . import access, services
from .forms import ActionItemForm, DecisionForm, MeetingForm
from .models import ActionItem


def _back(pk: int) -> HttpResponse:
    from django.urls import reverse

    return redirect(reverse("projects:project_detail", args=[pk]) + "#taskforce")


def _fail(request: HttpRequest, exc: ValidationError | None, form: object = None) -> None:
    problems = []
    if exc is not None:
        problems = exc.messages
    elif form is not None:
        errors = getattr(form, "errors", {})
        problems = [f"{form[name].label if name in form.fields else ''}: {' '.join(msgs)}"  # type: ignore[index,attr-defined]
                    for name, msgs in errors.items()]  # fmt: skip
    messages.error(request, _("Not recorded: %(why)s") % {"why": "; ".join(problems)})


def _recorder(request: HttpRequest, pk: int) -> tuple[User, Project]:
    """The user and the project, if the user keeps this task force's record (else 404/403)."""
    user: User = request.user  # type: ignore[assignment]
    project = get_project(user, pk)
    if not access.may_record(user, project):
        raise PermissionDenied("not on this project's task force")
    return user, project


@login_required
@require_GET
def forms(request: HttpRequest, pk: int) -> HttpResponse:
    """The record forms: fetched into the project page when its panel comes on screen (the
    select of owners costs more than the rest of the page), or as a page of their own."""
    _user, project = _recorder(request, pk)
    today = timezone.localdate()
    context = {
        "project": project,
        "meeting_form": MeetingForm(initial={"held_on": today}),
        "item_form": ActionItemForm(project, prefix="item"),
        "decision_form": DecisionForm(initial={"decided_on": today}),
    }
    htmx = "HX-Request" in request.headers and "HX-History-Restore-Request" not in request.headers
    template = "taskforces/_forms.html" if htmx else "taskforces/forms.html"
    response = render(request, template, context)
    response.headers["Vary"] = "HX-Request"
    return response


@login_required
@require_POST
def meeting(request: HttpRequest, pk: int) -> HttpResponse:
    user, project = _recorder(request, pk)
    form = MeetingForm(request.POST)
    item = ActionItemForm(project, request.POST, prefix="item")
    has_item = bool(request.POST.get("item-text"))
    if not form.is_valid() or (has_item and not item.is_valid()):
        _fail(request, None, form if form.errors else item)
        return _back(pk)
    try:
        services.record_meeting(
            user, project, **form.cleaned_data, items=[item.cleaned_data] if has_item else []
        )
    except ValidationError as exc:
        _fail(request, exc)
    else:
        messages.success(request, _("Meeting recorded."))
    return _back(pk)


@login_required
@require_POST
def action_item(request: HttpRequest, pk: int) -> HttpResponse:
    user, project = _recorder(request, pk)
    form = ActionItemForm(project, request.POST, prefix="item")
    if not form.is_valid():
        _fail(request, None, form)
        return _back(pk)
    try:
        services.add_action_item(user, project, **form.cleaned_data)
    except ValidationError as exc:
        _fail(request, exc)
    else:
        messages.success(request, _("Action item added; its owner has been told."))
    return _back(pk)


@login_required
@require_POST
def complete(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    project = get_project(user, pk)
    item = get_object_or_404(ActionItem, pk=item_pk, project=project)
    try:
        services.complete_item(user, item)
    except ValidationError as exc:
        _fail(request, exc)
    else:
        messages.success(request, _("Marked done."))
    return _back(pk)


@login_required
@require_POST
def decision(request: HttpRequest, pk: int) -> HttpResponse:
    user, project = _recorder(request, pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        _fail(request, None, form)
        return _back(pk)
    services.record_decision(user, project, **form.cleaned_data)
    messages.success(request, _("Decision recorded."))
    return _back(pk)
