"""The inbox: a user's own notifications, newest first; opening one marks it read."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from guanjia.accounts.typing import AuthedRequest

from . import access, services

SHOW_CHOICES = ("all", "unread")


@login_required
def inbox(request: AuthedRequest) -> HttpResponse:
    show = request.GET.get("show")
    if show not in SHOW_CHOICES:
        show = "all"
    qs = access.notifications_for(request.user).order_by("-created_at", "-id")
    if show == "unread":
        qs = qs.filter(read_at__isnull=True)
    page = Paginator(qs, settings.GUANJIA_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page": page, "show": show})


@login_required
def open_notification(request: AuthedRequest, pk: int) -> HttpResponse:
    """Mark the notification read and go where it points (only to a path on this site)."""
    notification = access.get_notification(request.user, pk)
    services.mark_read(request.user, [notification.pk])
    if _is_local_path(request, notification.url):
        return redirect(notification.url)
    return redirect("notifications:inbox")


@require_POST
@login_required
def mark_all_read(request: AuthedRequest) -> HttpResponse:
    services.mark_read(request.user)
    return redirect("notifications:inbox")


def _is_local_path(request: HttpRequest, url: str) -> bool:
    """A path on this site: "/projects/5/" yes; "//evil.example", "/\\evil", "https://..." no."""
    return (
        url.startswith("/")
        and not url.startswith("//")
        and url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    )
