"""The inbox: a user's own notifications, newest first; opening one marks it read."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from guanjia.accounts.typing import AuthedRequest

from . import access, services, sms
from .forms import ChannelsForm

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


@login_required
def channels_page(request: AuthedRequest) -> HttpResponse:
    """The user's own channels: which kinds go by SMS (and to which phone), and which to their
    department's or area's group robot. Email and the inbox stay as they are."""
    row = services.channel_settings(request.user)
    saved = False
    if request.method == "POST":
        form = ChannelsForm(request.POST)
        if form.is_valid():
            try:
                services.save_channel_settings(
                    request.user,
                    phone=form.cleaned_data["sms_phone"],
                    sms_kinds=form.cleaned_data["sms_kinds"],
                    robot_kinds=form.cleaned_data["robot_kinds"],
                )
            except services.ChannelSettingsError as exc:
                for field, message in exc.errors.items():
                    form.add_error(field, message)
            else:
                return redirect(reverse("notifications:channels") + "?saved=1")
        status = 400
    else:
        form = ChannelsForm(initial=ChannelsForm.initial_for(row))
        saved = request.GET.get("saved") == "1"
        status = 200
    context = {"form": form, "saved": saved, "sms_on": sms.configured()}
    return render(request, "notifications/channels.html", context, status=status)
