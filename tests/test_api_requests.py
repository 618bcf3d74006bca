"""Requests in the JSON API at /api/v1/requests: who may do what, the whole loop, the errors.

The request under test belongs to 锦州测试自有企业 (in 凌海). Its steward is 凌海's; the
conftest's `steward` serves neither, so to them it does not exist. A 4xx always carries the
API's error body, and nothing here is ever a 500.
"""

import json

import pytest
from django.test import Client

from guanjia.accounts.models import ApiToken, Role
from guanjia.requests import services
from guanjia.requests.loading import load_categories
from guanjia.requests.models import (
    INTERNAL_EVENTS,
    OPEN_STATUSES,
    Category,
    EventKind,
    ServiceRequest,
    Source,
    Status,
)
from guanjia.testing.factories import EnterpriseFactory, ProjectFactory, UserFactory
from guanjia.worktime.loading import load_holidays

pytestmark = pytest.mark.django_db

API = "/api/v1/requests"
ROLES = [
    "admin",
    "official",
    "steward",
    "linghai_steward",
    "handler",
    "leader",
    "enterprise",
    "other_enterprise",
]


@pytest.fixture
def client():
    return Client(headers={"accept-language": "en"})


@pytest.fixture
def world(users, linghai, own_enterprise):
    load_categories()
    load_holidays([2025, 2026])
    steward = UserFactory(username="s_linghai", role=Role.STEWARD, region=linghai)
    own_enterprise.steward = steward
    own_enterprise.save()
    other = EnterpriseFactory(name="另一家企业有限公司", region=linghai, steward=steward)
    return {
        **users,
        "linghai_steward": steward,
        "other_enterprise": UserFactory(username="t_other", role=Role.ENTERPRISE, enterprise=other),
        "project": ProjectFactory(enterprise=own_enterprise, region=linghai, steward=steward),
        "other_project": ProjectFactory(enterprise=other, region=linghai, steward=steward),
    }


@pytest.fixture
def call(client, world):
    """Call the API as one of ROLES, with that user's bearer token."""
    tokens = {role: ApiToken.issue(world[role])[1] for role in ROLES}

    def call(role, method, path="", body=None, **query):
        headers = {"Authorization": f"Bearer {tokens[role]}"}
        if method == "get":
            return client.get(f"{API}{path}", query, headers=headers)
        data = body if isinstance(body, str) else json.dumps(body or {})
        return client.post(
            f"{API}{path}", data=data, content_type="application/json", headers=headers
        )

    return call


def new_request(world, role="enterprise", code="land", title="用地手续卡在规划许可"):
    contact = world[role]
    return services.submit(
        contact,
        enterprise=contact.enterprise,
        category=Category.objects.get(code=code),
        title=title,
        text="请协调自然资源局尽快出具规划条件。",
        project=world["project"] if role == "enterprise" else None,
    )


def dispatched_to_handler(world):
    sr = new_request(world)
    services.dispatch(sr, world["linghai_steward"], to=world["handler"])
    return sr


def expect(**by_role):
    assert set(by_role) == set(ROLES)
    return by_role


# action → (path under the request, body, how to prepare the request, status per role)
TABLE = {
    "read it": (
        "", None, new_request,
        expect(admin=200, official=200, steward=404, linghai_steward=200, handler=404,
               leader=200, enterprise=200, other_enterprise=404),
    ),
    "accept it": (
        "/steps/accept", {}, new_request,
        expect(admin=200, official=200, steward=404, linghai_steward=200, handler=404,
               leader=403, enterprise=403, other_enterprise=404),
    ),
    "dispatch it": (
        "/steps/dispatch", lambda w: {"to_id": w["handler"].pk, "note": "请办理"}, new_request,
        expect(admin=200, official=200, steward=404, linghai_steward=200, handler=404,
               leader=403, enterprise=403, other_enterprise=404),
    ),
    "dispatch it again once the handler has it": (
        "/steps/dispatch", lambda w: {"to_id": w["handler"].pk}, dispatched_to_handler,
        expect(admin=409, official=409, steward=404, linghai_steward=409, handler=403,
               leader=403, enterprise=403, other_enterprise=404),
    ),
    "sign for it once dispatched to the handler": (
        "/steps/sign", {}, dispatched_to_handler,
        expect(admin=403, official=403, steward=404, linghai_steward=403, handler=200,
               leader=403, enterprise=403, other_enterprise=404),
    ),
    "supervise it": (
        "/steps/supervise", {"note": "请加快办理"}, new_request,
        expect(admin=200, official=200, steward=404, linghai_steward=403, handler=404,
               leader=200, enterprise=403, other_enterprise=404),
    ),
    "withdraw it": (
        "/steps/withdraw", {"reason": "已自行解决"}, new_request,
        expect(admin=403, official=403, steward=404, linghai_steward=403, handler=404,
               leader=403, enterprise=200, other_enterprise=404),
    ),
}  # fmt: skip


