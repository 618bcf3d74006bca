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
from django.db import transaction
from django.utils.translation import gettext as _

from guanjia.accounts.models import User
from guanjia.core.sheets import FileError, RowError, Source, column_letter, read_sheet
from guanjia.regions.models import Region

from . import services
from .areas import in_scope
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


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, ".15g")
    return str(value).strip()


def _header(value: Any) -> tuple[str | None, str]:
    """(column key, unit) for a header cell: '实际值（亿元）' → ('value', '亿元')."""
    text = re.sub(r"\s+", "", _text(value)).replace("（", "(").replace("）", ")").strip("*＊:：")
    unit = ""
    m = re.fullmatch(r"(.+?)\(([^()]*)\)", text)
    if m and m.group(1).lower() not in {"县"}:
        text, unit = m.group(1), m.group(2)
    lowered = text.lower()
    for key, names in HEADERS.items():
        if lowered in names or text in names:
            return key, unit
    if text == "县(市)区" or (m and f"{m.group(1)}({m.group(2)})" == "县(市)区"):
        return "region", ""
    return None, unit


class ActualImporter:
    def __init__(self, user: User) -> None:
        self.user = user
        self.indicators: dict[str, Indicator] = {}
        for indicator in Indicator.objects.filter(active=True):
            self.indicators[indicator.code.lower()] = indicator
            self.indicators[indicator.name] = indicator
        self.regions: dict[str, Region] = {}
        for region in Region.objects.active():
            for key in (region.code, region.name, region.short_name):
                if key:
                    self.regions.setdefault(key, region)

    def _sheet(self, source: Source) -> Any:
        try:
            return read_sheet(source, SHEET)
        except FileError:
            return read_sheet(source)

    def validate(self, source: Source) -> ImportResult:
        result = ImportResult()
        rows = list(self._sheet(source))
        header_at, columns, units = 0, {}, {}
        for number, cells in rows[:HEADER_SEARCH_ROWS]:
            found = {}
            for index, cell in enumerate(cells):
                key, unit = _header(cell)
                if key and key not in found:
                    found[key] = index
                    units[key] = unit
            if all(k in found for k in REQUIRED):
                header_at, columns = number, found
                break
        if not header_at:
            raise FileError(
                _("no header row with the columns %(names)s in the first ten rows")
                % {"names": "、".join(HEADERS[k][0] for k in REQUIRED)}
            )
        headers = {key: _text(rows[header_at - 1][1][i]) for key, i in columns.items()}
        seen: dict[tuple[int, int, Period], int] = {}
        for number, cells in rows[header_at:]:

            def cell(key: str, cells: list[Any] = cells) -> Any:
                index = columns.get(key)
                return cells[index] if index is not None and index < len(cells) else None

            if all(_text(cell(k)) == "" for k in columns):
                continue
            errors: list[RowError] = []

            def error(
                key: str, reason: str, number: int = number, errors: list[RowError] = errors
            ) -> None:
                errors.append(RowError(number, column_letter(columns[key]), headers[key], reason))

            indicator = self._indicator(_text(cell("indicator")), error)
            region = self._region(_text(cell("region")), error)
            period = None
            try:
                period = Period.parse(cell("period"))
            except PeriodError as exc:
                error("period", str(exc))
            value = None
            if indicator is not None:
                raw = cell("value")
                text = _text(raw)
                if units.get("value") and text and not re.search(r"[元万亿个%％次项]$", text):
                    text += units["value"]
                try:
                    value = services.parse_value(indicator, text)
                except ValidationError as exc:
                    error("value", "; ".join(exc.messages))
            if indicator is not None and region is not None and period is not None:
                same = (indicator.pk, region.pk, period)
                if same in seen:
                    errors.append(
                        RowError(
                            number,
                            "",
                            "",
                            _("the same actual as row %(row)d") % {"row": seen[same]},
                        )
                    )
                else:
                    seen[same] = number
            if errors:
                result.errors.extend(errors)
            elif indicator and region and period and value is not None:
                result.rows.append(
                    Row(number, indicator, region, period, value, _text(cell("note"))[:300])
                )
        if not result.rows and not result.errors:
            result.errors.append(RowError(header_at + 1, "", "", _("there are no rows to import")))
        return result

    def _indicator(self, text: str, error: Any) -> Indicator | None:
        if not text:
            error("indicator", _("the indicator is empty"))
            return None
        indicator = self.indicators.get(text) or self.indicators.get(text.lower())
        if indicator is None:
            error("indicator", _("no indicator “%(text)s”") % {"text": text})
            return None
        if indicator.is_computed:
            error(
                "indicator",
                _("“%(name)s” is computed from the ledger and cannot be entered")
                % {"name": indicator.name},
            )
            return None
        return indicator

    def _region(self, text: str, error: Any) -> Region | None:
        if not text:
            error("region", _("the region is empty"))
            return None
        region = self.regions.get(text)
        if region is None:
            error("region", _("no region “%(text)s”") % {"text": text})
            return None
        if not in_scope(self.user, region):
            error("region", _("“%(name)s” is outside your area") % {"name": region.name})
            return None
        return region

    def run(self, source: Source) -> ImportResult:
        """Validate, and write everything only if nothing is wrong."""
        result = self.validate(source)
        if not result.ok:
            return result
        try:
            with transaction.atomic():
                for row in result.rows:
                    services.enter_actual(
                        self.user, row.indicator, row.period, row.region, row.value,
                        source_note=row.note,
                    )  # fmt: skip
        except (ValidationError, PermissionDenied) as exc:
            result.errors.append(RowError(0, "", "", str(exc)))
            return result
        result.written = len(result.rows)
        return result
