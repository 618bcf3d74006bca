"""The JSON API at /api/v1/: authentication, each endpoint, bad input and the schema."""

import datetime as dt
import io
import json
import re
from decimal import Decimal

import pytest
from django.contrib.staticfiles import finders
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from guanjia.accounts.models import ApiToken
from guanjia.core.models import AuditEntry
from guanjia.enterprises.models import Enterprise
from guanjia.events import services as event_services
from guanjia.projects import services as project_services
from guanjia.projects.models import Project, stall_limits
from guanjia.projects.stages import Stage
from guanjia.testing.factories import (
    ContactFactory,
    EnterpriseFactory,
    EventFactory,
    credit_code,
)

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def client():
    # English, so the messages asserted below read the same once the Chinese catalogue exists.
    return Client(headers={"accept-language": "en"})


@pytest.fixture
def admin(users):
    return users["admin"]


def bearer(user) -> dict[str, str]:
    _, raw = ApiToken.issue(user, name="tests")
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def as_admin(admin):
    return bearer(admin)


def send(client, method, path, body, headers):
    """POST or PATCH `body` as JSON (a str is sent as it is, to test broken bodies)."""
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return getattr(client, method)(
        f"{API}{path}", data=data, content_type="application/json", headers=headers
    )


def make_project(region, *, name="针状焦项目", enterprise=None, stage_on=dt.date(2023, 1, 5),
                 investment="100000", **fields):  # fmt: skip
    return project_services.create_project(
        None,
        name=name,
        enterprise=enterprise or EnterpriseFactory(),
        region=region,
        total_investment_wan=Decimal(investment),
        stage_on=stage_on,
        **fields,
    )


# --- authentication -------------------------------------------------------------------


def test_a_bearer_token_lets_a_machine_read(client, linghai, as_admin):
    make_project(linghai)
    response = client.get(f"{API}/projects", headers=as_admin)
    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_without_credentials_it_is_a_401_in_json(client, users):
    response = client.get(f"{API}/projects")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Authentication required: send a bearer token or log in."}
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer gj_not-a-real-token", "Bearer ", "Basic dXNlcjpwdw=="])
def test_a_wrong_token_is_a_401(client, users, header):
    response = client.get(f"{API}/projects", headers={"Authorization": header})
    assert response.status_code == 401
    assert set(response.json()) == {"detail"}


def test_a_revoked_token_or_a_deactivated_user_is_a_401(client, admin, users):
    token, raw = ApiToken.issue(admin)
    headers = {"Authorization": f"Bearer {raw}"}
    assert client.get(f"{API}/regions", headers=headers).status_code == 200
    token.revoked = True
    token.save()
    assert client.get(f"{API}/regions", headers=headers).status_code == 401
    other = users["official"]
    headers = bearer(other)
    other.is_active = False
    other.save()
    assert client.get(f"{API}/regions", headers=headers).status_code == 401