@pytest.mark.parametrize("action", TABLE)
def test_who_may_do_what(call, world, action):
    path, body, prepare, expected = TABLE[action]
    for role in ROLES:
        sr = prepare(world)
        data = body(world) if callable(body) else body
        response = call(role, "get" if data is None else "post", f"/{sr.pk}{path}", data)
        assert response.status_code == expected[role], (role, response.content)
        if response.status_code >= 400:
            assert response["Content-Type"].startswith("application/json")
            assert response.json()["detail"]
        if response.status_code == 409:
            [error] = response.json()["errors"]
            assert error["field"] is None and "cannot be" in error["message"]


def test_the_list_shows_what_the_caller_may_see(call, world):
    own = new_request(world)
    theirs = new_request(world, role="other_enterprise")
    listed = {role: [r["number"] for r in call(role, "get").json()["items"]] for role in ROLES}
    assert listed["enterprise"] == [own.number]
    assert listed["other_enterprise"] == [theirs.number]
    assert listed["steward"] == [] and listed["handler"] == []
    assert (
        sorted(listed["admin"])
        == sorted(listed["linghai_steward"])
        == sorted([own.number, theirs.number])
    )


def test_the_list_filters_and_pages(call, world):
    land = new_request(world, title="用地手续")
    energy = new_request(world, code="energy", title="能耗指标")
    services.withdraw(energy, world["enterprise"], "已自行解决")

    def numbers(**query):
        response = call("enterprise", "get", **query)
        assert response.status_code == 200, response.content
        return [r["number"] for r in response.json()["items"]]

    assert numbers() == [energy.number, land.number]
    assert numbers(status="open") == [land.number]
    assert numbers(status="closed") == numbers(status="withdrawn") == [energy.number]
    assert numbers(category="energy") == [energy.number]
    assert numbers(category=str(land.category_id)) == [land.number]
    assert numbers(q="能耗") == [energy.number]
    # Part of a number: its sequence (the last 7 digits). Fewer digits may also match where
    # the year runs into the next number's sequence ("ZT2027|0000271" holds "0270").
    assert numbers(q=land.number[-7:]) == [land.number]
    assert numbers(status="", category="", q="") == [energy.number, land.number]
    paged = call("enterprise", "get", limit=1, offset=1).json()
    assert paged["count"] == 2 and [r["number"] for r in paged["items"]] == [land.number]
    item = paged["items"][0]
    assert item["category"]["code"] == "land" and item["is_open"] is True
    assert item["supervised"] is None and item["escalation_level"] is None  # not for contacts
    staff_item = call("admin", "get", limit=1, offset=1).json()["items"][0]
    assert staff_item["supervised"] is False and staff_item["escalation_level"] == 0


def test_categories_are_listed(call, world):
    Category.objects.filter(code="talent").update(active=False)
    response = call("enterprise", "get", "/categories")
    assert response.status_code == 200
    body = response.json()
    codes = [c["code"] for c in body["items"]]
    assert body["count"] == len(codes) == 11 and "talent" not in codes
    land = body["items"][0]
    assert land["code"] == "land" and land["department"]["name"] == "自然资源局"


# --- submitting -------------------------------------------------------------------------


