"""One obvious next step on the direct line: the page's main buttons (`next_steps`), 受理并答复
in one step, reply templates with placeholders, and merging a duplicate request.

The requests belong to 锦州测试自有企业 (凌海), whose steward is 凌海's `own_steward`; the
conftest's `steward` serves another enterprise, so these requests are not theirs.
"""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from guanjia.accounts.models import ApiToken, Role
from guanjia.core.models import AuditEntry
from guanjia.notifications.models import Notification
from guanjia.requests import escalation, replies, services
from guanjia.requests.loading import load_categories
from guanjia.requests.models import (
    Category,
    EventKind,
    ReplyTemplate,
    RequestEvent,
    ServiceRequest,
    Status,
)
from guanjia.testing.factories import EnterpriseFactory, UserFactory
from guanjia.worktime.loading import load_holidays

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
MONDAY_9 = dt.datetime(2026, 3, 9, 9, 0, tzinfo=TZ)  # a working Monday, no holiday near


@pytest.fixture
def world(users, linghai, heishan, own_enterprise, settings):
    settings.GUANJIA_INTAKE_HOURS = "4"
    load_categories()
    load_holidays([2026])
    steward = UserFactory(
        username="s_own", role=Role.STEWARD, region=linghai, display_name="王管家"
    )
    own_enterprise.steward = steward
    own_enterprise.save()
    other = EnterpriseFactory(name="另一家企业有限公司", region=linghai, steward=steward)
    return {
        **users,
        "own_steward": steward,
        "other_enterprise": other,
        "other_contact": UserFactory(username="t_other", role=Role.ENTERPRISE, enterprise=other),
    }


def submit(world, title="用地规划条件", enterprise=None, at=MONDAY_9):
    enterprise = enterprise or world["enterprise"].enterprise
    contact = world["enterprise"] if enterprise == world["enterprise"].enterprise else None
    with time_machine.travel(at, tick=False):
        return services.submit(
            contact,
            enterprise=enterprise,
            category=Category.objects.get(code="land"),
            title=title,
            text="请告知规划条件办理进度。",
        )


