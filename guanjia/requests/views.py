"""Web pages for requests. Thin: rules live in services, access, sla and queue."""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from guanjia.accounts.models import Role, User
from guanjia.core.files import Served, serving_view
from guanjia.core.models import ImportKind
from guanjia.core.sheets.pages import HelpColumn, ImportPages, PreviewColumn
from guanjia.enterprises import invites
from guanjia.enterprises.access import referenceable_enterprises
from guanjia.enterprises.models import Enterprise

from . import access, attachments, importers, queue, replies, services
from .exporters import export_requests
from .forms import (
    PRIORITY_CHOICES,
    RATING_CHOICES,
    STATUS_CHOICES,
    AssignForm,
    SubmitForm,
    picker_groups,
)
from .models import (
    Attachment,
    Category,
    Extension,
    ExtensionStatus,
    RequestEvent,
    RevisitChannel,
    RevisitOutcome,
    ServiceRequest,
    Source,
)
from .services import RequestError
from .sla import MARKS

SORT_CHOICES = [
    ("due", gettext_lazy("Most urgent first")),
    ("-submitted", gettext_lazy("Newest first")),
    ("submitted", gettext_lazy("Oldest first")),
    ("number", gettext_lazy("Number")),
]


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            field: [str(m) for e in errs for m in e.messages]
            for field, errs in exc.error_dict.items()
        }
    return {"__all__": [str(m) for m in exc.messages]}


@login_required
def queue_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    now = timezone.now()
    query, qs = queue.queue(user, request.GET, now)
    number = request.GET.get("page")
    page = queue.QueuePaginator(
        queue.page_rows(qs), settings.GUANJIA_PAGE_SIZE, number=number, ahead=queue.COUNT_AHEAD
    ).get_page(number)
    cal = services.calendar()
    is_enterprise = access.is_enterprise_contact(user)  # their own list, without the column
    context = {
        "query": query,
        # Labels as plain strings: lazy ones cost a proxy lookup at every use in the loop.
        "queues": [(key, str(queue.QUEUES[key])) for key in queue.queues_for(user)],
        "page": page,
        "rows": queue.with_clocks(list(page.object_list), cal, now),
        "categories": list(Category.objects.filter(active=True).values("code", "name")),
        "statuses": [(value, str(label)) for value, label in STATUS_CHOICES],
        "status_names": {value: str(label) for value, label in STATUS_CHOICES},
        "priorities": [(value, str(label)) for value, label in PRIORITY_CHOICES],
        "sorts": [(value, str(label)) for value, label in SORT_CHOICES],
        "is_enterprise": is_enterprise,
        "show_enterprise": not is_enterprise,
        "can_submit": access.can_submit(user),
        "can_invite": access.can_invite(user),
        "can_import": access.can_import(user),
        "bulk_actions": [(a, services.STEP_LABELS[a]) for a in access.bulk_actions(user)],
        "bulk_picker": queue.bulk_picker_html(user)
        if "dispatch" in access.bulk_actions(user)
        else "",
    }
    return render(request, "requests/queue.html", context)


