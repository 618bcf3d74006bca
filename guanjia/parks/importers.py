"""Importing the land inventory (地块清单) from Excel, and the columns its export writes.

Columns by header, in any order (the header row is among the first ten): 园区, 地块编号 (both
required), 地块名称, 经度, 纬度, 边界(GeoJSON), 面积(亩) or 面积(平方米), 用地性质, 容积率下限,
容积率上限, 建筑密度上限(%), 绿地率上限(%), 限高(米), 通平, 供电能力(kVA), 价格(万元/亩),
参考价, 备注. A row whose park already has a plot of that number changes that plot; any other
row adds one. Every row is checked with the same rules as the form (`services.prepare_offer`)
before anything is written; if any row is wrong nothing is written and each problem is named
by row, column and reason. The status is never imported (it moves by steps): the export's
状态 and 意向/出让 columns are read as nothing.
"""

import re
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanjia.accounts.models import User
from guanjia.core import sheets
from guanjia.core.audit import audited_save
from guanjia.core.sheets import CellError

from . import access, geo
from .models import Building, LandUse, Plot, Utility
from .services import prepare_offer

MAX_ROWS = 5000

LAND_USE_WORDS = {
    "工业": LandUse.INDUSTRIAL, "工业用地": LandUse.INDUSTRIAL, "一类工业": LandUse.INDUSTRIAL,
    "二类工业": LandUse.INDUSTRIAL, "三类工业": LandUse.INDUSTRIAL,
    "仓储": LandUse.WAREHOUSE, "仓储用地": LandUse.WAREHOUSE, "物流仓储": LandUse.WAREHOUSE,
    "商业": LandUse.COMMERCIAL, "商服": LandUse.COMMERCIAL, "商业用地": LandUse.COMMERCIAL,
    "科研": LandUse.RESEARCH, "科研用地": LandUse.RESEARCH, "研发": LandUse.RESEARCH,
    "混合": LandUse.MIXED, "混合用地": LandUse.MIXED, "其他": LandUse.OTHER, "其它": LandUse.OTHER,
}  # fmt: skip
USE_WORD = {
    LandUse.INDUSTRIAL: "工业", LandUse.WAREHOUSE: "仓储", LandUse.COMMERCIAL: "商业",
    LandUse.RESEARCH: "科研", LandUse.MIXED: "混合", LandUse.OTHER: "其他",
}  # fmt: skip
# 七通一平 in the words plans use; the first is what the export writes.
UTILITY_WORDS: dict[str, tuple[str, ...]] = {
    Utility.ROAD: ("通路", "通道路", "路"),
    Utility.POWER: ("通电", "电"),
    Utility.WATER: ("通上水", "通给水", "给水", "通水", "上水"),
    Utility.SEWER: ("通下水", "通排水", "排水", "污水", "下水"),
    Utility.GAS: ("通气", "通燃气", "燃气", "天然气"),
    Utility.TELECOM: ("通讯", "通信", "通网络", "网络"),
    Utility.HEAT: ("通热", "供热", "通暖", "热力"),
    Utility.LEVELLED: ("平整", "场地平整", "土地平整", "一平"),
}
_UTILITY_BY_WORD = {w: code for code, words in UTILITY_WORDS.items() for w in words}
# Shorthands for all of them at once.
_ALL: dict[str, list[str]] = {
    "七通一平": list(Utility.values),
    "九通一平": list(Utility.values),
    "五通一平": [Utility.ROAD, Utility.POWER, Utility.WATER, Utility.SEWER, Utility.TELECOM,
             Utility.LEVELLED],
    "三通一平": [Utility.ROAD, Utility.POWER, Utility.WATER, Utility.LEVELLED],
}  # fmt: skip


def utilities_text(codes: list[str]) -> str:
    return "、".join(UTILITY_WORDS[c][0] for c in Utility.values if c in (codes or []))


