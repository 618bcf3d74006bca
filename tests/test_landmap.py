"""The land map (招商地图): its data scoped like the parks pages, filtered by industry, size,
power and price, and in public mode only available plots, never a reservation or a lead."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from guanjia.parks import mapdata, services
from guanjia.parks.models import Park, ParkKind, Plot, Status
from guanjia.testing.factories import LeadFactory, ProjectFactory

SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[121.0, 40.8], [121.01, 40.8], [121.01, 40.81], [121.0, 40.81], [121.0, 40.8]]
    ],
}


def point(lng: float, lat: float) -> dict:
    return {"type": "Point", "coordinates": [lng, lat]}


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def land(users, linghai, heishan, industries):
    """Two parks (凌海: 精细化工; 黑山: 农产品加工) and four plots of every status and size."""
    admin = users["admin"]
    chem = next(i for n, i in industries.items() if "化工" in n)
    food = next(i for n, i in industries.items() if i != chem)
    lh = services.save_park(admin, name="凌海测试园区", kind=ParkKind.PROVINCIAL, region=linghai,
                            point=point(121.35, 40.95), industries=[chem])  # fmt: skip
    hs = services.save_park(admin, name="黑山测试园区", kind=ParkKind.SPECIALISED, region=heishan,
                            point=point(122.1, 41.7), industries=[food])  # fmt: skip
    big = services.create_plot(admin, park=lh, code="LH-01", name="大地块", area_mu=Decimal(60),
                               power_kva=Decimal(12000), price_wan_per_mu=Decimal(8),
                               point=point(121.36, 40.96), outline=SQUARE, notes="内部备注")  # fmt: skip
    small = services.create_plot(admin, park=lh, code="LH-02", area_mu=Decimal(10),
                                 power_kva=Decimal(800), price_wan_per_mu=Decimal(15),
                                 point=point(121.37, 40.96))  # fmt: skip
    kept = services.create_plot(admin, park=lh, code="LH-03", area_mu=Decimal(55),
                                power_kva=Decimal(20000), price_wan_per_mu=Decimal(9),
                                point=point(121.38, 40.96))  # fmt: skip
    far = services.create_plot(admin, park=hs, code="HS-01", area_mu=Decimal(80),
                               power_kva=Decimal(10000), price_wan_per_mu=Decimal(6),
                               point=point(122.11, 41.71))  # fmt: skip
    unplaced = services.create_plot(admin, park=hs, code="HS-02", area_mu=Decimal(30))
    lead = LeadFactory(region=linghai, owner=users["official"], name="秘密线索甲")
    services.reserve(kept, users["official"], lead.pk, timezone.localdate() + dt.timedelta(days=30))
    project = ProjectFactory(region=heishan, name="已落地项目乙")
    services.take(far, admin, project.pk)
    return {"chem": chem, "food": food, "lh": lh, "hs": hs, "big": big, "small": small,
            "kept": kept, "far": far, "unplaced": unplaced, "lead": lead, "project": project}  # fmt: skip


def codes(data: dict) -> set[str]:
    index = data["fields"].index("code")
    return {row[index] for row in data["plots"]}


def rows_by_code(data: dict) -> dict[str, dict]:
    return {row[1]: dict(zip(data["fields"], row, strict=True)) for row in data["plots"]}


def get(client, user, **query):
    client.force_login(user)
    return client.get(reverse("parks:map_data"), query)


# --- who sees the map ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "page", "data"),
    [("admin", 200, 200), ("official", 200, 200), ("steward", 200, 200), ("leader", 200, 200),
     ("handler", 404, 404), ("enterprise", 404, 404)],
)  # fmt: skip
def test_the_map_and_its_data_are_the_parks_readers_only(client, users, land, who, page, data):
    client.force_login(users[who])
    assert client.get(reverse("parks:map")).status_code == page
    response = client.get(reverse("parks:map_data"))
    assert response.status_code == data
    if data == 200:
        # The inventory is the city's: every reader sees every placed plot, of every status.
        assert codes(response.json()) == {"LH-01", "LH-02", "LH-03", "HS-01"}


def test_anonymous_visitors_are_sent_to_log_in(client, land):
    for name in ("parks:map", "parks:map_data"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_plot_row_has_what_the_map_draws_and_its_status(client, users, land):
    data = get(client, users["steward"]).json()
    plots = rows_by_code(data)
    big = plots["LH-01"]
    assert big["id"] == land["big"].pk and big["park"] == land["lh"].pk
    assert (big["lng"], big["lat"], big["area_mu"], big["power_kva"], big["price"]) == (
        121.36, 40.96, 60.0, 12000.0, 8.0,
    )  # fmt: skip
    assert big["outline"] == SQUARE["coordinates"] and big["status"] == "available"
    assert plots["LH-03"]["status"] == "reserved" and plots["HS-01"]["status"] == "taken"
    assert {p[1] for p in data["parks"]} == {"凌海测试园区", "黑山测试园区"}
    # Nothing but the drawn fields: no notes, no lead, no project.
    text = json.dumps(data, ensure_ascii=False)
    assert "内部备注" not in text and "秘密线索甲" not in text and "已落地项目乙" not in text


# --- filters ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, {"LH-01", "LH-02", "LH-03", "HS-01"}),
        ({"min_mu": "50"}, {"LH-01", "LH-03", "HS-01"}),
        ({"max_mu": "20"}, {"LH-02"}),
        ({"min_kva": "10000"}, {"LH-01", "LH-03", "HS-01"}),
        ({"max_price": "8.5"}, {"LH-01", "HS-01"}),
        ({"status": "available"}, {"LH-01", "LH-02"}),
        ({"min_mu": "50", "min_kva": "10000", "status": "available"}, {"LH-01"}),
        ({"min_mu": "abc"}, {"LH-01", "LH-02", "LH-03", "HS-01"}),  # a bad bound is no bound
    ],
)
def test_the_map_is_filtered_by_size_power_price_and_status(client, users, land, query, expected):
    assert codes(get(client, users["leader"], **query).json()) == expected


def test_the_industry_filter_keeps_the_plots_of_parks_leading_in_it(client, users, land):
    assert codes(get(client, users["admin"], industry=land["chem"].pk).json()) == {
        "LH-01", "LH-02", "LH-03",
    }  # fmt: skip
    assert codes(get(client, users["admin"], industry=land["food"].pk).json()) == {"HS-01"}


def test_the_filters_show_on_the_page_and_the_approval_note_is_kept(client, users, land, settings):
    client.force_login(users["official"])
    html = client.get(reverse("parks:map")).content.decode()
    for name in ("industry", "min_mu", "max_mu", "min_kva", "max_price", "status"):
        assert f'name="{name}"' in html
    assert "审图号" in html and reverse("parks:map_data") in html
    settings.GUANJIA_MAP_APPROVAL_NUMBER = "辽S(2026)001号"
    assert "辽S(2026)001号" in client.get(reverse("parks:map")).content.decode()


# --- public mode --------------------------------------------------------------------------------


def test_public_mode_returns_only_available_plots_and_no_reservation(land):
    data = mapdata.map_data(Plot.objects.all(), Park.objects.all(), public=True)
    assert codes(data) == {"LH-01", "LH-02"}
    assert {row[3] for row in data["plots"]} == {Status.AVAILABLE}
    text = json.dumps(data, ensure_ascii=False)
    assert "秘密线索甲" not in text and "已落地项目乙" not in text and "内部备注" not in text
    assert "reserved" not in text and "taken" not in text
    # A status asked for cannot widen it.
    asked = mapdata.map_data(
        Plot.objects.all(), Park.objects.all(), mapdata.MapFilters(status="reserved"), public=True
    )
    assert codes(asked) == {"LH-01", "LH-02"}


def test_the_data_is_three_queries_whatever_the_number_of_plots(client, users, land):
    client.force_login(users["admin"])
    client.get(reverse("parks:map_data"))  # the session and user, loaded once
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("parks:map_data"), {"industry": land["chem"].pk})
    assert response.status_code == 200
    drawn = [q["sql"] for q in queries.captured_queries if '"parks_' in q["sql"]]
    # The plots, their outlines, the parks (the filter form's industry choices aside).
    assert len(drawn) == 3, drawn


def test_the_map_page_speaks_chinese(client, users, land, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    client.force_login(users["leader"])
    html = client.get(reverse("parks:map"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "招商地图" in html and "不得公开发布" in html and "供电能力至少" in html


# --- the cache: a change shows at once ----------------------------------------------------------


def status_of(client, user, code: str, **query) -> str | None:
    row = rows_by_code(get(client, user, **query).json()).get(code)
    return row["status"] if row else None


def test_the_data_is_served_from_the_cache_until_the_land_changes(client, users, land):
    get(client, users["admin"])  # computed and kept
    with CaptureQueriesContext(connection) as queries:
        assert get(client, users["leader"]).status_code == 200  # another reader: the same answer
    assert not [q for q in queries.captured_queries if '"parks_plot"' in q["sql"]]


def test_a_step_on_a_plot_shows_on_the_map_at_once(client, users, land):
    admin = users["admin"]
    assert status_of(client, admin, "LH-01") == "available"
    services.reserve(
        land["big"], admin, land["lead"].pk, timezone.localdate() + dt.timedelta(days=9)
    )
    assert status_of(client, admin, "LH-01") == "reserved"
    assert "LH-01" not in codes(get(client, admin, status="available").json())
    services.take_step(Plot.objects.get(pk=land["big"].pk), "release", admin, reason="客商放弃")
    assert status_of(client, admin, "LH-01") == "available"


def test_an_edit_an_addition_and_a_deletion_show_on_the_map_at_once(client, users, land):
    admin = users["admin"]
    assert get(client, admin).json()["count"] == 4
    services.save_offer(
        admin,
        Plot.objects.get(pk=land["small"].pk),
        park=land["lh"],
        area_mu=Decimal(70),
        area_m2=None,
    )
    assert rows_by_code(get(client, admin).json())["LH-02"]["area_mu"] == 70.0
    services.create_plot(admin, park=land["hs"], code="HS-03", area_mu=Decimal(5),
                         point=point(122.12, 41.72))  # fmt: skip
    assert "HS-03" in codes(get(client, admin).json())
    Plot.objects.get(code="HS-03").delete()
    assert "HS-03" not in codes(get(client, admin).json())


def test_a_parks_new_leading_industry_shows_in_the_industry_filter_at_once(client, users, land):
    admin = users["admin"]
    assert codes(get(client, admin, industry=land["food"].pk).json()) == {"HS-01"}
    land["lh"].industries.add(land["food"])
    assert codes(get(client, admin, industry=land["food"].pk).json()) == {
        "LH-01", "LH-02", "LH-03", "HS-01",
    }  # fmt: skip


def test_the_version_moves_again_when_the_change_is_committed(
    land, django_capture_on_commit_callbacks
):
    from guanjia.parks import landcache

    before = landcache.version()
    with django_capture_on_commit_callbacks(execute=True):
        Plot.objects.filter(pk=land["big"].pk).get().save()
        during = landcache.version()
    # Once at the save, once at the commit: what a reader computed in between is not kept
    # under the version readers see after the commit.
    assert before < during < landcache.version()


def test_public_mode_is_cached_apart_from_the_workspace(land):
    everything = json.loads(
        mapdata.cached_map_json("staff", Plot.objects.all(), Park.objects.all())
    )
    public = json.loads(
        mapdata.cached_map_json("staff", Plot.objects.all(), Park.objects.all(), public=True)
    )
    assert codes(everything) == {"LH-01", "LH-02", "LH-03", "HS-01"}
    assert codes(public) == {"LH-01", "LH-02"} and public["public"] is True
