"""Department queues (认领), co-handling (主办 / 协办), the dispatch picker and bulk actions."""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.test import Client

from guanjia.accounts.models import ApiToken, Role
from guanjia.requests import escalation, queue, services
from guanjia.requests.loading import load_categories
from guanjia.requests.models import (
    Category,
    Escalation,
    PartStatus,
    RequestEvent,
    ServiceRequest,
    Status,
)
from guanjia.testing.factories import DepartmentFactory, ProjectFactory, UserFactory
from guanjia.worktime.loading import load_holidays

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


@pytest.fixture
def world(users, city, linghai, heishan, own_enterprise):
    load_categories()
    load_holidays([2025, 2026])
    steward = UserFactory(username="s_linghai", role=Role.STEWARD, region=linghai)
    own_enterprise.steward = steward
    own_enterprise.save()
    department = users["handler"].department  # 自然资源局, at the city
    head = UserFactory(username="d_head", role=Role.HANDLER, region=city, department=department)
    department.head = head
    department.save()
    fgw = DepartmentFactory(name="发改委", region=city)
    heishan_dept = DepartmentFactory(name="黑山县自然资源局", region=heishan)
    return {
        **users,
        "linghai_steward": steward,
        "department": department,
        "head": head,
        "colleague": UserFactory(
            username="h_colleague", role=Role.HANDLER, region=city, department=department
        ),
        "fgw": fgw,
        "fgw_handler": UserFactory(
            username="h_fgw", role=Role.HANDLER, region=city, department=fgw
        ),
        "heishan_dept": heishan_dept,
        "heishan_handler": UserFactory(
            username="h_heishan", role=Role.HANDLER, region=heishan, department=heishan_dept
        ),
        "project": ProjectFactory(enterprise=own_enterprise, region=linghai, steward=steward),
    }


def new_request(world, title="用地手续卡在规划许可", code="land"):
    contact = world["enterprise"]
    return services.submit(
        contact,
        enterprise=contact.enterprise,
        category=Category.objects.get(code=code),
        title=title,
        text="请协调自然资源局尽快出具规划条件。",
        project=world["project"],
    )


def to_department(world, title="用地手续卡在规划许可"):
    sr = new_request(world, title)
    services.dispatch(sr, world["linghai_steward"], department=world["department"])
    sr.refresh_from_db()
    return sr


def web(user):
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def api(user, method, path, body=None, **query):
    token = ApiToken.issue(user)[1]
    client = Client(headers={"accept-language": "en", "Authorization": f"Bearer {token}"})
    if method == "get":
        return client.get(f"/api/v1/requests{path}", query)
    return client.post(
        f"/api/v1/requests{path}", data=json.dumps(body or {}), content_type="application/json"
    )


# --- department queues ---------------------------------------------------------------------


def test_a_department_handler_claims_a_request_from_the_department_queue(world):
    """The issue's Done-when: dispatched to a department, it waits in the department's queue
    with the clock running; one of its handlers claims it and holds it."""
    sr = to_department(world)
    assert sr.status == Status.DISPATCHED and sr.assignee is None
    assert sr.department == world["department"]
    # The clock starts at dispatch, a department's queue too.
    assert sr.clock_started_at and sr.sign_due_at and sr.resolve_due_at
    handler, colleague = world["handler"], world["colleague"]
    page = web(handler).get("/requests/?queue=unclaimed")
    assert page.status_code == 200 and sr.number in page.content.decode()
    assert services.allowed_steps(handler, sr) == ["claim", "bounce"]

    response = web(handler).post(f"/requests/{sr.pk}/step/claim/", {"note": "我来办"})
    assert response.status_code == 302
    sr.refresh_from_db()
    assert sr.assignee == handler and sr.status == Status.HANDLING and sr.signed_at
    event = sr.events.get(kind="claim")
    assert event.actor == handler and event.data["to_id"] == handler.pk
    # Claimed: out of the department's queue, in the claimer's own.
    assert sr.number not in web(colleague).get("/requests/?queue=unclaimed").content.decode()
    assert sr.number in web(handler).get("/requests/?queue=mine").content.decode()
    with pytest.raises(PermissionDenied):
        services.claim(sr, colleague)


