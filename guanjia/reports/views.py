"""The report pages: list, generate now, download, and the calendar feed. Thin: the rules
live in `access` and `services`."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanjia.accounts.typing import AuthedRequest
from guanjia.core.audit import record
from guanjia.core.files import Served, serving_view
from guanjia.core.models import AuditAction
from guanjia.core.views import is_htmx

from . import access, calendar, services
from .forms import GenerateForm, ReportFilterForm
from .models import FORMATS, CalendarFeed, ReportStatus


@login_required
@require_GET
def report_list(request: AuthedRequest) -> HttpResponse:
    access.require_reader(request.user)
    form = ReportFilterForm(request.user, request.GET)
    qs = form.apply(access.reports_for(request.user)).select_related("region", "created_by")
    page = Paginator(qs, settings.GUANJIA_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "filtered": form.filtered,
        "pending": any(r.is_pending for r in page.object_list),
        "generate_form": GenerateForm(request.user) if access.may_generate(request.user) else None,
        "formats": FORMATS,
    }
    template = "reports/_results.html" if is_htmx(request) else "reports/list.html"
    return render(request, template, context)


@login_required
@require_POST
def generate(request: AuthedRequest) -> HttpResponse:
    access.require_generator(request.user)
    form = GenerateForm(request.user, request.POST)
    if not form.is_valid():
        problems = "; ".join(
            f"{form[k].label}: {' '.join(str(m) for m in v)}" for k, v in form.errors.items()
        )
        messages.error(request, _("Not generated: %(why)s") % {"why": problems})
        return redirect("reports:list")
    report, queued = services.request_report(
        request.user,
        form.cleaned_data["kind"],
        form.cleaned_data["day"],
        form.region(),
    )  # in the bureau's language (settings.LANGUAGE_CODE), whatever the asker's
    if queued:
        messages.success(request, _("%(report)s is being generated.") % {"report": report})
    else:
        messages.info(request, _("%(report)s is already being generated.") % {"report": report})
    return redirect("reports:list")


def _download(request: AuthedRequest, pk: int, fmt: str) -> Served:
    """A finished report's file in one format, to whoever may read the report (always a
    download: the kind is the format, the system made the file)."""
    report = access.get_report(request.user, pk)
    if fmt not in FORMATS or report.status != ReportStatus.DONE or not getattr(report, fmt):
        raise Http404("no such file")
    return Served(getattr(report, fmt), report.file_name(fmt), kind=fmt)


download = serving_view(_download, methods=["GET"])


@login_required
@require_http_methods(["GET", "POST"])
def calendar_page(request: AuthedRequest) -> HttpResponse:
    """The user's feed address; POST replaces it (the old address stops working)."""
    access.require_reader(request.user)
    feed, _created = CalendarFeed.objects.get_or_create(user=request.user)
    if request.method == "POST":
        feed.renew()
        record(request.user, AuditAction.UPDATE, feed, note="calendar address renewed")
        messages.success(request, _("A new calendar address was made; the old one stops working."))
        return redirect("reports:calendar")
    url = request.build_absolute_uri(reverse("reports:calendar_feed") + f"?token={feed.token}")
    return render(request, "reports/calendar.html", {"feed_url": url})


@require_GET
def calendar_feed(request: HttpRequest) -> HttpResponse:
    """The iCalendar feed, authenticated by the secret token in its address."""
    token = request.GET.get("token", "")
    feed = (
        CalendarFeed.objects.select_related("user", "user__region").filter(token=token).first()
        if token
        else None
    )
    if feed is None or not feed.user.is_active:
        raise Http404("no such calendar")
    if not access.may_read(feed.user):
        raise PermissionDenied("no calendar for this role")
    response = HttpResponse(calendar.feed(feed.user), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    response["Content-Disposition"] = 'inline; filename="guanjia.ics"'
    return response
