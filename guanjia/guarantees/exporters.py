"""Unmet guarantees to .xlsx, for departments' follow-up lists."""

from django.db.models import QuerySet
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.core.xlsx import Column, download, stamp, write_table

from .models import Guarantee

MAX_ROWS = 100_000


def export_guarantees(qs: QuerySet[Guarantee]) -> FileResponse:
    today = timezone.localdate()
    columns = [
        Column(_("Project"), 36, lambda g: g.project.name),
        Column(_("Area"), 12, lambda g: g.project.region.name),
        Column(_("Guarantee"), 16, lambda g: g.get_kind_display()),
        Column(_("Status"), 12, lambda g: g.get_status_display()),
        Column(_("Responsible department"), 16, lambda g: g.department),
        Column(_("Due date"), 12, lambda g: g.due_on, "date"),
        Column(_("Overdue"), 8, lambda g: _("Yes") if g.due_on and g.due_on < today else ""),
        Column(_("Note"), 36, lambda g: g.note),
    ]
    rows = qs[:MAX_ROWS].iterator(chunk_size=2000)
    return download(
        f"{_('guarantees')}-{stamp()}.xlsx",
        lambda book: write_table(book, _("Unmet guarantees"), columns, rows),
    )
