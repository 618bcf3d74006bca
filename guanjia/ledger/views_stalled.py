"""The stalled lists: which signed projects are not moving, since when, and what holds them."""

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.accounts.models import User
from guanjia.core.xlsx import Column, download, write_table
from guanjia.projects import access as project_access
from guanjia.projects import stalled
from guanjia.projects.models import StallKind


def _kind(request: HttpRequest) -> str:
    kind = request.GET.get("kind", "")
    return kind if kind in StallKind.values else StallKind.SIGNED_NOT_REGISTERED


def _projects(user: User, kind: str) -> Any:
    return stalled.stalled(
        project_access.projects_for(user), kind, timezone.localdate()
    ).select_related("enterprise", "region", "steward", "leader")


@login_required
def stalled_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    kind = _kind(request)
    today = timezone.localdate()
    page = Paginator(_projects(user, kind), settings.GUANJIA_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    counts = {
        k: stalled.stalled(project_access.projects_for(user), k, today).count()
        for k in StallKind.values
    }
    context = {
        "kind": kind,
        "tabs": [(k, label, counts[k]) for k, label in StallKind.choices],
        "page": page,
        "rows": stalled.rows(list(page.object_list), kind, today),
    }
    return render(request, "ledger/stalled_list.html", context)


@login_required
def stalled_export(request: HttpRequest) -> FileResponse:
    user: User = request.user  # type: ignore[assignment]
    kind = _kind(request)
    today = timezone.localdate()
    rows = stalled.rows(list(_projects(user, kind)[:20000]), kind, today)
    columns = [
        Column(_("Project"), 36, lambda r: r.project.name),
        Column(_("Enterprise"), 30, lambda r: r.project.enterprise.name),
        Column(_("Region"), 12, lambda r: r.project.region.name),
        Column(_("Since"), 12, lambda r: r.since, "date"),
        Column(_("Days"), 8, lambda r: r.days, "int"),
        Column(_("Limit (days)"), 10, lambda r: r.limit, "int"),
        Column(_("Steward"), 10, lambda r: r.project.steward or ""),
        Column(_("Leader in charge"), 12, lambda r: r.project.leader or ""),
        Column(_("Holding it"), 60, lambda r: "；".join(r.reasons)),
    ]
    label = str(StallKind(kind).label)
    return download(
        f"{label}-{today:%Y%m%d}.xlsx", lambda book: write_table(book, label, columns, rows)
    )
