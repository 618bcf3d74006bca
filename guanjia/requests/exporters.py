"""The request ledger to .xlsx (xlsxwriter, constant memory), as the bureau's 诉求台账."""

import datetime as dt
import tempfile
from typing import Any

import xlsxwriter
from django.db.models import QuerySet
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.accounts.models import Role, User

from .models import Priority, Rating, ServiceRequest, Status

MAX_ROWS = 200_000


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


def export_requests(qs: QuerySet[ServiceRequest], user: User) -> FileResponse:
    statuses, priorities, ratings = (
        dict(Status.choices),
        dict(Priority.choices),
        dict(Rating.choices),
    )
    columns: list[tuple[str, str, float, Any]] = [
        (_("Number"), "text", 16, lambda r: r["number"]),
        (_("Submitted"), "time", 17, lambda r: _local(r["submitted_at"])),
        (_("Enterprise"), "text", 30, lambda r: r["enterprise__name"]),
        (_("Area"), "text", 12, lambda r: r["region__name"]),
        (_("Category"), "text", 14, lambda r: r["category__name"]),
        (_("Priority"), "text", 8, lambda r: str(priorities.get(r["priority"], r["priority"]))),
        (_("Title"), "text", 36, lambda r: r["title"]),
        (_("Status"), "text", 10, lambda r: str(statuses.get(r["status"], r["status"]))),
        (
            _("Steward"),
            "text",
            10,
            lambda r: r["steward__display_name"] or r["steward__username"] or "",
        ),
        (
            _("Assigned to"),
            "text",
            10,
            lambda r: r["assignee__display_name"] or r["assignee__username"] or "",
        ),
        (_("Department"), "text", 14, lambda r: r["department__name"] or ""),
        (_("Dispatched"), "time", 17, lambda r: _local(r["dispatched_at"])),
        (_("Resolve by"), "time", 17, lambda r: _local(r["resolve_due_at"])),
        (_("Answered"), "time", 17, lambda r: _local(r["replied_at"])),
        (
            _("On time"),
            "text",
            8,
            lambda r: "" if r["on_time"] is None else (_("Yes") if r["on_time"] else _("No")),
        ),
        (_("Escalation level"), "int", 8, lambda r: r["escalation_level"]),
        (_("Rating"), "text", 10, lambda r: str(ratings.get(r["rating"], r["rating"] or ""))),
        (_("Times reopened"), "int", 8, lambda r: r["reopen_count"]),
    ]
    fields = [
        "number", "submitted_at", "enterprise__name", "region__name", "category__name", "priority",
        "title", "status", "steward__display_name", "steward__username", "assignee__display_name",
        "assignee__username", "department__name", "dispatched_at", "resolve_due_at", "replied_at",
        "on_time", "escalation_level", "rating", "reopen_count",
    ]  # fmt: skip
    if user.role == Role.ENTERPRISE:
        columns = [c for c in columns if c[0] not in (_("Escalation level"),)]
    out = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it)
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": False})
    sheet = book.add_worksheet(_("Requests")[:31])
    head = book.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1})
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for col, (title, kind, width, _f) in enumerate(columns):
        sheet.set_column(col, col, width, when if kind == "time" else None)
        sheet.write_string(0, col, title, head)
    sheet.freeze_panes(1, 0)
    row = 0
    rows = qs.values(*fields)[:MAX_ROWS].iterator(chunk_size=2000)
    for row, record in enumerate(rows, start=1):
        for col, (_t, kind, _w, get) in enumerate(columns):
            value = get(record)
            if value is None or value == "":
                continue
            if kind == "time":
                sheet.write_datetime(row, col, value, when)
            elif kind == "int":
                sheet.write_number(row, col, value)
            else:
                sheet.write_string(row, col, str(value))
    if row:
        sheet.autofilter(0, 0, row, len(columns) - 1)
    book.close()
    out.seek(0)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return FileResponse(
        out,
        as_attachment=True,
        filename=f"{_('requests')}-{stamp}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
