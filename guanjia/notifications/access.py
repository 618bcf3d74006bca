"""Whose notifications a user sees: their own, and no one else's (another's is 404)."""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from .models import Notification


def notifications_for(user: Any) -> QuerySet[Notification]:
    """The user's own inbox."""
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user)


def get_notification(user: Any, pk: int) -> Notification:
    """One of the user's own notifications (else 404: others' are not revealed)."""
    try:
        return notifications_for(user).get(pk=pk)
    except (Notification.DoesNotExist, ValueError, TypeError):
        raise Http404("no such notification") from None


def may_open(user: Any) -> bool:
    """Every signed-in user has an inbox."""
    return bool(getattr(user, "is_authenticated", False))
