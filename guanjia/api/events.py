"""Events and their headline figures, computed from the records by the counting rule."""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Status

from guanjia.accounts.masking import mask_phone
from guanjia.core.steps import check as check_step
from guanjia.events import access, services
from guanjia.events.access import events_for
from guanjia.events.models import Event, Guest, GuestStatus, Signing, SigningListRow
from guanjia.events.steps import GUEST_STEPS, ROW_STEPS
from guanjia.projects.access import projects_for

from .common import caller, page, reference, region_ref
from .errors import ApiError, field_error
from .schemas import (
    ErrorOut,
    EventList,
    EventOut,
    GuestCreate,
    GuestList,
    GuestOut,
    Input,
    InvalidOut,
    Page,
    SigningRowCreate,
    SigningRowList,
    SigningRowOut,
    money,
)

router = Router(tags=["events"])


def event_item(e: Event) -> dict[str, Any]:
    return {
        "id": e.pk,
        "date": e.date,
        "name": e.name,
        "enterprise_count": e.enterprise_count,  # type: ignore[attr-defined]
        "city_count": e.city_count,  # type: ignore[attr-defined]
        "signing_count": e.signing_count,  # type: ignore[attr-defined]
        "signed_investment_wan": money(e.signed_investment_wan),  # type: ignore[attr-defined]
    }


@router.get("", response={200: EventList, 401: ErrorOut, 422: InvalidOut})
def list_events(request: HttpRequest, paging: Query[Page]) -> dict:
    """Events the caller may see, newest first, each with its headline figures."""
    qs = events_for(caller(request))
    items = page(qs.with_figures().order_by("-date", "-id"), paging.limit, paging.offset)
    return {"count": qs.count(), "items": [event_item(e) for e in items]}


@router.get("/{int:event_id}", response={200: EventOut, 401: ErrorOut, 404: ErrorOut})
def get_event(request: HttpRequest, event_id: int) -> dict:
    """One event: its figures, and the signings of the projects the caller may see."""
    user = caller(request)
    event = events_for(user).with_figures().select_related("region").filter(pk=event_id).first()
    if event is None:
        raise Http404("no such event")
    signings = (
        Signing.objects.filter(event=event, project__in=projects_for(user).values("pk"))
        .select_related("project", "government")
        .order_by("signed_on", "id")
    )
    return event_item(event) | {
        "kind": event.kind,
        "organiser": event.organiser,
        "location": event.location,
        "region": region_ref(event.region),
        "signings": [
            {
                "id": s.pk,
                "project": {"id": s.project.pk, "name": s.project.name},
                "government": region_ref(s.government),
                "signed_on": s.signed_on,
                "amount_wan": money(s.amount_wan),
                "counted_amount_wan": money(s.counted_amount_wan),
                "is_first": s.is_first,
            }
            for s in signings
        ],
    }


# --- running an event: the guest list and the signing list --------------------------------

WRITE_ERRORS = {400: InvalidOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: InvalidOut}
READ_ERRORS = {401: ErrorOut, 404: ErrorOut, 422: InvalidOut}


def _enterprise_ref(e: Any) -> dict[str, Any]:
    return {"id": e.pk, "name": e.name, "credit_code": e.credit_code}


def guest_item(g: Guest) -> dict[str, Any]:
    return {
        "id": g.pk,
        "enterprise": _enterprise_ref(g.enterprise),
        "city": g.city,
        "status": g.status,
        "walk_in": g.walk_in,
        "checked_in_at": g.checked_in_at,
        "attendees": [
            {"name": a.name, "title": a.title, "phone": mask_phone(a.phone)}
            for a in g.attendees.all()
        ],
    }


def row_item(r: SigningListRow) -> dict[str, Any]:
    return {
        "id": r.pk,
        "position": r.position,
        "project": {"id": r.project.pk, "name": r.project.name},
        "government": region_ref(r.government),
        "enterprises": [_enterprise_ref(e) for e in r.enterprises.all()],
        "amount_wan": money(r.amount_wan),
        "status": r.status,
        "signing_id": r.signing_id,
    }


@router.get("/{int:event_id}/guests", response={200: GuestList} | READ_ERRORS)
def list_guests(request: HttpRequest, event_id: int, paging: Query[Page]) -> dict:
    """The event's guest list (staff who see the event; an enterprise contact gets 404), with
    its own figures. Phones are masked. The event's headline figures count participants."""
    event = access.get_run(caller(request), event_id)
    qs = (
        Guest.objects.filter(event=event)
        .select_related("enterprise")
        .prefetch_related("attendees")
        .order_by("city", "enterprise__name", "pk")
    )
    figures = services.guest_figures(event)
    return {
        "count": figures["invited"],
        "invited": figures["invited"],
        "accepted": figures["accepted"],
        "checked_in": figures["checked_in"],
        "cities": figures["cities"],
        "items": [guest_item(g) for g in page(qs, paging.limit, paging.offset)],
    }