@login_required
def new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not access.can_submit(user):
        raise PermissionDenied("files no request")
    form = SubmitForm(user, request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        enterprise = form.own_enterprise or data["enterprise"]
        try:
            for upload in data["attachments"]:
                attachments.check(upload)

            def attach(sr: ServiceRequest) -> None:
                for upload in data["attachments"]:  # the request's own files
                    attachments.attach(sr, user, upload)

            with attachments.removed_on_failure():  # in the request's transaction: all or none
                sr = services.submit(
                    user,
                    enterprise=enterprise,
                    category=data["category"],
                    title=data["title"],
                    text=data["text"],
                    project=data["project"],
                    source=Source.WEB if access.is_enterprise_contact(user) else Source.STAFF,
                    then=attach,
                )
        except ValidationError as exc:
            for field, msgs in _errors(exc).items():
                form.add_error(field if field in form.fields else None, msgs)
        else:
            messages.success(
                request,
                _("Request %(number)s is submitted. Your steward has been told.")
                % {"number": sr.number},
            )
            return redirect("requests:detail", sr.pk)
    return render(request, "requests/new.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def detail(
    request: HttpRequest,
    pk: int,
    *,
    errors: dict[str, Any] | None = None,
    posted: Any = None,
    status: int = 200,
    open_step: str = "",
) -> HttpResponse:
    user = _user(request)
    sr = access.get_request(user, pk)
    now = timezone.now()
    cal = services.calendar()
    # What of the timeline this user sees, entry by entry and text by text: models.TIMELINE.
    events = list(
        RequestEvent.objects.filter(request=sr)
        .visible_to(user)
        .select_related("actor")
        .prefetch_related("attachments")
    )
    for event in events:
        event.shown_note = event.note_for(user)  # type: ignore[attr-defined]
        event.files = event.files_for(user)  # type: ignore[attr-defined]
    offered = services.next_steps(sr, user, now)
    steps = offered.all
    # Its extensions in one read: the list (staff) and the one waiting for a decision.
    extensions = list(sr.extensions.all())
    pending = next((x for x in extensions if x.status == ExtensionStatus.PENDING), None)
    assign_form = (
        AssignForm(sr) if {"dispatch", "transfer", "arbitrate", "assist"} & set(steps) else None
    )
    marks = []
    from . import sla

    for mark, at in sla.mark_times(sr, cal):
        marks.append(
            {"code": mark.code, "percent": int(mark.fraction * 100), "at": at, "passed": at <= now}
        )
    is_enterprise = access.is_enterprise_contact(user)
    answering = {"reply", "accept_reply"} & set(steps)
    # 催办: why the enterprise cannot press now (the deadline is not near, or it pressed lately).
    refusal = (
        services.press_refusal(sr, now)
        if "press" not in steps
        and services.STEPS["press"].allows(user, sr)
        and sr.status in services.PRESSABLE
        else None
    )
    context = {
        "sr": sr,
        "press_note": " ".join(refusal.messages) if refusal is not None else "",
        "revisit_channels": RevisitChannel.choices,
        "revisit_outcomes": RevisitOutcome.choices,
        "events": events,
        "files": sr.attachments.filter(event__isnull=True),
        "steps": steps,
        "main_steps": offered.main,
        "more_steps": offered.more,
        # The step whose form comes back (an error, a template filled in): open in the menu.
        "open_step": open_step,
        "reply_templates": replies.filled_for(sr) if answering else [],
        "merge_options": _merge_options(user, sr) if "merge" in steps else [],
        "merged_into": _merged_into(user, sr),
        "duplicates": _duplicates(user, sr),
        "step_labels": services.STEP_LABELS,
        "internal_note_steps": services.steps_with_internal_notes(),
        "clock": queue.clock_of(sr, cal, now),
        "revisit_late": bool(sr.revisit_required and sr.revisit_due_at and sr.revisit_due_at < now),
        "marks": marks,
        "pending_extension": pending,
        "extensions": [] if is_enterprise else extensions,
        "escalations": [] if is_enterprise else list(sr.escalations.prefetch_related("recipients")),
        "assign_form": assign_form,
        "picker": _picker(assign_form, sr, posted) if assign_form else [],
        "people_picker": _picker(assign_form, sr, posted, people_only=True) if assign_form else [],
        "parts": [] if is_enterprise else list(sr.parts.select_related("handler", "department")),
        "ratings": RATING_CHOICES,
        "errors": errors or {},
        "posted": posted or {},
        "accept": attachments.ACCEPT,
        "is_enterprise": is_enterprise,
        "mark_names": MARKS,
    }
    return render(request, "requests/detail.html", context, status=status)


def _merge_options(user: User, sr: ServiceRequest) -> list[tuple[int, str]]:
    """The requests this one may be merged into, as (id, label): the enterprise's others."""
    rows = access.merge_candidates(user, sr).values_list("pk", "number", "title", "status")
    names = dict(ServiceRequest._meta.get_field("status").choices or [])
    return [
        (pk, f"{number} · {title} · {names.get(status, status)}")
        for pk, number, title, status in rows[:50]
    ]


def _merged_into(user: User, sr: ServiceRequest) -> ServiceRequest | None:
    """The request a merged duplicate went into, if the user may open it."""
    if not sr.merged_into_id:
        return None
    return access.requests_for(user).filter(pk=sr.merged_into_id).first()


def _duplicates(user: User, sr: ServiceRequest) -> list[dict[str, Any]]:
    """The duplicates merged into this request, each with the part of its timeline the user
    sees: both timelines stay, and the page shows both."""
    found: list[dict[str, Any]] = []
    # Most requests have none: asked without the reader's visibility rules, cheaper to build.
    if not ServiceRequest.objects.filter(merged_into=sr).exists():
        return found
    for dup in access.requests_for(user).filter(merged_into=sr).order_by("submitted_at", "id"):
        events = list(
            RequestEvent.objects.filter(request=dup).visible_to(user).select_related("actor")
        )
        for event in events:
            event.shown_note = event.note_for(user)  # type: ignore[attr-defined]
        found.append({"sr": dup, "events": events})
    return found


def _picker(
    form: AssignForm, sr: ServiceRequest, posted: Any, *, people_only: bool = False
) -> list[Any]:
    """The "send to" select's <optgroup>s: the usual handler of this category and area and
    the category's department queue first, then departments' queues, then people by area
    and department (`forms.picker_groups`)."""
    people = list(form.fields["to"].queryset)  # type: ignore[attr-defined]
    departments = [] if people_only else list(form.fields["department"].queryset)  # type: ignore[attr-defined]
    by_id = {u.pk: u for u in people}
    suggested = [
        (str(pk), _("%(who)s · usually handles these") % {"who": by_id[pk]})
        for pk in queue.usual_handlers(sr)
        if pk in by_id
    ][:1]
    usual_department = sr.category.department_id
    if not people_only and usual_department in {d.pk for d in departments}:
        name = next(d.name for d in departments if d.pk == usual_department)
        suggested.append(
            (f"dept:{usual_department}", _("%(name)s · the category's department") % {"name": name})
        )
    elif not suggested:
        handler = _suggested(sr)
        if handler in by_id:
            suggested.append((str(handler), str(by_id[handler])))
    chosen = str((posted or {}).get("to") or "")
    return picker_groups(people, departments, chosen=chosen, suggested=suggested)


def _suggested(sr: ServiceRequest) -> int | None:
    """Whom to dispatch to by default: a handler of the category's usual department."""
    department = sr.category.department_id
    if department is None:
        return None
    return (
        User.objects.filter(department_id=department, role=Role.HANDLER, is_active=True)
        .order_by("id")
        .values_list("pk", flat=True)
        .first()
    )


def _files(request: HttpRequest) -> list[Any]:
    return [f for f in request.FILES.getlist("attachments") if f]


def _posted(step: str, sr: ServiceRequest, post: Any, user: User) -> dict[str, Any]:
    """The step's fields (as the table of steps names them) from the posted form."""
    fields: dict[str, Any] = {}
    names = {field.name for field in services.STEPS[step].fields}
    for field in services.STEPS[step].fields:
        if field.name == "into":
            into = str(post.get("into") or "")
            fields["into"] = (
                access.merge_candidates(user, sr).filter(pk=int(into)).first()
                if into.isdigit() and len(into) < 19
                else None
            )
            if fields["into"] is None:
                raise RequestError({"into": _("Choose the request this one duplicates.")})
        elif field.name == "department":
            continue  # with "to": one select names a person or a department's queue
        elif field.name == "to":
            fields["to"] = None
            if "department" in names:
                fields["department"] = None
            if step != "arbitrate" or post.get("upheld") == "yes":
                form = AssignForm(sr, post)
                if not form.is_valid():
                    raise RequestError({"to": _("Choose who takes the request.")})
                fields["to"] = form.cleaned_data["to"]
                if form.cleaned_data.get("department") is not None:
                    if "department" not in names:
                        raise RequestError({"to": _("Choose a person.")})
                    fields["department"] = form.cleaned_data["department"]
        elif field.name in ("upheld", "approve"):
            fields[field.name] = post.get(field.name) == "yes"
        elif field.name == "extension":
            fields["extension"] = get_object_or_404(
                Extension, pk=post.get("extension") or 0, request=sr, status=ExtensionStatus.PENDING
            )
        else:
            fields[field.name] = post.get(field.name, "")
    return fields


def _confirmed(post: Any) -> None:
    """A destructive step (withdraw): a reason and the ticked confirmation box, both, before
    anything changes."""
    missing = {}
    if not str(post.get("reason", "")).strip():
        missing["reason"] = _("Say why you withdraw the request.")
    if not post.get("confirm"):
        missing["confirm"] = _("Tick the box to confirm.")
    if missing:
        raise RequestError(missing)


def _run(step: str, sr: ServiceRequest, user: User, post: Any) -> str:
    """Take the step with the posted fields; returns the success message."""
    fields = _posted(step, sr, post, user)
    if services.STEPS[step].confirm:
        _confirmed(post)
    services.take(step, sr, user, **fields)
    into = fields.get("into")
    return str(services.STEPS[step].done) % {
        "who": fields.get("to") or fields.get("department"),
        "into": into.number if into is not None else "",
    }


@login_required
@require_POST
def step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    user = _user(request)
    sr = access.get_request(user, pk)
    if step not in services.STEPS:
        raise Http404("no such step")
    if request.POST.get("use_template") and step in ("reply", "accept_reply"):
        return _with_template(request, sr, step)
    files = _files(request) if services.STEPS[step].files else []
    try:
        for upload in files:
            attachments.check(upload)
        with attachments.removed_on_failure(), transaction.atomic():
            message = _run(step, sr, user, request.POST)
            event = sr.events.order_by("-at", "-id").first()
            for upload in files:
                attachments.attach(sr, user, upload, event=event)
    except ValidationError as exc:
        return detail(
            request,
            pk,
            errors={step: _errors(exc)},
            posted=request.POST,
            status=400,
            open_step=step,
        )
    messages.success(request, message)
    return redirect("requests:detail", sr.pk)


def _with_template(request: HttpRequest, sr: ServiceRequest, step: str) -> HttpResponse:
    """The answer form again, its text the chosen reply template filled in for this request
    (the picker without JavaScript). Nothing is taken; a template not offered here is a
    field error."""
    user = _user(request)
    if not access.can(user, step, sr):
        raise PermissionDenied(step)
    text = replies.filled(sr, request.POST.get("template"))
    posted = request.POST.copy()
    if text is None:
        errors = {step: {"template": [_("Choose one of the templates offered.")]}}
        return detail(request, sr.pk, errors=errors, posted=posted, status=400, open_step=step)
    posted["answer"] = text
    return detail(request, sr.pk, posted=posted, open_step=step)


@login_required
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    """Bulk dispatch, claim or close from the queue: each ticked request goes through the
    same step with its own checks; the page lists what was done and what was refused, why."""
    user = _user(request)
    action = request.POST.get("action", "")
    if action not in access.bulk_actions(user):
        raise PermissionDenied("no such bulk action")
    ids = [int(v) for v in request.POST.getlist("ids") if v.isdigit() and len(v) < 12]
    if not ids:
        messages.error(request, _("Tick the requests to act on."))
        return redirect("requests:queue")
    if len(ids) > services.BULK_MAX:
        messages.error(request, _("At most %(n)s requests at once.") % {"n": services.BULK_MAX})
        return redirect("requests:queue")
    found = access.requests_for(user).select_related("region", "category").in_bulk(ids)
    fields: dict[str, Any] = {"note": request.POST.get("note", "")[:500]}
    missing = [pk for pk in ids if pk not in found]
    if action == "dispatch":
        target = queue.bulk_target(user, request.POST.get("to", ""))
        if target is None:
            messages.error(request, _("Choose who takes the requests."))
            return redirect("requests:queue")
        fields |= {"to": None, "department": None} | target
    done, refused = services.take_many(
        action, [found[pk] for pk in ids if pk in found], user, **fields
    )
    context = {
        "action": services.STEP_LABELS[action],
        "done": done,
        "refused": refused,
        "missing": len(missing),
    }
    return render(request, "requests/bulk_done.html", context)


def _attachment(request: HttpRequest, pk: int, attachment_pk: int) -> Served:
    """A request's file, to whoever may see the request and the entry it goes with."""
    user = _user(request)
    sr = access.get_request(user, pk)
    # A file goes with its entry's text: one the user may not read is not there for them.
    file = get_object_or_404(Attachment.objects.visible_to(user), pk=attachment_pk, request=sr)
    return Served(file.file, file.name)


attachment = serving_view(_attachment)


@login_required
def export(request: HttpRequest) -> FileResponse:
    user = _user(request)
    _query, qs = queue.queue(user, request.GET, timezone.now())
    return export_requests(qs, user)


class InviteForm(forms.Form):
    enterprise = forms.ModelChoiceField(
        queryset=Enterprise.objects.none(), label=gettext_lazy("Enterprise")
    )
    display_name = forms.CharField(label=gettext_lazy("Name"), max_length=60)
    phone = forms.CharField(label=gettext_lazy("Mobile"), max_length=20, required=False)
    email = forms.EmailField(label=gettext_lazy("Email"), required=False)
    username = forms.CharField(
        label=gettext_lazy("User name"),
        max_length=150,
        required=False,
        help_text=gettext_lazy("Leave blank to have one made up."),
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        qs = referenceable_enterprises(user)
        self.fields["enterprise"].queryset = qs.order_by("name")  # type: ignore[attr-defined]


@login_required
def invite(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not access.can_invite(user):
        raise PermissionDenied("only staff invite")
    form = InviteForm(user, request.POST or None)
    link = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            contact, path = invites.invite_contact(
                user,
                enterprise=data["enterprise"],
                display_name=data["display_name"],
                phone=data["phone"],
                email=data["email"],
                username=data["username"],
            )
        except ValidationError as exc:
            for field, msgs in _errors(exc).items():
                form.add_error(field if field in form.fields else None, msgs)
        else:
            link = request.build_absolute_uri(path)
            messages.success(
                request,
                _(
                    "Account %(username)s created for %(name)s. Send them the link below to set a password."
                )
                % {"username": contact.username, "name": contact},
            )
            if contact.email:
                _mail_invitation(contact, link)
            form = InviteForm(user)
    return render(request, "requests/invite.html", {"form": form, "link": link})


def _mail_invitation(contact: User, link: str) -> None:
    from django.core.mail import send_mail

    transaction.on_commit(
        lambda: send_mail(
            _("Your Guanjia account"),
            _("Set your password and log in to follow your enterprise's requests: %(link)s")
            % {"link": link},
            None,
            [contact.email],
            fail_silently=True,
        )
    )


class InviteAccept(auth_views.PasswordResetConfirmView):
    template_name = "requests/invite_accept.html"
    post_reset_login = True
    success_url = reverse_lazy("requests:queue")


invite_accept = InviteAccept.as_view()


def _import_columns() -> list[HelpColumn]:
    return [HelpColumn(c.header, c.aliases, c.required, c.help) for c in importers.COLUMNS]


# Past requests from Excel, on the one import flow (guanjia.core.sheets.pages): checked in the
# background, previewed with every problem by row and column, written all or none on confirm.
import_pages = ImportPages(
    kind=ImportKind.REQUESTS,
    namespace="requests",
    may_import=access.can_import,
    title=gettext_lazy("Import past requests from Excel"),
    intro=gettext_lazy(
        "The bureau's past requests (诉求台账), answered, closed or withdrawn; nobody is "
        "notified. Rows already recorded are skipped. Open requests are entered through the "
        "web, so that their clock runs. A file exported from the request queue reads back in."
    ),
    columns=_import_columns,
    preview=(
        PreviewColumn("row", gettext_lazy("Row")),
        PreviewColumn("number", gettext_lazy("Number")),
        PreviewColumn("submitted", gettext_lazy("Submitted")),
        PreviewColumn("enterprise", gettext_lazy("Enterprise")),
        PreviewColumn("category", gettext_lazy("Category")),
        PreviewColumn("title", gettext_lazy("Title")),
        PreviewColumn("status", gettext_lazy("Status")),
    ),
    done_url="requests:queue",
    done_label=gettext_lazy("Open the queue"),
    nav="requests",
    template=importers.template_response,
    max_bytes=importers.MAX_UPLOAD_BYTES,
)
