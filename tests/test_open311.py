"""Open311 GeoReport v2 at /open311/v2/: a conformance walk, the filters, and the errors.

The enterprise contact files requests with their API token as `api_key`; a 12345 hotline or a
city app reads them back in JSON or XML. Requests are not public: reading needs a key too.
"""

import datetime as dt
import json
import xml.etree.ElementTree as ET
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from guanjia.accounts.models import ApiToken, Role
from guanjia.requests import services
from guanjia.requests.loading import load_categories
from guanjia.requests.models import Category, Priority, ServiceRequest, Source, Status
from guanjia.requests.open311 import make_title
from guanjia.testing.factories import EnterpriseFactory, ProjectFactory, UserFactory
from guanjia.worktime.loading import load_holidays

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
V2 = "/open311/v2"
MONDAY = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


@pytest.fixture
def client():
    return Client(headers={"accept-language": "en"})


@pytest.fixture
def world(users, linghai, own_enterprise):
    load_categories()
    load_holidays([2025, 2026])
    steward = UserFactory(
        username="s_linghai", role=Role.STEWARD, region=linghai, display_name="凌海管家"
    )
    own_enterprise.steward = steward
    own_enterprise.save()
    project = ProjectFactory(enterprise=own_enterprise, region=linghai, steward=steward)
    other = EnterpriseFactory(name="另一家企业有限公司", region=linghai, steward=steward)
    other_contact = UserFactory(username="t_other", role=Role.ENTERPRISE, enterprise=other)
    other_project = ProjectFactory(enterprise=other, region=linghai, steward=steward)
    return {
        **users,
        "steward": steward,
        "project": project,
        "other": other,
        "other_contact": other_contact,
        "other_project": other_project,
        "key": ApiToken.issue(users["enterprise"])[1],
        "other_key": ApiToken.issue(other_contact)[1],
        "admin_key": ApiToken.issue(users["admin"])[1],
    }


def file_request(contact, *, code="land", when=None, text="请协调规划条件", project=None):
    return services.submit(
        contact,
        enterprise=contact.enterprise,
        category=Category.objects.get(code=code),
        title=make_title(text)[:20],  # as Open311 makes one: no control characters
        text=text,
        project=project,
        at=when,
    )


def xml(response) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b"<?xml")
    return ET.fromstring(response.content)  # noqa: S314 (our own answer, not untrusted input)


def body(response):
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content)


def assert_error(response, status):
    """The spec's error list: [{"code": status, "description": "…"}], in JSON or XML."""
    assert response.status_code == status
    if response["Content-Type"].startswith("text/xml"):
        root = xml(response)
        assert root.tag == "errors"
        errors = [
            {"code": int(e.findtext("code")), "description": e.findtext("description")}
            for e in root.findall("error")
        ]
    else:
        errors = body(response)
    assert errors and all(e["code"] == status and e["description"] for e in errors)
    return [e["description"] for e in errors]


# --- services ---------------------------------------------------------------------------


def test_the_service_list_is_the_active_categories_in_json_and_xml(client, world):
    Category.objects.filter(code="talent").update(active=False)
    services_json = body(client.get(f"{V2}/services.json"))
    codes = [s["service_code"] for s in services_json]
    assert "land" in codes and "talent" not in codes
    assert len(codes) == Category.objects.filter(active=True).count()
    land = next(s for s in services_json if s["service_code"] == "land")
    assert land == {
        "service_code": "land",
        "service_name": "用地保障",
        "description": "",
        "metadata": True,
        "type": "realtime",
        "keywords": "",
        "group": "要素保障",
    }
    root = xml(client.get(f"{V2}/services.xml"))
    assert root.tag == "services"
    assert [s.findtext("service_code") for s in root.findall("service")] == codes
    first = root.find("service")
    assert first is not None and first.findtext("metadata") == "true"
    assert first.findtext("type") == "realtime"


def test_a_service_definition_lists_the_project_and_priority_attributes(client, world):
    definition = body(client.get(f"{V2}/services/land.json"))
    assert definition["service_code"] == "land"
    project, priority = definition["attributes"]
    assert project["code"] == "project_id" and project["datatype"] == "number"
    assert project["required"] is False and project["variable"] is True
    assert project["description"] == "Guanjia project number"
    assert priority["datatype"] == "singlevaluelist" and priority["required"] is False
    assert [v["key"] for v in priority["values"]] == ["urgent", "general", "complex"]

    root = xml(client.get(f"{V2}/services/land.xml"))
    assert root.tag == "service_definition" and root.findtext("service_code") == "land"
    attributes = root.findall("attributes/attribute")
    assert [a.findtext("code") for a in attributes] == ["project_id", "priority"]
    assert [v.findtext("key") for v in attributes[1].findall("values/value")] == [
        "urgent",
        "general",
        "complex",
    ]
    assert attributes[0].findtext("required") == "false"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_service_is_a_404_in_the_spec_format(client, world, fmt):
    [description] = assert_error(client.get(f"{V2}/services/potholes.{fmt}"), 404)
    assert "potholes" in description