@router.post("/{int:event_id}/guests", response={201: GuestOut} | WRITE_ERRORS)
def create_guest(request: HttpRequest, event_id: int, payload: GuestCreate) -> Status:
    """Invite an enterprise (one the caller may name), with its attendees."""
    user = caller(request)
    event = access.get_run(user, event_id, write=True)
    enterprise = reference(user, "enterprise", payload.enterprise_id, "enterprise_id")
    with transaction.atomic():
        guest = services.invite(event, enterprise, user, city=payload.city)
        for attendee in payload.attendees:
            services.add_attendee(guest, user, **attendee.model_dump())
    return Status(201, guest_item(guest))


def _rows(event: Event) -> Any:
    return (
        SigningListRow.objects.filter(event=event)
        .select_related("project", "government")
        .prefetch_related("enterprises")
        .order_by("position", "pk")
    )


@router.get("/{int:event_id}/signing-list", response={200: SigningRowList} | READ_ERRORS)
def list_signing_rows(request: HttpRequest, event_id: int, paging: Query[Page]) -> dict:
    """The event's signing list (签约清单) in signing order. A row counts in the event's
    figures only once confirmed (status signed), through the signing it records."""
    event = access.get_run(caller(request), event_id)
    figures = services.row_figures(event)
    return {
        "count": figures["rows"],
        "signed": figures["signed"],
        "items": [row_item(r) for r in page(_rows(event), paging.limit, paging.offset)],
    }


@router.post("/{int:event_id}/signing-list", response={201: SigningRowOut} | WRITE_ERRORS)
def create_signing_row(request: HttpRequest, event_id: int, payload: SigningRowCreate) -> Status:
    """Add a project to the signing list (拟签: it counts nowhere until confirmed)."""
    user = caller(request)
    event = access.get_run(user, event_id, write=True)
    project = reference(user, "project", payload.project_id, "project_id")
    government = reference(user, "region", payload.government_id, "government_id")
    enterprises = [
        reference(user, "enterprise", pk, "enterprise_ids") for pk in payload.enterprise_ids
    ]
    row = services.add_row(
        event, user, project=project, government=government, amount_wan=payload.amount_wan,
        enterprises=enterprises, position=payload.position,
    )  # fmt: skip
    return Status(201, row_item(_rows(event).get(pk=row.pk)))


# --- on the day: check-in and the signing list's confirmation -----------------------------------


class CheckinIn(Input):
    token: str = Field(min_length=1, max_length=500, description="the token of the guest's QR code")


class RowStepIn(Input):
    signed_on: dt.date | None = Field(
        None, description="confirm: the signing date (default the event's)"
    )


def _refused(exc: DjangoValidationError) -> ApiError:
    return ApiError(409, _("The step was refused."), [field_error(None, " ".join(exc.messages))])


def _guest_checked_in(guest: Guest, user: Any) -> dict:
    if guest.status == GuestStatus.CHECKED_IN:
        raise ApiError(
            409,
            _("The step was refused."),
            [field_error(None, _("The guest is checked in already."))],
        )
    try:
        check_step(GUEST_STEPS, "check_in", guest, user)
    except DjangoValidationError as exc:
        raise _refused(exc) from exc
    guest = services.check_in(guest, user)
    return guest_item(Guest.objects.select_related("enterprise").get(pk=guest.pk))


@router.post("/{int:event_id}/checkin", response={200: GuestOut, 409: InvalidOut} | WRITE_ERRORS)
def checkin_by_token(request: HttpRequest, event_id: int, payload: CheckinIn) -> dict:
    """Check in the guest a QR code names (the token the code's URL carries). A forged token,
    or one of another event, is a 404; a guest checked in already a 409."""
    user = caller(request)
    event = access.get_run(user, event_id, write=True)
    guest = services.guest_for_token(event, payload.token)
    if guest is None:
        raise Http404("no such guest")
    return _guest_checked_in(guest, user)


@router.post(
    "/{int:event_id}/guests/{int:guest_id}/checkin",
    response={200: GuestOut, 409: InvalidOut} | WRITE_ERRORS,
)
def checkin_by_hand(request: HttpRequest, event_id: int, guest_id: int) -> dict:
    """Check in a guest from the list (by hand)."""
    user = caller(request)
    event = access.get_run(user, event_id, write=True)
    return _guest_checked_in(access.get_guest(user, event, guest_id), user)


@router.post(
    "/{int:event_id}/signing-list/{int:row_id}/steps/{step}",
    response={200: SigningRowOut, 409: InvalidOut} | WRITE_ERRORS,
)
def take_row_step(
    request: HttpRequest, event_id: int, row_id: int, step: str, payload: RowStepIn
) -> dict:
    """Confirm a row at the ceremony: confirm (拟签 → 已签: the signing is recorded and counts),
    not_signed (拟签 → 未签), replan (未签 → 拟签). A step the row's status does not allow is
    a 409."""
    user = caller(request)
    event = access.get_run(user, event_id, write=True)
    if step not in ROW_STEPS:
        raise Http404("no such step")
    row = access.get_row(user, event, row_id)
    try:
        check_step(ROW_STEPS, step, row, user)
    except DjangoValidationError as exc:
        raise _refused(exc) from exc
    fields = {"signed_on": payload.signed_on} if step == "confirm" else {}
    services.row_step(row, step, user, **fields)
    return row_item(_rows(event).get(pk=row.pk))