def test_the_browser_session_reads_without_a_csrf_token(linghai, admin):
    make_project(linghai)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin)
    response = browser.get(f"{API}/projects")
    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_the_browser_session_needs_the_csrf_token_to_write(admin, industries):
    browser = Client(enforce_csrf_checks=True, headers={"accept-language": "en"})
    browser.force_login(admin)
    body = json.dumps({"name": "宁德时代新能源科技股份有限公司", "credit_code": credit_code()})
    refused = browser.post(f"{API}/enterprises", data=body, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert not Enterprise.objects.filter(name="宁德时代新能源科技股份有限公司").exists()

    browser.get(f"{API}/docs")  # a page that sets the CSRF cookie, as every web page does
    token = browser.cookies["csrftoken"].value
    accepted = browser.post(
        f"{API}/enterprises", data=body, content_type="application/json",
        headers={"X-CSRFToken": token},
    )  # fmt: skip
    assert accepted.status_code == 201


def test_a_machine_with_a_token_needs_no_csrf_token(admin):
    machine = Client(enforce_csrf_checks=True)
    response = send(
        machine, "post", "/enterprises",
        {"name": "锦州九泰药业有限责任公司", "credit_code": credit_code()}, bearer(admin),
    )  # fmt: skip
    assert response.status_code == 201


def test_the_token_command_prints_a_token_that_works(client, admin):
    out, err = io.StringIO(), io.StringIO()
    call_command("token", admin.username, "--name", "reporting script", stdout=out, stderr=err)
    raw = out.getvalue().strip()
    assert raw.startswith("gj_")
    assert ApiToken.objects.get(user=admin).name == "reporting script"
    response = client.get(f"{API}/regions", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200


def test_the_token_command_refuses_an_unknown_user(db):
    with pytest.raises(CommandError, match="nobody"):
        call_command("token", "nobody")
    assert not ApiToken.objects.exists()


# --- reference data -------------------------------------------------------------------


def test_regions_lists_the_areas_in_use_but_not_the_abolished_county(client, as_admin):
    response = client.get(f"{API}/regions", headers=as_admin)
    assert "凌海市" in response.content.decode()  # UTF-8 text, not \u escapes
    body = response.json()
    by_code = {r["code"]: r for r in body["items"]}
    assert body["count"] == len(body["items"])
    assert by_code["210781"]["name"] == "凌海市"
    assert by_code["210781"]["parent_id"] == by_code["210700"]["id"]
    assert by_code["210781"]["gb_code"] == "210781"
    assert "210724" not in by_code  # 锦县, abolished in 1993
    zones = [r for r in body["items"] if r["kind"] == "zone"]
    assert len(zones) == 2 and all(z["gb_code"] == "" for z in zones)


def test_industries_carry_their_gbt4754_codes(client, as_admin, industries):
    body = client.get(f"{API}/industries", headers=as_admin).json()
    assert body["count"] == len(industries)
    item = body["items"][0]
    assert set(item) == {"id", "code", "name", "group", "gbt4754"}
    assert all(isinstance(i["gbt4754"], list) for i in body["items"])
    assert any(i["gbt4754"] for i in body["items"])


# --- enterprises ----------------------------------------------------------------------


def test_the_enterprise_list_searches_names_and_codes_and_pages(client, as_admin, linghai):
    code = credit_code()
    EnterpriseFactory(name="锦州石化分公司", credit_code=code, region=linghai)
    for i in range(3):
        EnterpriseFactory(name=f"龙宇新材料{i}号公司", region=linghai)
    body = client.get(f"{API}/enterprises?q=龙宇&limit=2", headers=as_admin).json()
    assert body["count"] == 3
    assert [e["name"] for e in body["items"]] == ["龙宇新材料0号公司", "龙宇新材料1号公司"]
    body = client.get(f"{API}/enterprises?q=龙宇&limit=2&offset=2", headers=as_admin).json()
    assert [e["name"] for e in body["items"]] == ["龙宇新材料2号公司"]
    body = client.get(f"{API}/enterprises?q={code.lower()}", headers=as_admin).json()
    assert [e["credit_code"] for e in body["items"]] == [code]
    assert body["items"][0]["region"] == {"id": linghai.pk, "code": "210781", "name": "凌海市"}


def test_an_enterprise_shows_its_contacts_with_masked_phones(client, as_admin, own_enterprise):
    ContactFactory(enterprise=own_enterprise, name="王经理", phone="13812345678")
    response = client.get(f"{API}/enterprises/{own_enterprise.pk}", headers=as_admin)
    assert response.status_code == 200
    contacts = response.json()["contacts"]
    assert contacts[0]["phone"] == "138****5678"
    assert "13812345678" not in response.content.decode()


def test_creating_an_enterprise_needs_only_a_name_and_a_credit_code(client, admin, as_admin):
    code = credit_code("210781")
    response = send(
        client, "post", "/enterprises", {"name": "凯美能源", "credit_code": code}, as_admin
    )
    assert response.status_code == 201
    body = response.json()
    enterprise = Enterprise.objects.get(pk=body["id"])
    assert enterprise.credit_code == code
    assert body["ownership"] == "private" and body["region"] is None
    entry = AuditEntry.objects.get(
        object_type="enterprises.enterprise", object_id=str(enterprise.pk)
    )
    assert entry.action == "create" and entry.actor == admin


def test_creating_an_enterprise_takes_the_optional_facts(client, as_admin, linghai, industries):
    industry = next(iter(industries.values()))
    payload = {
        "name": "国家电投东北公司", "credit_code": credit_code(), "ownership": "central_soe_sub",
        "capital_origin": "state", "home_city": "沈阳市", "region_id": linghai.pk,
        "industry_id": industry.pk, "address": "凌海市大有经济区",
    }  # fmt: skip
    body = send(client, "post", "/enterprises", payload, as_admin).json()
    assert body["ownership"] == "central_soe_sub" and body["capital_origin"] == "state"
    assert body["region"]["id"] == linghai.pk and body["industry"]["id"] == industry.pk
    assert body["home_city"] == "沈阳市" and body["address"] == "凌海市大有经济区"


def test_a_bad_credit_code_is_a_422_naming_credit_code_with_the_reasons(client, as_admin):
    good = credit_code()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    response = send(
        client, "post", "/enterprises", {"name": "某公司", "credit_code": bad}, as_admin
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == ["credit_code"]
    assert "check digit" in errors[0]["message"]
    response = send(
        client, "post", "/enterprises", {"name": "某公司", "credit_code": "91210700OS"}, as_admin
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "credit_code"
    assert "18 characters" in response.json()["errors"][0]["message"]
    assert not Enterprise.objects.filter(name="某公司").exists()


def test_a_duplicate_credit_code_is_a_409_naming_the_existing_enterprise(client, as_admin):
    existing = EnterpriseFactory(name="中国石油锦州石化分公司")
    payload = {"name": "锦州石化", "credit_code": " " + existing.credit_code.lower()}
    response = send(client, "post", "/enterprises", payload, as_admin)
    assert response.status_code == 409
    body = response.json()
    assert body["existing_id"] == existing.pk
    assert body["errors"][0]["field"] == "credit_code"
    assert "中国石油锦州石化分公司" in body["errors"][0]["message"]
    assert not Enterprise.objects.filter(name="锦州石化").exists()


def test_missing_name_and_unknown_ownership_are_422s_naming_the_fields(client, as_admin):
    payload = {"credit_code": credit_code(), "ownership": "state_owned"}
    response = send(client, "post", "/enterprises", payload, as_admin)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"name", "ownership"}


def test_an_unknown_region_is_a_422_naming_region_id(client, as_admin):
    payload = {"name": "某公司", "credit_code": credit_code(), "region_id": 999999}
    response = send(client, "post", "/enterprises", payload, as_admin)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "region_id"


def test_patching_an_enterprise_changes_only_the_fields_sent(client, admin, as_admin, linghai):
    enterprise = EnterpriseFactory(name="辽晶电子", home_city="锦州市", region=linghai)
    response = send(
        client, "patch", f"/enterprises/{enterprise.pk}", {"home_city": "大连市"}, as_admin
    )
    assert response.status_code == 200
    enterprise.refresh_from_db()
    assert enterprise.home_city == "大连市" and enterprise.name == "辽晶电子"
    assert enterprise.region == linghai
    entry = AuditEntry.objects.get(object_id=str(enterprise.pk), action="update")
    assert entry.before == {"home_city": "锦州市"} and entry.actor == admin


def test_patching_an_enterprise_refuses_null_names_and_anothers_code(client, as_admin, linghai):
    one, other = EnterpriseFactory(region=linghai), EnterpriseFactory()
    response = send(client, "patch", f"/enterprises/{one.pk}", {"name": None}, as_admin)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "name"
    response = send(
        client, "patch", f"/enterprises/{one.pk}", {"credit_code": other.credit_code}, as_admin
    )
    assert response.status_code == 409 and response.json()["existing_id"] == other.pk


# --- projects -------------------------------------------------------------------------


@pytest.fixture
def ledger(linghai, heishan, industries):
    """Three projects: two in 凌海 (one signed), one in 黑山."""
    energy = industries["新能源"]
    wind = make_project(
        heishan, name="国家电投黑山400MW风电项目", investment="280000", industry=energy,
        level="provincial",
    )  # fmt: skip
    coke = make_project(linghai, name="40万吨/年针状焦项目", investment="350000.5")
    project_services.transition(coke, Stage.SIGNED, None, on=dt.date(2023, 3, 23))
    pigment = make_project(linghai, name="龙宇颜料扩能项目", investment="12000")
    return {"wind": wind, "coke": coke, "pigment": pigment}


def test_the_project_list_has_the_count_total_and_items(client, as_admin, ledger):
    body = client.get(f"{API}/projects", headers=as_admin).json()
    assert set(body) == {"count", "total_investment_wan", "items"}
    assert body["count"] == 3
    assert body["total_investment_wan"] == "642000.5000"
    coke = next(i for i in body["items"] if i["id"] == ledger["coke"].pk)
    assert coke["total_investment_wan"] == "350000.5000"
    assert coke["stage"] == "signed" and coke["signed_on"] == "2023-03-23"
    assert coke["lead_on"] == "2023-01-05"
    assert coke["region"]["code"] == "210781" and coke["industry"] is None
    assert coke["enterprise"]["credit_code"] == ledger["coke"].enterprise.credit_code
    assert coke["stalled"] is True  # signed in March 2023 and never registered
    wind = next(i for i in body["items"] if i["id"] == ledger["wind"].pk)
    assert wind["industry"]["name"] == "新能源" and wind["level"] == "provincial"
    assert wind["stalled"] is False


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("region=210781", ["coke", "pigment"]),
        ("stage=signed", ["coke"]),
        ("level=provincial", ["wind"]),
        ("q=风电", ["wind"]),
        ("region=210726&q=针状焦", []),
        ("stage=&level=", ["wind", "coke", "pigment"]),
    ],
)
def test_the_project_list_applies_the_ledgers_filters(client, as_admin, ledger, query, expected):
    body = client.get(f"{API}/projects?{query}", headers=as_admin).json()
    assert sorted(i["id"] for i in body["items"]) == sorted(ledger[k].pk for k in expected)
    assert body["count"] == len(expected)


def test_the_project_list_filters_by_industry_and_sorts(client, as_admin, ledger, industries):
    energy = industries["新能源"]
    body = client.get(f"{API}/projects?industry={energy.pk}", headers=as_admin).json()
    assert [i["id"] for i in body["items"]] == [ledger["wind"].pk]
    body = client.get(f"{API}/projects?sort=-investment", headers=as_admin).json()
    assert [i["id"] for i in body["items"]] == [
        ledger["coke"].pk, ledger["wind"].pk, ledger["pigment"].pk
    ]  # fmt: skip


def test_the_project_list_shows_stalled_projects(client, as_admin, linghai):
    stuck = make_project(linghai, name="签约未落地项目", stage_on=dt.date(2022, 1, 1))
    project_services.transition(stuck, Stage.SIGNED, None, on=dt.date(2022, 2, 1))
    make_project(linghai, name="新线索")
    body = client.get(f"{API}/projects?stalled=true", headers=as_admin).json()
    assert [i["id"] for i in body["items"]] == [stuck.pk]
    assert body["items"][0]["stalled"] is True
    body = client.get(f"{API}/projects?stalled=signed_not_registered", headers=as_admin).json()
    assert body["count"] == 1


def test_the_project_list_costs_the_same_queries_for_any_page_size(
    client, as_admin, linghai, users
):
    for i in range(3):
        make_project(linghai, name=f"小项目{i}", steward=users["steward"])

    def queries(limit: int) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"{API}/projects?limit={limit}&region=210781", headers=as_admin)
        assert len(response.json()["items"]) == min(limit, Project.objects.count())
        return len(ctx.captured_queries)

    stall_limits()  # cached from here on (a version each rule's save moves)
    small = queries(2)
    for i in range(30):
        make_project(linghai, name=f"大项目{i}", steward=users["steward"])
    assert queries(200) == small <= 10


