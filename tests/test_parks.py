"""Parks, plots and buildings: GeoJSON and area rules, the reservation steps, the Excel
inventory both ways, and who may see and keep them."""

import datetime as dt
import io
from decimal import Decimal

import pytest
import xlsxwriter
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from python_calamine import CalamineWorkbook

from guanjia.core.models import AuditEntry, StatusChange
from guanjia.parks import exporters, geo, importers, services
from guanjia.parks.models import Park, ParkKind, Plot, Status, m2_to_mu, mu_to_m2
from guanjia.testing.factories import LeadFactory, ProjectFactory

POINT = {"type": "Point", "coordinates": [121.07, 40.82]}
SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[121.0, 40.8], [121.01, 40.8], [121.01, 40.81], [121.0, 40.81], [121.0, 40.8]]
    ],
}


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
def plot(park, users):
    return services.create_plot(users["official"], park=park, code="LH-01", area_mu=Decimal(50))


def today() -> dt.date:
    return timezone.localdate()


# --- GeoJSON and areas --------------------------------------------------------------------------


def test_a_point_and_a_polygon_are_kept_and_a_feature_is_unwrapped():
    assert geo.clean_point({"type": "Feature", "geometry": POINT}) == POINT
    assert geo.clean_polygon(SQUARE)["coordinates"][0][0] == [121.0, 40.8]


@pytest.mark.parametrize(
    "value",
    [
        {"type": "Point", "coordinates": [200, 40]},  # longitude out of range
        {"type": "Point", "coordinates": [121, -95]},  # latitude out of range
        {"type": "Point", "coordinates": ["a", 40]},
        {"type": "Point", "coordinates": [121]},
        {"type": "LineString", "coordinates": [[121, 40], [122, 41]]},
        "121,40",
    ],
)
def test_a_wrong_point_is_refused(value):
    with pytest.raises(ValidationError):
        geo.clean_point(value)


def test_an_open_or_short_ring_is_refused():
    open_ring = {
        "type": "Polygon",
        "coordinates": [SQUARE["coordinates"][0][:-1] + [[121.0, 40.9]]],
    }
    with pytest.raises(ValidationError, match="end where it starts"):
        geo.clean_polygon(open_ring)
    with pytest.raises(ValidationError, match="four positions"):
        geo.clean_polygon({"type": "Polygon", "coordinates": [[[121, 40], [122, 40], [121, 40]]]})


def test_a_plot_with_a_bad_outline_is_not_saved(park, users):
    with pytest.raises(ValidationError):
        services.create_plot(
            users["admin"], park=park, code="X", area_mu=Decimal(1), outline={"type": "Polygon"}
        )
    assert not Plot.objects.exists()


def test_one_mu_is_666_67_square_metres_both_ways():
    assert mu_to_m2(Decimal(1)) == Decimal("666.67")
    assert mu_to_m2(Decimal(15)) == Decimal("10000.00")
    assert m2_to_mu(Decimal(10000)) == Decimal(15)


def test_a_plot_derives_one_area_from_the_other(park, users):
    by_mu = services.create_plot(users["admin"], park=park, code="A", area_mu=Decimal(50))
    assert by_mu.area_m2 == Decimal("33333.33")
    by_m2 = services.create_plot(users["admin"], park=park, code="B", area_m2=Decimal(20000))
    assert by_m2.area_mu == Decimal(30)


def test_two_areas_that_disagree_or_none_are_refused(park, users):
    with pytest.raises(ValidationError, match="not 20000"):
        services.create_plot(
            users["admin"], park=park, code="A", area_mu=Decimal(50), area_m2=Decimal(20000)
        )
    with pytest.raises(ValidationError, match="in mu or in"):
        services.create_plot(users["admin"], park=park, code="B")


def test_a_park_is_audited_with_its_industries(park, users, industries):
    services.save_park(
        users["admin"], park, region=park.region_id, name=park.name, kind=park.kind,
        industries=list(industries.values())[:2],
    )  # fmt: skip
    entries = AuditEntry.objects.filter(object_type="parks.park", object_id=str(park.pk))
    assert entries.filter(action="create").exists()
    assert any("industries" in (e.after or {}) for e in entries)


