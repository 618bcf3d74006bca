"""One exporter: the column table's canonical headers over the rows, as .xlsx (core.xlsx), so a
file exported imports back."""

from collections.abc import Iterable
from typing import Any

from django.http import FileResponse
from xlsxwriter.workbook import Workbook

from guanjia.core import xlsx

from .columns import Column, Table


def xlsx_columns(table: Table | Iterable[Column]) -> list[xlsx.Column]:
    """The table's columns as core.xlsx writes them: header, width, getter, cell type."""
    return [
        xlsx.Column(column.canonical, column.width, column.value, column.kind) for column in table
    ]


def write_sheet(book: Workbook, name: str, table: Table, rows: Iterable[Any]) -> int:
    """One sheet of `rows` under the table's headers; returns how many rows were written."""
    return xlsx.write_table(book, name, xlsx_columns(table), rows)


def download(filename: str, name: str, table: Table, rows: Iterable[Any]) -> FileResponse:
    """The rows as an .xlsx attachment (an empty `rows` gives a template to fill in)."""
    return xlsx.download(filename, lambda book: write_sheet(book, name, table, rows))