def test_the_project_list_stays_within_ten_queries(client, as_admin, ledger,
                                                   django_assert_max_num_queries):  # fmt: skip
    with django_assert_max_num_queries(10):
        response = client.get(f"{API}/projects?limit=200&stalled=1&q=项目", headers=as_admin)
    assert response.status_code == 200


def test_a_project_shows_its_stage_history_and_allowed_moves(client, as_admin, ledger):
    coke = ledger["coke"]
    body = client.get(f"{API}/projects/{coke.pk}", headers=as_admin).json()
    assert [(h["from_stage"], h["to_stage"]) for h in body["stage_history"]] == [
        (None, "lead"), ("lead", "signed")
    ]  # fmt: skip
    assert body["stage_history"][1]["effective_on"] == "2023-03-23"
    assert body["allowed_moves"] == ["registered", "withdrawn"]
    assert body["partners"] == [] and body["leader"] is None


def test_creating_a_project_reads_an_amount_with_its_unit(client, admin, as_admin, linghai):
    enterprise = EnterpriseFactory(name="宁德时代")
    payload = {
        "name": "锂电池负极材料项目", "enterprise_id": enterprise.pk, "region_id": linghai.pk,
        "total_investment_wan": "3.5亿元", "planned_investment_year_wan": 8000.5,
        "stage": "negotiating", "stage_on": "2023-02-01",
    }  # fmt: skip
    response = send(client, "post", "/projects", payload, as_admin)
    assert response.status_code == 201
    body = response.json()
    assert body["total_investment_wan"] == "35000.0000"
    assert body["planned_investment_year_wan"] == "8000.5000"
    assert body["stage"] == "negotiating" and body["negotiating_on"] == "2023-02-01"
    project = Project.objects.get(pk=body["id"])
    assert project.total_investment_wan == Decimal("35000")
    assert AuditEntry.objects.filter(object_id=str(project.pk), action="create", actor=admin)


