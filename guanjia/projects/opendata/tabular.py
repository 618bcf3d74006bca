"""The public projects as CSV: one row a project, the columns the portal shows.

Cells that a spreadsheet would read as a formula (=, +, -, @, tab, CR at the start) are
prefixed with an apostrophe, as the Excel exports are kept formula-safe."""

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet

from guanjia.projects.models import Project

from . import oc4ids

COLUMNS = ("id", "title", "area", "area_code", "industry", "stage", "oc4ids_status",
           "total_investment_wan", "signed_on", "construction_on", "operation_on",
           "updated")  # fmt: skip
FIELDS = ("id", "name", "region__name", "region__code", "industry__name", "stage",
          "total_investment_wan", "signed_on", "construction_on", "operation_on",
          "updated_at")  # fmt: skip
RISKY = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return "'" + text if text.startswith(RISKY) else text


def rows(projects: QuerySet[Project]) -> Iterator[list[str]]:
    yield list(COLUMNS)
    for r in projects.order_by("pk").values_list(*FIELDS).iterator(chunk_size=2000):
        pk, name, area, code, industry, stage, wan, signed, started, operating, updated = r
        yield [_cell(v) for v in (
            oc4ids.project_id(pk), name, area, code, industry, stage, oc4ids.STATUS[stage],
            f"{wan.normalize():f}" if wan is not None else None, signed, started, operating, updated,
        )]  # fmt: skip


def lines(projects: QuerySet[Project]) -> Iterable[str]:
    """The CSV text, line by line (for a streaming response), with a BOM first so that Excel
    reads the Chinese as UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    yield "\ufeff"
    for row in rows(projects):
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
