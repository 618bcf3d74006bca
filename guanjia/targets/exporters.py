"""Targets against actuals to .xlsx (xlsxwriter): the board's figures and the actuals entered,
the second sheet in the layout the importer reads back."""

import tempfile
from typing import Any

import xlsxwriter
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from guanjia.accounts.models import User
from guanjia.accounts.scope import region_q
from guanjia.core import sheets

from .importers import SHEET, TABLE
from .models import Actual, Indicator
from .periods import Period
from .progress import Book

STATUS = {
    "on_track": gettext_lazy("On track"),
    "lagging": gettext_lazy("Lagging"),
    "no_data": gettext_lazy("No data"),
    "no_target": gettext_lazy("No target"),
}


def _actual_column(key: str, width: float, get: Any, kind: str = "text") -> sheets.Column:
    column = TABLE.by_field[key]
    return sheets.Column(key, column.label, column.header, width=width, get=get, kind=kind)


# The actuals sheet: the importer's columns (so it reads back in), and the unit for the reader.
ACTUALS = sheets.Table(
    [
        _actual_column("indicator", 22, lambda a: a.indicator.name),
        _actual_column("region", 22, lambda a: a.region.name),
        _actual_column("period", 10, lambda a: str(a.period)),
        _actual_column(
            "value", 14, lambda a: float(a.indicator.to_unit(a.value) or 0), kind="amount"
        ),
        sheets.Column(
            "unit", gettext_lazy("Unit"), "单位", width=8, get=lambda a: a.indicator.unit
        ),
        _actual_column("note", 30, lambda a: a.source_note),
    ]
)


def _label(status: str) -> str:
    return str(STATUS[status])


def export_targets(user: User, year: int, regions: list[Any]) -> FileResponse:
    """One row per indicator and region (the city first, then its areas) for the year."""
    today = timezone.localdate()
    out = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it)
    book = xlsxwriter.Workbook(out, {"in_memory": False})
    head = book.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1})
    pct = book.add_format({"num_format": "0.0%"})
    num = book.add_format({"num_format": "#,##0.00"})
    sheet = book.add_worksheet(_("Targets vs actuals")[:31])
    titles = [
        (_("Indicator"), 22), (_("Unit"), 8), (_("Region"), 22), (_("Period"), 8),
        (_("Target"), 14), (_("Actual"), 14), (pgettext("target", "Progress"), 10), (_("Expected"), 10),
        (_("Status"), 10),
    ]  # fmt: skip
    for col, (title, width) in enumerate(titles):
        sheet.set_column(col, col, width)
        sheet.write_string(0, col, title, head)
    sheet.freeze_panes(1, 0)
    row = 0
    period = Period(year)
    indicators = list(Indicator.objects.filter(active=True))
    for indicator in indicators:
        figures = Book(indicator, year)
        as_of = figures.as_of(period, today)
        for region in regions:
            p = figures.progress(region, period, today, as_of)
            row += 1
            sheet.write_string(row, 0, indicator.name)
            sheet.write_string(row, 1, indicator.unit)
            sheet.write_string(row, 2, region.name)
            sheet.write_string(row, 3, str(period))
            if p["target"] is not None:
                sheet.write_number(row, 4, float(p["target"]), num)
            if p["actual"] is not None:
                sheet.write_number(row, 5, float(p["actual"]), num)
            if p["ratio"] is not None:
                sheet.write_number(row, 6, p["ratio"], pct)
            sheet.write_number(row, 7, p["expected"], pct)
            sheet.write_string(row, 8, _label(p["status"]))
    if row:
        sheet.autofilter(0, 0, row, len(titles) - 1)

    rows = (
        Actual.objects.filter(year=year, indicator__in=indicators)
        .filter(region_q(user, "region"))
        .select_related("indicator", "region")
        .order_by("indicator__sort_order", "quarter", "month", "region__path")
    )
    sheets.write_sheet(book, SHEET, ACTUALS, rows)
    book.close()
    out.seek(0)
    return FileResponse(
        out,
        as_attachment=True,
        filename=f"{_('targets')}-{year}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


# The ranking (排名通报): one row per subject, as the page shows it.
RANKING = sheets.Table(
    [
        sheets.Column("rank", gettext_lazy("Rank"), "排名", width=6, kind="int"),
        sheets.Column("name", gettext_lazy("Name"), "名称", width=24),
        sheets.Column("target", gettext_lazy("Target"), "目标", width=12, kind="amount"),
        sheets.Column("actual", gettext_lazy("Actual"), "实际", width=12, kind="amount"),
        sheets.Column(
            "ratio",
            gettext_lazy("Completion"),
            "完成率(%)",
            width=10,
            kind="amount",
            get=lambda r: None if r.ratio is None else round(r.ratio * 100, 1),
        ),
        sheets.Column("change", pgettext_lazy("rank", "Change"), "名次变化", width=10),
    ]
)


def export_ranking(rows: list[Any], target: Any, title: str) -> int:
    """The ranking's rows to an .xlsx file (the sheet kit's fast writer); returns the count."""
    return sheets.write_rows(target, "排名通报", RANKING, rows, title=title)