def test_a_steward_creating_a_project_becomes_its_steward(client, users, linghai):
    steward = users["steward"]
    enterprise = EnterpriseFactory(steward=steward)  # one they serve: no other may be named
    payload = {"name": "服务外包项目", "enterprise_id": enterprise.pk, "region_id": linghai.pk}
    body = send(client, "post", "/projects", payload, bearer(steward)).json()
    assert body["steward"] == {"id": steward.pk, "name": str(steward)}
    assert client.get(f"{API}/projects/{body['id']}", headers=bearer(steward)).status_code == 200


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        ("三亿美元", "not an amount"),
        ("-5", "negative"),
        ("1" * 40, "too large"),
        (1e300, "too large"),
        (True, "as a number"),
        ("0.00001", "to the yuan"),
    ],
)
def test_a_bad_amount_is_a_422_naming_the_field(client, as_admin, linghai, amount, reason):
    payload = {
        "name": "某项目", "enterprise_id": EnterpriseFactory().pk, "region_id": linghai.pk,
        "total_investment_wan": amount,
    }  # fmt: skip
    response = send(client, "post", "/projects", payload, as_admin)
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "total_investment_wan"
    assert reason in error["message"]
    assert not Project.objects.exists()


def test_creating_a_project_names_a_missing_enterprise(client, as_admin, linghai):
    payload = {"name": "某项目", "enterprise_id": 987654, "region_id": linghai.pk}
    response = send(client, "post", "/projects", payload, as_admin)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "enterprise_id", "message": "there is no such record (id 987654)"}
    ]