def web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def inbox(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


# ------------------------------------------------------------------ the steps the page leads with


def _submitted(world):
    return submit(world)


def _dispatched(world):
    sr = submit(world)
    return services.dispatch(sr, world["own_steward"], to=world["handler"])


def _handling(world):
    sr = _dispatched(world)
    return services.sign(sr, world["handler"])


def _awaiting(world):
    sr = _handling(world)
    return services.ask_info(sr, world["handler"], "请提供用地红线图")


def _replied(world):
    sr = _handling(world)
    return services.reply(sr, world["handler"], "规划条件已出具")


def _replied_unsatisfied(world):
    sr = _replied(world)
    services.rate(sr, world["enterprise"], "unsatisfied", "没有解决")
    return services.reply(sr, world["handler"], "已重新办理")


def _reopened_closed(world):
    sr = _replied(world)
    services.rate(sr, world["enterprise"], "unsatisfied", "没有解决")
    sr = services.reply(sr, world["handler"], "已重新办理")
    # The enterprise's satisfied rating closes it; the revisit after its 不满意 is still owed.
    return services.rate(sr, world["enterprise"], "satisfied", "")


def _extension_asked(world):
    sr = _handling(world)
    services.ask_extension(sr, world["handler"], "3", "需现场踏勘")
    return sr


def _bounced(world):
    sr = _dispatched(world)
    return services.bounce(sr, world["handler"], "不属于本部门")


# (state, role) → the page's main buttons, and steps that must be behind the menu.
NEXT_STEPS = [
    (_submitted, "own_steward", ["accept_reply", "dispatch"], {"accept", "merge", "note"}),
    (_submitted, "official", ["dispatch", "accept"], {"merge", "note", "supervise"}),
    (_submitted, "admin", ["dispatch", "accept"], {"merge"}),
    (_submitted, "enterprise", ["press"], {"withdraw"}),  # long past its intake limit
    (_submitted, "handler", [], set()),
    (_submitted, "leader", [], {"supervise"}),
    (_dispatched, "handler", ["sign"], {"bounce", "transfer"}),
    (_dispatched, "own_steward", [], {"transfer", "merge", "note"}),
    (_handling, "handler", ["reply", "ask_info"], {"bounce", "ask_extension", "note"}),
    (_handling, "enterprise", [], {"withdraw"}),
    (_awaiting, "enterprise", ["give_info"], {"withdraw"}),
    (_awaiting, "handler", [], {"note"}),
    (_bounced, "own_steward", ["arbitrate"], {"merge"}),
    (_replied, "enterprise", ["rate"], set()),
    (_replied, "own_steward", ["close"], {"note"}),
    (_replied_unsatisfied, "own_steward", ["revisit", "close"], {"note"}),
    (_reopened_closed, "own_steward", ["revisit"], {"internal_note"}),
    (_reopened_closed, "enterprise", [], set()),
    (_extension_asked, "official", ["decide_extension"], {"supervise"}),
]


@pytest.mark.parametrize(("state", "role", "main", "more"), NEXT_STEPS)
def test_the_page_leads_with_the_steps_that_make_sense_for_this_person_now(
    world, state, role, main, more
):
    sr = state(world)
    sr.refresh_from_db()
    offered = services.next_steps(sr, world[role], at=sr.submitted_at)
    assert offered.main == main
    assert more <= set(offered.more)
    assert not set(offered.main) & set(offered.more)
    # Nothing offered that the rules refuse, nothing allowed left out (but a decision with
    # nothing to decide).
    allowed = set(services.allowed_steps(world[role], sr))
    assert set(offered.all) <= allowed
    assert allowed - set(offered.all) <= {"decide_extension"}


def test_a_late_request_leads_a_leader_to_supervise(world):
    sr = submit(world)
    later = MONDAY_9 + dt.timedelta(days=3)
    assert services.next_steps(sr, world["leader"], at=later).main == ["supervise"]
    assert services.next_steps(sr, world["leader"], at=MONDAY_9).main == []


def test_the_request_page_shows_the_main_steps_as_buttons_and_the_rest_in_a_menu(world):
    sr = submit(world)
    html = web(world["own_steward"]).get(reverse("requests:detail", args=[sr.pk])).content.decode()
    head, menu = html.split('<details class="more-steps"', 1)
    assert 'id="step-accept_reply"' in head and 'id="step-dispatch"' in head
    assert head.count('class="btn primary" name="go"') == 2
    assert 'id="step-accept"' in menu and 'id="step-merge"' in menu
    assert 'id="menu-accept"' in menu  # each in its own <details>, opened without JavaScript


# ------------------------------------------------------------------ 受理并答复 in one step


def test_the_steward_accepts_and_answers_in_one_step(world, django_capture_on_commit_callbacks):
    sr = submit(world)
    assert sr.intake_due_at and sr.next_mark == "intake50"
    answered = MONDAY_9 + dt.timedelta(hours=1)
    with time_machine.travel(answered, tick=False):
        services.accept_reply(sr, world["own_steward"], "规划条件已出具，请到窗口领取。")
    sr.refresh_from_db()
    assert sr.status == Status.REPLIED and sr.answer.startswith("规划条件已出具")
    # Both clocks stopped: the intake clock at acceptance, and no service clock ever ran.
    assert sr.accepted_at == sr.replied_at == sr.first_response_at == answered
    assert sr.due_at is None and sr.next_mark == "" and sr.next_mark_at is None
    assert sr.on_time is True and sr.dispatched_at is None and sr.department is None
    events = list(sr.events.values_list("kind", "from_status", "to_status", "data"))
    assert events[1:] == [
        (EventKind.ACCEPT, "submitted", "accepted", {"step": "accept_reply"}),
        (EventKind.REPLY, "accepted", "replied", {"step": "accept_reply"}),
    ]
    notes = list(AuditEntry.objects.filter(object_id=str(sr.pk)).values_list("note", flat=True))
    assert "accept_reply (accept)" in notes
    assert any(n.startswith("accept_reply (reply)") for n in notes)
    assert "request.replied" in inbox(world["enterprise"])
    assert escalation.sweep(MONDAY_9 + dt.timedelta(days=5)) == 0  # nothing left to chase


def test_an_accepted_request_is_answered_with_one_more_line(world):
    sr = services.accept(submit(world), world["own_steward"])
    services.accept_reply(sr, world["own_steward"], "已答复")
    kinds = list(sr.events.values_list("kind", flat=True))
    assert kinds == ["submit", "accept", "reply"]


@pytest.mark.parametrize(
    ("role", "refused"),
    [
        ("own_steward", None),
        ("steward", PermissionDenied),  # another enterprise's steward
        ("official", PermissionDenied),  # dispatches, but does not answer at intake
        ("admin", PermissionDenied),
        ("handler", PermissionDenied),
        ("leader", PermissionDenied),
        ("enterprise", PermissionDenied),
    ],
)
def test_who_may_accept_and_answer_in_one_step(world, role, refused):
    sr = submit(world)
    if refused is None:
        services.accept_reply(sr, world[role], "已答复")
        assert ServiceRequest.objects.get(pk=sr.pk).status == Status.REPLIED
    else:
        with pytest.raises(refused):
            services.accept_reply(sr, world[role], "已答复")
        assert ServiceRequest.objects.get(pk=sr.pk).status == Status.SUBMITTED


def test_accept_and_answer_needs_an_answer_and_a_request_not_yet_dispatched(world):
    sr = submit(world)
    with pytest.raises(ValidationError) as blank:
        services.accept_reply(sr, world["own_steward"], "  ")
    assert "answer" in blank.value.message_dict
    assert ServiceRequest.objects.get(pk=sr.pk).status == Status.SUBMITTED
    assert sr.events.count() == 1  # nothing half-written: not even the acceptance
    services.dispatch(sr, world["own_steward"], to=world["handler"])
    with pytest.raises(services.RequestError):
        services.accept_reply(sr, world["own_steward"], "已答复")


def test_a_steward_answers_from_the_page_in_one_post(world):
    sr = submit(world)
    url = reverse("requests:step", args=[sr.pk, "accept_reply"])
    response = web(world["own_steward"]).post(url, {"answer": "已办结，请查收。"})
    assert response.status_code == 302
    page = web(world["enterprise"]).get(reverse("requests:detail", args=[sr.pk]))
    assert "已办结，请查收。" in page.content.decode()
    blank = web(world["own_steward"]).post(url, {"answer": ""})
    assert blank.status_code == 400  # already answered: refused, said on the page


# ------------------------------------------------------------------ reply templates


@pytest.fixture
def templates(world, linghai, heishan, city):
    land = Category.objects.get(code="land")
    return {
        "land": ReplyTemplate.objects.create(
            region=city,
            category=land,
            name="用地答复",
            text="{enterprise}：您的诉求 {request_no}（{title}）已办结。管家 {steward}。",
        ),
        "general": ReplyTemplate.objects.create(
            region=linghai, name="通用", text="已收到，将于 {deadline} 前答复。"
        ),
        "other_area": ReplyTemplate.objects.create(region=heishan, name="黑山模板", text="黑山"),
        "other_category": ReplyTemplate.objects.create(
            region=city,
            category=Category.objects.exclude(pk=land.pk).first(),
            name="别的类别",
            text="x",
        ),  # fmt: skip
        "inactive": ReplyTemplate.objects.create(region=city, name="停用", text="x", active=False),
    }


def test_a_request_is_offered_its_categorys_templates_of_its_area_filled_in(world, templates):
    sr = submit(world)
    offered = {t["name"]: t["text"] for t in replies.filled_for(sr)}
    assert set(offered) == {"用地答复", "通用"}
    assert offered["用地答复"] == (
        f"锦州测试自有企业有限公司：您的诉求 {sr.number}（用地规划条件）已办结。管家 王管家。"
    )


@pytest.mark.parametrize(
    ("text", "filled"),
    [
        ("{enterprise.__class__}", "{enterprise.__class__}"),
        ("{enterprise!r}", "{enterprise!r}"),
        ("{0}{}{{enterprise}}", "{0}{}{锦州测试自有企业有限公司}"),
        ("{steward.password}", "{steward.password}"),
        ("{unknown}", "{unknown}"),
        ("{request_no}", "REQUEST_NO"),
    ],
)
def test_placeholders_are_plain_names_only(world, text, filled):
    sr = submit(world)
    assert replies.fill(text, sr) == filled.replace("REQUEST_NO", sr.number)


def test_a_template_naming_an_unknown_placeholder_is_refused(world, city):
    template = ReplyTemplate(region=city, name="坏模板", text="{enterprise} {boss} {boss}")
    with pytest.raises(ValidationError) as refused:
        template.full_clean()
    assert "{boss}" in str(refused.value.message_dict["text"])


def test_use_template_fills_the_answer_without_javascript(world, templates):
    sr = submit(world)
    client = web(world["own_steward"])
    url = reverse("requests:step", args=[sr.pk, "accept_reply"])
    chosen = {"template": templates["land"].pk, "use_template": "1", "answer": ""}
    response = client.post(url, chosen)
    html = response.content.decode()
    assert response.status_code == 200
    assert f"您的诉求 {sr.number}（用地规划条件）已办结" in html
    assert 'data-text="' in html  # with JavaScript, the option fills it at once
    assert ServiceRequest.objects.get(pk=sr.pk).status == Status.SUBMITTED  # nothing taken
    elsewhere = client.post(url, chosen | {"template": templates["other_area"].pk})
    assert elsewhere.status_code == 400
    assert 'class="errorlist"' in elsewhere.content.decode()


def test_only_those_who_may_answer_use_a_template(world, templates):
    sr = submit(world)
    url = reverse("requests:step", args=[sr.pk, "accept_reply"])
    chosen = {"template": templates["land"].pk, "use_template": "1"}
    assert web(world["official"]).post(url, chosen).status_code == 403
    assert web(world["steward"]).post(url, chosen).status_code == 404  # not theirs to see


def test_city_admins_keep_templates_in_the_admin_audited(world, city):
    client = web(world["admin"])
    land = Category.objects.get(code="land")
    response = client.post(
        reverse("admin:requests_replytemplate_add"),
        {"region": city.pk, "category": land.pk, "name": "标准答复", "text": "{enterprise} 您好",
         "active": "on", "sort_order": 0},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    template = ReplyTemplate.objects.get(name="标准答复")
    assert AuditEntry.objects.filter(object_id=str(template.pk), note="admin").exists()
    assert web(world["official"]).get(reverse("admin:requests_replytemplate_changelist")).status_code in (302, 403)  # fmt: skip


# ------------------------------------------------------------------ merging a duplicate


def test_a_duplicate_is_merged_with_both_timelines_kept(world, django_capture_on_commit_callbacks):
    target = submit(world, "用地规划条件")
    dup = submit(world, "规划条件还没出", at=MONDAY_9 + dt.timedelta(hours=2))
    services.merge(dup, world["own_steward"], target, "与 ZT 前一件诉求相同，一并答复")
    dup.refresh_from_db()
    assert dup.status == Status.MERGED and dup.merged_into == target and dup.closed_at
    assert not dup.is_open and dup.due_at is None and dup.next_mark_at is None
    merged = dup.events.get(kind=EventKind.MERGE)
    assert merged.data == {"into_id": target.pk, "into": target.number}
    taken_in = target.events.get(kind=EventKind.MERGED_IN)
    assert taken_in.data == {"from_id": dup.pk, "from": dup.number}
    assert AuditEntry.objects.filter(object_id=str(target.pk), note=f"merged_in: {dup.number}")
    assert AuditEntry.objects.filter(object_id=str(dup.pk), note__startswith="merge").exists()
    assert "request.merged" in inbox(world["enterprise"])
    # Both pages show both: the duplicate links to the request; the request shows the
    # duplicate's timeline.
    contact = web(world["enterprise"])
    dup_page = contact.get(reverse("requests:detail", args=[dup.pk])).content.decode()
    assert reverse("requests:detail", args=[target.pk]) in dup_page
    target_page = contact.get(reverse("requests:detail", args=[target.pk])).content.decode()
    assert f'id="duplicate-{dup.pk}"' in target_page and "规划条件还没出" in target_page


def test_merging_is_refused_across_enterprises_into_itself_and_into_a_merged_one(world):
    target = submit(world)
    stranger = submit(world, enterprise=world["other_enterprise"])
    dup = submit(world, "重复")
    for into in (stranger, dup):
        with pytest.raises(services.RequestError) as refused:
            services.merge(dup, world["own_steward"], into)
        assert "into" in refused.value.message_dict
    services.merge(target, world["own_steward"], dup)
    with pytest.raises(services.RequestError):
        services.merge(submit(world, "第三件"), world["own_steward"], target)
    assert ServiceRequest.objects.get(pk=dup.pk).status == Status.SUBMITTED


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("own_steward", 302),
        ("official", 302),
        ("admin", 302),
        ("steward", 404),  # not theirs to see
        ("handler", 404),
        ("leader", 403),
        ("enterprise", 403),
        ("other_contact", 404),
    ],
)
def test_who_may_merge_on_the_page(world, role, status):
    target, dup = submit(world), submit(world, "重复")
    url = reverse("requests:step", args=[dup.pk, "merge"])
    response = web(world[role]).post(url, {"into": target.pk, "note": "重复"})
    assert response.status_code == status
    expected = Status.MERGED if status == 302 else Status.SUBMITTED
    assert ServiceRequest.objects.get(pk=dup.pk).status == expected


