"""催办 (the enterprise presses for an answer) and 回访 (revisits), through the services, the
pages and the API: who may, when, how often, who hears of it and what each side sees."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from guanjia.accounts.models import ApiToken, Role
from guanjia.core.models import AuditEntry
from guanjia.notifications.models import Notification
from guanjia.requests import services
from guanjia.requests.loading import load_categories
from guanjia.requests.models import Category, Rating, Revisit, ServiceRequest, Status
from guanjia.testing.factories import EnterpriseFactory, ProjectFactory, UserFactory
from guanjia.worktime.loading import load_holidays

TZ = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


@pytest.fixture
def w(users, linghai, own_enterprise):
    load_categories()
    load_holidays([2025, 2026])
    steward = UserFactory(username="s_linghai", role=Role.STEWARD, region=linghai)
    own_enterprise.steward = steward
    own_enterprise.save()
    project = ProjectFactory(
        enterprise=own_enterprise, region=linghai, steward=steward, leader=users["leader"]
    )
    other = EnterpriseFactory(name="另一家企业有限公司", region=linghai)
    other_contact = UserFactory(username="t_other_contact", role=Role.ENTERPRISE, enterprise=other)
    # Submitted and dispatched to the handler Monday 2026-03-02 09:00, signed for at once: the
    # 5 working days to resolve end Monday 03-09 09:00; 80% of them is Friday 03-06 09:00.
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        sr = services.submit(
            users["enterprise"],
            enterprise=own_enterprise,
            category=Category.objects.get(code="land"),
            title="规划条件迟迟未出",
            text="项目已摘地三个月，规划条件仍未出具。",
            project=project,
        )
        services.dispatch(sr, steward, to=users["handler"])
        services.sign(sr, users["handler"])
    return {**users, "linghai_steward": steward, "other_contact": other_contact, "sr": sr}


def fresh(sr: ServiceRequest) -> ServiceRequest:
    return ServiceRequest.objects.get(pk=sr.pk)


def page(user, sr) -> str:
    client = Client()
    client.force_login(user)
    return client.get(reverse("requests:detail", args=[sr.pk])).content.decode()


def post_step(user, sr, step, **data):
    client = Client()
    client.force_login(user)
    return client.post(reverse("requests:step", args=[sr.pk, step]), data)


def api_step(user, sr, step, **body):
    key = ApiToken.issue(user)[1]
    return Client().post(
        f"/api/v1/requests/{sr.pk}/steps/{step}",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )


# --- 催办 ---------------------------------------------------------------------------------


def test_pressing_before_the_deadline_is_near_says_from_when(w):
    sr = w["sr"]
    with time_machine.travel(at(2026, 3, 4, 10, 0), tick=False):
        assert "press" not in services.allowed_steps(w["enterprise"], fresh(sr))
        with pytest.raises(services.RequestError, match="2026-03-06 09:00"):
            services.press(fresh(sr), w["enterprise"])
        html = page(w["enterprise"], sr)
        assert "2026-03-06 09:00" in html and 'id="step-press"' not in html
        response = api_step(w["enterprise"], sr, "press")
    assert response.status_code == 409
    assert "2026-03-06 09:00" in response.json()["errors"][0]["message"]
    assert fresh(sr).press_count == 0


def test_a_press_on_a_nearly_late_request_is_counted_told_and_audited(w):
    sr = w["sr"]
    with time_machine.travel(at(2026, 3, 6, 10, 0), tick=False):
        assert "press" in services.allowed_steps(w["enterprise"], fresh(sr))
        response = post_step(w["enterprise"], sr, "press", note="请尽快答复，下周要开工")
    assert response.status_code == 302
    sr = fresh(sr)
    assert sr.press_count == 1 and sr.pressed_at == at(2026, 3, 6, 10, 0)
    event = sr.events.get(kind="press")
    assert event.actor == w["enterprise"] and event.note == "请尽快答复，下周要开工"
    told = set(
        Notification.objects.filter(kind="request.pressed").values_list(
            "recipient__username", flat=True
        )
    )
    # The handler holding it, the enterprise's steward and the leader in charge of the project.
    assert told == {"t_handler", "s_linghai", "t_leader"}
    assert AuditEntry.objects.filter(object_id=str(sr.pk), note__startswith="press").exists()
    # Shown on the request page and the queue card of the handler and the leader.
    for who in ("handler", "leader"):
        assert "企业催办 1 次" in page(w[who], sr)
        client = Client()
        client.force_login(w[who])
        queue = client.get(reverse("requests:queue"), {"queue": "all"}).content.decode()
        assert "催办 ×1" in queue


def test_a_second_press_within_a_day_is_refused_then_taken_the_next_day(w):
    sr = w["sr"]
    with time_machine.travel(at(2026, 3, 6, 10, 0), tick=False):
        services.press(fresh(sr), w["enterprise"])
    with time_machine.travel(at(2026, 3, 6, 15, 0), tick=False):
        assert "press" not in services.allowed_steps(w["enterprise"], fresh(sr))
        assert "2026-03-07 10:00" in page(w["enterprise"], sr)
        response = post_step(w["enterprise"], sr, "press")
        assert response.status_code == 400 and "2026-03-07 10:00" in response.content.decode()
        response = api_step(w["enterprise"], sr, "press")
        assert response.status_code == 429
        assert response["Retry-After"] == str(19 * 3600 + 1)
        assert response.json()["retry_after"] == 19 * 3600 + 1
    assert fresh(sr).press_count == 1
    with time_machine.travel(at(2026, 3, 9, 10, 0), tick=False):  # late by now
        body = api_step(w["enterprise"], sr, "press", note="已逾期").json()
    assert body["press_count"] == 2
    assert [e["data"]["late"] for e in body["events"] if e["kind"] == "press"] == [False, True]


def test_a_contact_presses_at_most_the_rate_limit_over_all_requests(w, settings):
    settings.GUANJIA_RATE_LIMITS = {**settings.GUANJIA_RATE_LIMITS, "request_press": "1/3600"}
    sr = w["sr"]
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        second = services.submit(
            w["enterprise"], enterprise=sr.enterprise, category=sr.category,
            title="第二件诉求", text="用电报装。",
        )  # fmt: skip
        services.dispatch(second, w["linghai_steward"], to=w["handler"])
    with time_machine.travel(at(2026, 3, 6, 10, 0), tick=False):
        services.press(fresh(sr), w["enterprise"])
        with pytest.raises(services.PressTooSoon):
            services.press(fresh(second), w["enterprise"])
    assert fresh(second).press_count == 0


PRESS_TABLE = [
    # (who, outcome of the page's POST)
    ("enterprise", 302),
    ("other_contact", 404),  # another enterprise's contact: no such request
    ("linghai_steward", 403),
    ("handler", 403),
    ("leader", 403),
    ("official", 403),
    ("admin", 403),
]


@pytest.mark.parametrize(("who", "status"), PRESS_TABLE)
def test_only_the_enterprise_presses(w, who, status):
    with time_machine.travel(at(2026, 3, 6, 10, 0), tick=False):
        assert post_step(w[who], w["sr"], "press").status_code == status
    assert fresh(w["sr"]).press_count == (1 if status == 302 else 0)


def test_no_press_while_the_steward_waits_on_the_enterprise(w):
    sr = w["sr"]
    with time_machine.travel(at(2026, 3, 6, 10, 0), tick=False):
        services.ask_info(fresh(sr), w["handler"], "请补充宗地图")
        with pytest.raises(services.RequestError, match="待企业补充|Waiting for the enterprise"):
            services.press(fresh(sr), w["enterprise"])


def test_the_enterprise_sees_its_press_but_no_internal_tags_on_its_list(w):
    sr = w["sr"]
    with time_machine.travel(at(2026, 3, 6, 10, 0), tick=False):
        services.press(fresh(sr), w["enterprise"], "请尽快")
        services.supervise(fresh(sr), w["leader"], "请本周内办结")
    ServiceRequest.objects.filter(pk=sr.pk).update(escalation_level=2)
    client = Client()
    client.force_login(w["enterprise"])
    queue = client.get(reverse("requests:queue")).content.decode()
    assert "督办" not in queue and "已升级" not in queue and "催办 ×" not in queue
    html = page(w["enterprise"], sr)
    assert "请尽快" in html and "督办" not in html


# --- 回访 -----------------------------------------------------------------------------------


def reopened_and_answered(w) -> ServiceRequest:
    sr = w["sr"]
    with time_machine.travel(at(2026, 3, 3, 10, 0), tick=False):
        services.reply(fresh(sr), w["handler"], "规划条件已出具")
        services.rate(fresh(sr), w["enterprise"], Rating.UNSATISFIED, "文件有误")
        services.reply(fresh(sr), w["handler"], "已更正并重新出具")
    return fresh(sr)


def test_closing_an_unsatisfied_request_waits_for_its_revisit(w, settings):
    settings.GUANJIA_REVISIT_DAYS = "1"
    sr = reopened_and_answered(w)
    assert sr.status == Status.REPLIED and sr.revisit_required
    assert sr.revisit_due_at == at(2026, 3, 4, 10, 0)  # a working day after the new answer
    response = post_step(w["linghai_steward"], sr, "close")
    assert response.status_code == 400
    assert "回访" in response.content.decode()
    response = api_step(w["linghai_steward"], sr, "close")
    assert response.status_code == 409 and "回访" in response.json()["errors"][0]["message"]
    assert fresh(sr).status == Status.REPLIED


def test_a_revisit_names_its_channel_and_answer_and_then_the_request_closes(w):
    sr = reopened_and_answered(w)
    response = post_step(w["linghai_steward"], sr, "revisit", note="企业表示文件已收到")
    assert response.status_code == 400  # no channel, no answer: nothing written
    assert not Revisit.objects.exists()
    with time_machine.travel(at(2026, 3, 4, 9, 0), tick=False):
        response = post_step(
            w["linghai_steward"], sr, "revisit",
            channel="visit", outcome="satisfied", note="上门回访，企业表示文件已收到，满意",
        )  # fmt: skip
    assert response.status_code == 302
    revisit = Revisit.objects.get()
    assert (revisit.channel, revisit.outcome, revisit.by, revisit.at) == (
        "visit",
        "satisfied",
        w["linghai_steward"],
        at(2026, 3, 4, 9, 0),
    )
    sr = fresh(sr)
    assert not sr.revisit_required and sr.revisited_at == revisit.at
    assert AuditEntry.objects.filter(
        object_id=str(sr.pk), note__startswith="revisit (visit, satisfied)"
    ).exists()
    # On the timeline, for the enterprise too, with its channel and answer.
    html = page(w["enterprise"], sr)
    assert "上门回访，企业表示文件已收到，满意" in html and "上门" in html
    assert post_step(w["linghai_steward"], sr, "close").status_code == 302
    assert fresh(sr).status == Status.CLOSED


def test_an_unsatisfied_revisit_is_recorded_and_the_area_told(w):
    sr = reopened_and_answered(w)
    body = api_step(
        w["linghai_steward"], sr, "revisit", channel="phone", outcome="unsatisfied",
        note="企业仍认为文件有误",
    ).json()  # fmt: skip
    assert body["revisits"][0]["outcome"] == "unsatisfied"
    assert body["revisits"][0]["by"]["id"] == w["linghai_steward"].pk
    told = set(
        Notification.objects.filter(kind="request.revisit_unsatisfied").values_list(
            "recipient__username", flat=True
        )
    )
    assert "t_official" in told and "s_linghai" not in told  # not the one who revisited


def test_the_api_refuses_a_revisit_without_its_channel(w):
    sr = reopened_and_answered(w)
    response = api_step(w["linghai_steward"], sr, "revisit", note="电话回访")
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"channel", "outcome"}
    response = api_step(
        w["linghai_steward"], sr, "revisit", channel="fax", outcome="satisfied", note="x"
    )
    assert response.status_code == 422


REVISIT_TABLE = [
    ("linghai_steward", 302),  # the request's steward
    ("official", 302),  # the area's official
    ("admin", 302),
    ("handler", 403),
    ("leader", 403),
    ("enterprise", 403),
    ("other_contact", 404),
]


@pytest.mark.parametrize(("who", "status"), REVISIT_TABLE)
def test_who_records_a_revisit(w, who, status):
    sr = reopened_and_answered(w)
    response = post_step(w[who], sr, "revisit", channel="phone", outcome="satisfied", note="满意")
    assert response.status_code == status
    assert Revisit.objects.count() == (1 if status == 302 else 0)