def test_patching_a_project_changes_its_facts_but_not_its_stage(client, admin, as_admin, ledger):
    pigment = ledger["pigment"]
    response = send(
        client, "patch", f"/projects/{pigment.pk}",
        {"total_investment_wan": "1.2亿元", "level": "municipal"}, as_admin,
    )  # fmt: skip
    assert response.status_code == 200
    pigment.refresh_from_db()
    assert pigment.total_investment_wan == Decimal("12000") and pigment.level == "municipal"
    entry = AuditEntry.objects.get(object_id=str(pigment.pk), action="update")
    assert entry.after == {"level": "municipal"}  # the amount was already 1.2亿元
    response = send(client, "patch", f"/projects/{pigment.pk}", {"stage": "signed"}, as_admin)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "stage"
    pigment.refresh_from_db()
    assert pigment.stage == "lead"


def test_a_transition_moves_the_project_and_records_it(client, admin, as_admin, ledger):
    coke = ledger["coke"]
    response = send(
        client, "post", f"/projects/{coke.pk}/transition",
        {"to_stage": "registered", "on": "2023-04-10", "evidence": "营业执照"}, as_admin,
    )  # fmt: skip
    assert response.status_code == 200
    body = response.json()
    assert body["stage"] == "registered" and body["registered_on"] == "2023-04-10"
    assert body["stage_history"][-1]["evidence"] == "营业执照"
    assert body["stage_history"][-1]["actor"]["id"] == admin.pk
    assert AuditEntry.objects.filter(object_id=str(coke.pk), action="transition", actor=admin)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"to_stage": "operation"}, "cannot move"),
        ({"to_stage": "lead"}, "give a reason"),
        # withdrawing without a reason is a 422 naming `reason`: tests/test_destructive.py
        ({"to_stage": "registered", "on": "2023-01-01"}, "before the project reached"),
    ],
)
def test_a_refused_transition_is_a_409_naming_to_stage(client, as_admin, ledger, payload, reason):
    coke = ledger["coke"]
    response = send(client, "post", f"/projects/{coke.pk}/transition", payload, as_admin)
    assert response.status_code == 409
    body = response.json()
    assert body["detail"] == "The stage move was refused."
    assert body["errors"][0]["field"] == "to_stage"
    assert reason in body["errors"][0]["message"]
    coke.refresh_from_db()
    assert coke.stage == "signed"


