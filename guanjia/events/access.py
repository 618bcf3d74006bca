"""Who sees and changes which events."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.http import Http404

from guanjia.accounts.models import Role, User
from guanjia.accounts.scope import AREA_ROLES, region_path, region_q

from .models import Event, EventQuerySet, Guest, Signing, SigningListRow


def events_for(user: User) -> EventQuerySet:
    """Events hosted in the user's area or where their area signed; an enterprise's own events."""
    if not user.is_authenticated or not user.is_active:
        return Event.objects.none()
    if user.is_superuser or (user.role in AREA_ROLES and region_path(user) is None):
        return Event.objects.all()
    if user.role in AREA_ROLES or (user.role == Role.STEWARD and user.region_id):
        signed_here = Exists(
            Signing.objects.filter(region_q(user, "government"), event=OuterRef("pk"))
        )
        return Event.objects.filter(region_q(user, "region") | Q(signed_here))
    if user.role == Role.ENTERPRISE and user.enterprise_id:
        invited = Exists(Guest.objects.filter(event=OuterRef("pk"), enterprise=user.enterprise_id))
        return Event.objects.filter(Q(participants=user.enterprise_id) | Q(invited)).distinct()
    return Event.objects.none()


def can_edit(user: User, event: Event) -> bool:
    if user.is_superuser or user.role == Role.CITY_ADMIN:
        return True
    path = region_path(user)
    return (
        user.role == Role.AREA_OFFICIAL and path is not None and event.region.path.startswith(path)
    )


def get_event(user: User, pk: int, *, write: bool = False, figures: bool = False) -> Event:
    """The event if the user sees it (else 404); with `figures`, its headline figures
    annotated in the same query (`EventQuerySet.with_figures`)."""
    events = events_for(user).select_related("region")
    try:
        event = (events.with_figures() if figures else events).get(pk=pk)
    except (Event.DoesNotExist, ValueError, TypeError):
        raise Http404("no such event") from None
    if write and not can_edit(user, event):
        raise PermissionDenied("you may read this event but not change it")
    return event


def referenceable_events(user: User) -> EventQuerySet:
    """Events the user may name on a write (a signing's event): those they see."""
    return events_for(user)


def enterprise_tie(user: User) -> Q | None:
    """Enterprises an event ties to an area user (registered in `enterprises.access.ties`):
    those taking part in an event in the user's region."""
    if user.role not in AREA_ROLES:
        return None
    return Q(
        Exists(
            Event.participants.through.objects.filter(
                region_q(user, "event__region"), enterprise=OuterRef("pk")
            )
        )
    ) | Q(Exists(Guest.objects.filter(region_q(user, "event__region"), enterprise=OuterRef("pk"))))


def may_open(user: User) -> bool:
    """Whether the menu shows the events: every signed-in user (each sees their own)."""
    return bool(user.is_authenticated)


def enterprise_events(user: Any, enterprise: Any) -> dict[str, Any]:
    """The enterprise page's events (`enterprises.views.detail_parts`) the user may see."""
    events = events_for(user).filter(participants=enterprise).select_related("region").distinct()
    return {"events": events}


# --- running an event: planning, the guest list, check-in, the signing list ----------------
#
# | role                         | plan, guests, check-in, signing list | guest list, printables |
# |------------------------------|--------------------------------------|------------------------|
# | city admin (bureau staff)    | every event                          | every event            |
# | area official                | events hosted in their area          | events they see        |
# | steward, handler, leader     | —                                    | events they see        |
# | enterprise contact           | —                                    | — (own invitation only)|


def can_create(user: User) -> bool:
    """Bureau staff and area officials plan events (in the regions they work in)."""
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.role in (Role.CITY_ADMIN, Role.AREA_OFFICIAL))
    )


def can_manage(user: User, event: Event) -> bool:
    """Who plans, invites, checks in and confirms signings: `can_edit` (the bureau and the
    organising area's officials)."""
    return bool(user.is_active) and can_edit(user, event)


def can_see_guests(user: User, event: Event) -> bool:
    """The guest list, the signing list and the printables: staff who see the event. An
    enterprise contact sees nothing of other enterprises (only its own invitation)."""
    return user.role != Role.ENTERPRISE


def get_run(user: User, pk: int, *, write: bool = False) -> Event:
    """An event for its guest and signing lists: 404 to those who may not see them (an
    enterprise contact included, like a missing event), 403 to readers on writes."""
    event = get_event(user, pk)
    if not can_see_guests(user, event):
        raise Http404("no such event")
    if write and not can_manage(user, event):
        raise PermissionDenied("you may read this event but not run it")
    return event


def own_invitation(user: User, event: Event) -> Guest | None:
    """An enterprise contact's own invitation to the event, if any."""
    if user.role != Role.ENTERPRISE or not user.enterprise_id:
        return None
    return Guest.objects.filter(event=event, enterprise=user.enterprise_id).first()


def get_guest(user: User, event: Event, pk: int) -> Guest:
    try:
        return Guest.objects.select_related("enterprise").get(event=event, pk=pk)
    except (Guest.DoesNotExist, ValueError, TypeError):
        raise Http404("no such guest") from None


def get_row(user: User, event: Event, pk: int) -> SigningListRow:
    try:
        return SigningListRow.objects.select_related("project", "government").get(
            event=event, pk=pk
        )
    except (SigningListRow.DoesNotExist, ValueError, TypeError):
        raise Http404("no such row") from None


def may_run_guest(user: User, guest: Guest) -> bool:
    """The people side of a guest's steps (RSVP, check-in)."""
    return can_manage(user, guest.event)


def may_run_row(user: User, row: SigningListRow) -> bool:
    """The people side of a signing list row's steps (confirm at the ceremony)."""
    return can_manage(user, row.event)


def may_run_event(user: User, event: Event) -> bool:
    return can_manage(user, event)


# --- follow-through (履约) -------------------------------------------------------------------
#
# | role                              | an event's follow-through, the cockpit's rates         |
# |-----------------------------------|--------------------------------------------------------|
# | city admin, leader (whole city)   | every signing of the events they see                   |
# | area official, steward, handler   | the signings of their own area (signing government)    |
# | enterprise contact                | nothing                                                |


def followthrough_scope(user: User) -> Q | None:
    """The signings whose follow-through the user reads (a Q on Signing), or None for none:
    whoever may read the event reads it, an area user only their area's signings."""
    if not user.is_authenticated or not user.is_active or user.role == Role.ENTERPRISE:
        return None
    if user.is_superuser:
        return Q()
    return region_q(user, "government")
