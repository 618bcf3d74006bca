"""Unmet guarantees to .xlsx (xlsxwriter), for departments' follow-up lists."""

import tempfile
from typing import Any

import xlsxwriter
from django.db.models import QuerySet
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Guarantee

MAX_ROWS = 100_000


def export_guarantees(qs: QuerySet[Guarantee]) -> FileResponse:
    today = timezone.localdate()
    columns: list[tuple[str, float, Any]] = [
        (_("Project"), 36, lambda g: g.project.name),
        (_("Area"), 12, lambda g: g.project.region.name),
        (_("Guarantee"), 16, lambda g: g.get_kind_display()),
        (_("Status"), 12, lambda g: g.get_status_display()),
        (_("Responsible department"), 16, lambda g: str(g.department or "")),
        (_("Due date"), 12, lambda g: g.due_on.isoformat() if g.due_on else ""),
        (_("Overdue"), 8, lambda g: _("Yes") if g.due_on and g.due_on < today else ""),
        (_("Note"), 36, lambda g: g.note),
    ]
    out = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it)
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": False})
    sheet = book.add_worksheet(_("Unmet guarantees")[:31])
    head = book.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1})
    for col, (title, width, _get) in enumerate(columns):
        sheet.set_column(col, col, width)
        sheet.write_string(0, col, title, head)
    sheet.freeze_panes(1, 0)
    row = 0
    for row, guarantee in enumerate(qs[:MAX_ROWS].iterator(chunk_size=2000), start=1):
        for col, (_t, _w, get) in enumerate(columns):
            value = get(guarantee)
            if value:
                sheet.write_string(row, col, str(value))
    if row:
        sheet.autofilter(0, 0, row, len(columns) - 1)
    book.close()
    out.seek(0)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return FileResponse(
        out,
        as_attachment=True,
        filename=f"{_('guarantees')}-{stamp}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
