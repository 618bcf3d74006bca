"""Open data: the public projects as an OC4IDS project package (validated against the schema)
and CSV, the parks and available plots as GeoJSON; no log-in, public fields only, cacheable."""

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import jsonschema_rs
import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from guanjia.parks import services as park_services
from guanjia.parks.models import ParkKind
from guanjia.projects.models import Project
from guanjia.projects.opendata import oc4ids, tabular
from guanjia.projects.opendata import views as open_views
from guanjia.projects.stages import Stage
from guanjia.testing.factories import ContactFactory, LeadFactory, ProjectFactory

SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[121.0, 40.8], [121.01, 40.8], [121.01, 40.81], [121.0, 40.81], [121.0, 40.8]]
    ],
}
OPEN = ("open:oc4ids_projects", "open:projects_csv", "open:parks_geojson", "open:plots_geojson")
URI = "https://invest.example.cn/open/oc4ids/projects.json"


def validator() -> "jsonschema_rs.Draft4Validator":
    return jsonschema_rs.Draft4Validator(oc4ids.schema(), validate_formats=True)


def errors(package: dict) -> list[str]:
    return [f"{e.instance_path}: {e.message}" for e in validator().iter_errors(package)]


@pytest.fixture
def projects(users, linghai, heishan, industries):
    """Three projects in three stages, one given a plot with an outline; internal notes and a
    contact on the investor that must never be published."""
    industry = next(iter(industries.values()))
    industry.gbt4754 = "C25,C26"
    industry.save()
    signed = ProjectFactory(name="针状焦项目", region=linghai, industry=industry, stage=Stage.SIGNED,
                            signed_on=dt.date(2026, 3, 1), total_investment_wan=Decimal("350000"),
                            construction_content="年产10万吨针状焦")  # fmt: skip
    built = ProjectFactory(name="=HYPERLINK(\"x\")", region=heishan, stage=Stage.CONSTRUCTION,
                           signed_on=dt.date(2025, 5, 1), construction_on=dt.date(2025, 9, 1),
                           total_investment_wan=Decimal("0"))  # fmt: skip
    gone = ProjectFactory(name="已终止项目", region=linghai, stage=Stage.WITHDRAWN,
                          withdrawn_on=dt.date(2026, 1, 5), withdrawn_reason="投资方撤资（内部）")  # fmt: skip
    ContactFactory(enterprise=signed.enterprise, name="张秘密", phone="13900000000")
    park = park_services.save_park(users["admin"], name="凌海测试园区", kind=ParkKind.PROVINCIAL,
                                   region=linghai)  # fmt: skip
    plot = park_services.create_plot(users["admin"], park=park, code="LH-01", area_mu=Decimal(50),
                                     outline=SQUARE)  # fmt: skip
    park_services.take(plot, users["admin"], signed.pk)
    return {"signed": signed, "built": built, "gone": gone, "plot": plot}


def package(projects: dict) -> dict:
    pks = [p.pk for p in projects.values() if isinstance(p, Project)]
    return oc4ids.package(Project.objects.filter(pk__in=pks), URI)


# --- OC4IDS ---------------------------------------------------------------------------------------


def test_the_package_validates_against_the_oc4ids_schema(projects):
    data = package(projects)
    assert errors(data) == []
    assert data["version"] == "0.9" and data["uri"] == URI and data["license"].startswith("https")
    assert len(data["projects"]) == 3
    assert len({p["id"] for p in data["projects"]}) == 3


def test_the_schema_refuses_what_the_standard_refuses(projects):
    data = package(projects)
    broken = json.loads(json.dumps(data))
    broken["projects"][0]["status"] = "signed"  # our stage, not an OC4IDS code
    del broken["publisher"]
    broken["publishedDate"] = "yesterday"
    found = errors(broken)
    assert any("status" in e for e in found)
    assert any("publisher" in e for e in found)
    assert any("publishedDate" in e for e in found)
    assert errors({**data, "projects": []})  # a package has at least one project


@pytest.mark.parametrize(
    ("stage", "status"),
    [(Stage.LEAD, "identification"), (Stage.NEGOTIATING, "identification"),
     (Stage.SIGNED, "preparation"), (Stage.REGISTERED, "preparation"),
     (Stage.APPROVALS, "preparation"), (Stage.CONSTRUCTION, "implementation"),
     (Stage.OPERATION, "completion"), (Stage.FULL_CAPACITY, "completed"),
     (Stage.WITHDRAWN, "cancelled")],
)  # fmt: skip
def test_every_stage_maps_to_a_project_status_code(stage, status):
    assert oc4ids.STATUS[stage] == status
    assert status in oc4ids.schema()["definitions"]["Project"]["properties"]["status"]["enum"]