def test_the_department_queue_through_the_api(world):
    sr = to_department(world)
    listed = api(world["colleague"], "get", "", queue="unclaimed").json()
    assert [item["id"] for item in listed["items"]] == [sr.pk]
    assert listed["items"][0]["assignee"] is None
    assert listed["items"][0]["department"]["name"] == "自然资源局"
    # Another department's handler has no such queue entry, and cannot see the request.
    assert api(world["fgw_handler"], "get", "", queue="unclaimed").json()["count"] == 0
    assert api(world["fgw_handler"], "get", f"/{sr.pk}").status_code == 404
    done = api(world["colleague"], "post", f"/{sr.pk}/steps/claim", {"note": "认领"})
    assert done.status_code == 200, done.content
    assert done.json()["assignee"]["id"] == world["colleague"].pk
    again = api(world["handler"], "post", f"/{sr.pk}/steps/claim", {})
    assert again.status_code == 403


def test_dispatch_to_a_department_through_the_api_names_a_department_in_reach(world):
    sr = new_request(world)
    steward = world["linghai_steward"]
    far = api(
        steward, "post", f"/{sr.pk}/steps/dispatch", {"department_id": world["heishan_dept"].pk}
    )
    assert far.status_code == 422 and far.json()["errors"][0]["field"] == "department_id"
    neither = api(steward, "post", f"/{sr.pk}/steps/dispatch", {"note": "x"})
    assert neither.status_code == 422
    ok = api(steward, "post", f"/{sr.pk}/steps/dispatch", {"department_id": world["fgw"].pk})
    assert ok.status_code == 200, ok.content
    assert ok.json()["department"]["id"] == world["fgw"].pk and ok.json()["assignee"] is None


def test_dispatch_to_a_department_tells_its_handlers(world, django_capture_on_commit_callbacks):
    from guanjia.notifications.models import Notification

    sr = to_department(world)
    told = set(
        Notification.objects.filter(kind="request.dispatched").values_list(
            "recipient__username", flat=True
        )
    )
    assert told == {"t_handler", "h_colleague", "d_head"}
    assert sr.events.get(kind="dispatch").data["department_id"] == world["department"].pk


def test_transfer_to_another_department_queue(world):
    sr = to_department(world)
    services.claim(sr, world["handler"])
    services.transfer(sr, world["handler"], None, "属发改委职责", department=world["fgw"])
    sr.refresh_from_db()
    assert sr.status == Status.DISPATCHED and sr.assignee is None and sr.department == world["fgw"]
    assert services.allowed_steps(world["fgw_handler"], sr) == ["claim", "bounce"]
    services.claim(sr, world["fgw_handler"])
    sr.refresh_from_db()
    assert sr.assignee == world["fgw_handler"]


def test_a_department_bounces_an_unclaimed_request_and_the_dispatcher_arbitrates(world):
    sr = to_department(world)
    services.bounce(sr, world["colleague"], "不属自然资源局职责")
    sr.refresh_from_db()
    assert sr.status == Status.BOUNCED and sr.bounce_reason == "不属自然资源局职责"
    services.arbitrate(sr, world["linghai_steward"], upheld=False, note="属贵局职责")
    sr.refresh_from_db()
    assert sr.status == Status.DISPATCHED and sr.assignee is None
    assert sr.department == world["department"]
    services.claim(sr, world["colleague"])


def test_unclaimed_department_request_escalates_to_the_department_head(world):
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        sr = to_department(world)
    assert sr.sign_due_at == at(2026, 3, 3, 9, 0)
    escalation.sweep(at(2026, 3, 2, 14, 20))  # 50%: the department's handlers are reminded
    reminder = Escalation.objects.get(request=sr, mark="sign50")
    assert {u.username for u in reminder.recipients.all()} == {"t_handler", "h_colleague", "d_head"}
    escalation.sweep(at(2026, 3, 3, 9, 5))  # past the sign-for deadline, still unclaimed
    late = Escalation.objects.get(request=sr, mark="sign100")
    recipients = {u.username for u in late.recipients.all()}
    assert "d_head" in recipients and "t_official" in recipients


