"""The stalled lists: which signed projects are not moving, since when, and what holds them."""

import tempfile
from typing import Any

import xlsxwriter
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.accounts.models import User
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
    out = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it)
    book = xlsxwriter.Workbook(out, {"in_memory": False})
    sheet = book.add_worksheet(str(StallKind(kind).label)[:31])
    head = book.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    titles = [_("Project"), _("Enterprise"), _("Region"), _("Since"), _("Days"), _("Limit (days)"),
              _("Steward"), _("Leader in charge"), _("Holding it")]  # fmt: skip
    for col, (title, width) in enumerate(
        zip(titles, [36, 30, 12, 12, 8, 10, 10, 12, 60], strict=True)
    ):
        sheet.set_column(col, col, width)
        sheet.write_string(0, col, title, head)
    for n, row in enumerate(rows, start=1):
        p = row.project
        sheet.write_string(n, 0, p.name)
        sheet.write_string(n, 1, p.enterprise.name)
        sheet.write_string(n, 2, p.region.name)
        if row.since:
            sheet.write_datetime(n, 3, row.since, date)  # type: ignore[arg-type]
        sheet.write_number(n, 4, row.days)
        sheet.write_number(n, 5, row.limit)
        sheet.write_string(n, 6, str(p.steward or ""))
        sheet.write_string(n, 7, str(p.leader or ""))
        sheet.write_string(n, 8, "；".join(row.reasons))
    sheet.freeze_panes(1, 0)
    book.close()
    out.seek(0)
    name = f"{StallKind(kind).label}-{today:%Y%m%d}.xlsx"
    return FileResponse(
        out, as_attachment=True, filename=name,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )  # fmt: skip