def test_the_page_refuses_another_enterprises_request_as_a_choice(world):
    stranger = submit(world, enterprise=world["other_enterprise"])
    dup = submit(world, "重复")
    url = reverse("requests:step", args=[dup.pk, "merge"])
    response = web(world["own_steward"]).post(url, {"into": stranger.pk})
    assert response.status_code == 400
    assert ServiceRequest.objects.get(pk=dup.pk).status == Status.SUBMITTED
    page = web(world["own_steward"]).get(reverse("requests:detail", args=[dup.pk]))
    assert stranger.number not in page.content.decode()  # never offered


# ------------------------------------------------------------------ the API


@pytest.fixture
def api(world):
    tokens = {}

    def call(role, path, body):
        if role not in tokens:
            tokens[role] = ApiToken.issue(world[role])[1]
        return Client().post(
            f"/api/v1/requests{path}",
            data=json.dumps(body),
            content_type="application/json",
            headers={"Authorization": f"Bearer {tokens[role]}", "accept-language": "en"},
        )

    return call


def test_the_api_accepts_and_answers_in_one_step(world, api):
    sr = submit(world)
    path = f"/{sr.pk}/steps/accept_reply"
    assert api("official", path, {"answer": "已答复"}).status_code == 403
    missing = api("own_steward", path, {})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "answer"
    done = api("own_steward", path, {"answer": "已答复"})
    assert done.status_code == 200
    body = done.json()
    assert body["status"] == "replied" and body["accepted_at"] == body["replied_at"]
    assert [e["kind"] for e in body["events"]] == ["submit", "accept", "reply"]
    assert api("own_steward", path, {"answer": "再答一次"}).status_code == 409


