"""The event pages: the list of investment-promotion events, an event's page (whose signings
are a panel, `signings_tags.signings_panel`), and running an event: its plan, the guest list
with check-in on the day (a QR code per guest, or from the list), the signing list confirmed
at the ceremony, and the printables. Parse the request, check access, call `services`,
render."""

import io
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanjia.accounts.masking import mask_phone
from guanjia.accounts.typing import AuthedRequest
from guanjia.core.views import add_service_errors, paginate
from guanjia.enterprises import access as enterprise_access
from guanjia.enterprises.models import Enterprise
from guanjia.events import access, printables, services
from guanjia.events.access import events_for, get_event
from guanjia.events.forms import AttendeeForm, EventForm, GuestForm, RowForm, WalkInForm
from guanjia.events.models import Attendee, Event, Guest, GuestStatus, SigningListRow
from guanjia.events.steps import EVENT_STEPS, GUEST_STEPS, ROW_STEPS


@login_required
def event_list(request: AuthedRequest) -> HttpResponse:
    qs = events_for(request.user).with_figures().select_related("region").order_by("-date", "-pk")
    context = {"page": paginate(request, qs), "can_create": access.can_create(request.user)}
    return render(request, "events/event_list.html", context)


@login_required
def event_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    event = figures = get_event(user, pk, figures=True)  # one query, not two
    sees_guests = access.can_see_guests(user, event)
    participants = (
        list(
            event.participants.only("name", "home_city", "ownership").order_by("home_city", "name")
        )
        if sees_guests
        else []
    )
    visible_enterprises = set(
        enterprise_access.enterprises_for(user)
        .filter(pk__in=[e.pk for e in participants])
        .values_list("pk", flat=True)
    )
    context = {
        "event": figures,
        "participants": participants,
        "participant_rows": _participant_rows(participants, visible_enterprises),
        "sees_guests": sees_guests,
        "can_manage": access.can_manage(user, event),
        "steps": EVENT_STEPS.allowed(user, event),
        "agenda": event.agenda.all(),
        "industries": event.industries.all(),
        "guest_figures": services.guest_figures(event) if sees_guests else None,
        "row_figures": services.row_figures(event) if sees_guests else None,
        "invitation": access.own_invitation(user, event),
    }
    return render(request, "events/event_detail.html", context)


_PARTICIPANT = (
    '\n      <tr>\n        <td data-label="{}">{}</td>\n        <td data-label="{}">{}</td>\n'
    '        <td data-label="{}">{}</td>\n      </tr>\n      '
)


def _participant_rows(participants: list[Enterprise], visible: set[int]) -> SafeString:
    """The participating enterprises' rows of the event page (300 at a conference), drawn here
    with `format_html` (every value escaped), the words translated and the link reversed once,
    as the guest list's rows are (`_guest_row`); a link only to an enterprise the user sees."""
    words = {k: escape(v) for k, v in (("enterprise", _("Enterprise")), ("city", _("Home city")))}
    ownership = escape(_("Ownership"))
    link = reverse("enterprises:enterprise_detail", args=[_ANY])
    return mark_safe(  # noqa: S308 - each row built by format_html
        "".join(
            format_html(
                _PARTICIPANT,
                words["enterprise"],
                format_html('<a href="{}">{}</a>', link.replace(_ANY_TEXT, str(e.pk)), e.name)
                if e.pk in visible
                else e.name,
                words["city"],
                e.home_city or "—",
                ownership,
                e.get_ownership_display(),
            )  # fmt: skip
            for e in participants
        )
    )


# --- planning ------------------------------------------------------------------------------


def _form_data(form: EventForm) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    data["industries"] = list(data["industries"])
    return data


