"""The stalled lists: who is stuck, for how long, what holds them; told once; exported."""

import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from guanjia.accounts.models import Role
from guanjia.notifications.models import Notification
from guanjia.projects.models import StallNotice
from guanjia.projects.stages import Stage
from guanjia.projects.stalled import notify_stalled
from guanjia.taskforces import services as taskforce
from guanjia.testing.factories import EnterpriseFactory, ProjectFactory, UserFactory

from .conftest import PASSWORD


@pytest.fixture
def stuck(users, linghai, heishan, own_enterprise):
    today = timezone.localdate()
    steward = UserFactory(username="s_lh", role=Role.STEWARD, region=linghai)
    leader = UserFactory(username="l_lh", role=Role.LEADER, region=linghai)
    old = today - dt.timedelta(days=200)
    here = ProjectFactory(
        name="凌海停滞项目", enterprise=own_enterprise, region=linghai, stage=Stage.SIGNED,
        signed_on=old, steward=steward, leader=leader,
    )  # fmt: skip
    there = ProjectFactory(
        name="黑山停滞项目", enterprise=EnterpriseFactory(region=heishan), region=heishan,
        stage=Stage.SIGNED, signed_on=old,
    )  # fmt: skip
    fresh = ProjectFactory(
        name="刚签约项目",
        enterprise=own_enterprise,
        region=linghai,
        stage=Stage.SIGNED,
        signed_on=today,
    )
    taskforce.add_action_item(
        users["official"],
        here,
        text="完成公司注册",
        owner=steward,
        due_on=today - dt.timedelta(days=3),
    )
    return {"here": here, "there": there, "fresh": fresh, "steward": steward, "leader": leader}


def client_for(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def test_the_list_shows_who_is_stuck_and_what_holds_them(stuck):
    page = client_for("t_admin").get(reverse("projects:stalled_list")).content.decode()
    assert "凌海停滞项目" in page and "黑山停滞项目" in page and "刚签约项目" not in page
    assert "完成公司注册" in page  # the late action item is the reason


def test_an_area_official_sees_only_their_area(stuck):
    page = client_for("t_official").get(reverse("projects:stalled_list")).content.decode()
    assert "凌海停滞项目" in page and "黑山停滞项目" not in page


def test_steward_and_leader_are_told_once_per_stall(stuck):
    assert notify_stalled() >= 1
    again = notify_stalled()
    assert again == 0
    assert (
        Notification.objects.filter(recipient=stuck["leader"], kind="project.stalled").count() == 1
    )
    assert StallNotice.objects.filter(project=stuck["here"]).count() == 1


def test_the_list_exports_to_excel_with_the_reasons(stuck):
    from python_calamine import CalamineWorkbook

    response = client_for("t_admin").get(
        reverse("projects:stalled_export") + "?kind=signed_not_registered"
    )
    rows = (
        CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content)))
        .get_sheet_by_index(0)
        .to_python()
    )
    names = [r[0] for r in rows[1:]]
    assert "凌海停滞项目" in names
    row = rows[1 + names.index("凌海停滞项目")]
    assert "完成公司注册" in row[-1]


def test_the_project_page_says_what_holds_it_to_staff(stuck):
    url = reverse("projects:project_detail", args=[stuck["here"].pk])
    assert "完成公司注册" in client_for("t_official").get(url).content.decode()


def test_a_project_page_and_the_stalled_lists_agree(linghai, own_enterprise):
    """`Project.stall_kinds` (the project page) reads the row; `stalled_q` (the lists) asks the
    database: over every watched stage, both sides of each limit and a level with a rule of
    its own, they name the same lists."""
    from guanjia.projects.models import STALL_WATCH, Level, Project, StallRule, stalled_q

    today = timezone.localdate()
    StallRule.objects.create(kind="signed_not_registered", level=Level.PROVINCIAL, days=30)
    projects = []
    for stages, date_field in STALL_WATCH.values():
        for stage in stages:
            for level in (Level.PROVINCIAL, Level.GENERAL):
                for age in (29, 31, 89, 91, 179, 181, 729, 731):
                    projects.append(
                        ProjectFactory(
                            enterprise=own_enterprise,
                            region=linghai,
                            stage=stage,
                            level=level,
                            **{date_field: today - dt.timedelta(days=age)},
                        )  # fmt: skip
                    )
    for project in projects:
        row = Project.objects.get(pk=project.pk)
        asked = [
            kind
            for kind in STALL_WATCH
            if Project.objects.filter(pk=row.pk).filter(stalled_q(today, kind)).exists()
        ]
        assert row.stall_kinds(today) == asked, (row.stage, row.level)
    assert any(Project.objects.get(pk=p.pk).stall_kinds(today) for p in projects)