def test_a_project_has_its_facts_and_nothing_internal(projects):
    data = package(projects)
    by_title = {p["title"]: p for p in data["projects"]}
    coke = by_title["针状焦项目"]
    assert coke["status"] == "preparation" and coke["sector"] == ["economy"]
    assert coke["description"] == "年产10万吨针状焦"
    assert coke["budget"] == {"amount": {"amount": 3_500_000_000.0, "currency": "CNY"}}
    assert coke["period"]["startDate"].startswith("2026-03-01T00:00:00")
    assert {
        "scheme": "GB/T 4754-2017",
        "id": "C25",
        "description": coke["additionalClassifications"][0]["description"],
    } in coke["additionalClassifications"]
    area, land = coke["locations"]
    assert area["address"]["region"] == "凌海市" and area["gazetteer"]["identifiers"] == ["210781"]
    assert land["geometry"] == SQUARE and "LH-01" in land["description"]
    gone = by_title["已终止项目"]
    assert gone["status"] == "cancelled" and gone["completion"]["endDate"].startswith("2026-01-05")
    assert "budget" not in by_title['=HYPERLINK("x")']  # no amount: no budget
    text = json.dumps(data, ensure_ascii=False)
    for secret in ("张秘密", "13900000000", "投资方撤资", projects["signed"].enterprise.name):
        assert secret not in text


def test_only_the_projects_the_city_marks_public_are_published(client, projects):
    response = client.get(reverse("open:oc4ids_projects"))
    assert response.status_code == 200
    data = json.loads(response.content)
    assert data["projects"] == [] and data["uri"].endswith("/open/oc4ids/projects.json")
    Project.objects.filter(pk=projects["signed"].pk).update(public=True)
    cache.clear()  # the built body is kept a minute
    data = json.loads(client.get(reverse("open:oc4ids_projects")).content)
    assert [p["title"] for p in data["projects"]] == ["针状焦项目"]
    assert errors(data) == []


def test_the_endpoint_serves_the_public_projects_as_a_valid_package(client, projects, monkeypatch):
    public = Project.objects.filter(pk__in=[projects["signed"].pk, projects["gone"].pk])
    monkeypatch.setattr(open_views, "public_projects", lambda: public)
    response = client.get(reverse("open:oc4ids_projects"))
    assert response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    assert errors(data) == []
    assert {p["title"] for p in data["projects"]} == {"针状焦项目", "已终止项目"}


# --- CSV ----------------------------------------------------------------------------------------


def test_the_csv_has_the_columns_and_a_row_per_public_project(client, projects, monkeypatch):
    public = Project.objects.filter(pk__in=[projects["signed"].pk, projects["built"].pk])
    monkeypatch.setattr(open_views, "public_projects", lambda: public)
    response = client.get(reverse("open:projects_csv"))
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == [
        "id", "title", "area", "area_code", "industry", "stage", "oc4ids_status",
        "total_investment_wan", "signed_on", "construction_on", "operation_on", "updated",
    ]  # fmt: skip
    rows = {r[1]: dict(zip(table[0], r, strict=True)) for r in table[1:]}
    assert len(rows) == 2
    coke = rows["针状焦项目"]
    assert coke["id"] == oc4ids.project_id(projects["signed"].pk)
    assert (coke["area"], coke["stage"], coke["oc4ids_status"]) == (
        "凌海市",
        "signed",
        "preparation",
    )
    assert (coke["total_investment_wan"], coke["signed_on"]) == ("350000", "2026-03-01")
    # A name a spreadsheet would run as a formula is written as text.
    assert '\'=HYPERLINK("x")' in rows


def test_the_csv_rows_match_the_package(projects):
    qs = Project.objects.filter(pk=projects["built"].pk)
    header, row = list(tabular.rows(qs))
    assert dict(zip(header, row, strict=True))["oc4ids_status"] == "implementation"


# --- GeoJSON ------------------------------------------------------------------------------------


def _valid_geojson(data: dict) -> None:
    """RFC 7946's shape: a FeatureCollection of Features, each with a geometry (or null) whose
    positions are [longitude, latitude] in range, and an object of properties."""
    assert data["type"] == "FeatureCollection" and isinstance(data["features"], list)
    for feature in data["features"]:
        assert feature["type"] == "Feature" and isinstance(feature["properties"], dict)
        geometry = feature["geometry"]
        if geometry is None:
            continue
        assert geometry["type"] in ("Point", "Polygon")
        rings = [[geometry["coordinates"]]] if geometry["type"] == "Point" else [
            geometry["coordinates"]]  # fmt: skip
        for ring_list in rings:
            for ring in ring_list:
                for lng, lat in ring if geometry["type"] == "Polygon" else [ring]:
                    assert -180 <= lng <= 180 and -90 <= lat <= 90
        if geometry["type"] == "Polygon":
            assert all(r[0] == r[-1] and len(r) >= 4 for r in geometry["coordinates"])