@login_required
@require_http_methods(["GET", "POST"])
def event_create(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if not access.can_create(user):
        raise PermissionDenied("you may not plan events")
    form = EventForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            event = services.create_event(user, **_form_data(form))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The event is planned."))
            return redirect("events:event_detail", pk=event.pk)
    return render(request, "events/event_form.html", {"form": form, "event": None})


@login_required
@require_http_methods(["GET", "POST"])
def event_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    event = get_event(user, pk, write=True)
    initial = {
        "name": event.name,
        "kind": event.kind,
        "date": event.date,
        "region": event.region_id,
        "location": event.location,
        "organiser": event.organiser,
        "industries": list(event.industries.all()),
        "description": event.description,
        "agenda": services.agenda_text(event),
    }
    form = EventForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_event(event, user, **_form_data(form))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The event is saved."))
            return redirect("events:event_detail", pk=event.pk)
    return render(request, "events/event_form.html", {"form": form, "event": event})


def _take_step(request: AuthedRequest, take: Any) -> None:
    try:
        take()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Done."))


@login_required
@require_POST
def event_step(request: AuthedRequest, pk: int, step: str) -> HttpResponse:
    event = get_event(request.user, pk, write=True)
    if step not in EVENT_STEPS:
        raise Http404("no such step")
    _take_step(request, lambda: services.event_step(event, step, request.user))
    return redirect("events:event_detail", pk=event.pk)


# --- the guest list ------------------------------------------------------------------------


_ANY = 987654321  # the id the rows' links are reversed with once, then replaced per row
_ANY_TEXT = str(_ANY)


def _guest_actions(status: str, cells: dict[str, Any]) -> tuple[SafeString, SafeString]:
    """The "add an attendee" form and the actions cell of a guest in `status`, for the
    placeholder id `_ANY` (the links are reversed with it)."""
    words, own = cells["words"], cells["links"]
    add_attendee = format_html(
        '\n      <details><summary>{}</summary>\n      <form method="post" action="{}">{}\n'
        '        {}\n        <button type="submit" class="btn">{}</button></form></details>',
        words["add_attendee"], own["attendee_add"], cells["csrf"], cells["attendee_fields"],
        words["add"],
    )  # fmt: skip
    steps = format_html_join(
        "",
        '\n      <form method="post" action="{}" class="inline">{}<button type="submit" class="btn{}">{}</button></form>',
        (
            (own[step.name], cells["csrf"], " primary" if step.name == "check_in" else "", label)
            for step, label in cells["steps"]
            if status in step.sources
        ),
    )
    actions = format_html(
        '<td data-label="{}" class="actions">{}\n      <a class="btn" href="{}">{}</a>\n    </td>',
        words["actions"], steps, own["qr"], words["qr"],
    )  # fmt: skip
    return add_attendee, actions


# What a row shows of a guest, read as plain values (`_guest_rows`).
_GUEST_COLUMNS = ("pk", "enterprise__name", "walk_in", "city", "status", "checked_in_at")


def _guest_row(
    guest: tuple[Any, ...], attendees_of: list[tuple[str, str, str]], cells: dict[str, Any]
) -> SafeString:
    """One row of the guest list as HTML. The row is the same 300 times over: drawn here with
    `format_html` (every value escaped) from words, links and the token made once for the list
    (`_guest_rows`), not by the template engine cell by cell, which took most of the page's time
    in bench/leads.py. The table around it is `events/guests.html`. `guest` holds the
    `_GUEST_COLUMNS`, `attendees_of` the guest's attendees (name, title, phone) in order."""
    pk, enterprise, is_walk_in, city, status, checked_in_at = guest
    words = cells["words"]
    walk_in = (
        format_html(' <span class="muted">({})</span>', words["walk_in"]) if is_walk_in else ""
    )
    attendees = (
        format_html_join(
            "",
            "<div>{}{}{}</div>",
            (
                (
                    name,
                    f" · {title}" if title else "",
                    f" · {p}" if (p := mask_phone(phone)) else "",
                )
                for name, title, phone in attendees_of
            ),
        )
        if attendees_of
        else "—"
    )
    checked = (
        format_html('<div class="muted">{}</div>', localtime(checked_in_at).strftime("%H:%M"))
        if checked_in_at
        else ""
    )
    add_attendee = actions = ""
    if cells["manage"]:
        # The guest's forms depend only on its status: drawn once a status with a placeholder
        # id (`_guest_actions`), then given the guest's own.
        drawn = cells["drawn"]
        if status not in drawn:
            drawn[status] = _guest_actions(status, cells)
        # Drawn escaped (format_html); the id put in is a number.
        own = str(pk)
        add_attendee, actions = (mark_safe(h.replace(_ANY_TEXT, own)) for h in drawn[status])  # noqa: S308
    return format_html(
        '<tr id="guest-{}">\n'
        '    <td data-label="{}">{}{}</td>\n'
        '    <td data-label="{}">{}</td>\n'
        '    <td data-label="{}">{}{}\n    </td>\n'
        '    <td data-label="{}" class="status-{}">{}{}</td>\n'
        "    {}\n  </tr>\n",
        pk,
        words["enterprise"], enterprise, walk_in,
        words["from"], city or "—",
        words["attendees"], attendees, add_attendee,
        words["status"], status, cells["statuses"].get(status, status), checked,
        actions,
    )  # fmt: skip


def _guest_rows(request: AuthedRequest, event: Event, q: str, can_manage: bool) -> list[SafeString]:
    """The guest list's rows (all of them: the list is searched and printed whole)."""
    # The guests' order within one event ("event", "city", "enterprise__name", "id"), without
    # joining the event for its own order.
    guests = Guest.objects.filter(event=event).order_by("city", "enterprise__name", "id")
    if q:
        guests = guests.filter(
            Q(enterprise__name__icontains=q) | Q(attendees__name__icontains=q) | Q(city=q)
        ).distinct()
    steps = list(GUEST_STEPS) if can_manage else []
    cells: dict[str, Any] = {
        "manage": can_manage,
        "drawn": {},  # a status's forms, see `_guest_actions`
        "links": {
            "attendee_add": reverse("events:attendee_add", args=[event.pk, _ANY]),
            "qr": reverse("events:guest_qr", args=[event.pk, _ANY]),
            **{s.name: reverse("events:guest_step", args=[event.pk, _ANY, s.name]) for s in steps},
        },  # escaped as any value (below); the id put in per row is a number
        "steps": [(s, escape(s.label)) for s in steps],
        "statuses": {value: escape(label) for value, label in GuestStatus.choices},
        # One token for every row's forms (any masked copy of the token is valid).
        "csrf": format_html(
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request)
        ),
        # The attendee form is the same on every row: drawn once, not once a guest.
        "attendee_fields": _attendee_fields() if can_manage else "",
        "words": {  # escaped once (escape returns safe text, which is not escaped again)
            "enterprise": _("Enterprise"), "from": _("Comes from"), "attendees": _("Attendees"),
            "status": _("Status"), "actions": _("Actions"), "walk_in": _("walk-in"),
            "add_attendee": _("Add an attendee"), "add": _("Add"), "qr": _("QR code"),
        },
    }  # fmt: skip
    cells["words"] = {k: escape(v) for k, v in cells["words"].items()}
    cells["links"] = {k: mark_safe(escape(v)) for k, v in cells["links"].items()}  # noqa: S308
    # Plain values, not model instances: 300 guests, their enterprises and a prefetched
    # queryset per guest were most of the objects the collector then walked (the list's p95).
    rows = list(guests.values_list(*_GUEST_COLUMNS))
    attendees: dict[int, list[tuple[str, str, str]]] = {}
    if rows:  # a guest's attendees in their order, as the prefetch read them: one query
        for guest_id, *person in (
            Attendee.objects.filter(guest_id__in=[row[0] for row in rows])
            .order_by("id")
            .values_list("guest_id", "name", "title", "phone")
        ):
            attendees.setdefault(guest_id, []).append(tuple(person))  # type: ignore[arg-type]
    return [_guest_row(row, attendees.get(row[0], []), cells) for row in rows]