# --- the conformance walk ---------------------------------------------------------------


def test_post_then_read_back_until_the_clock_runs(client, world):
    enterprise_key, steward = world["key"], world["steward"]
    with time_machine.travel(MONDAY, tick=False):
        response = client.post(
            f"{V2}/requests.json",
            {
                "api_key": enterprise_key,
                "service_code": "land",
                "description": "用地手续卡在规划许可\n请协调自然资源局尽快出具规划条件。",
                "attribute[project_id]": world["project"].pk,
                "attribute[priority]": "complex",
                "lat": "41.17",
                "long": "121.36",
                "address_string": "凌海市",
            },
        )
    assert response.status_code == 201
    [created] = body(response)
    assert set(created) == {"service_request_id", "service_notice", "account_id"}
    number = created["service_request_id"]
    assert number.startswith("ZT2026") and created["account_id"] is None
    assert created["service_notice"]

    sr = ServiceRequest.objects.get(number=number)
    assert sr.source == Source.OPEN311 and sr.priority == Priority.COMPLEX
    assert sr.project == world["project"] and sr.title == "用地手续卡在规划许可"
    assert sr.submitted_by == world["enterprise"]

    with time_machine.travel(MONDAY + dt.timedelta(minutes=5), tick=False):
        [one] = body(client.get(f"{V2}/requests/{number}.json", {"api_key": enterprise_key}))
        listed = body(client.get(f"{V2}/requests.json", {"api_key": enterprise_key}))
    assert one["service_request_id"] == number and one["status"] == "open"
    assert one["service_code"] == "land" and one["service_name"] == "用地保障"
    assert one["description"] == sr.text
    assert one["requested_datetime"] == "2026-03-02T09:00:00+08:00"
    assert one["expected_datetime"] is None  # the clock starts at dispatch
    assert one["lat"] is None and one["long"] is None and one["media_url"] is None
    assert one["address"] == ""
    assert [r["service_request_id"] for r in listed] == [number]

    with time_machine.travel(MONDAY + dt.timedelta(hours=1), tick=False):
        services.accept(sr, steward)
        services.dispatch(sr, steward, to=steward)
        [one] = body(client.get(f"{V2}/requests/{number}.json", {"api_key": enterprise_key}))
    sr.refresh_from_db()
    # Complex: 15 working days from Monday 10:00.
    assert sr.resolve_due_at == at(2026, 3, 23, 10, 0)
    assert one["expected_datetime"] == "2026-03-23T10:00:00+08:00"
    assert dt.datetime.fromisoformat(one["expected_datetime"]) == sr.resolve_due_at
    assert one["agency_responsible"] == "凌海管家"
    assert one["status"] == "open" and one["updated_datetime"] == "2026-03-02T10:00:00+08:00"

    with time_machine.travel(MONDAY + dt.timedelta(hours=2), tick=False):
        services.sign(sr, steward)
        services.reply(sr, steward, "规划条件已出具")
        root = xml(client.get(f"{V2}/requests/{number}.xml", {"api_key": enterprise_key}))
    assert root.tag == "service_requests"
    [request] = root.findall("request")
    assert request.findtext("service_request_id") == number
    assert request.findtext("status") == "closed"
    assert request.findtext("status_notes") == "规划条件已出具"
    assert request.findtext("expected_datetime") == "2026-03-23T10:00:00+08:00"
    lat = request.find("lat")
    assert lat is not None and lat.text is None  # an empty element for null


