"""Exporting the ledger to .xlsx: a column map plus a row function, streamed in constant memory.

The headers are the importer's canonical names, so an exported ledger imports back as it is
(every row then a duplicate). Amounts are numbers in 万元 with a number format and dates are
dates, so the file sums and sorts in Excel.
"""

import datetime as dt
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

import xlsxwriter
from django.utils import timezone

from guanjia.core.xlsx import MAX_CELL_TEXT, PlainRowSheet
from guanjia.projects.models import ProjectQuerySet

from .importers import BY_KEY, LEVEL_NAMES, stage_name

CHUNK = 2000


@dataclass(frozen=True)
class ExportColumn:
    key: str  # an importer column key: the header comes from there
    values: tuple[str, ...]  # the values_list fields this column reads
    kind: str  # text, amount, date, year
    width: float
    render: Callable[..., Any] | None = None

    @property
    def header(self) -> str:
        return BY_KEY[self.key].canonical


def _person(display_name: str | None, username: str | None) -> str:
    return display_name or username or ""


COLUMNS: tuple[ExportColumn, ...] = (
    ExportColumn("name", ("name",), "text", 36),
    ExportColumn("enterprise", ("enterprise__name",), "text", 32),
    ExportColumn("credit_code", ("enterprise__credit_code",), "text", 21),
    ExportColumn("region", ("region__name",), "text", 14),
    ExportColumn("industry", ("industry__name",), "text", 16),
    ExportColumn("level", ("level",), "text", 9, lambda v: LEVEL_NAMES.get(v, v)),
    ExportColumn("stage", ("stage",), "text", 10, lambda v: stage_name(v) if v else ""),
    ExportColumn("total_investment_wan", ("total_investment_wan",), "amount", 15),
    ExportColumn("plan_year", ("plan_year",), "year", 9),
    ExportColumn("planned_investment_year_wan", ("planned_investment_year_wan",), "amount", 18),
    ExportColumn("completed_investment_year_wan", ("completed_investment_year_wan",), "amount", 18),
    ExportColumn("funds_in_place_wan", ("funds_in_place_wan",), "amount", 15),
    ExportColumn("signed_on", ("signed_on",), "date", 12),
    ExportColumn("construction_on", ("construction_on",), "date", 12),
    ExportColumn("operation_on", ("operation_on",), "date", 12),
    ExportColumn("steward", ("steward__display_name", "steward__username"), "text", 12, _person),
    ExportColumn("leader", ("leader__display_name", "leader__username"), "text", 12, _person),
    ExportColumn("task_force", ("task_force",), "text", 16),
    ExportColumn("construction_content", ("construction_content",), "text", 48),
    ExportColumn("withdrawn_reason", ("withdrawn_reason",), "text", 20),
)

_EXCEL_EPOCH = dt.date(1899, 12, 30).toordinal()


def export_projects(qs: ProjectQuerySet, file_or_path: str | os.PathLike[str] | IO[bytes]) -> int:
    """Write the projects of `qs` (in its order) to an .xlsx file; returns the row count."""
    target = (
        os.fspath(file_or_path) if isinstance(file_or_path, str | os.PathLike) else file_or_path
    )
    workbook = xlsxwriter.Workbook(
        target, {"constant_memory": True, "strings_to_numbers": False, "strings_to_urls": False}
    )
    workbook.set_properties({"title": "项目台账", "created": timezone.now().replace(tzinfo=None)})
    sheet = workbook.add_worksheet("项目台账", worksheet_class=PlainRowSheet)
    assert isinstance(sheet, PlainRowSheet)
    header = workbook.add_format(
        {"bold": True, "bg_color": "#F0F4F8", "border": 1, "text_wrap": True, "valign": "vcenter"}
    )
    formats = {
        "amount": workbook.add_format({"num_format": "#,##0.00"}),
        "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
        "year": workbook.add_format({"num_format": "0"}),
    }
    for index, column in enumerate(COLUMNS):
        sheet.set_column(index, index, column.width)
    # Column formats are set before any row in constant_memory mode; the xf indexes are fixed
    # once the formats exist, so each cell refers to its format by index.
    xf = {kind: fmt._get_xf_index() for kind, fmt in formats.items()}
    sheet.set_row(0, 30)
    for index, column in enumerate(COLUMNS):
        sheet.write_string(0, index, column.header, header)
    fields = [f for column in COLUMNS for f in column.values]
    plan = _row_plan(xf)
    count = 0
    for count, values in enumerate(_stream(qs, fields), start=1):
        sheet.write_plain_row(count, plan(values))
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(count, 1), len(COLUMNS) - 1)
    workbook.close()
    return count


def _stream(qs: ProjectQuerySet, fields: list[str]) -> Iterable[tuple[Any, ...]]:
    """Rows as tuples, fetched 2,000 at a time: no model instances, memory stays flat."""
    return qs.values_list(*fields).iterator(chunk_size=CHUNK)


Cells = list[tuple[int, bool, str, int]]


def _row_plan(xf: dict[str, int]) -> Callable[[tuple[Any, ...]], Cells]:
    """Build the row function once: for each column, where its values sit and how to write it."""
    steps: list[tuple[int, int, int, str, Callable[..., Any] | None]] = []
    position = 0
    for index, column in enumerate(COLUMNS):
        width = len(column.values)
        steps.append((index, position, width, column.kind, column.render))
        position += width

    def plan(values: tuple[Any, ...]) -> Cells:
        cells: Cells = []
        for index, start, width, kind, render in steps:
            value = render(*values[start : start + width]) if render else values[start]
            if value is None or value == "":
                continue
            if kind == "text":
                cells.append((index, True, str(value)[:MAX_CELL_TEXT], 0))
            elif kind == "amount":
                cells.append((index, False, _number(value), xf["amount"]))
            elif kind == "date":
                cells.append((index, False, str(value.toordinal() - _EXCEL_EPOCH), xf["date"]))
            else:
                cells.append((index, False, str(int(value)), xf["year"]))
        return cells

    return plan


def _number(value: Decimal) -> str:
    """A Decimal as the XML number text: exact, never 1E+4."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def export_filename(today: dt.date | None = None) -> str:
    """项目台账-20240501.xlsx"""
    return f"项目台账-{(today or timezone.localdate()):%Y%m%d}.xlsx"