def _attendee_fields() -> SafeString:
    return render_to_string("events/_attendee_fields.html", {"attendee_form": AttendeeForm()})


@login_required
@require_http_methods(["GET", "POST"])
def guests(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    event = access.get_run(user, pk, write=request.method == "POST")
    can_manage = access.can_manage(user, event)
    form = GuestForm(request.POST or None, user=user, prefix="invite")
    if request.method == "POST" and form.is_valid():
        try:
            services.invite(
                event, form.cleaned_data["enterprise"], user, city=form.cleaned_data["city"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The enterprise is invited."))
            return redirect("events:guests", pk=event.pk)
    q = request.GET.get("q", "").strip()[:60]
    context = {
        "event": event,
        "rows": _guest_rows(request, event, q, can_manage),
        "q": q,
        "form": form if can_manage else None,
        "walk_in_form": WalkInForm(user=user, prefix="walkin") if can_manage else None,
        "can_manage": can_manage,
        "figures": services.guest_figures(event),
    }
    return render(request, "events/guests.html", context)


@login_required
@require_POST
def walk_in(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    event = access.get_run(user, pk, write=True)
    form = WalkInForm(request.POST, user=user, prefix="walkin")
    if form.is_valid():
        data = form.cleaned_data
        try:
            guest = services.walk_in(
                event, data["enterprise"], user, city=data["city"], attendee=data["name"],
                title=data["title"], phone=data["phone"],
            )  # fmt: skip
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("%(name)s is checked in.") % {"name": guest.enterprise})
    else:
        messages.error(request, _("Choose the enterprise that walked in."))
    return redirect("events:guests", pk=event.pk)


@login_required
@require_POST
def guest_step(request: AuthedRequest, pk: int, guest_pk: int, step: str) -> HttpResponse:
    event = access.get_run(request.user, pk, write=True)
    guest = access.get_guest(request.user, event, guest_pk)
    if step not in GUEST_STEPS:
        raise Http404("no such step")
    _take_step(request, lambda: services.guest_step(guest, step, request.user))
    return redirect(reverse("events:guests", kwargs={"pk": event.pk}) + f"#guest-{guest.pk}")


@login_required
@require_POST
def attendee_add(request: AuthedRequest, pk: int, guest_pk: int) -> HttpResponse:
    event = access.get_run(request.user, pk, write=True)
    guest = access.get_guest(request.user, event, guest_pk)
    form = AttendeeForm(request.POST)
    if form.is_valid():
        _take_step(request, lambda: services.add_attendee(guest, request.user, **form.cleaned_data))
    else:
        messages.error(request, _("Give the attendee's name."))
    return redirect(reverse("events:guests", kwargs={"pk": event.pk}) + f"#guest-{guest.pk}")


@login_required
@require_GET
def guest_qr(request: AuthedRequest, pk: int, guest_pk: int) -> HttpResponse:
    """The guest's check-in QR code (SVG): a signed URL to the check-in page."""
    event = access.get_run(request.user, pk, write=True)
    guest = access.get_guest(request.user, event, guest_pk)
    url = request.build_absolute_uri(
        reverse("events:checkin", kwargs={"pk": event.pk, "token": services.checkin_token(guest)})
    )
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=5, xmldecl=False, svgns=True)
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def checkin(request: AuthedRequest, pk: int, token: str) -> HttpResponse:
    """Where a guest's QR code leads the staff's phone: who it is, and a button to check in.
    A forged token, or one of another event, is a missing page."""
    event = access.get_run(request.user, pk, write=True)
    guest = services.guest_for_token(event, token)
    if guest is None:
        raise Http404("no such guest")
    already = guest.checked_in_at is not None
    if request.method == "POST" and not already:
        try:
            guest = services.check_in(guest, request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("%(name)s is checked in.") % {"name": guest.enterprise})
            return redirect("events:checkin", pk=event.pk, token=token)
    context = {
        "event": event,
        "guest": guest,
        "already": already,
        "attendees": [
            {"name": a.name, "title": a.title, "phone": mask_phone(a.phone)}
            for a in guest.attendees.all()
        ],
    }
    return render(request, "events/checkin.html", context)


# --- the signing list ----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def signing_list(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    event = access.get_run(user, pk, write=request.method == "POST")
    can_manage = access.can_manage(user, event)
    form = RowForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.add_row(
                event, user, project=data["project"], government=data["government"],
                amount_wan=data["amount_wan"], enterprises=list(data["enterprises"]),
                position=data["position"],
            )  # fmt: skip
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The project is on the signing list."))
            return redirect("events:signing_list", pk=event.pk)
    rows = (
        SigningListRow.objects.filter(event=event)
        .select_related("project", "government", "signing")
        .prefetch_related("enterprises")
    )
    context = {
        "event": event,
        "rows": rows,
        "form": form if can_manage else None,
        "can_manage": can_manage,
        "steps": list(ROW_STEPS) if can_manage else [],
        "figures": services.row_figures(event),
    }
    return render(request, "events/signing_list.html", context)


@login_required
@require_POST
def row_step(request: AuthedRequest, pk: int, row_pk: int, step: str) -> HttpResponse:
    event = access.get_run(request.user, pk, write=True)
    row = access.get_row(request.user, event, row_pk)
    if step not in ROW_STEPS:
        raise Http404("no such step")
    _take_step(request, lambda: services.row_step(row, step, request.user))
    return redirect(reverse("events:signing_list", kwargs={"pk": event.pk}) + f"#row-{row.pk}")


# --- printables ----------------------------------------------------------------------------


@login_required
@require_GET
def printable(request: AuthedRequest, pk: int, what: str, fmt: str) -> HttpResponseBase:
    """The guest list, the signing order and the signing list, as PDF or Excel."""
    event = access.get_run(request.user, pk)
    if what not in printables.SHEETS or fmt not in ("pdf", "xlsx"):
        raise Http404("no such printable")
    if fmt == "xlsx":
        return printables.xlsx(event, what)
    response = HttpResponse(printables.pdf(event, what), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="event-{event.pk}-{what}.pdf"'
    return response