def test_an_unknown_stage_is_a_422(client, as_admin, ledger):
    coke = ledger["coke"]
    response = send(
        client, "post", f"/projects/{coke.pk}/transition", {"to_stage": "done"}, as_admin
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "to_stage"


# --- events ---------------------------------------------------------------------------


@pytest.fixture
def conference(city, linghai, heishan):
    """Participants from two cities; two projects signed, one of them re-signed larger."""
    jinzhou = [EnterpriseFactory(home_city="锦州市") for _ in range(2)]
    beijing = EnterpriseFactory(home_city="北京市")
    event = event_services.create_event(
        None, participants=[*jinzhou, beijing], name="央地合作对接会", date=dt.date(2023, 3, 23),
        region=city, organiser="锦州市政府",
    )  # fmt: skip
    coke = make_project(linghai, name="针状焦项目", enterprise=jinzhou[0])
    wind = make_project(heishan, name="风电项目", enterprise=beijing)
    sign = event_services.record_signing
    sign(None, project=coke, government=linghai, signed_on=dt.date(2023, 3, 23),
         amount_wan=Decimal("100000"), event=event)  # fmt: skip
    sign(None, project=wind, government=heishan, signed_on=dt.date(2023, 3, 23),
         amount_wan=Decimal("280000"), event=event)  # fmt: skip
    # The needle-coke project is re-signed at the same conference, 100000 → 150000 万元.
    sign(None, project=coke, government=linghai, signed_on=dt.date(2023, 3, 23),
         amount_wan=Decimal("150000"), event=event)  # fmt: skip
    return event


def test_the_event_list_has_exactly_the_figures_by_the_counting_rule(client, as_admin, conference):
    EventFactory(name="医药健康产业论坛", date=dt.date(2023, 3, 29), region=conference.region)
    body = client.get(f"{API}/events", headers=as_admin).json()
    assert set(body) == {"count", "items"}
    assert body["count"] == 2
    forum, item = body["items"]  # newest first
    assert item == {
        "id": conference.pk,
        "date": "2023-03-23",
        "name": "央地合作对接会",
        "enterprise_count": 3,
        "city_count": 2,
        "signing_count": 2,  # two projects; the re-signing does not count again
        "signed_investment_wan": "430000.0000",  # 100000 + 280000 + the 50000 increase
    }
    assert forum["signing_count"] == 0 and forum["signed_investment_wan"] == "0.0000"


def test_an_event_lists_its_signings_with_counted_amounts(client, as_admin, conference):
    body = client.get(f"{API}/events/{conference.pk}", headers=as_admin).json()
    assert body["kind"] == "matchmaking" and body["organiser"] == "锦州市政府"
    assert body["region"]["code"] == "210700"
    signings = [
        (s["project"]["name"], s["amount_wan"], s["counted_amount_wan"], s["is_first"])
        for s in body["signings"]
    ]
    assert signings == [
        ("针状焦项目", "100000.0000", "100000.0000", True),
        ("风电项目", "280000.0000", "280000.0000", True),
        ("针状焦项目", "150000.0000", "50000.0000", False),
    ]
    assert body["signed_investment_wan"] == "430000.0000"


# --- bad input is a 4xx, never a 500 --------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("{not json", 400),
        (b"\xff\xfe\x00", 400),
        ('{"name": NaN, "credit_code": "x"}', 400),
        ("[1, 2]", 422),
        ('"a string"', 422),
        ('{"name": 5, "credit_code": ["a"]}', 422),
        ('{"name": "某公司", "credit_code": "x", "region_id": "abc"}', 422),
        ('{"name": "某公司", "credit_code": "x", "region_id": 1e400}', 422),
        ('{"name": "某公司", "credit_code": "x", "region_id": 99999999999999999999999}', 422),
        ('{"name": "某公司", "credit_code": "x", "region_id": true}', 422),
        ('{"name": "某\\u0000公司", "credit_code": "x"}', 422),
        ('{"name": "' + "长" * 500 + '", "credit_code": "x"}', 422),
        ('{"name": "某公司", "credit_code": "x", "unknown": 1}', 422),
    ],
)
def test_a_broken_body_is_a_4xx_with_the_error_body(client, as_admin, body, status):
    before = Enterprise.objects.count()
    response = send(client, "post", "/enterprises", body, as_admin)
    assert response.status_code == status
    assert set(response.json()) == {"detail", "errors"}
    assert Enterprise.objects.count() == before


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/projects/abc", 404),
        ("/projects/99999999999999999999999999", 404),
        ("/projects/-1", 404),
        ("/enterprises/1.5", 404),
        ("/events/0", 404),
        ("/no-such-thing", 404),
        ("/projects?limit=0", 422),
        ("/projects?limit=1000", 422),
        ("/projects?limit=abc", 422),
        ("/projects?offset=99999999999999999999999", 422),
        ("/projects?stage=done", 422),
        ("/projects?level=national", 422),
        ("/projects?stalled=sometimes", 422),
        ("/projects?sort=password", 422),
        ("/projects?region=%00", 422),
        ("/projects?q=%00", 422),
        ("/projects?region=99999999999999999999", 200),
        ("/enterprises?q=" + "长" * 101, 422),
        ("/events?offset=-1", 422),
    ],
)
def test_a_bad_address_or_query_is_a_4xx_in_json(client, as_admin, ledger, path, status):
    response = client.get(f"{API}{path}", headers=as_admin)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    if status == 404:
        assert response.json() == {"detail": "Not found"}
    if status == 422:
        assert response.json()["errors"][0]["field"]


