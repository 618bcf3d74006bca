"""The closed loop, the clock and the transition table, through the service functions."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from guanjia.accounts.models import Role
from guanjia.requests import services
from guanjia.requests.loading import load_categories
from guanjia.requests.models import Category, Rating, RequestEvent, Status
from guanjia.testing.factories import ProjectFactory, UserFactory
from guanjia.worktime.loading import load_holidays

TZ = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


@pytest.fixture
def setup(users, linghai, own_enterprise):
    load_categories()
    load_holidays([2025, 2026])
    steward = UserFactory(username="s_linghai", role=Role.STEWARD, region=linghai)
    own_enterprise.steward = steward
    own_enterprise.save()
    project = ProjectFactory(enterprise=own_enterprise, region=linghai, steward=steward)
    return {**users, "linghai_steward": steward, "project": project}


def submit(setup, when=None, category="land"):
    return services.submit(
        setup["enterprise"],
        enterprise=setup["enterprise"].enterprise,
        category=Category.objects.get(code=category),
        title="用地手续卡在规划许可",
        text="请协调自然资源局尽快出具规划条件。",
        project=setup["project"],
        at=when,
    )


def test_the_closed_loop_with_a_satisfied_enterprise(setup, django_capture_on_commit_callbacks):
    steward, enterprise = setup["linghai_steward"], setup["enterprise"]
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        sr = submit(setup)
        assert sr.number.startswith("ZT2026") and sr.assignee == steward
        services.accept(sr, steward)
        services.dispatch(sr, steward, to=steward)
    sr.refresh_from_db()
    # Dispatched Monday 09:00: one working day to sign → Tuesday 09:00; 5 to resolve.
    assert sr.sign_due_at == at(2026, 3, 3, 9, 0)
    assert sr.resolve_due_at == at(2026, 3, 9, 9, 0)
    assert sr.next_mark == "sign50"
    with time_machine.travel(at(2026, 3, 2, 10, 0), tick=False):
        services.sign(sr, steward)
        services.reply(sr, steward, "规划条件已于今日出具。")
    with time_machine.travel(at(2026, 3, 2, 15, 0), tick=False):
        services.rate(sr, enterprise, Rating.SATISFIED, "很快")
    sr.refresh_from_db()
    assert sr.status == Status.CLOSED and sr.on_time is True
    kinds = list(sr.events.values_list("kind", flat=True))
    assert kinds == ["submit", "accept", "dispatch", "sign", "reply", "rate"]


def test_unsatisfied_reopens_and_owes_a_revisit(setup):
    steward, enterprise = setup["linghai_steward"], setup["enterprise"]
    sr = submit(setup)
    services.dispatch(sr, steward, to=steward)
    services.sign(sr, steward)
    services.reply(sr, steward, "已转交")
    services.rate(sr, enterprise, Rating.UNSATISFIED, "没有解决")
    sr.refresh_from_db()
    assert sr.status == Status.HANDLING and sr.reopen_count == 1 and sr.revisit_required
    services.reply(sr, steward, "已解决")
    services.revisit(sr, steward, "电话回访，企业满意", channel="phone", outcome="satisfied")
    services.close(sr, steward)
    sr.refresh_from_db()
    assert sr.status == Status.CLOSED
    assert not sr.revisit_required and sr.revisited_at


def test_the_pause_pushes_the_deadline_back_by_the_working_time_waited(setup):
    steward, enterprise = setup["linghai_steward"], setup["enterprise"]
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        sr = submit(setup)
        services.dispatch(sr, steward, to=steward)
        services.sign(sr, steward)
    with time_machine.travel(at(2026, 3, 3, 9, 0), tick=False):
        services.ask_info(sr, steward, "请提供土地证复印件")
    sr.refresh_from_db()
    assert sr.status == Status.AWAITING_INFO and sr.next_mark_at is None and sr.due_at is None
    services.give_info(sr, enterprise, "已上传", at=at(2026, 3, 4, 9, 0))  # one working day
    sr.refresh_from_db()
    assert sr.resolve_due_at == at(2026, 3, 10, 9, 0)


def test_steps_out_of_order_or_by_the_wrong_person_are_refused(setup):
    steward, enterprise, official = (
        setup["linghai_steward"],
        setup["enterprise"],
        setup["official"],
    )
    sr = submit(setup)
    with pytest.raises(services.RequestError):
        services.sign(sr, steward)  # not dispatched yet
    with pytest.raises(PermissionDenied):
        services.dispatch(sr, enterprise, to=steward)
    services.dispatch(sr, official, to=steward)
    with pytest.raises(PermissionDenied):
        services.sign(sr, official)  # only the assignee signs
    assert RequestEvent.objects.filter(request=sr).count() == 2


def test_extensions_are_capped_at_thirty_working_days(setup):
    steward, official = setup["linghai_steward"], setup["official"]
    sr = submit(setup)
    services.dispatch(sr, steward, to=steward)
    services.sign(sr, steward)
    with pytest.raises(services.RequestError):
        services.ask_extension(sr, steward, "26", "太多")
    ext = services.ask_extension(sr, steward, "10", "需要上会研究")
    due = sr.__class__.objects.get(pk=sr.pk).resolve_due_at
    services.decide_extension(ext, official, approve=True, note="同意")
    sr.refresh_from_db()
    assert sr.extension_days == 10 and sr.resolve_due_at > due


def test_a_new_steward_takes_over_the_enterprises_open_requests(setup):
    """The enterprise is given another steward: its open requests follow (the owner, and the
    holder where the old steward held it), the closed ones keep their history, the timeline
    says so to staff only, and the new steward is told."""
    from guanjia.enterprises import services as enterprise_services
    from guanjia.notifications.models import Notification

    old, admin = setup["linghai_steward"], setup["admin"]
    new = UserFactory(username="s_linghai_2", role=Role.STEWARD, region=old.region)
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        waiting = submit(setup)  # with the old steward, not yet accepted
        dispatched = submit(setup)
        services.accept(dispatched, old)
        services.dispatch(dispatched, old, to=setup["handler"])
        done = submit(setup)
        services.accept(done, old)
        services.dispatch(done, old, to=old)
        services.sign(done, old)
        services.reply(done, old, "已办结。")
        services.rate(done, setup["enterprise"], Rating.SATISFIED, "")
    enterprise = setup["enterprise"].enterprise
    enterprise_services.update_enterprise(enterprise, admin, steward=new)
    for sr in (waiting, dispatched, done):
        sr.refresh_from_db()
    assert (waiting.steward, waiting.assignee, waiting.status) == (new, new, Status.SUBMITTED)
    assert (dispatched.steward, dispatched.assignee) == (new, setup["handler"])
    assert (done.steward, done.status) == (old, Status.CLOSED)
    note = waiting.events.latest("pk")
    assert note.kind == "internal_note" and str(new) in note.note and str(admin) in note.note
    assert Notification.objects.filter(recipient=new, kind__startswith="request.").count() == 2
    assert not Notification.objects.filter(recipient=setup["enterprise"], body__contains=str(new))
