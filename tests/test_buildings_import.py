"""The standard buildings' inventory (标准厂房清单) in and out of Excel: the export imports back
unchanged, a bad row is named by row, column and reason and nothing is written, and an area
official imports into the parks of the area only."""

import io
from decimal import Decimal

import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from python_calamine import CalamineWorkbook

from guanjia.core.models import AuditEntry
from guanjia.parks import exporters, importers, services
from guanjia.parks.models import Building, ParkKind, Plot
from guanjia.testing.imports import import_file, use_immediate_imports

pytestmark = pytest.mark.django_db

POINT = {"type": "Point", "coordinates": [121.07, 40.82]}


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def park(linghai, users):
    return services.save_park(
        users["admin"], name="凌海测试园区", kind=ParkKind.PROVINCIAL, region=linghai
    )


@pytest.fixture
def other_park(heishan, users):
    return services.save_park(
        users["admin"], name="黑山测试园区", kind=ParkKind.SPECIALISED, region=heishan
    )


@pytest.fixture
def building(park, users):
    return services.save_offer(
        users["official"], Building(), park=park, code="CF-01", name="一号厂房", point=POINT,
        floor_area_m2=Decimal("5000.5"), floors=3, floor_load_kn_m2=Decimal("8.5"),
        eaves_height_m=Decimal("9"), crane_t=Decimal("10"), for_rent=True, for_sale=True,
        rent_yuan_m2_month=Decimal("12"), sale_yuan_m2=Decimal("3200"), notes="南向",
    )  # fmt: skip


def _book(rows):
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet()
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value not in (None, ""):
                sheet.write(r, c, value)
    book.close()
    out.seek(0)
    return out


FACTS = ("park_id", "code", "name", "point", "floor_area_m2", "floors", "floor_load_kn_m2",
         "eaves_height_m", "crane_t", "for_rent", "for_sale", "rent_yuan_m2_month",
         "sale_yuan_m2", "notes", "status")  # fmt: skip


def _facts(b: Building) -> tuple:
    return tuple(getattr(b, f) for f in FACTS)


def _exported() -> tuple[list, list]:
    out = io.BytesIO()
    assert exporters.export_buildings(Building.objects.all(), out) == 1
    rows = (
        CalamineWorkbook.from_filelike(io.BytesIO(out.getvalue())).get_sheet_by_index(0).to_python()
    )
    return list(rows[0]), list(rows[1])


def test_the_export_imports_back_unchanged_and_a_change_is_written(building, users):
    before = _facts(building)
    header, row = _exported()
    assert "厂房编号" in header and "建筑面积(平方米)" in header and "备注" in header
    result = importers.import_buildings(_book([header, row]), users["official"])
    assert result.ok, [str(e) for e in result.errors] + result.file_errors
    assert result.created == 1 and result.to_create == 0  # the same building, none new
    building.refresh_from_db()
    assert _facts(building) == before
    row[header.index("租金(元/㎡·月)")] = "15元"
    row[header.index("可售")] = "否"
    result = importers.import_buildings(_book([header, row]), users["official"])
    assert result.ok, [str(e) for e in result.errors]
    building.refresh_from_db()
    assert building.rent_yuan_m2_month == 15 and not building.for_sale
    assert Building.objects.count() == 1 and not Plot.objects.exists()
    assert AuditEntry.objects.filter(note="import").exists()


def test_other_offices_headers_and_units_add_buildings(park, users):
    source = _book([
        ["标准厂房清单"],
        ["序号", "所属园区", "楼号", "建筑面积", "层数", "荷载", "净高", "是否可租", "售价"],
        [1, "凌海测试园区", "A-1", "12,000㎡", "2层", "10 kN/㎡", "8米", "是", "3,500元/㎡"],
    ])  # fmt: skip
    result = importers.import_buildings(source, users["official"])
    assert result.ok, [str(e) for e in result.errors]
    b = Building.objects.get()
    assert (b.code, b.floor_area_m2, b.floors, b.eaves_height_m) == (
        "A-1", Decimal(12000), 2, Decimal(8),
    )  # fmt: skip
    assert b.sale_yuan_m2 == 3500 and b.for_rent


def test_a_bad_row_names_row_column_and_why_in_chinese_and_nothing_is_written(park, users):
    source = _book([
        ["园区", "厂房编号", "建筑面积(平方米)", "层数", "可租", "可售"],
        ["凌海测试园区", "B-1", 3000, 2, "是", "否"],
        ["凌海测试园区", "B-2", "很大", 2.5, "是", "否"],
        ["凌海测试园区", "B-3", 3000, 1, "否", "否"],
        ["凌海测试园区", "B-1", 3000, 1, "是", "否"],
    ])  # fmt: skip
    with translation.override("zh-hans"):
        result = importers.import_buildings(source, users["official"])
        messages = [str(e) for e in result.errors]
    assert not result.ok
    found = {(e.row, e.header) for e in result.errors}
    assert {(3, "建筑面积(平方米)"), (3, "层数"), (4, "可租"), (5, "厂房编号")} <= found
    area = next(e for e in result.errors if (e.row, e.header) == (3, "建筑面积(平方米)"))
    assert "很大" in area.reason and "不是数字" in area.reason, messages
    floors = next(e for e in result.errors if e.header == "层数")
    assert "整数" in floors.reason, messages
    assert not Building.objects.exists()


def test_an_official_cannot_import_into_another_areas_park(park, other_park, users):
    source = _book([
        ["园区", "厂房编号", "建筑面积(平方米)"],
        ["凌海测试园区", "C-1", 1000],
        ["黑山测试园区", "C-2", 1000],
    ])  # fmt: skip
    result = importers.import_buildings(source, users["official"])
    assert not result.ok
    assert [(e.row, e.header) for e in result.errors] == [(3, "园区")]
    assert "黑山测试园区" in result.errors[0].reason
    assert not Building.objects.exists()


def test_the_import_pages_tell_buildings_from_plots(client, users, park, settings, tmp_path):
    use_immediate_imports(settings, tmp_path)
    client.force_login(users["official"])
    listing = client.get(reverse("parks:buildings")).content.decode()
    assert reverse("parks:import") in listing and reverse("parks:building_export") in listing
    good = _book(
        [["园区", "厂房编号", "名称", "建筑面积(平方米)"], ["凌海测试园区", "D-1", "", 800]]
    )
    job, _page = import_file(client, "parks", SimpleUploadedFile("厂房.xlsx", good.getvalue()))
    assert job.status == "committed", job.result
    assert Building.objects.get().floor_area_m2 == 800 and not Plot.objects.exists()
    plots = _book([["园区", "地块编号", "名称", "面积(亩)"], ["凌海测试园区", "D-1", "", 12]])
    job, _page = import_file(client, "parks", SimpleUploadedFile("地块.xlsx", plots.getvalue()))
    assert job.status == "committed", job.result
    assert Plot.objects.get().area_mu == 12 and Building.objects.count() == 1