# --- co-handling (主办 / 协办) -----------------------------------------------------------


def claimed(world):
    sr = to_department(world)
    services.claim(sr, world["handler"])
    return sr


def test_co_handling_the_lead_answers_with_the_assistants_parts(world):
    sr = claimed(world)
    lead, assistant = world["handler"], world["fgw_handler"]
    part = services.assist(sr, lead, world["fgw_handler"], "请确认项目是否在产业目录内")
    assert part.status == PartStatus.ASKED and part.department == world["fgw"]
    # The assistant sees the request (their department was not sent it) and their steps.
    assert web(assistant).get(f"/requests/{sr.pk}/").status_code == 200
    assert services.allowed_steps(assistant, sr) == ["sign_part", "decline_part"]
    assert sr.number in web(assistant).get("/requests/?queue=assisting").content.decode()
    services.sign_part(sr, assistant)
    assert services.allowed_steps(assistant, sr) == ["reply_part", "decline_part"]
    with pytest.raises(services.RequestError):
        services.reply_part(sr, assistant, "")
    services.reply_part(sr, assistant, "在目录内，符合鼓励类。")
    part.refresh_from_db()
    assert part.status == PartStatus.ANSWERED and part.answered_at
    assert services.allowed_steps(assistant, sr) == []
    services.reply(sr, lead, "规划条件已出具，产业目录已确认。")
    sr.refresh_from_db()
    assert sr.status == Status.REPLIED
    kinds = list(sr.events.values_list("kind", flat=True))
    assert kinds[-4:] == ["assist", "part_sign", "part_reply", "reply"]
    # The lead's page shows the part and its answer; the enterprise sees none of it.
    page = web(lead).get(f"/requests/{sr.pk}/").content.decode()
    assert "在目录内，符合鼓励类。" in page and "请确认项目是否在产业目录内" in page
    contact = world["enterprise"]
    seen = web(contact).get(f"/requests/{sr.pk}/").content.decode()
    assert "在目录内" not in seen and "产业目录内" not in seen and "规划条件已出具" in seen
    body = api(contact, "get", f"/{sr.pk}").json()
    assert body["parts"] == []
    assert not {"assist", "part_sign", "part_reply"} & {e["kind"] for e in body["events"]}
    staff = api(lead, "get", f"/{sr.pk}").json()
    assert staff["parts"][0]["answer"] == "在目录内，符合鼓励类。"


def test_an_assistant_declines_their_part_and_the_lead_hears(world):
    from guanjia.notifications.models import Notification

    sr = claimed(world)
    lead, assistant = world["handler"], world["fgw_handler"]
    services.assist(sr, lead, assistant, "请出具意见")
    with pytest.raises(services.RequestError):
        services.decline_part(sr, assistant, "")
    part = services.decline_part(sr, assistant, "不属我委职责")
    assert part.status == PartStatus.DECLINED and part.decline_reason == "不属我委职责"
    assert Notification.objects.filter(recipient=lead, kind="request.part").exists()
    # The lead can ask them again, or someone else; and can still transfer the request.
    services.assist(sr, lead, assistant, "请再核实")
    services.transfer(sr, lead, world["colleague"], "同事更熟悉")
    sr.refresh_from_db()
    assert sr.assignee == world["colleague"] and sr.status == Status.DISPATCHED


