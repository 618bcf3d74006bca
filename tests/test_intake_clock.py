"""The clock from submission (受理时限) and the 不满意 reopening's fresh window and revisit.

A request submitted on a Friday at 16:34 and left unaccepted is escalated to the area's
officials on Monday morning; acceptance stops that clock; a category (and a channel of it)
may have its own limit; a reopening starts a fresh resolution window and owes a revisit.
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from guanjia.accounts.models import Role
from guanjia.notifications.models import Notification
from guanjia.requests import escalation, services
from guanjia.requests.loading import load_categories
from guanjia.requests.models import (
    Category,
    Escalation,
    EventKind,
    IntakeLimit,
    ServiceRequest,
    Source,
    Status,
)
from guanjia.testing.factories import ProjectFactory, UserFactory
from guanjia.worktime.loading import load_holidays

from .conftest import PASSWORD

TZ = ZoneInfo("Asia/Shanghai")
FRIDAY_1634 = dt.datetime(2026, 3, 6, 16, 34, tzinfo=TZ)  # a Friday, no holiday near


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


@pytest.fixture
def world(users, city, linghai, own_enterprise):
    """A 凌海 steward for the enterprise; the area's official (users["official"])."""
    load_categories()
    load_holidays([2026])
    steward = UserFactory(username="s_intake", role=Role.STEWARD, region=linghai)
    own_enterprise.steward = steward
    own_enterprise.save()
    project = ProjectFactory(enterprise=own_enterprise, region=linghai, steward=steward)
    return {**users, "steward": steward, "project": project}


def submitted(world, when: dt.datetime, source: str = Source.WEB) -> ServiceRequest:
    with time_machine.travel(when, tick=False):
        sr = services.submit(
            world["enterprise"],
            enterprise=world["enterprise"].enterprise,
            category=Category.objects.get(code="land"),
            title="供地延迟",
            text="摘牌后三个月仍未交地。",
            project=world["project"],
            source=source,
        )
    sr.refresh_from_db()
    return sr


