"""The JSON API's lead steps, visits and trips (with a trip's meetings), and an event's day:
check-in by QR token and by hand, the signing list confirmed. The same services as the pages;
every refusal is a 4xx with a machine-readable body."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from guanjia.accounts.models import ApiToken
from guanjia.core.models import AuditEntry
from guanjia.events import services as event_services
from guanjia.events.models import Event, GuestStatus
from guanjia.leads import services
from guanjia.leads.models import Lead, NegotiationRecord, Status
from guanjia.testing.factories import EnterpriseFactory, ProjectFactory, UserFactory

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


@pytest.fixture
def lead(users, linghai):
    investor = EnterpriseFactory(name="国家电投集团东北电力有限公司", credit_code=None)
    return services.create_lead(
        users["official"], investor=investor, name="凌海海上风电", region=linghai,
        source="central_soe", investment_wan=Decimal("500000"),
    )  # fmt: skip


# --- lead steps -------------------------------------------------------------------------------


def test_a_lead_moves_through_the_same_steps_as_on_its_page(client, users, lead):
    official = users["official"]
    moved = api(client, official, "POST", f"/leads/{lead.pk}/steps/negotiate", {})
    assert moved.status_code == 200, moved.content
    assert moved.json()["status"] == "negotiating" and "sign" in moved.json()["steps"]
    assert Lead.objects.get(pk=lead.pk).negotiating_on == timezone.localdate()

    paused = api(
        client, official, "POST", f"/leads/{lead.pk}/steps/pause", {"reason": "资金未到位"}
    )
    assert paused.status_code == 200
    assert paused.json()["status"] == "paused" and paused.json()["status_reason"] == "资金未到位"
    resumed = api(client, official, "POST", f"/leads/{lead.pk}/steps/resume", {})
    assert resumed.json()["status"] == "negotiating"


def test_pause_and_drop_need_their_reason_and_drop_its_confirmation(client, users, lead):
    official = users["official"]
    no_reason = api(client, official, "POST", f"/leads/{lead.pk}/steps/pause", {})
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["field"] == "reason"
    unconfirmed = api(client, official, "POST", f"/leads/{lead.pk}/steps/drop", {"reason": "外迁"})
    assert unconfirmed.status_code == 422
    assert unconfirmed.json()["errors"] == [
        {"field": "confirm", "message": "Tick the box to confirm “Drop”."}
    ]
    dropped = api(
        client,
        official,
        "POST",
        f"/leads/{lead.pk}/steps/drop",
        {"reason": "外迁", "confirm": True},
    )
    assert dropped.status_code == 200 and dropped.json()["status"] == "dropped"


def test_a_step_the_status_does_not_allow_is_a_409_and_an_unknown_one_a_404(client, users, lead):
    official = users["official"]
    refused = api(client, official, "POST", f"/leads/{lead.pk}/steps/resume", {})
    assert refused.status_code == 409 and refused.json()["errors"][0]["field"] is None
    unknown = api(client, official, "POST", f"/leads/{lead.pk}/steps/teleport", {})
    assert unknown.status_code == 404 and "detail" in unknown.json()
    future = timezone.localdate() + dt.timedelta(days=3)
    dated = api(
        client, official, "POST", f"/leads/{lead.pk}/steps/contact", {"on": future.isoformat()}
    )
    assert dated.status_code == 422 and dated.json()["errors"][0]["field"] == "on"
    assert Lead.objects.get(pk=lead.pk).status == Status.LEAD


def test_signing_by_the_api_puts_the_project_in_the_ledger(client, users, lead):
    signed = api(
        client, users["official"], "POST", f"/leads/{lead.pk}/steps/sign", {"confirm": True}
    )
    assert signed.status_code == 200 and signed.json()["project_id"] is not None


@pytest.mark.parametrize(
    "role, status",
    [("official", 200), ("admin", 200), ("leader", 403), ("steward", 404), ("handler", 404),
     ("enterprise", 404)],
)  # fmt: skip
def test_who_may_take_a_lead_step(client, users, lead, role, status):
    before = AuditEntry.objects.count()
    response = api(client, users[role], "POST", f"/leads/{lead.pk}/steps/contact", {})
    assert response.status_code == status
    if status == 200:
        assert response.json()["status"] == "contact"
    else:
        assert "detail" in response.json() and AuditEntry.objects.count() == before


# --- visits and trips -------------------------------------------------------------------------


def test_a_trip_and_its_meetings(client, users, lead, linghai):
    official = users["official"]
    today = timezone.localdate()
    body = {
        "destinations": "深圳市、广州市", "start_on": str(today - dt.timedelta(days=2)),
        "end_on": str(today), "region_id": linghai.pk, "team_ids": [users["steward"].pk],
        "purpose": "拜访新能源企业",
    }  # fmt: skip
    created = api(client, official, "POST", "/trips", body)
    assert created.status_code == 201, created.content
    trip = created.json()
    assert trip["owner"]["id"] == official.pk and trip["team"][0]["id"] == users["steward"].pk
    meeting = {
        "lead_id": lead.pk, "date": str(today - dt.timedelta(days=1)), "our_side": "招商局",
        "their_side": "电投", "outcome": "同意考察", "next_follow_up_on": str(today),
    }  # fmt: skip
    logged = api(client, official, "POST", f"/trips/{trip['id']}/meetings", meeting)
    assert logged.status_code == 201 and logged.json()["kind"] == "trip_out"
    record = NegotiationRecord.objects.get(pk=logged.json()["id"])
    assert record.trip_id == trip["id"] and record.lead == lead
    assert Lead.objects.get(pk=lead.pk).next_follow_up_on == today
    outside = meeting | {"date": str(today - dt.timedelta(days=5))}
    late = api(client, official, "POST", f"/trips/{trip['id']}/meetings", outside)
    assert late.status_code == 422 and late.json()["errors"][0]["field"] == "date"
    listed = api(client, users["leader"], "GET", f"/trips/{trip['id']}/meetings").json()
    assert [m["id"] for m in listed["items"]] == [record.pk]
    assert api(client, users["leader"], "GET", "/trips").json()["count"] == 1
    detail = api(client, users["steward"], "GET", f"/trips/{trip['id']}").json()
    assert detail["meeting_count"] == 1


def test_a_trip_that_ends_before_it_starts_is_a_422(client, users, linghai):
    today = timezone.localdate()
    body = {"destinations": "深圳市", "start_on": str(today), "region_id": linghai.pk,
            "end_on": str(today - dt.timedelta(days=1))}  # fmt: skip
    response = api(client, users["official"], "POST", "/trips", body)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "end_on"


def test_a_visit_names_only_what_its_author_may_name(client, users, lead, linghai, heishan):
    official = users["official"]
    body = {"date": str(timezone.localdate()), "region_id": linghai.pk,
            "investor_ids": [lead.investor_id], "visitors": "电投考察团",
            "host_ids": [official.pk], "lead_ids": [lead.pk], "sites": "凌海经济开发区"}  # fmt: skip
    created = api(client, official, "POST", "/visits", body)
    assert created.status_code == 201, created.content
    assert created.json()["lead_ids"] == [lead.pk]
    other = UserFactory(username="hs_official", role="area_official", region=heishan)
    refused = api(client, official, "POST", "/visits", body | {"host_ids": [other.pk]})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "host_ids"
    hidden = api(client, other, "GET", f"/visits/{created.json()['id']}")
    assert hidden.status_code == 404
    assert api(client, users["enterprise"], "GET", "/visits").status_code == 404


# --- an event's day ---------------------------------------------------------------------------


@pytest.fixture
def event(users, linghai):
    return event_services.create_event(
        users["admin"], name="凌海对接会", date=dt.date(2023, 3, 23), region=linghai,
        organiser="凌海市招商局", status="planning",
    )  # fmt: skip


@pytest.fixture
def guest(event, users):
    enterprise = EnterpriseFactory(name="北京来宾有限公司", home_city="北京", region=None)
    return event_services.invite(event, enterprise, users["admin"])


def test_check_in_by_qr_token(client, users, event, guest):
    token = event_services.checkin_token(guest)
    done = api(client, users["official"], "POST", f"/events/{event.pk}/checkin", {"token": token})
    assert done.status_code == 200, done.content
    assert done.json()["status"] == GuestStatus.CHECKED_IN and done.json()["checked_in_at"]
    assert Event.objects.with_figures().get(pk=event.pk).enterprise_count == 1
    again = api(client, users["official"], "POST", f"/events/{event.pk}/checkin", {"token": token})
    assert again.status_code == 409 and again.json()["errors"][0]["message"]
    forged = api(
        client, users["official"], "POST", f"/events/{event.pk}/checkin", {"token": token + "x"}
    )
    assert forged.status_code == 404


def test_check_in_by_hand_and_who_may(client, users, event, guest):
    path = f"/events/{event.pk}/guests/{guest.pk}/checkin"
    assert api(client, users["leader"], "POST", path).status_code == 403
    assert api(client, users["enterprise"], "POST", path).status_code == 404
    done = api(client, users["admin"], "POST", path)
    assert done.status_code == 200 and done.json()["status"] == GuestStatus.CHECKED_IN


def test_the_signing_list_is_confirmed_row_by_row(client, users, event, linghai):
    official = users["official"]
    rows = [
        event_services.add_row(
            event, users["admin"], project=ProjectFactory(name=name, region=linghai),
            government=linghai, amount_wan=Decimal("10000"),
        )
        for name in ("拟签一", "拟签二")
    ]  # fmt: skip
    base = f"/events/{event.pk}/signing-list"
    signed = api(client, official, "POST", f"{base}/{rows[0].pk}/steps/confirm", {})
    assert signed.status_code == 200, signed.content
    assert signed.json()["status"] == "signed" and signed.json()["signing_id"]
    not_signed = api(client, official, "POST", f"{base}/{rows[1].pk}/steps/not_signed", {})
    assert not_signed.json()["status"] == "not_signed"
    twice = api(client, official, "POST", f"{base}/{rows[0].pk}/steps/not_signed", {})
    assert twice.status_code == 409 and twice.json()["errors"]
    unknown = api(client, official, "POST", f"{base}/{rows[1].pk}/steps/sign", {})
    assert unknown.status_code == 404
    assert Event.objects.with_figures().get(pk=event.pk).signing_count == 1
    leader = api(client, users["leader"], "POST", f"{base}/{rows[1].pk}/steps/replan", {})
    assert leader.status_code == 403