def test_a_wrong_method_is_a_405_in_json(client, as_admin, ledger):
    response = client.delete(f"{API}/projects/{ledger['coke'].pk}", headers=as_admin)
    assert response.status_code == 405
    assert response.json() == {"detail": "Method DELETE is not allowed here."}
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "PATCH"}
    assert Project.objects.filter(pk=ledger["coke"].pk).exists()


def test_the_api_root_points_to_the_schema_and_the_docs(client, db):
    body = client.get(f"{API}/").json()
    assert body["openapi"] == f"{API}/openapi.json" and body["docs"] == f"{API}/docs"


@pytest.mark.parametrize("path", ["/", "/openapi.json", "/docs"])
def test_the_pages_that_describe_the_api_only_answer_get(client, db, path):
    response = client.post(f"{API}{path}", {"x": 1})
    assert response.status_code == 405
    assert response.json() == {"detail": "Method POST is not allowed here."}
    assert response["Allow"] == "GET, HEAD"


def test_a_nul_in_a_patch_or_a_huge_number_is_a_422(client, as_admin, ledger):
    pigment = ledger["pigment"]
    for body in ({"name": "a\x00b"}, {"plan_year": 10**30}, {"partner_ids": [0]}):
        response = send(client, "patch", f"/projects/{pigment.pk}", body, as_admin)
        assert response.status_code == 422


