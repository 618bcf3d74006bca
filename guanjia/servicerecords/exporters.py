"""Excel out: the list of services (streamed, re-importable) and the figures of a period."""

import datetime as dt
import io
import os
from dataclasses import replace
from typing import IO, Any

import xlsxwriter
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanjia.core import sheets

from .figures import AreaRow, RateRow, StewardRow, Totals
from .importers import BY_KEY, kind_word
from .models import ServiceRecord

CHUNK = 2000
_EXCEL_EPOCH = dt.date(1899, 12, 30).toordinal()


def _person(display_name: str | None, username: str | None) -> str:
    return display_name or username or ""


def _text(*fields: str) -> Any:
    return lambda row: row[fields[0]]


# The list's columns: the importer's headers (importers.TABLE), so an exported list imports back
# (every row then already recorded and skipped), and two the importer ignores on purpose.
LIST_COLUMNS: tuple[sheets.Column, ...] = (
    replace(BY_KEY["date"], width=12, kind="date", get=_text("date")),
    replace(
        BY_KEY["steward"],
        width=12,
        get=lambda r: _person(r["steward__display_name"], r["steward__username"]),
    ),
    replace(BY_KEY["enterprise"], width=32, get=_text("enterprise__name")),
    replace(BY_KEY["credit_code"], width=21, get=_text("enterprise__credit_code")),
    replace(BY_KEY["project"], width=28, get=_text("project__name")),
    replace(BY_KEY["kind"], width=10, get=_text("kind"), show=kind_word),
    replace(BY_KEY["summary"], width=60, get=_text("summary")),
    replace(BY_KEY["problems"], width=10, kind="int", get=_text("problems_solved")),
    sheets.Column("region", gettext_lazy("Area"), "所属地区", width=12, get=_text("region__name")),
    sheets.Column(
        "request", gettext_lazy("Request"), "诉求编号", width=16, get=_text("request__number")
    ),
)
LIST_FIELDS = (
    "date", "steward__display_name", "steward__username", "enterprise__name",
    "enterprise__credit_code", "project__name", "kind", "summary", "problems_solved",
    "region__name", "request__number",
)  # fmt: skip


def export_records(qs: QuerySet[ServiceRecord], target: str | os.PathLike[str] | IO[bytes]) -> int:
    """Write the records of `qs` (in its order) as .xlsx in constant memory; returns the rows."""
    rows = qs.values(*LIST_FIELDS).iterator(chunk_size=CHUNK)
    return sheets.write_rows(target, "服务记录", LIST_COLUMNS, rows)


def records_filename(today: dt.date | None = None) -> str:
    return f"服务记录-{(today or timezone.localdate()):%Y%m%d}.xlsx"


def figures_filename(start: dt.date, end: dt.date) -> str:
    return f"服务统计-{start:%Y%m%d}-{end:%Y%m%d}.xlsx"


