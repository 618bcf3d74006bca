"""The escalation sweep under a moved clock: reminders, the ladder, idempotence, two workers."""

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from guanjia.accounts.models import Role
from guanjia.notifications.models import Notification
from guanjia.requests import escalation, services
from guanjia.requests.loading import load_categories
from guanjia.requests.models import Category, Escalation, ServiceRequest
from guanjia.testing.factories import ProjectFactory, UserFactory
from guanjia.worktime.loading import load_holidays

TZ = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


@pytest.fixture
def ladder(users, city, linghai, own_enterprise):
    """A 凌海 steward, the area's official, the project's 包保领导 and the city leader."""
    load_categories()
    load_holidays([2026])
    steward = UserFactory(username="s_lh", role=Role.STEWARD, region=linghai)
    own_enterprise.steward = steward
    own_enterprise.save()
    in_charge = UserFactory(username="l_baobao", role=Role.LEADER, region=linghai)
    project = ProjectFactory(
        enterprise=own_enterprise, region=linghai, steward=steward, leader=in_charge
    )
    return {
        "steward": steward,
        "official": users["official"],  # 凌海市 area official
        "in_charge": in_charge,
        "city_leader": users["leader"],  # city-level leader
        "enterprise": users["enterprise"],
        "project": project,
    }


def dispatched(ladder, when: dt.datetime) -> ServiceRequest:
    with time_machine.travel(when, tick=False):
        sr = services.submit(
            ladder["enterprise"],
            enterprise=ladder["enterprise"].enterprise,
            category=Category.objects.get(code="land"),
            title="供地延迟",
            text="摘牌后三个月仍未交地。",
            project=ladder["project"],
        )
        services.dispatch(sr, ladder["steward"], to=ladder["steward"])
    sr.refresh_from_db()
    return sr


def inbox(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def test_marks_remind_then_escalate_up_the_ladder_once_each(ladder):
    sr = dispatched(ladder, at(2026, 3, 2, 9, 0))  # Monday
    # 50% of one working day (7.5 h) falls after the lunch break: 14:15.
    assert sr.next_mark == "sign50" and sr.next_mark_at == at(2026, 3, 2, 14, 15)
    assert escalation.sweep(at(2026, 3, 2, 14, 0)) == 0
    assert escalation.sweep(at(2026, 3, 2, 14, 20)) == 1
    assert escalation.sweep(at(2026, 3, 2, 14, 20)) == 0  # run twice: nothing more
    assert inbox(ladder["steward"]).count("request.reminder") == 1

    # Not signed by Tuesday 09:00: the area lead hears of it.
    # The 80% reminder is overtaken by the 100% mark and skipped: one action.
    assert escalation.sweep(at(2026, 3, 3, 9, 5)) == 1
    sr.refresh_from_db()
    assert sr.escalation_level == 1 and sr.supervised
    assert "request.escalated" in inbox(ladder["official"])
    assert escalation.sweep(at(2026, 3, 3, 9, 5)) == 0

    with time_machine.travel(at(2026, 3, 3, 10, 0), tick=False):
        services.sign(sr, ladder["steward"])
    sr.refresh_from_db()
    assert sr.resolve_due_at == at(2026, 3, 9, 9, 0)
    # Past the resolution deadline: the leader in charge; a period later, the city leader.
    escalation.sweep(at(2026, 3, 9, 9, 1))
    assert "request.escalated" in inbox(ladder["in_charge"])
    assert "request.escalated" not in inbox(ladder["city_leader"])
    escalation.sweep(at(2026, 3, 16, 9, 1))
    assert "request.escalated" in inbox(ladder["city_leader"])
    sr.refresh_from_db()
    assert sr.escalation_level == 3 and sr.next_mark == ""
    keys = list(Escalation.objects.filter(request=sr).values_list("key", flat=True))
    assert len(keys) == len(set(keys))
    assert escalation.sweep(at(2026, 4, 1, 9, 0)) == 0


def test_the_clock_skips_the_national_day_holiday_and_works_the_adjusted_saturday(ladder):
    # Wednesday 30 September 2026, 16:00: 1.5 h left that day, then 1–7 October off; the
    # remaining 6 h run on Thursday 8 October (08:30–12:00, then 13:30–16:00).
    sr = dispatched(ladder, at(2026, 9, 30, 16, 0))
    assert sr.sign_due_at == at(2026, 10, 8, 16, 0)
    assert sr.next_mark_at == at(2026, 10, 8, 10, 45)  # 50%: 1.5 h + 2.25 h
    assert escalation.sweep(at(2026, 10, 7, 23, 0)) == 0  # nothing during the holiday
    # Friday 9 October 16:00: Saturday 10 October is an adjusted working day (调休).
    later = dispatched(ladder, at(2026, 10, 9, 16, 0))
    assert later.sign_due_at == at(2026, 10, 10, 16, 0)


def test_a_worker_holding_a_stale_copy_claims_nothing(ladder):
    """Two workers read the same due row; the second one's conditional claim fails."""
    sr = dispatched(ladder, at(2026, 3, 2, 9, 0))
    moment = at(2026, 3, 2, 14, 20)
    stale = list(ServiceRequest.objects.filter(next_mark_at__lte=moment))
    cal = services.calendar()
    assert escalation.sweep(moment) == 1  # worker A
    assert escalation._handle(stale[0], cal, moment) == 0  # worker B, a moment later
    assert Escalation.objects.filter(request=sr).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_sweeping_at_once_act_on_each_mark_once(ladder):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises them anyway)")
    for _ in range(30):
        dispatched(ladder, at(2026, 3, 2, 9, 0))
    moment = at(2026, 3, 3, 9, 5)  # every request past sign-for
    counts: list[int] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        from django.db import connections

        barrier.wait()
        try:
            counts.append(escalation.sweep(moment, batch=7))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(counts) == 30  # one sign-for escalation per request, shared between the two
    assert Escalation.objects.count() == 30
    assert (
        Notification.objects.filter(recipient=ladder["official"], kind="request.escalated").count()
        == 30
    )