def test_assist_refuses_the_lead_themself_a_second_open_part_and_another_county(world):
    sr = claimed(world)
    lead = world["handler"]
    with pytest.raises(services.RequestError):
        services.assist(sr, lead, lead, "自己")
    services.assist(sr, lead, world["fgw_handler"], "一")
    with pytest.raises(services.RequestError):
        services.assist(sr, lead, world["fgw_handler"], "二")
    from guanjia.accounts.scope import ReferenceOutOfScope

    with pytest.raises(ReferenceOutOfScope):
        services.assist(sr, lead, world["heishan_handler"], "跨县")
    with pytest.raises(services.RequestError):
        services.assist(sr, lead, world["colleague"], "")


# --- who may take the new steps: role × action × expected ----------------------------------

ACTIONS = {
    "claim": lambda w, sr, u: services.claim(sr, u),
    "assist": lambda w, sr, u: services.assist(sr, u, w["colleague"], "请协助"),
    "sign_part": lambda w, sr, u: services.sign_part(sr, u),
}
# Who may: a handler of the department (claim, on an unclaimed request); the lead or a
# dispatcher (assist, on a claimed one); the assistant (sign_part, with an open part).
TABLE = [
    ("handler", "claim", True),
    ("fgw_handler", "claim", False),
    ("linghai_steward", "claim", False),
    ("official", "claim", False),
    ("enterprise", "claim", False),
    ("leader", "claim", False),
    ("handler", "assist", True),  # the lead
    ("linghai_steward", "assist", True),  # the request's steward: a dispatcher
    ("official", "assist", True),
    ("fgw_handler", "assist", False),
    ("enterprise", "assist", False),
    ("leader", "assist", False),
    ("fgw_handler", "sign_part", True),  # the assistant
    ("handler", "sign_part", False),
    ("colleague", "sign_part", False),
    ("enterprise", "sign_part", False),
]


@pytest.mark.parametrize(("role", "action", "allowed"), TABLE)
def test_who_may_take_the_department_and_co_handling_steps(world, role, action, allowed):
    sr = to_department(world)
    if action != "claim":
        services.claim(sr, world["handler"])
    if action == "sign_part":
        services.assist(sr, world["handler"], world["fgw_handler"], "请出具意见")
    sr = ServiceRequest.objects.get(pk=sr.pk)
    user = world[role]
    assert (action in services.allowed_steps(user, sr)) is allowed
    if allowed:
        ACTIONS[action](world, sr, user)
    else:
        with pytest.raises(PermissionDenied):
            ACTIONS[action](world, sr, user)


# --- the picker --------------------------------------------------------------------------


def test_the_picker_groups_people_and_queues_and_suggests_the_usual_handler(world):
    steward = world["linghai_steward"]
    for n in range(2):  # the colleague has handled 2 land requests of 凌海
        past = new_request(world, f"往期{n}")
        services.dispatch(past, steward, to=world["colleague"])
        services.sign(past, world["colleague"])
    sr = new_request(world)
    page = web(steward).get(f"/requests/{sr.pk}/").content.decode()
    assert f'<optgroup label="Suggested"><option value="{world["colleague"].pk}" selected>' in page
    assert 'optgroup label="Department queues (to claim)"' in page
    assert f'value="dept:{world["department"].pk}"' in page
    assert "黑山县自然资源局" not in page  # another county's department is not offered
    assert queue.usual_handlers(sr) == [world["colleague"].pk]
    # Posting a department's queue from the picker dispatches to it.
    response = web(steward).post(
        f"/requests/{sr.pk}/step/dispatch/", {"to": f"dept:{world['fgw'].pk}", "note": ""}
    )
    assert response.status_code == 302
    sr.refresh_from_db()
    assert sr.department == world["fgw"] and sr.assignee is None
    far = new_request(world, "跨县")
    response = web(steward).post(
        f"/requests/{far.pk}/step/dispatch/", {"to": f"dept:{world['heishan_dept'].pk}"}
    )
    assert response.status_code == 400
    assert ServiceRequest.objects.get(pk=far.pk).status == Status.SUBMITTED


