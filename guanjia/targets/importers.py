"""Importing actuals from a spreadsheet: all or nothing, errors named by row and column.

The sheet needs the columns 指标 (indicator name or code), 地区 (region name or code),
期间 (period: 2026, 2026Q3, 2026-09) and 实际值 (value; a unit in the header or the cell, as
实际值(亿元), applies); 来源 (source) is optional. The header is among the first ten rows.
Every row is checked first; only when nothing is wrong are all rows written, in one
transaction, each audited like an actual entered by hand.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanjia.accounts.models import User
from guanjia.core import sheets
from guanjia.core.sheets import CellError, Column, FileError, RowError, Source, Table, text_of
from guanjia.regions.models import Region

from . import services
from .access import in_scope
from .models import Indicator
from .periods import Period, PeriodError

HEADER_SEARCH_ROWS = 10
SHEET = "实际值"  # the export's sheet of actuals, read first when present

HEADERS: dict[str, tuple[str, ...]] = {
    "indicator": ("指标", "指标名称", "指标代码", "indicator"),
    "region": ("地区", "区域", "县(市)区", "地区代码", "region", "area"),
    "period": ("期间", "时期", "统计期", "period"),
    "value": ("实际值", "完成值", "实际完成", "数值", "actual", "value"),
    "note": ("来源", "备注", "数据来源", "source", "note"),
}
REQUIRED = ("indicator", "region", "period", "value")
LABELS = {
    "indicator": gettext_lazy("Indicator"),
    "region": gettext_lazy("Region"),
    "period": gettext_lazy("Period"),
    "value": gettext_lazy("Value"),
    "note": gettext_lazy("Source"),
}


@dataclass(frozen=True)
class Measure:
    """An actual's value as text, the header's unit added when the cell names none
    (实际值(亿元) over 15.5 → '15.5亿元'); services.parse_value reads it for the indicator."""

    unit: str = ""

    def __call__(self, value: Any) -> str:
        text = text_of(value)
        if self.unit and text and not re.search(r"[元万亿个%％次项]$", text):
            text += self.unit
        return text

    def in_unit(self, unit: str) -> "Measure":
        return Measure(unit)


TABLE = Table(
    [
        Column(
            key,
            LABELS[key],
            names[0],
            names[1:],
            Measure() if key == "value" else sheets.Text(),
            required=key in REQUIRED,
        )
        for key, names in HEADERS.items()
    ],
    search_rows=HEADER_SEARCH_ROWS,
    minimum=len(REQUIRED),
)


@dataclass
class Row:
    row: int
    indicator: Indicator
    region: Region
    period: Period
    value: Decimal
    note: str


@dataclass
class ImportResult:
    rows: list[Row] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    written: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def _parse_period(value: Any) -> Period:
    try:
        return Period.parse(value)
    except PeriodError as exc:
        raise CellError(str(exc)) from exc


class ActualImporter(sheets.SheetImporter):
    """Actuals from a sheet (the export's 实际值 sheet, else the first), on the sheet kit;
    `run` checks every row and writes them all, or none. File problems raise FileError."""

    table = TABLE

    def __init__(self, user: User, **kwargs: Any) -> None:
        super().__init__(user, **kwargs)
        self.indicators: dict[str, Indicator] = {}
        for indicator in Indicator.objects.filter(active=True):
            self.indicators[indicator.code.lower()] = indicator
            self.indicators[indicator.name] = indicator
        self.regions: dict[str, Region] = {}
        for region in Region.objects.active():
            for key in (region.code, region.name, region.short_name):
                if key:
                    self.regions.setdefault(key, region)
        self._seen: dict[tuple[int, int, Period], int] = {}

    def validate(self, source: Source, sheet: str = "") -> sheets.SheetResult:
        """The given sheet, else the export's 实际值 sheet when the file has one, else the first."""
        self._seen = {}
        return super().validate(source, sheet or self._sheet_name(source))

    def no_header_message(self) -> str:
        return _("no header row with the columns %(names)s in the first ten rows") % {
            "names": "、".join(HEADERS[k][0] for k in REQUIRED)
        }

    def check_row(self, row: sheets.Row, result: sheets.SheetResult) -> Row | None:
        indicator = row.get("indicator", self._indicator)
        region = row.get("region", self._region)
        period = row.get("period", _parse_period)
        value = None
        if indicator is not None:
            measure = row.header.columns["value"].parser or Measure()
            value = row.get("value", lambda cell: self._value(indicator, measure(cell)))
        if indicator is not None and region is not None and period is not None:
            same = (indicator.pk, region.pk, period)
            if same in self._seen:
                row.errors.append(
                    RowError(
                        row.number,
                        "",
                        "",
                        _("the same actual as row %(row)d") % {"row": self._seen[same]},
                    )
                )
            else:
                self._seen[same] = row.number
        if not row.ok or not (indicator and region and period and value is not None):
            return None
        return Row(row.number, indicator, region, period, value, row.text("note")[:300])

    def preview(self, checked: Row) -> dict[str, Any]:
        return {
            "row": checked.row,
            "indicator": checked.indicator.name,
            "region": checked.region.name,
            "period": str(checked.period),
            "value": format(checked.value.normalize(), "f"),
            "note": checked.note,
        }

    def _value(self, indicator: Indicator, text: str) -> Decimal:
        try:
            return services.parse_value(indicator, text)
        except ValidationError as exc:
            raise CellError("; ".join(exc.messages)) from exc

    def _indicator(self, value: Any) -> Indicator:
        text = text_of(value)
        if not text:
            raise CellError(_("the indicator is empty"))
        indicator = self.indicators.get(text) or self.indicators.get(text.lower())
        if indicator is None:
            raise CellError(_("no indicator “%(text)s”") % {"text": text})
        if indicator.is_computed:
            raise CellError(
                _("“%(name)s” is computed from the ledger and cannot be entered")
                % {"name": indicator.name}
            )
        return indicator

    def _region(self, value: Any) -> Region:
        text = text_of(value)
        if not text:
            raise CellError(_("the region is empty"))
        region = self.regions.get(text)
        if region is None:
            raise CellError(_("no region “%(text)s”") % {"text": text})
        if not in_scope(self.user, region):
            raise CellError(_("“%(name)s” is outside your area") % {"name": region.name})
        return region

    def write(self, checked: list[Row], result: sheets.SheetResult) -> int:
        """Each actual as if entered by hand (audited); a refusal undoes them all."""
        try:
            for row in checked:
                services.enter_actual(
                    self.user, row.indicator, row.period, row.region, row.value,
                    source_note=row.note,
                )  # fmt: skip
        except (ValidationError, PermissionDenied) as exc:
            result.errors.append(RowError(0, "", "", str(exc)))
            return 0
        return len(checked)

    def _sheet_name(self, source: Source) -> str:
        try:
            sheets.read_sheet(source, SHEET, self.filename)
        except FileError:
            return ""
        return SHEET

    def _result(self, checked: sheets.SheetResult) -> ImportResult:
        """The kit's result as this importer has always given it; file problems raise."""
        if checked.file_errors:
            if checked.file_errors == [_("there are no rows under the header")]:
                return ImportResult(
                    errors=[
                        RowError(checked.header_row + 1, "", "", _("there are no rows to import"))
                    ]
                )
            raise FileError(checked.file_errors[0])
        result = ImportResult(rows=list(self.checked), errors=list(checked.errors))
        if not result.rows and not result.errors:
            result.errors.append(
                RowError(checked.header_row + 1, "", "", _("there are no rows to import"))
            )
        result.written = checked.created if checked.committed else 0
        return result

    def check(self, source: Source) -> ImportResult:
        """Check every row; nothing is written. Raises FileError for an unreadable file."""
        return self._result(self.validate(source))

    def run(self, source: Source) -> ImportResult:
        """Validate, and write everything only if nothing is wrong."""
        return self._result(super().commit(source))


def job_importer(job: Any) -> ActualImporter:
    """The importer of a background job (guanjia.core.sheets.jobs)."""
    return ActualImporter(job.user, filename=job.original_name, progress=job.set_progress)