def parse_utilities(value: sheets.Cell) -> list[str] | None:
    text = sheets.text_of(value).replace(" ", "")
    if not text or text in sheets.NOTHING_MARKS:
        return None
    if text in _ALL:
        return list(_ALL[text])
    codes: list[str] = []
    for word in filter(None, re.split(r"[、,，;；/\s]+", text)):
        code = _UTILITY_BY_WORD.get(word)
        if code is None:
            raise CellError(
                _("“%(value)s” is not a utility; write e.g. %(words)s")
                % {"value": word, "words": "、".join(w[0] for w in UTILITY_WORDS.values())}
            )
        codes.append(code)
    return codes


class Number:
    """A decimal number at least 0 and at most `maximum`; thousands separators and a trailing
    unit word (`suffixes`) are allowed."""

    def __init__(self, maximum: Decimal | int, *suffixes: str) -> None:
        self.maximum = Decimal(maximum)
        self.suffixes = suffixes

    def __call__(self, value: sheets.Cell) -> Decimal | None:
        if sheets.is_blank(value):
            return None
        text = sheets.text_of(value).replace(",", "").replace("，", "").strip()
        if text in sheets.NOTHING_MARKS:
            return None
        for suffix in self.suffixes:
            text = text.removesuffix(suffix).strip()
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise CellError(_("“%(value)s” is not a number") % {"value": text}) from None
        if not number.is_finite() or number < 0 or number > self.maximum:
            raise CellError(
                _("“%(value)s” is not a number from 0 to %(max)s")
                % {"value": text, "max": self.maximum}
            )
        return number


def _yes(value: sheets.Cell) -> bool | None:
    text = sheets.text_of(value).strip().lower()
    if not text:
        return None
    if text in ("是", "参考价", "参考", "yes", "y", "true", "1", "√"):
        return True
    if text in ("否", "挂牌价", "出让价", "no", "n", "false", "0", "×"):
        return False
    raise CellError(_("write 是 or 否, not “%(value)s”") % {"value": text})


def _col(field: str, label: Any, header: str, aliases: tuple[str, ...] = (), **kw: Any) -> Any:
    return sheets.Column(field, label, header, aliases, **kw)


COLUMNS: tuple[sheets.Column, ...] = (
    _col("park", gettext_lazy("Park"), "园区", ("所属园区", "园区名称", "开发区"), required=True),
    _col("code", gettext_lazy("Plot number"), "地块编号", ("编号", "宗地编号", "地块号"),
         required=True, parser=sheets.Text(40, name=True)),
    _col("name", gettext_lazy("Plot name"), "地块名称", ("名称", "宗地名称", "地块位置", "位置"),
         parser=sheets.Text(120, name=True)),
    _col("lng", gettext_lazy("Longitude"), "经度", ("东经", "lng", "longitude"),
         parser=Number(180)),
    _col("lat", gettext_lazy("Latitude"), "纬度", ("北纬", "lat", "latitude"), parser=Number(90)),
    _col("outline", gettext_lazy("Outline (GeoJSON)"), "边界(GeoJSON)", ("边界", "范围", "GeoJSON"),
         parser=sheets.Text(200_000)),
    _col("area_mu", gettext_lazy("Area (mu)"), "面积(亩)", ("面积（亩）", "亩数", "用地面积(亩)",
         "出让面积(亩)", "面积亩"), parser=Number(10**6, "亩")),
    _col("area_m2", gettext_lazy("Area (m²)"), "面积(平方米)", ("面积（平方米）", "面积(㎡)",
         "面积（㎡）", "用地面积(平方米)", "面积(m²)", "平方米"), parser=Number(10**9, "平方米", "㎡")),
    _col("land_use", gettext_lazy("Land use"), "用地性质", ("土地用途", "用途", "规划用途"),
         parser=sheets.Choice(LandUse, LAND_USE_WORDS)),
    _col("far_min", gettext_lazy("Plot ratio, minimum"), "容积率下限", ("容积率(下限)", "最小容积率"),
         parser=Number(100)),
    _col("far_max", gettext_lazy("Plot ratio, maximum"), "容积率上限", ("容积率(上限)", "容积率",
         "最大容积率"), parser=Number(100)),
    _col("density_max", gettext_lazy("Building density, maximum (%)"), "建筑密度上限(%)",
         ("建筑密度", "建筑密度(%)"), parser=Number(100, "%")),
    _col("green_max", gettext_lazy("Green ratio, maximum (%)"), "绿地率上限(%)",
         ("绿地率", "绿地率(%)"), parser=Number(100, "%")),
    _col("height_limit_m", gettext_lazy("Height limit (m)"), "限高(米)", ("限高", "建筑限高",
         "建筑高度", "限高(m)"), parser=Number(1000, "米", "m")),
    _col("utilities", gettext_lazy("Utilities at the boundary"), "通平", ("基础设施", "配套",
         "几通一平", "通平情况"), parser=parse_utilities),
    _col("power_kva", gettext_lazy("Power at the boundary (kVA)"), "供电能力(kVA)",
         ("供电能力", "供电", "电力(kVA)", "可用电力"), parser=Number(10**9, "kVA", "KVA")),
    _col("price_wan_per_mu", gettext_lazy("Price (10k yuan per mu)"), "价格(万元/亩)",
         ("价格", "出让价格", "参考价格", "地价(万元/亩)", "单价(万元/亩)"),
         parser=Number(100_000, "万元/亩")),
    _col("price_is_reference", gettext_lazy("Reference price"), "参考价", ("是否参考价",),
         parser=_yes),
    _col("notes", gettext_lazy("Notes"), "备注", ("说明",), parser=sheets.Text(2000)),
)  # fmt: skip
IGNORED_HEADERS = {"序号", "所属地区", "地区", "状态", "意向线索", "意向截止", "出让项目", "出让日期",
                   "演示数据"}  # fmt: skip