def test_the_picker_options_are_the_html_the_template_loop_drew(world):
    """`picker_options` builds the <optgroup>s in Python; the same bytes as the template
    loop it replaced, every value escaped."""
    from django.template import engines

    from guanjia.requests.templatetags.request_tags import picker_options

    loop = engines["django"].from_string(
        '{% for group, options in picker_groups %}<optgroup label="{{ group }}">'
        '{% for value, label, selected in options %}<option value="{{ value }}"'
        "{% if selected %} selected{% endif %}>{{ label }}</option>{% endfor %}"
        "</optgroup>{% endfor %}"
    )
    groups = [
        ("Suggested", [("7", "A & B <\"x\"> 'y'", True)]),
        ("凌海 · <dept>", [("dept:3", "局 & 办", False), ("8", "张三", False)]),
        ("empty", []),
    ]
    assert picker_options(groups) == loop.render({"picker_groups": groups})
    bulk = queue.bulk_picker(world["linghai_steward"])
    assert picker_options(bulk) == loop.render({"picker_groups": bulk})
    # A person without a department is grouped under their role's name (translated once).
    labels = [group for group, _options in bulk]
    assert any(label.endswith(f" · {Role.STEWARD.label}") for label in labels), labels


# --- bulk actions --------------------------------------------------------------------------


def test_bulk_dispatch_does_each_request_on_its_own_and_says_why_one_is_refused(world):
    steward = world["linghai_steward"]
    first, second = new_request(world, "第一件"), new_request(world, "第二件")
    answered = new_request(world, "已答复")
    services.dispatch(answered, steward, to=steward)
    services.sign(answered, steward)
    services.reply(answered, steward, "已办")
    page = web(steward).get("/requests/?queue=stewarded").content.decode()
    assert 'form="bulk"' in page and 'id="bulk"' in page
    response = web(steward).post(
        "/requests/bulk/",
        {
            "action": "dispatch",
            "ids": [first.pk, second.pk, answered.pk],
            "to": f"dept:{world['department'].pk}",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "2 requests done" in body and "1 request refused" in body
    assert "cannot be “dispatch” now" in body
    for sr in (first, second):
        sr.refresh_from_db()
        assert sr.status == Status.DISPATCHED and sr.department == world["department"]
    answered.refresh_from_db()
    assert answered.status == Status.REPLIED
    assert not RequestEvent.objects.filter(request=answered, kind="dispatch").count() > 1


def test_bulk_claim_and_close_by_a_handler(world):
    one, two = to_department(world, "甲"), to_department(world, "乙")
    handler = web(world["handler"])
    body = handler.post("/requests/bulk/", {"action": "claim", "ids": [one.pk, two.pk]})
    assert "2 requests done" in body.content.decode()
    services.reply(one, world["handler"], "已办")
    body = handler.post("/requests/bulk/", {"action": "close", "ids": [one.pk, two.pk]})
    text = body.content.decode()
    assert "1 request done" in text and "1 request refused" in text
    assert ServiceRequest.objects.get(pk=one.pk).status == Status.CLOSED
    assert ServiceRequest.objects.get(pk=two.pk).status == Status.HANDLING


BULK_TABLE = [
    ("enterprise", "close", 403),
    ("leader", "close", 403),
    ("handler", "dispatch", 403),
    ("handler", "close", 200),
    ("linghai_steward", "dispatch", 200),
    ("official", "close", 200),
]


@pytest.mark.parametrize(("role", "action", "status"), BULK_TABLE)
def test_who_is_offered_which_bulk_action(world, role, action, status):
    sr = to_department(world)
    data = {"action": action, "ids": [sr.pk], "to": str(world["colleague"].pk)}
    assert web(world[role]).post("/requests/bulk/", data).status_code == status


def test_bulk_on_a_request_out_of_sight_is_not_done(world):
    sr = to_department(world)
    body = web(world["fgw_handler"]).post("/requests/bulk/", {"action": "claim", "ids": [sr.pk]})
    assert "1 ticked request is not one you may see" in body.content.decode()
    assert ServiceRequest.objects.get(pk=sr.pk).assignee is None