# --- steps --------------------------------------------------------------------------------------


def test_a_plot_is_reserved_for_a_lead_until_a_date(plot, users, linghai):
    lead = LeadFactory(region=linghai, owner=users["official"])
    until = today() + dt.timedelta(days=30)
    services.reserve(plot, users["official"], lead.pk, until)
    plot.refresh_from_db()
    assert (plot.status, plot.reserved_for_id, plot.reserved_until) == (
        Status.RESERVED, lead.pk, until,
    )  # fmt: skip
    change = StatusChange.objects.get(object_id=str(plot.pk), step="reserve")
    assert (change.from_status, change.to_status) == ("available", "reserved")
    assert AuditEntry.objects.filter(object_type="parks.plot", action="transition").exists()


def test_a_second_lead_cannot_reserve_a_reserved_plot(plot, users, linghai):
    first = LeadFactory(region=linghai, owner=users["official"])
    second = LeadFactory(region=linghai, owner=users["official"])
    services.reserve(plot, users["official"], first.pk, today() + dt.timedelta(days=30))
    with pytest.raises(services.LandError, match="Already reserved"):
        services.reserve(plot, users["official"], second.pk, today() + dt.timedelta(days=30))
    plot.refresh_from_db()
    assert plot.reserved_for_id == first.pk
    # The same lead may renew it.
    services.reserve(plot, users["official"], first.pk, today() + dt.timedelta(days=60))


def test_a_reservation_must_lapse_in_the_future_and_within_a_year(plot, users, linghai):
    lead = LeadFactory(region=linghai, owner=users["official"])
    for until in (today(), today() + dt.timedelta(days=400), None):
        with pytest.raises(services.LandError):
            services.reserve(plot, users["official"], lead.pk, until)


def test_a_lapsed_reservation_goes_back_on_offer(plot, users, linghai, time_machine):
    lead = LeadFactory(region=linghai, owner=users["official"])
    services.reserve(plot, users["official"], lead.pk, today() + dt.timedelta(days=3))
    assert services.expire_reservations() == 0
    time_machine.move_to(timezone.now() + dt.timedelta(days=5))
    assert services.expire_reservations() == 1
    plot.refresh_from_db()
    assert (plot.status, plot.reserved_for_id) == (Status.AVAILABLE, None)


def test_a_lead_of_another_area_cannot_be_named(plot, users, heishan):
    lead = LeadFactory(region=heishan, owner=users["admin"])
    with pytest.raises(services.LandError):
        services.reserve(plot, users["official"], lead.pk, today() + dt.timedelta(days=3))


def test_a_plot_is_transferred_to_a_project(plot, users, linghai, own_enterprise):
    project = ProjectFactory(region=linghai, enterprise=own_enterprise)
    services.take(plot, users["official"], project.pk)
    plot.refresh_from_db()
    assert (plot.status, plot.project_id, plot.taken_on) == (Status.TAKEN, project.pk, today())
    with pytest.raises(services.LandError, match="taken"):
        services.reserve(
            plot,
            users["official"],
            LeadFactory(region=linghai, owner=users["official"]).pk,
            today() + dt.timedelta(days=3),
        )


def test_a_plot_reserved_for_a_lead_goes_to_no_other_project(plot, users, linghai, own_enterprise):
    lead = LeadFactory(region=linghai, owner=users["official"])
    services.reserve(plot, users["official"], lead.pk, today() + dt.timedelta(days=3))
    other = ProjectFactory(region=linghai, enterprise=own_enterprise)
    with pytest.raises(services.LandError, match="release it first"):
        services.take(plot, users["official"], other.pk)


def test_only_keepers_of_the_park_take_steps(plot, other_park, users, linghai):
    lead = LeadFactory(region=linghai, owner=users["admin"])
    with pytest.raises(PermissionDenied):
        services.reserve(plot, users["leader"], lead.pk, today() + dt.timedelta(days=3))
    # A steward reserves only for the leads they work (tests/test_parks_matching.py).
    with pytest.raises(services.LandError):
        services.reserve(plot, users["steward"], lead.pk, today() + dt.timedelta(days=3))
    with pytest.raises(PermissionDenied):
        services.take(plot, users["steward"], ProjectFactory(region=linghai).pk)
    other_plot = services.create_plot(users["admin"], park=other_park, code="HS", area_mu=1)
    with pytest.raises(PermissionDenied):
        services.reserve(other_plot, users["official"], lead.pk, today() + dt.timedelta(days=3))


