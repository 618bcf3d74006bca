"""Excel out: the plots and the buildings (both re-importable: the importers' headers), of what
the user may see, streamed in constant memory."""

import datetime as dt
import json
import os
from dataclasses import replace
from typing import IO, Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy

from guanjia.core import sheets

from .importers import BUILDING_BY_KEY, BY_KEY, USE_WORD, utilities_text
from .models import Building, Plot, Status

STATUS_WORD = {Status.AVAILABLE: "可供", Status.RESERVED: "意向", Status.TAKEN: "已出让"}
BUILDING_STATUS_WORD = {Status.AVAILABLE: "可供", Status.RESERVED: "意向", Status.TAKEN: "已租售"}


def _coordinate(index: int) -> Any:
    return lambda p: p.point["coordinates"][index] if p.point else None


def _yes_no(value: bool) -> str:
    return "是" if value else "否"


def _extra(field: str, label: Any, header: str, get: Any, width: float = 14) -> sheets.Column:
    return sheets.Column(field, label, header, get=get, width=width)


PLOT_COLUMNS: tuple[sheets.Column, ...] = (
    replace(BY_KEY["park"], width=28, get=lambda p: p.park.name),
    replace(BY_KEY["code"], width=14),
    replace(BY_KEY["name"], width=24),
    replace(BY_KEY["lng"], width=12, get=_coordinate(0)),
    replace(BY_KEY["lat"], width=12, get=_coordinate(1)),
    replace(BY_KEY["outline"], width=20,
            get=lambda p: json.dumps(p.outline, separators=(",", ":")) if p.outline else ""),
    replace(BY_KEY["area_mu"], width=10),
    replace(BY_KEY["area_m2"], width=12),
    replace(BY_KEY["land_use"], width=8, show=lambda v: USE_WORD.get(v, v)),
    replace(BY_KEY["far_min"], width=10),
    replace(BY_KEY["far_max"], width=10),
    replace(BY_KEY["density_max"], width=10),
    replace(BY_KEY["green_max"], width=10),
    replace(BY_KEY["height_limit_m"], width=9),
    replace(BY_KEY["utilities"], width=24, get=lambda p: utilities_text(p.utilities)),
    replace(BY_KEY["power_kva"], width=12),
    replace(BY_KEY["price_wan_per_mu"], width=12),
    replace(BY_KEY["price_is_reference"], width=8, get=lambda p: _yes_no(p.price_is_reference)),
    replace(BY_KEY["notes"], width=30),
    _extra("region", gettext_lazy("Area"), "所属地区", lambda p: p.park.region.name, 12),
    _extra("status", gettext_lazy("Status"), "状态", lambda p: STATUS_WORD[p.status], 8),
    _extra("reserved_for", gettext_lazy("Reserved for"), "意向线索",
           lambda p: p.reserved_for.name if p.reserved_for_id else "", 20),
    _extra("reserved_until", gettext_lazy("Reserved until"), "意向截止",
           lambda p: p.reserved_until.isoformat() if p.reserved_until else "", 12),
    _extra("project", gettext_lazy("Project"), "出让项目",
           lambda p: p.project.name if p.project_id else "", 24),
    _extra("is_demo", gettext_lazy("Demo data"), "演示数据",
           lambda p: "演示数据" if p.is_demo else "", 10),
)  # fmt: skip

BUILDING_COLUMNS: tuple[sheets.Column, ...] = (  # the buildings' importer's headers
    replace(BUILDING_BY_KEY["park"], width=28, get=lambda b: b.park.name),
    replace(BUILDING_BY_KEY["code"], width=14),
    replace(BUILDING_BY_KEY["name"], width=24),
    replace(BUILDING_BY_KEY["lng"], width=12, get=_coordinate(0)),
    replace(BUILDING_BY_KEY["lat"], width=12, get=_coordinate(1)),
    replace(BUILDING_BY_KEY["floor_area_m2"], width=14),
    replace(BUILDING_BY_KEY["floors"], width=8),
    replace(BUILDING_BY_KEY["floor_load_kn_m2"], width=12),
    replace(BUILDING_BY_KEY["eaves_height_m"], width=10),
    replace(BUILDING_BY_KEY["crane_t"], width=10),
    replace(BUILDING_BY_KEY["for_rent"], width=6, get=lambda b: _yes_no(b.for_rent)),
    replace(BUILDING_BY_KEY["for_sale"], width=6, get=lambda b: _yes_no(b.for_sale)),
    replace(BUILDING_BY_KEY["rent_yuan_m2_month"], width=14),
    replace(BUILDING_BY_KEY["sale_yuan_m2"], width=12),
    replace(BUILDING_BY_KEY["notes"], width=30),
    _extra("status", gettext_lazy("Status"), "状态", lambda b: BUILDING_STATUS_WORD[b.status], 8),
    _extra("project", gettext_lazy("Project"), "项目",
           lambda b: b.project.name if b.project_id else "", 24),
    _extra("is_demo", gettext_lazy("Demo data"), "演示数据",
           lambda b: "演示数据" if b.is_demo else "", 10),
)  # fmt: skip


def export_plots(qs: QuerySet[Plot], target: str | os.PathLike[str] | IO[bytes]) -> int:
    rows = qs.select_related("park__region", "reserved_for", "project").iterator(chunk_size=2000)
    return sheets.write_rows(target, "地块清单", PLOT_COLUMNS, rows)


def export_buildings(qs: QuerySet[Building], target: str | os.PathLike[str] | IO[bytes]) -> int:
    rows = qs.select_related("park", "project").iterator(chunk_size=2000)
    return sheets.write_rows(target, "标准厂房清单", BUILDING_COLUMNS, rows)


def filename(what: str, today: dt.date | None = None) -> str:
    return f"{what}-{(today or timezone.localdate()):%Y%m%d}.xlsx"