def inbox(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def test_friday_afternoon_unaccepted_is_escalated_to_the_area_by_monday(world):
    sr = submitted(world, FRIDAY_1634)
    # 2 working hours: 56 minutes on Friday (to 17:30), 64 on Monday from 08:30.
    assert sr.intake_hours == Decimal(2)
    assert sr.intake_due_at == sr.due_at == at(2026, 3, 9, 9, 34)
    assert sr.next_mark == "intake50" and sr.next_mark_at == at(2026, 3, 9, 8, 34)
    assert escalation.sweep(at(2026, 3, 8, 20, 0)) == 0  # nothing over the weekend

    # Monday 08:40: the steward is reminded (50%); 09:15, again (80%).
    assert escalation.sweep(at(2026, 3, 9, 8, 40)) == 1
    assert escalation.sweep(at(2026, 3, 9, 9, 15)) == 1
    assert inbox(world["steward"]).count("request.reminder") == 2

    # Monday 13:40, still not accepted: the area's officials hear of it, the steward too.
    assert escalation.sweep(at(2026, 3, 9, 13, 40)) == 1
    assert escalation.sweep(at(2026, 3, 9, 13, 40)) == 0  # run again: nothing more
    sr.refresh_from_db()
    assert sr.escalation_level == 1 and sr.supervised and sr.next_mark == ""
    late = Escalation.objects.get(request=sr, mark="intake100")
    assert late.key == "intake100:0" and late.level == 1
    assert list(late.recipients.all()) == [world["official"]]
    assert "request.escalated" in inbox(world["official"])
    assert "request.escalated" in inbox(world["steward"])
    official = Notification.objects.get(recipient=world["official"], kind="request.escalated")
    assert sr.number in official.title and "2026-03-06 16:34" in official.title
    event = sr.events.get(kind=EventKind.ESCALATE)
    assert event.internal and event.data["mark"] == "intake100"
    assert "request.escalated" not in inbox(world["enterprise"])  # internal to the bureau
    assert Escalation.objects.filter(request=sr).count() == 3


def test_acceptance_stops_the_intake_clock(world):
    sr = submitted(world, FRIDAY_1634)
    assert escalation.sweep(at(2026, 3, 9, 8, 40)) == 1  # the 50% reminder
    with time_machine.travel(at(2026, 3, 9, 9, 0), tick=False):
        services.accept(sr, world["steward"])
    sr.refresh_from_db()
    assert sr.status == Status.ACCEPTED and sr.accepted_at == at(2026, 3, 9, 9, 0)
    assert sr.next_mark == "" and sr.next_mark_at is None and sr.due_at is None
    assert sr.intake_due_at == at(2026, 3, 9, 9, 34)  # kept: accepted in time
    assert escalation.sweep(at(2026, 3, 9, 13, 40)) == 0
    assert not Escalation.objects.filter(request=sr, level__gte=1).exists()
    assert "request.escalated" not in inbox(world["official"])


def test_dispatching_straight_away_accepts_and_starts_the_service_clock(world):
    sr = submitted(world, FRIDAY_1634)
    with time_machine.travel(at(2026, 3, 9, 9, 0), tick=False):
        services.dispatch(sr, world["steward"], to=world["steward"])
    sr.refresh_from_db()
    assert sr.accepted_at == sr.clock_started_at == at(2026, 3, 9, 9, 0)
    assert sr.next_mark == "sign50" and sr.due_at == sr.sign_due_at
    escalation.sweep(at(2026, 3, 9, 9, 40))
    assert not Escalation.objects.filter(request=sr, mark__startswith="intake").exists()


def test_the_national_day_holiday_does_not_count(world):
    # Wednesday 30 September 2026, 16:34: 56 minutes that day, 1–7 October off.
    sr = submitted(world, at(2026, 9, 30, 16, 34))
    assert sr.intake_due_at == at(2026, 10, 8, 9, 34)
    assert escalation.sweep(at(2026, 10, 7, 23, 0)) == 0


def test_a_category_and_a_channel_of_it_have_their_own_limits(world):
    land = Category.objects.get(code="land")
    IntakeLimit.objects.create(category=land, hours=Decimal(4))
    IntakeLimit.objects.create(category=land, source=Source.OPEN311, hours=Decimal(1))
    web = submitted(world, FRIDAY_1634)
    assert web.intake_hours == Decimal(4) and web.intake_due_at == at(2026, 3, 9, 11, 34)
    relayed = submitted(world, FRIDAY_1634, source=Source.OPEN311)  # 12345: 1 working hour
    assert relayed.intake_hours == Decimal(1) and relayed.intake_due_at == at(2026, 3, 9, 8, 34)
    # Another category keeps the default.
    with time_machine.travel(FRIDAY_1634, tick=False):
        other = services.submit(
            world["enterprise"],
            enterprise=world["enterprise"].enterprise,
            category=Category.objects.exclude(code="land").filter(active=True).first(),
            title="用工咨询",
            text="招工难。",
        )
    assert other.intake_hours == Decimal(2) and other.intake_due_at == at(2026, 3, 9, 9, 34)
    escalation.sweep(at(2026, 3, 9, 10, 0))
    relayed.refresh_from_db()
    web.refresh_from_db()
    assert relayed.escalation_level == 1 and web.escalation_level == 0


def test_the_setting_is_the_default_and_zero_means_no_intake_limit(world, settings):
    settings.GUANJIA_INTAKE_HOURS = "3"
    assert submitted(world, FRIDAY_1634).intake_due_at == at(2026, 3, 9, 10, 34)
    settings.GUANJIA_INTAKE_HOURS = "0"
    sr = submitted(world, FRIDAY_1634)
    assert sr.intake_due_at is None and sr.next_mark == "" and sr.due_at is None
    assert escalation.sweep(at(2026, 3, 10, 9, 0)) == 1  # the first one's escalation only
    assert not Escalation.objects.filter(request=sr).exists()


def _answered(world, when: dt.datetime) -> ServiceRequest:
    sr = submitted(world, when)
    with time_machine.travel(when + dt.timedelta(minutes=10), tick=False):
        services.dispatch(sr, world["steward"], to=world["steward"])
        services.sign(sr, world["steward"])
        services.reply(sr, world["steward"], "已协调，下周交地。")
    return sr


def test_an_unsatisfied_rating_reopens_with_a_fresh_window_and_a_revisit_due(world, settings):
    settings.GUANJIA_REOPEN_RESOLVE_DAYS = "2"
    settings.GUANJIA_REVISIT_DAYS = "1"
    sr = _answered(world, at(2026, 3, 2, 9, 0))  # Monday
    old_due = sr.resolve_due_at
    with time_machine.travel(at(2026, 3, 4, 10, 0), tick=False):  # Wednesday
        services.rate(sr, world["enterprise"], "unsatisfied", "仍未交地")
    sr.refresh_from_db()
    assert sr.status == Status.HANDLING and sr.revisit_required
    # A fresh window of 2 working days from the reopening, not the old deadline.
    assert sr.resolve_due_at == at(2026, 3, 6, 10, 0) != old_due
    assert sr.due_at == sr.resolve_due_at and sr.next_mark == "resolve50"
    escalation.sweep(at(2026, 3, 6, 10, 5))  # the fresh window's own marks (round 1)
    keys = set(Escalation.objects.filter(request=sr).values_list("key", flat=True))
    assert {"resolve100:1"} <= keys
    # Answered again: the revisit is due one working day after the answer, before closing.
    with time_machine.travel(at(2026, 3, 6, 11, 0), tick=False):
        services.reply(sr, world["steward"], "已交地。")
        with pytest.raises(services.RequestError, match="回访"):
            services.close(sr, world["steward"])
    sr.refresh_from_db()
    assert sr.status == Status.REPLIED
    assert sr.revisit_due_at == at(2026, 3, 9, 11, 0)  # the weekend does not count
    with time_machine.travel(at(2026, 3, 9, 10, 0), tick=False):
        services.revisit(
            sr, world["steward"], "电话回访：企业表示满意。", channel="phone", outcome="satisfied"
        )
        services.close(sr, world["steward"])
    sr.refresh_from_db()
    assert sr.status == Status.CLOSED
    assert not sr.revisit_required and sr.revisited_at < sr.revisit_due_at


def test_the_reopened_window_defaults_to_the_request_s_own_limit(world):
    sr = _answered(world, at(2026, 3, 2, 9, 0))
    with time_machine.travel(at(2026, 3, 4, 10, 0), tick=False):
        services.rate(sr, world["enterprise"], "unsatisfied", "仍未交地")
    sr.refresh_from_db()
    assert sr.resolve_due_at == services.calendar().add_days(
        at(2026, 3, 4, 10, 0), float(sr.resolve_days)
    )


def test_the_queue_and_the_request_page_show_the_intake_deadline_and_its_colour(world, client):
    sr = submitted(world, FRIDAY_1634)
    assert client.login(username=world["steward"].username, password=PASSWORD)
    with time_machine.travel(at(2026, 3, 9, 13, 40), tick=False):
        queue = client.get(reverse("requests:queue") + "?queue=stewarded").content.decode()
        page = client.get(reverse("requests:detail", args=[sr.pk])).content.decode()
    row = queue[queue.index(sr.number) - 200 :]
    assert 'class="row-late"' in row[:300]
    assert "2026-03-09 09:34" in queue and "clock-late" in queue
    assert "2026-03-09 09:34" in page and "intake-due clock-late" in page
    # Accepted: the page keeps the deadline with the acceptance, without the colour.
    with time_machine.travel(at(2026, 3, 9, 13, 45), tick=False):
        services.accept(sr, world["steward"])
        page = client.get(reverse("requests:detail", args=[sr.pk])).content.decode()
    assert "2026-03-09 09:34" in page and "intake-due clock-" not in page


def test_a_city_admin_sets_a_category_s_intake_limit_in_the_configuration(world, client):
    from guanjia.core.models import AuditAction, AuditEntry

    land = Category.objects.get(code="land")
    client.force_login(world["admin"])  # a city admin by role, not a superuser
    url = f"/admin/requests/category/{land.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200 and 'name="intake_limits-TOTAL_FORMS"' in page.content.decode()
    data = {
        "code": land.code,
        "name": land.name,
        "description": land.description,
        "group": land.group,
        "department": land.department_id or "",
        "default_priority": land.default_priority,
        "active": "on",
        "sort_order": land.sort_order,
        # One limit of its own for the 12345 relay: 1 working hour.
        "intake_limits-TOTAL_FORMS": "1",
        "intake_limits-INITIAL_FORMS": "0",
        "intake_limits-0-source": Source.OPEN311,
        "intake_limits-0-hours": "1",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert IntakeLimit.objects.get(category=land).hours == Decimal(1)
    assert AuditEntry.objects.filter(
        action=AuditAction.CREATE, object_type="requests.intakelimit"
    ).exists()
    relayed = submitted(world, FRIDAY_1634, source=Source.OPEN311)
    assert relayed.intake_due_at == at(2026, 3, 9, 8, 34)