# --- Excel --------------------------------------------------------------------------------------


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


def test_the_export_imports_back_and_changes_the_plots(plot, users):
    services.save_offer(
        users["admin"], plot, park=plot.park, code=plot.code, point=POINT, outline=SQUARE,
        utilities=["road", "power"], far_max=Decimal("1.2"), price_wan_per_mu=Decimal("12.5"),
    )  # fmt: skip
    out = io.BytesIO()
    assert exporters.export_plots(Plot.objects.all(), out) == 1
    rows = (
        CalamineWorkbook.from_filelike(io.BytesIO(out.getvalue())).get_sheet_by_index(0).to_python()
    )
    header, row = list(rows[0]), list(rows[1])
    row[header.index("面积(亩)")] = 60
    row[header.index("面积(平方米)")] = ""
    changed = _book([header, row])
    result = importers.import_plots(changed, users["official"])
    assert result.ok, [str(e) for e in result.errors] + result.file_errors
    assert result.created == 1 and result.to_create == 0  # one changed, none new
    plot.refresh_from_db()
    assert plot.area_mu == 60 and plot.area_m2 == Decimal("40000.00")
    assert plot.outline == SQUARE and plot.point == POINT
    assert plot.utilities == ["road", "power"] and plot.far_max == Decimal("1.2")
    assert Plot.objects.count() == 1


def test_a_bad_row_names_its_cell_and_nothing_is_written(park, users):
    source = _book([
        ["园区", "地块编号", "面积(亩)", "用地性质", "经度", "纬度", "通平"],
        ["凌海测试园区", "N-1", 30, "工业", 121.1, 40.9, "七通一平"],
        ["凌海测试园区", "N-2", "三十", "工业", 121.1, 40.9, ""],
        ["黑山不存在园区", "N-3", 10, "仓储", "", "", ""],
        ["凌海测试园区", "N-4", 10, "住宅", 121.1, 95, "通电、通天"],
    ])  # fmt: skip
    result = importers.import_plots(source, users["official"])
    assert not result.ok
    found = {(e.row, e.header) for e in result.errors}
    assert (3, "面积(亩)") in found
    assert (4, "园区") in found
    assert {(5, "用地性质"), (5, "纬度"), (5, "通平")} <= found
    assert not Plot.objects.exists()


def test_a_good_file_adds_plots_with_their_areas(park, users):
    source = _book([
        ["地块清单"],
        ["序号", "所属园区", "宗地编号", "面积（平方米）", "土地用途", "容积率", "通平"],
        [1, "凌海测试园区", "N-1", "20,000", "仓储用地", 1.5, "三通一平"],
    ])  # fmt: skip
    result = importers.import_plots(source, users["official"])
    assert result.ok, [str(e) for e in result.errors]
    plot = Plot.objects.get()
    assert (plot.area_mu, plot.land_use, plot.far_max) == (Decimal(30), "warehouse", Decimal("1.5"))
    assert plot.utilities == ["road", "power", "water", "levelled"]


# --- who sees what ------------------------------------------------------------------------------

ROLES = ("enterprise", "steward", "handler", "official", "leader", "admin")


@pytest.mark.parametrize(
    "role, list_, own_detail, own_edit, other_edit, create",
    [
        ("enterprise", 404, 404, 404, 404, 404),
        ("handler", 404, 404, 404, 404, 404),
        ("steward", 200, 200, 403, 403, 403),
        ("leader", 200, 200, 403, 403, 403),
        ("official", 200, 200, 200, 403, 200),
        ("admin", 200, 200, 200, 200, 200),
    ],
)
def test_role_table(
    client, users, plot, other_park, role, list_, own_detail, own_edit, other_edit, create
):  # noqa: PLR0913
    other_plot = services.create_plot(users["admin"], park=other_park, code="HS", area_mu=1)
    client.force_login(users[role])
    assert client.get(reverse("parks:list")).status_code == list_
    assert client.get(reverse("parks:plots")).status_code == list_
    assert client.get(reverse("parks:plot_detail", args=[plot.pk])).status_code == own_detail
    assert client.get(reverse("parks:plot_edit", args=[plot.pk])).status_code == own_edit
    assert client.get(reverse("parks:park_edit", args=[plot.park_id])).status_code == own_edit
    assert client.get(reverse("parks:plot_edit", args=[other_plot.pk])).status_code == other_edit
    assert client.get(reverse("parks:plot_create")).status_code == create