# --- the schema and the docs ----------------------------------------------------------


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_the_openapi_schema_is_valid_and_lists_the_paths(client, db):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Guanjia API" and schema["info"]["version"] == "1"
    paths = schema["paths"]
    for path, methods in {
        "/api/v1/regions": {"get"},
        "/api/v1/industries": {"get"},
        "/api/v1/enterprises": {"get", "post"},
        "/api/v1/enterprises/{enterprise_id}": {"get", "patch"},
        "/api/v1/projects": {"get", "post"},
        "/api/v1/projects/{project_id}": {"get", "patch"},
        "/api/v1/projects/{project_id}/transition": {"post"},
        "/api/v1/events": {"get"},
        "/api/v1/events/{event_id}": {"get"},
    }.items():
        assert methods <= set(paths[path]), path
        for method in methods:
            assert paths[path][method]["security"], f"{method} {path} is not protected"
            assert (
                "200" in paths[path][method]["responses"]
                or "201" in paths[path][method]["responses"]
            )
    components = schema["components"]["schemas"]
    for ref in _refs(schema):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in components
    schemes = schema["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"}.items() <= schemes["BearerToken"].items()
    money = components["EventItem"]["properties"]["signed_investment_wan"]
    assert money["type"] == "string" and "four decimal places" in money["description"]


def test_the_docs_page_serves_swagger_from_our_own_static_files(client, db):
    response = client.get(f"{API}/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    # Every script and stylesheet comes from our own origin; the CSRF token is random and
    # may contain any letters, so look at the addresses, not at the whole page.
    addresses = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert addresses and all(a.startswith("/") for a in addresses), addresses
    assert "https://" not in html
    assert finders.find("ninja/swagger-ui-bundle.js") is not None
    assert finders.find("ninja/swagger-ui.css") is not None


def test_the_project_list_answers_the_bytes_the_validated_items_gave(client, ledger, users):
    """The list is built as plain JSON from plain rows (`projects.list_items`,
    `common.answer`), not validated item by item against `ProjectList` any more: the same
    bytes as the old path (`project_item` on the ledger's model rows, validated by the schema,
    rendered by the API's renderer), for staff and for an enterprise's contact (no stall flag),
    with a name full of markup."""
    from ninja.responses import NinjaJSONEncoder

    from guanjia.api.common import JSON_DUMPS
    from guanjia.api.projects import project_item
    from guanjia.api.schemas import ProjectList, money
    from guanjia.projects import access
    from guanjia.projects.ledger import LedgerFilter, fetch_page, summarise

    Project.objects.filter(pk=ledger["pigment"].pk).update(name="""<b>&"'</b> 项目""")
    contact = users["enterprise"]
    Project.objects.filter(pk=ledger["coke"].pk).update(enterprise=contact.enterprise)
    for user in (users["admin"], users["steward"], contact):
        staff = access.reads_ledger(user)
        for query, params in (
            ("", {}),
            ("?limit=1&offset=1", {}),
            ("?sort=-investment", {"sort": "-investment"}),
        ):
            answer = client.get(f"{API}/projects{query}", headers=bearer(user))
            assert answer.status_code == 200
            assert answer["Content-Type"] == "application/json; charset=utf-8"
            if not staff:
                params["stalled"] = ""
            qs = LedgerFilter.from_params(params).apply(access.projects_for(user))
            summary = summarise(qs)
            start, limit = (1, 1) if "offset" in query else (0, 25)
            old = ProjectList.model_validate({
                "count": summary.count,
                "total_investment_wan": money(summary.total_investment_wan),
                "items": [project_item(p, p.is_stalled if staff else None)
                          for p in fetch_page(qs, start, limit)],
            }).model_dump()  # fmt: skip
            assert answer.content == json.dumps(old, cls=NinjaJSONEncoder, **JSON_DUMPS).encode()
            if not query and user is not users["steward"]:
                assert json.loads(answer.content)["items"]
