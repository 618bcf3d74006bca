"""Lists to .xlsx the way the bureau's own sheets look: a bold header row that stays put, an
autofilter, typed cells (numbers sum, dates sort), streamed to a temporary file in constant
memory and sent as a download. Each export is a column map plus an iterable of rows."""

import datetime as dt
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import xlsxwriter
from django.http import FileResponse
from django.utils import timezone
from xlsxwriter.workbook import Workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = {"date": "yyyy-mm-dd", "time": "yyyy-mm-dd hh:mm", "amount": "#,##0.00"}


@dataclass(frozen=True)
class Column:
    title: str
    width: float
    get: Callable[[Any], Any]
    kind: str = "text"  # text, int, amount (a number), date, time


def _local(value: Any) -> Any:
    """Excel has no time zones: an aware datetime is written as the local wall time."""
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def write_table(book: Workbook, name: str, columns: list[Column], rows: Iterable[Any]) -> int:
    """One sheet: the header, then a row per item; returns how many rows were written."""
    sheet = book.add_worksheet(name[:31])  # Excel's limit for a sheet name
    head = book.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1})
    formats = {kind: book.add_format({"num_format": f}) for kind, f in FORMATS.items()}
    for col, column in enumerate(columns):
        sheet.set_column(col, col, column.width, formats.get(column.kind))
        sheet.write_string(0, col, column.title, head)
    sheet.freeze_panes(1, 0)
    row = 0
    for row, item in enumerate(rows, start=1):
        for col, column in enumerate(columns):
            value = column.get(item)
            if value is None or value == "":
                continue
            if column.kind in ("date", "time"):
                sheet.write_datetime(row, col, _local(value), formats[column.kind])
            elif column.kind in ("int", "amount"):
                sheet.write_number(row, col, value, formats.get(column.kind))
            else:
                sheet.write_string(row, col, str(value))
    if row:
        sheet.autofilter(0, 0, row, len(columns) - 1)
    return row


def download(filename: str, build: Callable[[Workbook], Any]) -> FileResponse:
    """A workbook that `build` fills, streamed from a temporary file as an attachment."""
    out = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it)
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": False})
    build(book)
    book.close()
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=filename, content_type=XLSX)


def stamp() -> str:
    """The local time for a file name: 20261128-1030."""
    return timezone.localtime().strftime("%Y%m%d-%H%M")
