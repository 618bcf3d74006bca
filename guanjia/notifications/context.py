"""Template context: the unread count for the inbox badge in the page header."""

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .services import unread_count


def unread(request: HttpRequest) -> dict[str, Any]:
    """`unread_notifications`: counted only when a page shows it, and never for a visitor."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}
