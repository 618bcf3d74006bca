"""One exporter: the column table's canonical headers over the rows, as .xlsx (core.xlsx), so a
file exported imports back.

`write_sheet` / `download` write through xlsxwriter's general path (a few thousand rows);
`write_rows` writes many plain rows fast in constant memory (core.xlsx.PlainRowSheet), for the
lists that run to 100,000 rows. Both take the same `Column`s: header, width, `value(item)`, kind.
"""

import datetime as dt
import os
from collections.abc import Iterable
from decimal import Decimal
from typing import IO, Any

import xlsxwriter
from django.http import FileResponse
from django.utils import timezone
from xlsxwriter.workbook import Workbook

from guanjia.core import xlsx

from .columns import Column, Table

_EXCEL_EPOCH = dt.datetime(1899, 12, 30)  # noqa: DTZ001  (Excel's serials are wall time)
_FORMATS = {
    "amount": "#,##0.00",
    "date": "yyyy-mm-dd",
    "time": "yyyy-mm-dd hh:mm",
    "year": "0",
}


def xlsx_columns(table: Table | Iterable[Column]) -> list[xlsx.Column]:
    """The table's columns as core.xlsx writes them: header, width, getter, cell type."""
    return [
        xlsx.Column(column.canonical, column.width, column.value, column.kind) for column in table
    ]


def write_sheet(
    book: Workbook, name: str, table: Table | Iterable[Column], rows: Iterable[Any]
) -> int:
    """One sheet of `rows` under the table's headers; returns how many rows were written."""
    return xlsx.write_table(book, name, xlsx_columns(table), rows)


def download(
    filename: str, name: str, table: Table | Iterable[Column], rows: Iterable[Any]
) -> FileResponse:
    """The rows as an .xlsx attachment (an empty `rows` gives a template to fill in)."""
    return xlsx.download(filename, lambda book: write_sheet(book, name, table, rows))


def _number(value: Any) -> str:
    """A number as the XML number text: exact, never 1E+4."""
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, float):
        return repr(value)
    return str(int(value))


def _serial(value: dt.date | dt.datetime) -> str:
    """A date or date-time as Excel's serial number (local wall time)."""
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value).replace(tzinfo=None)
        delta = value - _EXCEL_EPOCH
        return repr(delta.days + delta.seconds / 86400)
    return str(value.toordinal() - _EXCEL_EPOCH.toordinal())


def write_rows(
    target: str | os.PathLike[str] | IO[bytes],
    name: str,
    table: Table | Iterable[Column],
    rows: Iterable[Any],
    *,
    title: str = "",
) -> int:
    """A one-sheet workbook of `rows` under the table's headers, written fast in constant
    memory (each cell by its column's kind: text, int, amount, year, date, time); returns the
    number of rows. A text cell is always a string, never a formula."""
    columns = list(table)
    book = xlsxwriter.Workbook(
        os.fspath(target) if isinstance(target, str | os.PathLike) else target,
        {"constant_memory": True, "strings_to_numbers": False, "strings_to_urls": False},
    )
    book.set_properties({"title": title or name, "created": timezone.now().replace(tzinfo=None)})
    sheet = book.add_worksheet(name[:31], worksheet_class=xlsx.PlainRowSheet)
    assert isinstance(sheet, xlsx.PlainRowSheet)
    header = book.add_format({"bold": True, "bg_color": "#F0F4F8", "border": 1})
    # In constant_memory mode the formats exist before any row; cells refer to them by index.
    xf = {kind: book.add_format({"num_format": f})._get_xf_index() for kind, f in _FORMATS.items()}
    for index, column in enumerate(columns):
        sheet.set_column(index, index, column.width)
        sheet.write_string(0, index, column.canonical, header)
    count = 0
    for count, item in enumerate(rows, start=1):
        cells: list[tuple[int, bool, str, int]] = []
        for index, column in enumerate(columns):
            value = column.value(item)
            if value is None or value == "":
                continue
            if column.kind in ("date", "time"):
                cells.append((index, False, _serial(value), xf[column.kind]))
            elif column.kind in ("int", "amount", "year"):
                cells.append((index, False, _number(value), xf.get(column.kind, 0)))
            else:
                cells.append((index, True, str(value)[: xlsx.MAX_CELL_TEXT], 0))
        sheet.write_plain_row(count, cells)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(count, 1), len(columns) - 1)
    book.close()
    return count
