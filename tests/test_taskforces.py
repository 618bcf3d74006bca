"""Task forces: meetings with action items, late items supervised once, 一事一议 decisions."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from guanjia.accounts.models import Role
from guanjia.notifications.models import Notification
from guanjia.taskforces import services
from guanjia.taskforces.models import ActionItem
from guanjia.testing.factories import ProjectFactory, UserFactory

from .conftest import PASSWORD

TODAY = dt.date(2026, 3, 2)


@pytest.fixture
def project(users, linghai, own_enterprise):
    steward = UserFactory(username="s_lh", role=Role.STEWARD, region=linghai)
    leader = UserFactory(username="l_lh", role=Role.LEADER, region=linghai)
    return ProjectFactory(
        name="针状焦项目", enterprise=own_enterprise, region=linghai, steward=steward, leader=leader,
        task_force="针状焦项目专班",
    )  # fmt: skip


def test_a_meeting_sets_an_action_item_and_its_owner_hears(project, users):
    official = users["official"]
    meeting = services.record_meeting(
        official, project, held_on=TODAY, title="推进会", minutes="协调供地。",
        items=[{"text": "三月底前完成土地挂牌", "owner": project.steward, "due_on": TODAY + dt.timedelta(days=20)}],
    )  # fmt: skip
    assert meeting.items.count() == 1
    assert Notification.objects.filter(
        recipient=project.steward, kind="taskforce.action_item"
    ).exists()


def test_late_items_are_supervised_once_and_the_leader_hears(project, users):
    item = services.add_action_item(
        users["official"], project, text="完成环评批复", owner=project.steward, due_on=TODAY
    )
    assert services.sweep(TODAY) == 0  # due today: not late yet
    assert services.sweep(TODAY + dt.timedelta(days=1)) == 1
    assert services.sweep(TODAY + dt.timedelta(days=1)) == 0  # once
    item.refresh_from_db()
    assert item.supervised_at is not None
    assert (
        Notification.objects.filter(recipient=project.leader, kind="taskforce.supervised").count()
        == 1
    )
    assert services.holding(project, TODAY + dt.timedelta(days=1))  # a reason the project waits
    services.complete_item(project.steward, item)
    assert services.holding(project, TODAY + dt.timedelta(days=1)) == []


def test_decisions_are_recorded_by_the_task_force_only(project, users):
    services.record_decision(
        project.leader, project, subject="用地指标", decision="市级统筹解决", decided_by="市长办公会",
        decided_on=TODAY,
    )  # fmt: skip
    assert project.decisions.count() == 1
    with pytest.raises(PermissionDenied):
        services.record_decision(
            users["enterprise"],
            project,
            subject="x",
            decision="y",
            decided_by="z",
            decided_on=TODAY,
        )


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("admin", 302),
        ("official", 302),
        ("own_steward", 302),  # the project's steward
        ("leader_in_charge", 302),  # its 包保领导
        ("steward", 404),  # another steward: not even its existence
        ("handler", 403),
        ("leader", 403),  # a leader who is not in charge of it reads only
        ("enterprise", 403),
    ],
)
def test_who_may_record_a_meeting(project, users, who, status):
    people = {**users, "own_steward": project.steward, "leader_in_charge": project.leader}
    client = Client()
    assert client.login(username=people[who].username, password=PASSWORD)
    response = client.post(
        reverse("taskforces:meeting", args=[project.pk]),
        {"held_on": "2026-03-02", "title": "推进会", "minutes": "纪要"},
    )
    assert response.status_code == status
    assert project.meetings.count() == (1 if status == 302 else 0)


def test_the_project_page_shows_the_panel_to_staff_and_hides_it_from_the_enterprise(project, users):
    services.add_action_item(
        users["official"], project, text="完成环评批复", owner=project.steward, due_on=TODAY
    )
    staff, contact = Client(), Client()
    staff.login(username="t_official", password=PASSWORD)
    contact.login(username="t_enterprise", password=PASSWORD)
    url = reverse("projects:project_detail", args=[project.pk])
    assert "完成环评批复" in staff.get(url).content.decode()
    page = contact.get(url)
    assert page.status_code == 200 and "完成环评批复" not in page.content.decode()


def test_an_owner_marks_their_item_done_from_the_page(project, users):
    item = services.add_action_item(
        users["official"], project, text="完成环评批复", owner=users["official"], due_on=TODAY
    )
    client = Client()
    client.login(username="t_official", password=PASSWORD)
    assert (
        client.post(reverse("taskforces:complete", args=[project.pk, item.pk])).status_code == 302
    )
    assert ActionItem.objects.get(pk=item.pk).done_on is not None


def test_the_record_forms_come_when_the_panel_is_on_screen(project, users):
    """The project page carries a placeholder; the forms (with their select of owners) come
    from their own URL, as a fragment for htmx or as a page without JavaScript."""
    client = Client()
    client.login(username="t_official", password=PASSWORD)
    page = client.get(reverse("projects:project_detail", args=[project.pk])).content.decode()
    forms_url = reverse("taskforces:forms", args=[project.pk])
    assert f'hx-get="{forms_url}"' in page and 'hx-trigger="intersect once"' in page
    assert 'name="item-owner"' not in page
    fragment = client.get(forms_url, headers={"HX-Request": "true"})
    html = fragment.content.decode()
    assert fragment.status_code == 200 and "<html" not in html
    assert 'name="item-owner"' in html and str(project.steward) in html
    assert reverse("taskforces:meeting", args=[project.pk]) in html
    full = client.get(forms_url).content.decode()
    assert "<html" in full and reverse("taskforces:decision", args=[project.pk]) in full


def test_only_recorders_get_the_record_forms(project, users):
    client = Client()
    client.login(username="t_leader", password=PASSWORD)  # a leader not in charge: reads only
    assert client.get(reverse("taskforces:forms", args=[project.pk])).status_code == 403
    page = client.get(reverse("projects:project_detail", args=[project.pk])).content.decode()
    assert reverse("taskforces:forms", args=[project.pk]) not in page