def test_post_takes_a_json_body_and_answers_in_xml(client, world):
    response = client.post(
        f"{V2}/requests.xml",
        json.dumps(
            {
                "api_key": world["key"],
                "service_code": "energy",
                "description": "能耗指标不够，" + "需要调剂" * 30,
                "attribute": {"priority": "urgent"},
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 201
    root = xml(response)
    assert root.tag == "service_requests"
    number = root.findtext("request/service_request_id")
    assert root.find("request/account_id") is not None
    sr = ServiceRequest.objects.get(number=number)
    assert sr.priority == Priority.URGENT and sr.category.code == "energy"
    assert len(sr.title) == 60 and sr.title.endswith("…")


def test_post_needs_no_csrf_token(world):
    machine = Client(enforce_csrf_checks=True)
    response = machine.post(
        f"{V2}/requests.json",
        {"api_key": world["key"], "service_code": "other", "description": "咨询政策"},
    )
    assert response.status_code == 201


def test_the_key_may_come_as_a_bearer_header(client, world):
    sr = file_request(world["enterprise"])
    headers = {"Authorization": f"Bearer {world['key']}"}
    [one] = body(client.get(f"{V2}/requests/{sr.number}.json", headers=headers))
    assert one["service_request_id"] == sr.number


# --- filters ----------------------------------------------------------------------------


@pytest.fixture
def history(world):
    contact, steward = world["enterprise"], world["steward"]
    with time_machine.travel(at(2026, 3, 10, 12, 0), tick=False):
        old = file_request(contact, when=at(2025, 11, 1, 9, 0), text="去年的诉求")
        january = file_request(contact, code="energy", when=at(2026, 1, 15, 9, 0), text="能耗")
        february = file_request(contact, when=at(2026, 2, 20, 9, 0), text="用地")
        march = file_request(contact, code="finance", when=at(2026, 3, 9, 9, 0), text="贷款")
        services.dispatch(february, steward, to=steward)
        services.sign(february, steward)
        services.reply(february, steward, "已办")
        services.withdraw(march, contact, "不需要了")
    return {"old": old, "january": january, "february": february, "march": march}


def numbers(client, key, **params):
    with time_machine.travel(at(2026, 3, 10, 12, 0), tick=False):
        response = client.get(f"{V2}/requests.json", {"api_key": key, **params})
    assert response.status_code == 200, response.content
    return [r["service_request_id"] for r in body(response)]


def test_the_list_defaults_to_the_last_ninety_days_newest_first(client, world, history):
    h = history
    assert numbers(client, world["key"]) == [
        h["march"].number,
        h["february"].number,
        h["january"].number,
    ]


def test_the_list_filters_by_status_service_and_dates(client, world, history):
    h, key = history, world["key"]
    assert numbers(client, key, status="open") == [h["january"].number]
    closed = numbers(client, key, status="closed")
    assert closed == [h["march"].number, h["february"].number]  # withdrawn and answered
    assert numbers(client, key, status="open,closed") == numbers(client, key)
    assert numbers(client, key, service_code="land") == [h["february"].number]
    assert numbers(client, key, service_code="land,energy") == [
        h["february"].number,
        h["january"].number,
    ]
    assert numbers(
        client, key, start_date="2026-02-01T00:00:00+08:00", end_date="2026-03-01T00:00:00Z"
    ) == [h["february"].number]
    # Dates reach further back than the default 90 days; a plain date is local midnight.
    assert numbers(client, key, start_date="2025-10-01", end_date="2025-12-01") == [h["old"].number]
    # An unescaped "+" in the offset arrives as a space, and is understood.
    assert numbers(client, key, start_date="2026-03-09T09:00:00 08:00") == [h["march"].number]


def test_service_request_ids_override_the_other_filters(client, world, history):
    h, key = history, world["key"]
    wanted = f"{h['old'].number},{h['march'].number}"
    assert numbers(client, key, service_request_id=wanted, status="open") == [
        h["march"].number,
        h["old"].number,
    ]


def test_the_list_shows_only_what_the_key_may_see(client, world, history):
    theirs = file_request(world["other_contact"], when=at(2026, 3, 1, 9, 0), text="别家的")
    assert theirs.number not in numbers(client, world["key"])
    assert numbers(client, world["other_key"]) == [theirs.number]
    # The city's bureau staff see their whole area, both enterprises.
    assert theirs.number in numbers(client, world["admin_key"])
    assert history["march"].number in numbers(client, world["admin_key"])
    assert numbers(client, world["key"], service_request_id=theirs.number) == []


def test_the_list_in_xml(client, world, history):
    with time_machine.travel(at(2026, 3, 10, 12, 0), tick=False):
        root = xml(client.get(f"{V2}/requests.xml", {"api_key": world["key"]}))
    assert root.tag == "service_requests"
    requests = root.findall("request")
    assert [r.findtext("service_request_id") for r in requests][0] == history["march"].number
    assert requests[0].findtext("status") == "closed"
    assert requests[1].findtext("agency_responsible") == "凌海管家"


# --- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_bad_or_missing_key_is_a_403(client, world, fmt):
    sr = file_request(world["enterprise"])
    url = f"{V2}/requests.{fmt}"
    assert_error(client.get(url, {"api_key": "gj_wrong"}), 403)
    assert_error(client.get(url), 403)
    assert_error(client.get(f"{V2}/requests/{sr.number}.{fmt}"), 403)
    form = {"api_key": "gj_wrong", "service_code": "land", "description": "x"}
    assert_error(client.post(url, form), 403)
    assert ServiceRequest.objects.count() == 1


def test_a_revoked_key_is_a_403(client, world):
    ApiToken.objects.filter(user=world["enterprise"]).update(revoked=True)
    assert_error(client.get(f"{V2}/requests.json", {"api_key": world["key"]}), 403)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_another_enterprises_request_is_a_404(client, world, fmt):
    theirs = file_request(world["other_contact"])
    response = client.get(f"{V2}/requests/{theirs.number}.{fmt}", {"api_key": world["key"]})
    assert_error(response, 404)
    response = client.get(f"{V2}/requests/ZT20269999999.{fmt}", {"api_key": world["key"]})
    assert_error(response, 404)


def post(client, world, fmt="json", key="key", **fields):
    form = {"api_key": world[key], "service_code": "land", "description": "请协调", **fields}
    return client.post(f"{V2}/requests.{fmt}", {k: v for k, v in form.items() if v is not None})


@pytest.mark.parametrize(
    ("fields", "status", "says"),
    [
        ({"service_code": "potholes"}, 400, "potholes"),
        ({"service_code": None}, 400, "service_code"),
        ({"description": None}, 400, "description"),
        ({"description": "   "}, 400, "description"),
        ({"description": "x" * 5001}, 400, "description"),
        ({"attribute[priority]": "asap"}, 400, "attribute[priority]"),
        ({"attribute[project_id]": "abc"}, 400, "attribute[project_id]"),
        ({"attribute[project_id]": "99999999999999999999999"}, 400, "attribute[project_id]"),
        ({"description": "含有\x00的文字"}, 400, "description"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(client, world, fields, status, says):
    for fmt in ("json", "xml"):
        descriptions = assert_error(post(client, world, fmt, **fields), status)
        assert any(says in d for d in descriptions), descriptions
    assert ServiceRequest.objects.count() == 0


def test_another_enterprises_project_is_refused(client, world):
    response = post(client, world, **{"attribute[project_id]": world["other_project"].pk})
    [description] = assert_error(response, 400)
    assert "attribute[project_id]" in description
    assert ServiceRequest.objects.count() == 0


def test_an_inactive_service_takes_no_requests(client, world):
    Category.objects.filter(code="land").update(active=False)
    assert_error(post(client, world), 400)
    assert_error(client.get(f"{V2}/services/land.json"), 404)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_staff_key_may_not_post(client, world, fmt):
    [description] = assert_error(post(client, world, fmt, key="admin_key"), 403)
    assert "enterprise" in description
    assert ServiceRequest.objects.count() == 0


@pytest.mark.parametrize(
    "params",
    [
        {"status": "pending"},
        {"start_date": "yesterday"},
        {"end_date": "2026-13-45"},
        {"start_date": "2026-03-02", "end_date": "2026-03-01"},
        {"service_code": "potholes"},
        {"service_code": "land\x00"},
        {"service_request_id": "ZT\x00"},
        {"end_date": "0001-01-01"},
        {"start_date": "9999-12-31T23:59:59-12:00"},
    ],
)
def test_bad_filters_are_a_400(client, world, params):
    response = client.get(f"{V2}/requests.json", {"api_key": world["key"], **params})
    assert_error(response, 400)


def test_broken_json_bodies_are_a_400(client, world):
    for raw in ("{not json", "[1, 2]", json.dumps({"api_key": world["key"], "description": []})):
        response = client.post(f"{V2}/requests.json", raw, content_type="application/json")
        assert_error(response, 400)


def test_wrong_methods_and_addresses_answer_in_the_spec_format(client, world):
    response = client.delete(f"{V2}/services.json")
    assert_error(response, 405)
    assert response["Allow"] == "GET"
    assert_error(client.post(f"{V2}/services/land.xml"), 405)
    assert_error(client.get(f"{V2}/services.csv"), 404)
    assert_error(client.get(f"{V2}/nothing.xml"), 404)


def test_control_characters_do_not_break_the_xml(client, world):
    sr = file_request(world["enterprise"], text="第一行\x07响铃\x1b字符")
    response = client.get(f"{V2}/requests/{sr.number}.xml", {"api_key": world["key"]})
    root = xml(response)
    assert root.findtext("request/description") == "第一行响铃字符"


def test_answers_are_not_cached(client, world):
    sr = file_request(world["enterprise"])
    response = client.get(f"{V2}/requests/{sr.number}.json", {"api_key": world["key"]})
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert Status(sr.status) == Status.SUBMITTED