def test_an_enterprise_contact_submits_for_their_enterprise(call, world):
    response = call(
        "enterprise",
        "post",
        body={
            "category": "land",
            "text": "用地手续卡在规划许可\n请协调。",
            "project_id": world["project"].pk,
            "priority": "urgent",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("ZT") and body["status"] == "submitted"
    assert body["title"] == "用地手续卡在规划许可" and body["priority"] == "urgent"
    assert body["source"] == "api" and body["project"]["id"] == world["project"].pk
    assert body["steward"]["id"] == world["linghai_steward"].pk
    assert body["resolve_due_at"] is None and body["accepted_at"] is None
    assert body["intake_due_at"] and body["due_at"] == body["intake_due_at"]  # to accept by
    assert body["allowed_steps"] == ["withdraw"]
    assert [e["kind"] for e in body["events"]] == ["submit"]
    sr = ServiceRequest.objects.get(pk=body["id"])
    assert sr.submitted_by == world["enterprise"] and sr.source == Source.API


def test_staff_submit_on_an_enterprises_behalf(call, world):
    enterprise_id = world["enterprise"].enterprise_id
    body = {"category": "finance", "text": "企业电话反映贷款难", "enterprise_id": enterprise_id}
    for role in ("admin", "linghai_steward"):
        response = call(role, "post", body=body)
        assert response.status_code == 201, (role, response.content)
        assert response.json()["source"] == Source.STAFF
    for role in ("handler", "leader"):
        assert call(role, "post", body=body).status_code == 403
    # The conftest's steward does not serve this enterprise: to them it does not exist.
    response = call("steward", "post", body=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "enterprise_id"
    response = call("admin", "post", body={"category": "finance", "text": "贷款难"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "enterprise_id"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"category": "potholes", "text": "x"}, "category"),
        ({"category": "land"}, "text"),
        ({"category": "land", "text": "   "}, "text"),
        ({"category": "land", "text": "含有\x00的文字"}, "text"),
        ({"category": "land", "text": "x", "priority": "asap"}, "priority"),
        ({"category": "land", "text": "x", "project_id": "1"}, "project_id"),
        ({"category": "land", "text": "x", "status": "closed"}, "status"),
        ({"category": "land", "text": "x", "title": "t" * 201}, "title"),
    ],
)
def test_bad_submissions_are_a_422_naming_the_field(call, world, body, field):
    response = call("enterprise", "post", body=body)
    assert response.status_code == 422, response.content
    assert field in [e["field"] for e in response.json()["errors"]]
    assert ServiceRequest.objects.count() == 0


def test_an_enterprise_may_not_file_for_another_or_on_its_project(call, world):
    other = world["other_enterprise"].enterprise_id
    response = call(
        "enterprise", "post", body={"category": "land", "text": "x", "enterprise_id": other}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "enterprise_id"
    response = call(
        "enterprise",
        "post",
        body={"category": "land", "text": "x", "project_id": world["other_project"].pk},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "project_id"
    # Staff name a project that is not the enterprise's: the service refuses it.
    response = call(
        "admin",
        "post",
        body={
            "category": "land",
            "text": "x",
            "enterprise_id": world["enterprise"].enterprise_id,
            "project_id": world["other_project"].pk,
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "project_id"
    assert ServiceRequest.objects.count() == 0


# --- the whole loop ---------------------------------------------------------------------


def test_the_closed_loop_through_the_api(call, world):
    handler = world["handler"]

    def step(role, name, expected=200, **body):
        response = call(role, "post", f"/{pk}/steps/{name}", body)
        assert response.status_code == expected, (role, name, response.content)
        return response.json()

    created = call(
        "enterprise", "post", body={"category": "land", "text": "规划条件迟迟未出具"}
    ).json()
    pk = created["id"]
    step("linghai_steward", "accept", note="已受理")
    body = step("linghai_steward", "dispatch", to_id=handler.pk, note="请自然资源局办理")
    assert body["status"] == "dispatched" and body["assignee"]["id"] == handler.pk
    assert body["department"]["name"] == "自然资源局" and body["resolve_due_at"]
    body = step("handler", "sign")
    assert body["status"] == "handling"
    assert "reply" in body["allowed_steps"] and "dispatch" not in body["allowed_steps"]
    body = step("handler", "ask_info", question="请提供土地证复印件")
    assert body["status"] == "awaiting_info"
    step("enterprise", "give_info", answer="已线下提供")
    step("handler", "ask_extension", days="5", reason="需要上会研究")
    staff_view = call("official", "get", f"/{pk}").json()
    [extension] = staff_view["extensions"]
    assert extension["status"] == "pending" and extension["days"] == "5.00"
    assert "decide_extension" in staff_view["allowed_steps"]
    body = step("official", "decide_extension", approve=True, note="同意")
    assert body["extension_days"] == "5.00" and body["extensions"][0]["status"] == "approved"
    body = step("handler", "bounce", reason="不属于本部门职责")
    assert body["status"] == "bounced" and body["bounce_reason"] == "不属于本部门职责"
    body = step("linghai_steward", "arbitrate", upheld=False, note="属于自然资源局职责")
    assert body["status"] == "handling" and body["assignee"]["id"] == handler.pk
    step("handler", "note", note="已现场踏勘")
    body = step("handler", "reply", answer="规划条件已出具")
    assert body["status"] == "replied" and body["on_time"] is True
    body = step("enterprise", "rate", rating="unsatisfied", comment="文件有误")
    assert body["status"] == "handling" and body["revisit_required"] is True
    step("handler", "reply", answer="已更正")
    body = step("enterprise", "rate", rating="satisfied")
    assert body["status"] == "closed" and body["rating"] == "satisfied"
    body = step(
        "linghai_steward",
        "revisit",
        channel="phone",
        outcome="satisfied",
        note="电话回访，企业满意",
    )
    assert body["revisit_required"] is False
    assert [(r["channel"], r["outcome"]) for r in body["revisits"]] == [("phone", "satisfied")]

    staff = call("admin", "get", f"/{pk}").json()
    mine = call("enterprise", "get", f"/{pk}").json()
    staff_kinds = [e["kind"] for e in staff["events"]]
    assert {"bounce", "arbitrate", "extension_asked", "extension_decided"} <= set(staff_kinds)
    assert [e for e in mine["events"] if e["internal"]] == []
    assert [e["kind"] for e in mine["events"]] == [
        k for k in staff_kinds if k not in {str(k) for k in INTERNAL_EVENTS}
    ]
    assert EventKind.GIVE_INFO in [e["kind"] for e in mine["events"]]
    assert mine["extensions"] == [] and mine["bounce_reason"] is None
    assert ServiceRequest.objects.get(pk=pk).status == Status.CLOSED


def test_transfer_and_upheld_arbitration_reassign(call, world):
    other_handler = UserFactory(
        username="t_handler2", role=Role.HANDLER, region=world["handler"].region
    )
    pk = dispatched_to_handler(world).pk
    response = call("handler", "post", f"/{pk}/steps/bounce", {"reason": "不归我们管"})
    assert response.status_code == 200
    response = call(
        "linghai_steward", "post", f"/{pk}/steps/arbitrate", {"upheld": True, "note": "改派"}
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "to_id", "message": "Say who takes the request instead."}
    ]
    response = call(
        "linghai_steward",
        "post",
        f"/{pk}/steps/arbitrate",
        {"upheld": True, "note": "改派", "to_id": world["linghai_steward"].pk},
    )
    assert response.status_code == 200 and response.json()["status"] == "dispatched"
    response = call(
        "linghai_steward",
        "post",
        f"/{pk}/steps/transfer",
        {"to_id": other_handler.pk, "note": "转办"},
    )
    assert response.status_code == 200
    assert response.json()["assignee"]["id"] == other_handler.pk


# --- errors are machine-readable --------------------------------------------------------


def assert_invalid(response, status, field):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["detail"] and field in [e["field"] for e in body["errors"]], body
    return body


def test_step_input_errors_name_the_field(call, world):
    pk = new_request(world).pk
    steward = "linghai_steward"
    assert_invalid(call(steward, "post", f"/{pk}/steps/dispatch", {}), 422, "to_id")
    assert_invalid(call(steward, "post", f"/{pk}/steps/dispatch", {"to_id": None}), 422, "to_id")
    assert_invalid(call(steward, "post", f"/{pk}/steps/dispatch", {"to_id": 10**12}), 422, "to_id")
    # Requests go to staff, not to an enterprise's contact.
    enterprise_user = world["enterprise"].pk
    assert_invalid(
        call(steward, "post", f"/{pk}/steps/dispatch", {"to_id": enterprise_user}), 422, "to_id"
    )
    assert_invalid(
        call(steward, "post", f"/{pk}/steps/accept", {"rating": "satisfied"}), 422, "rating"
    )
    assert_invalid(call(steward, "post", f"/{pk}/steps/accept", {"colour": "red"}), 422, "colour")
    assert ServiceRequest.objects.get(pk=pk).status == Status.SUBMITTED


def test_steps_refused_by_status_are_a_409(call, world):
    pk = new_request(world).pk
    response = call("linghai_steward", "post", f"/{pk}/steps/close", {})
    body = assert_invalid(response, 409, None)
    assert "Submitted" in body["errors"][0]["message"]
    withdraw = {"reason": "已自行解决"}
    assert call("enterprise", "post", f"/{pk}/steps/withdraw", withdraw).status_code == 200
    response = call("enterprise", "post", f"/{pk}/steps/withdraw", withdraw)
    assert_invalid(response, 409, None)


def test_rating_and_extension_errors(call, world):
    sr = dispatched_to_handler(world)
    pk, handler = sr.pk, world["handler"]
    services.sign(sr, handler)
    response = call("handler", "post", f"/{pk}/steps/ask_extension", {"days": "abc", "reason": "x"})
    assert_invalid(response, 422, "days")
    response = call("handler", "post", f"/{pk}/steps/ask_extension", {"days": 100, "reason": "x"})
    assert_invalid(response, 422, "days")
    response = call("handler", "post", f"/{pk}/steps/ask_extension", {"days": 2})
    assert_invalid(response, 422, "reason")
    response = call("official", "post", f"/{pk}/steps/decide_extension", {"approve": True})
    assert_invalid(response, 422, "extension_id")
    extension = services.ask_extension(sr, handler, "2", "需要时间")
    services.decide_extension(extension, world["official"], approve=False)
    response = call(
        "official",
        "post",
        f"/{pk}/steps/decide_extension",
        {"approve": True, "extension_id": extension.pk},
    )
    assert_invalid(response, 409, None)
    services.reply(sr, handler, "已办")
    response = call("enterprise", "post", f"/{pk}/steps/rate", {"rating": "great"})
    assert_invalid(response, 422, "rating")
    response = call("enterprise", "post", f"/{pk}/steps/rate", {"rating": "unsatisfied"})
    assert_invalid(response, 422, "comment")


def test_nothing_is_a_500(call, world):
    pk = new_request(world).pk
    cases = [
        ("get", f"/{10**20}", None, 404),
        ("get", "/0", None, 404),
        ("get", "/not-a-number", None, 404),
        ("post", f"/{pk}/steps/teleport", {}, 404),
        ("post", f"/{pk}/steps/accept", "{broken", 400),
        ("post", f"/{pk}/steps/accept", "[1, 2]", 422),
        ("post", f"/{pk}/steps/note", {"note": "含有\x00"}, 422),
        ("post", f"/{10**20}/steps/accept", {}, 404),
        ("post", "", {"category": "land", "text": "x", "project_id": 2**64}, 422),
    ]
    for method, path, body, status in cases:
        response = call("linghai_steward", method, path, body)
        assert response.status_code == status, (path, body, response.content)
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["detail"]
    for query in ({"status": "pending"}, {"category": "a b"}, {"limit": 0}, {"q": "x" * 101}):
        response = call("admin", "get", **query)
        assert response.status_code == 422, (query, response.content)
        assert response.json()["errors"]


def test_without_a_token_it_is_a_401(client, world):
    assert client.get(API).status_code == 401
    assert client.post(API, "{}", content_type="application/json").status_code == 401


def test_the_schema_lists_the_request_paths(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for path, methods in {
        "/api/v1/requests": {"get", "post"},
        "/api/v1/requests/categories": {"get"},
        "/api/v1/requests/{request_id}": {"get"},
        "/api/v1/requests/{request_id}/steps/{step}": {"post"},
    }.items():
        assert methods <= set(paths[path]), path
        for method in methods:
            assert paths[path][method]["security"], f"{method} {path} is not protected"
    components = schema["components"]["schemas"]
    assert "kind" in components["TimelineEventOut"]["properties"]
    assert "date" in components["EventOut"]["properties"]  # the events' own, not overwritten


def test_the_list_answers_the_bytes_the_validated_items_gave(call, world):
    """The list is built as plain JSON (`list_items`, `common.answer`), not validated item by
    item against `RequestList` any more: the same bytes as the old path (`request_item` on
    model instances, validated by the schema, rendered by the API's renderer), for every
    role, with a title full of markup, a project, a department, people, a rating."""
    from ninja.responses import NinjaJSONEncoder

    from guanjia.api.common import JSON_DUMPS
    from guanjia.api.requests import RELATED, RequestList, request_item
    from guanjia.requests import access

    sr = new_request(world, title="""<b>&"'</b> 用地""")
    services.dispatch(sr, world["linghai_steward"], to=world["handler"], note="请办理")
    ServiceRequest.objects.filter(pk=sr.pk).update(rating="satisfied", supervised=True)
    new_request(world, code="energy")
    new_request(world, role="other_enterprise")
    for role in ROLES:
        user = world[role]
        for query in ({}, {"limit": 1, "offset": 1}, {"status": "open"}):
            answer = call(role, "get", **query)
            assert answer.status_code == 200
            assert answer["Content-Type"] == "application/json; charset=utf-8"
            qs = access.requests_for(user).order_by("-submitted_at", "-id")
            if query.get("status"):
                qs = qs.filter(status__in=OPEN_STATUSES)
            start = query.get("offset", 0)
            rows = list(qs.select_related(*RELATED)[start : start + query.get("limit", 25)])
            old = RequestList.model_validate(
                {"count": qs.count(), "items": [request_item(r, user) for r in rows]}
            ).model_dump()
            assert answer.content == json.dumps(old, cls=NinjaJSONEncoder, **JSON_DUMPS).encode()
