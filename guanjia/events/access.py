"""Who sees and changes which events."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.http import Http404

from guanjia.accounts.models import Role, User
from guanjia.accounts.scope import AREA_ROLES, region_path, region_q

from .models import Event, EventQuerySet, Signing


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
        return Event.objects.filter(participants=user.enterprise_id)
    return Event.objects.none()


def can_edit(user: User, event: Event) -> bool:
    if user.is_superuser or user.role == Role.CITY_ADMIN:
        return True
    path = region_path(user)
    return (
        user.role == Role.AREA_OFFICIAL and path is not None and event.region.path.startswith(path)
    )


def get_event(user: User, pk: int, *, write: bool = False) -> Event:
    try:
        event = events_for(user).select_related("region").get(pk=pk)
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
    )


def may_open(user: User) -> bool:
    """Whether the menu shows the events: every signed-in user (each sees their own)."""
    return bool(user.is_authenticated)


def enterprise_events(user: Any, enterprise: Any) -> dict[str, Any]:
    """The enterprise page's events (`enterprises.views.detail_parts`) the user may see."""
    events = events_for(user).filter(participants=enterprise).select_related("region").distinct()
    return {"events": events}