def test_a_sweep_writes_its_inbox_rows_together_and_queues_one_email_task(
    ladder, django_capture_on_commit_callbacks
):
    from django.tasks import default_task_backend
    from django.test import override_settings

    ladder["steward"].email = "steward@example.cn"
    ladder["steward"].save()
    for _ in range(3):
        dispatched(ladder, at(2026, 3, 2, 9, 0))
    dummy = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    with override_settings(TASKS=dummy):
        default_task_backend.clear()
        with django_capture_on_commit_callbacks(execute=True):
            assert escalation.sweep(at(2026, 3, 2, 14, 20)) == 3
        names = [r.task.name for r in default_task_backend.results]
    assert names == ["send_emails"]
    assert (
        Notification.objects.filter(recipient=ladder["steward"], kind="request.reminder").count()
        == 3
    )


def test_an_escalation_audits_the_level_before_and_after_it(ladder):
    from guanjia.core.models import AuditEntry

    sr = dispatched(ladder, at(2026, 3, 2, 9, 0))
    assert (sr.escalation_level, sr.supervised) == (0, False)
    assert escalation.sweep(at(2026, 3, 3, 9, 5)) == 1  # past sign-for: level 1
    entry = AuditEntry.objects.get(object_id=str(sr.pk), note="escalate: sign100")
    assert entry.actor is None and entry.action == "transition"
    assert entry.before == {"escalation_level": 0, "supervised": False}
    assert entry.after == {"escalation_level": 1, "supervised": True}


def test_a_sweep_queues_its_digests_fifty_to_a_job(ladder, django_capture_on_commit_callbacks):
    """Many people told in one run: their digests go as jobs of 50, which several task
    workers share, each digest once."""
    from django.tasks import default_task_backend
    from django.test import override_settings

    from guanjia.notifications.models import EmailStatus

    stewards = [
        UserFactory(
            username=f"s_{i}",
            role=Role.STEWARD,
            region=ladder["steward"].region,
            email=f"s{i}@example.cn",
        )
        for i in range(120)
    ]
    for steward in stewards:
        sr = dispatched(ladder, at(2026, 3, 2, 9, 0))
        ServiceRequest.objects.filter(pk=sr.pk).update(assignee=steward)
    dummy = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    with override_settings(TASKS=dummy):
        default_task_backend.clear()
        with django_capture_on_commit_callbacks(execute=True):
            assert escalation.sweep(at(2026, 3, 2, 14, 20)) == 120
        jobs = [r.args[0] for r in default_task_backend.results if r.task.name == "send_emails"]
    assert [len(ids) for ids in jobs] == [50, 50, 20]
    owed = set(
        Notification.objects.filter(email_status=EmailStatus.PENDING).values_list("pk", flat=True)
    )
    assert sorted(pk for ids in jobs for pk in ids) == sorted(owed)