TABLE = sheets.Table(COLUMNS, ignored=IGNORED_HEADERS, best=True)
BY_KEY = TABLE.by_field
FACTS = ("name", "area_mu", "area_m2", "land_use", "far_min", "far_max", "density_max",
         "green_max", "height_limit_m", "utilities", "power_kva", "price_wan_per_mu",
         "price_is_reference", "notes")  # fmt: skip
FIELD_COLUMN = {"point": "lng", "outline": "outline", "park": "park", "code": "code"}


def _key(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


class PlotImporter(sheets.SheetImporter):
    """The plots of a file, checked like the form's, written all or none."""

    table = TABLE

    def check_header(self, header: sheets.HeaderMap, result: sheets.SheetResult) -> None:
        if header.missing:
            result.file_errors.append(
                _("the header row lacks the required columns: %(columns)s")
                % {"columns": "、".join(c.header for c in header.missing)}
            )
            return
        result.mapping.extend(header.mapping)
        for unknown in [*header.unknown, *header.doubled]:
            result.skipped.append(str(sheets.Unknown(unknown.index, unknown.header)))

    def prepare(self, body: sheets.Body, result: sheets.SheetResult) -> None:
        if body.count > MAX_ROWS:
            result.file_errors.append(
                _("the file has %(n)d rows; import at most %(max)d at a time")
                % {"n": body.count, "max": MAX_ROWS}
            )
            return
        self.parks: dict[str, list[Any]] = {}
        for park in access.kept_parks(self.user).select_related("region"):
            self.parks.setdefault(_key(park.name), []).append(park)
        self.existing = {
            (p.park_id, p.code): p
            for p in Plot.objects.filter(park__in=[p for ps in self.parks.values() for p in ps])
        }
        self._seen: dict[tuple[int, str], int] = {}

    def _park(self, text: str) -> Any:
        found = self.parks.get(_key(text), [])
        if not found:
            raise CellError(_("“%(name)s” is not among the parks you keep") % {"name": text})
        if len(found) > 1:
            raise CellError(
                _("%(n)d parks you keep are called “%(name)s”") % {"n": len(found), "name": text}
            )
        return found[0]

    def check_row(self, row: sheets.Row, result: sheets.SheetResult) -> Any:
        values = row.values(self.table)
        park = None
        if values.get("park"):
            try:
                park = self._park(values["park"])
            except CellError as exc:
                row.fail("park", str(exc))
        point = None
        lng, lat = values.get("lng"), values.get("lat")
        if (lng is None) != (lat is None):
            row.fail("lng" if lng is None else "lat", _("give both the longitude and latitude"))
        elif lng is not None:
            try:
                point = geo.point(lng, lat)
            except ValidationError as exc:
                row.fail("lng", exc.messages[0])
        outline = None
        if values.get("outline"):
            try:
                import json

                outline = geo.clean_polygon(json.loads(values["outline"]))
            except ValueError:
                row.fail("outline", _("not GeoJSON"))
            except ValidationError as exc:
                row.fail("outline", exc.messages[0])
        if not row.ok or park is None:
            return None
        code = values["code"]
        if (park.pk, code) in self._seen:
            row.fail("code", _("repeats row %(first)d") % {"first": self._seen[(park.pk, code)]})
            return None
        self._seen[(park.pk, code)] = row.number
        current = self.existing.get((park.pk, code))
        plot = current or Plot()
        fields = {k: values[k] for k in FACTS if k in values and values[k] is not None}
        if current is not None and ("area_mu" in fields) != ("area_m2" in fields):
            # One area given: the other follows from it, not from the plot's old value.
            fields.setdefault("area_mu", None)
            fields.setdefault("area_m2", None)
        if "price_is_reference" in values and values["price_is_reference"] is None:
            fields.pop("price_is_reference", None)
        if point is not None:
            fields["point"] = point
        if outline is not None:
            fields["outline"] = outline
        if "utilities" in fields and fields["utilities"] is None:
            fields["utilities"] = []
        try:
            prepare_offer(self.user, plot, park=park, code=code, **fields)
        except ValidationError as exc:
            for field_name, messages in exc.message_dict.items():
                key = FIELD_COLUMN.get(field_name, field_name if field_name in BY_KEY else "")
                for message in messages:
                    row.fail(key, message.rstrip("."))
            return None
        return (row.number, plot, current is None)

    def finish(self, result: sheets.SheetResult) -> None:
        result.to_create = sum(1 for _n, _p, new in self.checked if new)

    def preview(self, checked: Any) -> dict[str, Any]:
        number, plot, new = checked
        return {
            "row": number,
            "park": plot.park.name,
            "code": plot.code,
            "name": plot.name,
            "area_mu": f"{plot.area_mu.normalize():f}" if plot.area_mu is not None else "",
            "land_use": str(plot.get_land_use_display()),
            "action": str(_("new") if new else _("changed")),
        }

    def write(self, checked: list[Any], result: sheets.SheetResult) -> int:
        for _number, plot, _new in checked:
            audited_save(plot, self.user, note="import")
        return len(checked)


def import_plots(source: str | IO[bytes], actor: User) -> sheets.SheetResult:
    """Check the whole file, then write every row in one transaction, or nothing."""
    return PlotImporter(actor).commit(source)


def job_importer(job: Any) -> "InventoryImporter":
    return InventoryImporter(job)


# --- Standard buildings (标准厂房清单) --------------------------------------------------------


class Integer(Number):
    """A whole number from 1 to `maximum` (层数)."""

    def __call__(self, value: sheets.Cell) -> Decimal | None:
        number = super().__call__(value)
        if number is not None and (number != number.to_integral_value() or number < 1):
            raise CellError(
                _("“%(value)s” is not a whole number from 1 to %(max)s")
                % {"value": sheets.text_of(value).strip(), "max": self.maximum}
            )
        return number


def _yes_only(value: sheets.Cell) -> bool | None:
    text = sheets.text_of(value).strip().lower()
    if not text:
        return None
    if text in ("是", "可", "可租", "可售", "yes", "y", "true", "1", "√"):
        return True
    if text in ("否", "不", "不可", "no", "n", "false", "0", "×"):
        return False
    raise CellError(_("write 是 or 否, not “%(value)s”") % {"value": text})


BUILDING_COLUMNS: tuple[sheets.Column, ...] = (
    _col("park", gettext_lazy("Park"), "园区", ("所属园区", "园区名称", "开发区"), required=True),
    _col("code", gettext_lazy("Number"), "厂房编号", ("编号", "厂房号", "楼号", "栋号"),
         required=True, parser=sheets.Text(40, name=True)),
    _col("name", gettext_lazy("Name"), "名称", ("厂房名称", "位置", "厂房位置"),
         parser=sheets.Text(120, name=True)),
    _col("lng", gettext_lazy("Longitude"), "经度", ("东经", "lng", "longitude"),
         parser=Number(180)),
    _col("lat", gettext_lazy("Latitude"), "纬度", ("北纬", "lat", "latitude"), parser=Number(90)),
    _col("floor_area_m2", gettext_lazy("Floor area (m²)"), "建筑面积(平方米)",
         ("建筑面积", "建筑面积（平方米）", "建筑面积(㎡)", "面积(平方米)", "面积(㎡)", "面积"),
         parser=Number(10**7, "平方米", "㎡")),
    _col("floors", gettext_lazy("Floors"), "层数", ("楼层", "层高数", "总层数"),
         parser=Integer(200, "层")),
    _col("floor_load_kn_m2", gettext_lazy("Floor load (kN/m²)"), "荷载(kN/㎡)",
         ("荷载", "楼面荷载", "承重", "荷载(kN/m²)", "楼面荷载(kN/㎡)"),
         parser=Number(1000, "kN/㎡", "kN/m²", "KN/㎡")),
    _col("eaves_height_m", gettext_lazy("Clear height (m)"), "净高(米)",
         ("净高", "檐高", "层高", "净高(m)"), parser=Number(200, "米", "m")),
    _col("crane_t", gettext_lazy("Crane (tonnes)"), "行车(吨)", ("行车", "行吊", "起重", "行车(t)"),
         parser=Number(1000, "吨", "t")),
    _col("for_rent", gettext_lazy("For rent"), "可租", ("是否可租", "出租"), parser=_yes_only),
    _col("for_sale", gettext_lazy("For sale"), "可售", ("是否可售", "出售"), parser=_yes_only),
    _col("rent_yuan_m2_month", gettext_lazy("Rent (yuan per m² a month)"), "租金(元/㎡·月)",
         ("租金", "租金(元/平方米/月)", "月租金(元/㎡)", "租金（元/㎡·月）"),
         parser=Number(10_000, "元/㎡·月", "元/平方米/月", "元")),
    _col("sale_yuan_m2", gettext_lazy("Sale price (yuan per m²)"), "售价(元/㎡)",
         ("售价", "出售价格", "售价(元/平方米)", "售价（元/㎡）"),
         parser=Number(10**6, "元/㎡", "元/平方米", "元")),
    _col("notes", gettext_lazy("Notes"), "备注", ("说明",), parser=sheets.Text(2000)),
)  # fmt: skip
BUILDING_IGNORED = {"序号", "所属地区", "地区", "状态", "项目", "演示数据"}
BUILDING_TABLE = sheets.Table(BUILDING_COLUMNS, ignored=BUILDING_IGNORED, best=True)
BUILDING_BY_KEY = BUILDING_TABLE.by_field
BUILDING_FACTS = ("name", "floor_area_m2", "floors", "floor_load_kn_m2", "eaves_height_m",
                  "crane_t", "for_rent", "for_sale", "rent_yuan_m2_month", "sale_yuan_m2",
                  "notes")  # fmt: skip


class BuildingImporter(PlotImporter):
    """The standard buildings of a file (标准厂房清单), checked like the form's, all or none.

    A row whose park already has a building of that number changes it, any other adds one;
    a building's plot, status and project are not imported (the form and the steps set them).
    """

    table = BUILDING_TABLE

    def prepare(self, body: sheets.Body, result: sheets.SheetResult) -> None:
        super().prepare(body, result)
        if result.file_errors:
            return
        parks = [p for ps in self.parks.values() for p in ps]
        self.existing: dict[tuple[int, str], Any] = {
            (b.park_id, b.code): b for b in Building.objects.filter(park__in=parks)
        }

    def check_row(self, row: sheets.Row, result: sheets.SheetResult) -> Any:
        values = row.values(self.table)
        park = None
        if values.get("park"):
            try:
                park = self._park(values["park"])
            except CellError as exc:
                row.fail("park", str(exc))
        point = None
        lng, lat = values.get("lng"), values.get("lat")
        if (lng is None) != (lat is None):
            row.fail("lng" if lng is None else "lat", _("give both the longitude and latitude"))
        elif lng is not None:
            try:
                point = geo.point(lng, lat)
            except ValidationError as exc:
                row.fail("lng", exc.messages[0])
        if not row.ok or park is None:
            return None
        code = values["code"]
        if (park.pk, code) in self._seen:
            row.fail("code", _("repeats row %(first)d") % {"first": self._seen[(park.pk, code)]})
            return None
        self._seen[(park.pk, code)] = row.number
        current = self.existing.get((park.pk, code))
        building = current or Building()
        fields = {k: values[k] for k in BUILDING_FACTS if values.get(k) is not None}
        if "floors" in fields:
            fields["floors"] = int(fields["floors"])
        if point is not None:
            fields["point"] = point
        try:
            prepare_offer(self.user, building, park=park, code=code, **fields)
        except ValidationError as exc:
            for field_name, messages in exc.message_dict.items():
                key = FIELD_COLUMN.get(
                    field_name, field_name if field_name in BUILDING_BY_KEY else ""
                )
                for message in messages:
                    row.fail(key, message.rstrip("."))
            return None
        return (row.number, building, current is None)

    def preview(self, checked: Any) -> dict[str, Any]:
        number, building, new = checked
        area = building.floor_area_m2
        return {
            "row": number,
            "park": building.park.name,
            "code": building.code,
            "name": building.name,
            "area_mu": f"{area.normalize():f} ㎡" if area is not None else "",
            "land_use": str(_("standard building")),
            "action": str(_("new") if new else _("changed")),
        }


def import_buildings(source: str | IO[bytes], actor: User) -> sheets.SheetResult:
    """Check the whole file, then write every row in one transaction, or nothing."""
    return BuildingImporter(actor).commit(source)


def is_buildings_sheet(source: Any, sheet: str = "", filename: str = "") -> bool:
    """Whether a file is a list of standard buildings rather than of plots: its header row
    names more of the buildings' columns than of the plots' (a tie is the plots')."""
    try:
        rows = sheets.read_sheet(source, sheet, filename)
    except sheets.FileError:
        return False  # the plots' importer says what is wrong with the file

    def recognised(table: sheets.Table) -> int:
        found = table.find_header(rows)
        return len({table.field_for(v) for v in found[1]} - {None}) if found else 0

    return recognised(BUILDING_TABLE) > recognised(TABLE)


class InventoryImporter:
    """A land-inventory job (kind "parks"): the plots' importer, or the buildings' when the
    file's header is a list of standard buildings."""

    def __init__(self, job: Any) -> None:
        self.job = job

    def _pick(self, source: Any, sheet: str) -> PlotImporter:
        job = self.job
        kind = (
            BuildingImporter
            if is_buildings_sheet(source, sheet, job.original_name)
            else PlotImporter
        )
        return kind(job.user, filename=job.original_name, progress=job.set_progress,
                    mapping=job.mapping)  # fmt: skip

    def validate(self, source: Any, sheet: str = "") -> sheets.SheetResult:
        return self._pick(source, sheet).validate(source, sheet)

    def commit(self, source: Any, sheet: str = "") -> sheets.SheetResult:
        return self._pick(source, sheet).commit(source, sheet)