def test_anonymous_is_sent_to_log_in(client, plot):
    assert client.get(reverse("parks:plot_detail", args=[plot.pk])).status_code == 302


def test_an_official_reserves_through_the_page(client, users, plot, linghai):
    lead = LeadFactory(region=linghai, owner=users["official"])
    client.force_login(users["official"])
    until = (today() + dt.timedelta(days=10)).isoformat()
    url = reverse("parks:plot_step", args=[plot.pk, "reserve"])
    assert client.post(url, {"lead": lead.pk, "until": until}).status_code == 302
    plot.refresh_from_db()
    assert plot.status == Status.RESERVED
    page = client.get(reverse("parks:plot_detail", args=[plot.pk])).content.decode()
    assert lead.name in page


def test_a_park_is_created_through_the_form(client, users, linghai):
    client.force_login(users["official"])
    response = client.post(
        reverse("parks:park_create"),
        {"name": "凌海新园", "kind": "provincial", "region": linghai.pk, "lng": "121.3",
         "lat": "41.1", "occupancy_percent": "40"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    park = Park.objects.get(name="凌海新园")
    assert park.point == {"type": "Point", "coordinates": [121.3, 41.1]}


def test_a_plot_reserved_for_a_lead_goes_to_its_investors_project(plot, users, linghai):
    lead = LeadFactory(region=linghai, owner=users["official"])
    services.reserve(plot, users["official"], lead.pk, today() + dt.timedelta(days=3))
    project = ProjectFactory(region=linghai, enterprise=lead.investor)
    services.take(plot, users["official"], project.pk)
    plot.refresh_from_db()
    assert (plot.status, plot.project_id, plot.reserved_for_id) == (Status.TAKEN, project.pk, None)


def test_the_demo_has_the_two_national_zones_and_marked_demo_land(regions, industries):
    from guanjia.demo.parks_demo import build_parks

    assert build_parks(seed=1, today=today()) == 2 + 2 * (6 + 3)
    parks = Park.objects.order_by("name")
    assert {p.name for p in parks} == {"锦州经济技术开发区", "锦州高新技术产业开发区"}
    assert all(p.whole_area and not p.is_demo and p.planned_area_km2 is None for p in parks)
    assert Plot.objects.filter(is_demo=False).count() == 0
    assert all(p.code.startswith("演示") for p in Plot.objects.all())
    assert build_parks(seed=1, today=today()) == 0  # loaded once


def test_the_plot_page_reads_in_chinese_by_default(client, users, plot, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    client.force_login(users["official"])
    page = client.get(reverse("parks:plot_detail", args=[plot.pk])).content.decode()
    assert "可供" in page and "用地性质" in page and "登记意向" in page


def test_the_import_pages_check_then_write_the_plots(client, users, park, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from guanjia.testing.imports import import_file, use_immediate_imports

    use_immediate_imports(settings, tmp_path)
    client.force_login(users["official"])
    good = _book([["园区", "地块编号", "面积(亩)"], ["凌海测试园区", "N-9", 12]])
    job, _page = import_file(client, "parks", SimpleUploadedFile("地块.xlsx", good.getvalue()))
    assert job.status == "committed", job.result
    assert Plot.objects.get().area_m2 == Decimal("8000.00")
    bad = _book([["园区", "地块编号", "面积(亩)"], ["凌海测试园区", "N-10", "很多"]])
    job, page = import_file(client, "parks", SimpleUploadedFile("地块.xlsx", bad.getvalue()))
    assert job.status != "committed" and "面积(亩)" in page
    assert Plot.objects.count() == 1