def test_the_api_merges_a_duplicate_and_refuses_another_enterprises(world, api):
    target, dup = submit(world), submit(world, "重复")
    stranger = submit(world, enterprise=world["other_enterprise"])
    path = f"/{dup.pk}/steps/merge"
    across = api("own_steward", path, {"into_id": stranger.pk})
    assert across.status_code == 422 and across.json()["errors"][0]["field"] == "into_id"
    unseen = api("official", f"/{dup.pk}/steps/merge", {"into_id": 10**9})
    assert unseen.status_code == 422 and unseen.json()["errors"][0]["field"] == "into_id"
    assert api("enterprise", path, {"into_id": target.pk}).status_code == 403
    done = api("own_steward", path, {"into_id": target.pk, "note": "重复诉求"})
    assert done.status_code == 200 and done.json()["status"] == "merged"
    assert done.json()["merged_into"] == target.pk
    assert RequestEvent.objects.filter(request=target, kind=EventKind.MERGED_IN).count() == 1


def test_the_starting_templates_load_once_and_name_only_known_placeholders(world, city):
    from guanjia.requests.loading import load_reply_templates

    assert load_reply_templates(city) == 3
    assert load_reply_templates(city) == 0  # loading again changes nothing
    for template in ReplyTemplate.objects.filter(region=city):
        template.full_clean()
    sr = submit(world)
    offered = replies.filled_for(sr)
    assert [t["name"] for t in offered] == ["已办结通用答复"]  # 用地: only the general one
    assert "{" not in offered[0]["text"] and "王管家" in offered[0]["text"]