@pytest.fixture
def land(users, linghai, industries):
    admin = users["admin"]
    park = park_services.save_park(
        admin, name="凌海测试园区", kind=ParkKind.PROVINCIAL, region=linghai,
        point={"type": "Point", "coordinates": [121.35, 40.95]},
        industries=[next(iter(industries.values()))], contact_name="李联系",
        contact_phone="0416-1234567", sources="内部资料",
    )  # fmt: skip
    park_services.add_substation(admin, park, name="一号变", capacity_kva=Decimal(50000),
                                 spare_kva=Decimal(20000))  # fmt: skip
    free = park_services.create_plot(admin, park=park, code="LH-01", area_mu=Decimal(50),
                                     power_kva=Decimal(10000), outline=SQUARE,
                                     notes="内部备注")  # fmt: skip
    reserved = park_services.create_plot(admin, park=park, code="LH-02", area_mu=Decimal(20),
                                         point={"type": "Point", "coordinates": [121.4, 40.9]})  # fmt: skip
    lead = LeadFactory(region=linghai, owner=users["official"], name="秘密线索甲")
    park_services.reserve(reserved, users["official"], lead.pk,
                          timezone.localdate() + dt.timedelta(days=30))  # fmt: skip
    return {"park": park, "free": free, "reserved": reserved}


def test_the_parks_geojson_is_valid_and_has_no_contact(client, land):
    response = client.get(reverse("open:parks_geojson"))
    assert response.status_code == 200 and response["Content-Type"] == "application/geo+json"
    data = json.loads(response.content)
    _valid_geojson(data)
    (park,) = data["features"]
    assert park["geometry"] == {"type": "Point", "coordinates": [121.35, 40.95]}
    props = park["properties"]
    assert props["name"] == "凌海测试园区" and props["spare_kva"] == 20000.0
    assert props["area_name"] == "凌海市" and len(props["industries"]) == 1
    text = response.content.decode()
    assert "李联系" not in text and "0416-1234567" not in text and "内部资料" not in text


def test_the_plots_geojson_has_only_available_plots_and_no_reservation(client, land):
    data = json.loads(client.get(reverse("open:plots_geojson")).content)
    _valid_geojson(data)
    (plot,) = data["features"]
    assert plot["id"] == land["free"].pk and plot["geometry"] == SQUARE
    props = plot["properties"]
    assert (props["code"], props["area_mu"], props["power_kva"]) == ("LH-01", 50.0, 10000.0)
    assert props["park_name"] == "凌海测试园区"
    text = json.dumps(data, ensure_ascii=False)
    assert "LH-02" not in text and "秘密线索甲" not in text and "内部备注" not in text
    assert "reserved" not in text and "project" not in text


# --- open: no log-in, cacheable -----------------------------------------------------------------


@pytest.mark.parametrize("name", OPEN)
def test_open_endpoints_need_no_log_in_and_are_cacheable(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert "public" in response["Cache-Control"] and "max-age=300" in response["Cache-Control"]
    assert "Content-Security-Policy" in response.headers
    assert client.post(reverse(name)).status_code == 405


@pytest.mark.parametrize("name", OPEN)
def test_a_signed_in_user_gets_them_but_nothing_is_stored(client, users, name):
    client.force_login(users["steward"])
    response = client.get(reverse(name))
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"


def test_a_change_to_a_plot_or_park_shows_in_the_geojson_at_once(client, land, users):
    plots = reverse("open:plots_geojson")
    parks = reverse("open:parks_geojson")
    assert [f["properties"]["code"] for f in json.loads(client.get(plots).content)["features"]] == [
        "LH-01"
    ]
    client.get(parks)  # both built and kept
    park_services.take_step(land["reserved"], "release", users["official"], reason="客商放弃")
    codes = {f["properties"]["code"] for f in json.loads(client.get(plots).content)["features"]}
    assert codes == {"LH-01", "LH-02"}
    park_services.save_park(users["admin"], land["park"], name="凌海新材料产业园",
                            region=land["park"].region, kind=ParkKind.PROVINCIAL)  # fmt: skip
    (park,) = json.loads(client.get(parks).content)["features"]
    assert park["properties"]["name"] == "凌海新材料产业园"