def export_figures(
    stewards: list[StewardRow],
    areas: list[AreaRow],
    total: Totals,
    start: dt.date,
    end: dt.date,
    scope_name: str = "",
    rates: tuple[list[RateRow], RateRow] | None = None,
) -> bytes:
    """The figures page as a workbook: summary, one sheet per steward row and per area row,
    and the intake and reply figures (the 12345 rates) when given."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    bold = workbook.add_format(
        {"bold": True, "bg_color": "#F0F4F8", "border": 1, "text_wrap": True}
    )
    percent = workbook.add_format({"num_format": "0.0%"})
    title = workbook.add_format({"bold": True, "font_size": 13})

    summary = workbook.add_worksheet(_("Summary")[:31])
    summary.set_column(0, 0, 28)
    summary.set_column(1, 1, 16)
    summary.write_string(0, 0, _("Direct-line service figures"), title)
    summary.write_string(1, 0, _("Period"))
    summary.write_string(1, 1, f"{start:%Y-%m-%d} – {end:%Y-%m-%d}")
    if scope_name:
        summary.write_string(2, 0, _("Area"))
        summary.write_string(2, 1, scope_name)
    lines: list[tuple[str, Any]] = [
        (_("Active stewards"), total.active_stewards),
        (_("Stewards who served"), total.stewards_serving),
        (_("Services"), total.services),
        (_("Problems solved"), total.problems_solved),
        (_("Enterprises served"), total.enterprises),
        (_("Requests handled"), total.requests_handled),
        (_("On-time rate"), total.on_time_rate),
        (_("Satisfaction rate"), total.satisfaction_rate),
    ]
    for row, (label, value) in enumerate(lines, start=4):
        summary.write_string(row, 0, label)
        if value is None:
            summary.write_string(row, 1, "—")
        elif isinstance(value, float):
            summary.write_number(row, 1, value, percent)
        else:
            summary.write_number(row, 1, value)

    figure_headers = [
        _("Services"),
        _("Problems solved"),
        _("Enterprises served"),
        _("Requests handled"),
        _("On-time rate"),
        _("Satisfaction rate"),
    ]

    def write_figures(sheet: Any, row: int, column: int, item: Any) -> None:
        sheet.write_number(row, column, item.services)
        sheet.write_number(row, column + 1, item.problems_solved)
        sheet.write_number(row, column + 2, item.enterprises)
        sheet.write_number(row, column + 3, item.requests_handled)
        for offset, rate in ((4, item.on_time_rate), (5, item.satisfaction_rate)):
            if rate is None:
                sheet.write_blank(row, column + offset, None)
            else:
                sheet.write_number(row, column + offset, rate, percent)

    sheet = workbook.add_worksheet(_("Stewards")[:31])
    headers = [_("Steward"), _("Username"), _("Area"), *figure_headers]
    for column, text in enumerate(headers):
        sheet.write_string(0, column, text, bold)
    sheet.set_column(0, 2, 14)
    sheet.set_column(3, len(headers) - 1, 11)
    for row, item in enumerate(stewards, start=1):
        person = item.steward
        sheet.write_string(row, 0, str(person))
        sheet.write_string(row, 1, person.username)
        sheet.write_string(row, 2, person.region.name if person.region else "")
        write_figures(sheet, row, 3, item)
    sheet.freeze_panes(1, 1)
    if stewards:
        sheet.autofilter(0, 0, len(stewards), len(headers) - 1)

    if areas:
        sheet = workbook.add_worksheet(_("Areas")[:31])
        headers = [_("Area"), _("Active stewards"), *figure_headers]
        for column, text in enumerate(headers):
            sheet.write_string(0, column, text, bold)
        sheet.set_column(0, 0, 20)
        sheet.set_column(1, len(headers) - 1, 11)
        for row, area in enumerate(areas, start=1):
            name = area.region.name
            if area.direct:
                name = _("%(area)s (directly)") % {"area": name}
            sheet.write_string(row, 0, name)
            sheet.write_number(row, 1, area.active_stewards)
            write_figures(sheet, row, 2, area)
        sheet.freeze_panes(1, 1)
    if rates is not None:
        rate_rows, rate_total = rates
        sheet = workbook.add_worksheet(_("Intake and reply")[:31])
        headers = [
            _("Name"),
            _("Accepted"),
            _("Intake time (h)"),
            _("Accepted in time (及时受理率)"),
            _("First reply (h)"),
            _("Resolved on time (按时办结率)"),
            _("Satisfied (满意率)"),
            _("Revisited (回访率)"),
        ]
        for column, text in enumerate(headers):
            sheet.write_string(0, column, text, bold)
        sheet.set_column(0, 0, 20)
        sheet.set_column(1, len(headers) - 1, 13)
        hours = workbook.add_format({"num_format": "0.0"})
        labels = [r.label for r in rate_rows] + [_("Total")]
        for row, (label, rate) in enumerate(zip(labels, [*rate_rows, rate_total], strict=True), 1):
            sheet.write_string(row, 0, label)
            sheet.write_number(row, 1, rate.accepted)
            values = [
                (rate.intake_hours, hours),
                (rate.intake_rate, percent),
                (rate.first_reply_hours, hours),
                (rate.on_time_rate, percent),
                (rate.satisfaction_rate, percent),
                (rate.revisit_rate, percent),
            ]
            for offset, (value, style) in enumerate(values, start=2):
                if value is None:
                    sheet.write_blank(row, offset, None)
                else:
                    sheet.write_number(row, offset, value, style)
        sheet.freeze_panes(1, 1)
    workbook.close()
    return buffer.getvalue()
