"""The JSON API of parks, plots and buildings, a plot's reservation and the land matching a
lead: the same services as the pages, every refusal a 4xx with a machine-readable body."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from guanjia.accounts.models import ApiToken, Role
from guanjia.parks import services
from guanjia.parks.models import ParkKind, Status
from guanjia.testing.factories import LeadFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def api(client, user, method, path, body=None):
    raw = ApiToken.issue(user, name="tests")[1]
    return client.generic(
        method, "/api/v1" + path, data=json.dumps(body) if body is not None else "",
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}", "accept-language": "en"},
    )  # fmt: skip


def until(days=20):
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


@pytest.fixture
def land(users, linghai, industries):
    industry = next(iter(industries.values()))
    park = services.save_park(
        users["admin"], name="接口园区", kind=ParkKind.PROVINCIAL, region=linghai,
        industries=[industry], port_berths=2,
    )  # fmt: skip
    services.add_substation(users["admin"], park, name="变电站", spare_kva=Decimal(12000))
    big = services.create_plot(users["admin"], park=park, code="P-52", area_mu=Decimal(52))
    small = services.create_plot(users["admin"], park=park, code="P-41", area_mu=Decimal(41))
    building = services.create_building(
        users["admin"], park=park, code="B-1", floor_area_m2=Decimal(8000)
    )
    return {"park": park, "big": big, "small": small, "building": building, "industry": industry}


@pytest.fixture
def lead(users, linghai, land):
    return LeadFactory(
        region=linghai, owner=users["steward"], industry=land["industry"],
        land_mu=Decimal(50), power_kva=Decimal(10000), needs_port=True,
    )  # fmt: skip


def test_the_inventory_lists_and_filters(client, users, land):
    parks = api(client, users["steward"], "GET", "/parks").json()
    assert parks["count"] == 1 and parks["items"][0]["spare_kva"] == "12000"
    plots = api(client, users["leader"], "GET", "/plots?min_mu=50").json()
    assert [p["code"] for p in plots["items"]] == ["P-52"]
    one = api(client, users["official"], "GET", f"/plots/{land['big'].pk}").json()
    assert one["area_mu"] == "52" and one["status"] == "available" and "reserve" in one["steps"]
    assert (
        api(client, users["steward"], "GET", f"/buildings/{land['building'].pk}").json()[
            "floor_area_m2"
        ]
        == "8000"
    )
    assert api(client, users["enterprise"], "GET", "/plots").status_code == 404
    bad = api(client, users["steward"], "GET", "/plots?status=sold")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "status"


def test_the_matching_is_ranked_with_each_criterion(client, users, land, lead):
    body = api(client, users["steward"], "GET", f"/leads/{lead.pk}/land-matches").json()
    assert [m["code"] for m in body["plots"]] == ["P-52", "P-41"]
    first = {r["key"]: (r["text"], r["met"]) for r in body["plots"][0]["reasons"]}
    assert first["area"] == ("area 52 mu ≥ 50 mu", True)
    assert first["power"] == ("spare capacity 12,000 kVA ≥ 10,000 kVA", True)
    assert first["port"] == ("port berths: 2", True)
    assert body["plots"][1]["missed"] == 1
    assert body["buildings"][0]["code"] == "B-1"
    # Another steward's lead is not theirs to see.
    stranger = UserFactory(role=Role.STEWARD, region=lead.region)
    assert api(client, stranger, "GET", f"/leads/{lead.pk}/land-matches").status_code == 404


def test_a_steward_reserves_for_their_lead_and_a_second_lead_is_refused(
    client, users, land, lead, linghai
):
    path = f"/plots/{land['big'].pk}/reserve"
    response = api(client, users["steward"], "POST", path, {"lead_id": lead.pk, "until": until()})
    assert response.status_code == 200 and response.json()["status"] == "reserved"
    other = LeadFactory(region=linghai, owner=users["official"])
    refused = api(client, users["official"], "POST", path, {"lead_id": other.pk, "until": until()})
    assert refused.status_code == 409
    assert "Already reserved" in refused.json()["errors"][0]["message"]
    land["big"].refresh_from_db()
    assert land["big"].reserved_for_id == lead.pk


def test_a_steward_may_not_name_anothers_lead_nor_leave_out_the_date(client, users, land, linghai):
    others = LeadFactory(region=linghai, owner=users["official"])
    path = f"/plots/{land['big'].pk}/reserve"
    refused = api(client, users["steward"], "POST", path, {"lead_id": others.pk, "until": until()})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "lead_id"
    no_date = api(client, users["official"], "POST", path, {"lead_id": others.pk})
    assert no_date.status_code == 422 and no_date.json()["errors"][0]["field"] == "until"
    assert api(client, users["leader"], "POST", path, {}).status_code == 403
    land["big"].refresh_from_db()
    assert land["big"].status == Status.AVAILABLE


def test_a_reservation_is_released_with_a_reason(client, users, land, lead):
    services.reserve(land["big"], users["steward"], lead.pk, timezone.localdate() + dt.timedelta(5))
    path = f"/plots/{land['big'].pk}/release"
    assert api(client, users["steward"], "POST", path, {}).json()["errors"][0]["field"] == "reason"
    done = api(client, users["steward"], "POST", path, {"reason": "投资方改选他址"})
    assert done.status_code == 200 and done.json()["status"] == "available"
    again = api(client, users["official"], "POST", path, {"reason": "再次"})
    assert again.status_code == 409


def test_a_building_is_reserved_and_released_as_a_plot_is(client, users, land, lead, linghai):
    building = land["building"]
    got = api(client, users["steward"], "GET", f"/buildings/{building.pk}").json()
    assert "reserve" in got["steps"]
    path = f"/buildings/{building.pk}/reserve"
    done = api(client, users["steward"], "POST", path, {"lead_id": lead.pk, "until": until()})
    assert done.status_code == 200 and done.json()["status"] == "reserved"
    other = LeadFactory(region=linghai, owner=users["steward"])
    refused = api(client, users["steward"], "POST", path, {"lead_id": other.pk, "until": until()})
    assert refused.status_code == 409
    release = f"/buildings/{building.pk}/release"
    assert api(client, users["steward"], "POST", release, {}).status_code == 422
    back = api(client, users["steward"], "POST", release, {"reason": "投资方改租他处"})
    assert back.status_code == 200 and back.json()["status"] == "available"
    building.refresh_from_db()
    assert building.status == Status.AVAILABLE and building.reserved_for_id is None


def test_the_plot_a_portal_enquiry_asked_about_comes_first_in_the_matching(
    client, users, land, lead
):
    services.record_enquiry(users["admin"], lead, land["small"])
    plots = api(client, users["steward"], "GET", f"/leads/{lead.pk}/land-matches").json()["plots"]
    assert plots[0]["code"] == "P-41" and plots[0]["asked"] is True
    assert [p["asked"] for p in plots[1:]] == [False] * (len(plots) - 1)
