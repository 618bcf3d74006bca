"""Element guarantees in a browser: construction waits for the land; the steward records the
land delivered in the project's guarantee panel and the project can start."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from guanjia.guarantees import services
from guanjia.projects.models import Project
from guanjia.projects.stages import Stage
from guanjia.testing.factories import ProjectFactory

from .conftest import log_in, tr

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_steward_records_land_delivered_and_the_project_starts(
    live_server, page, shot, users, linghai, own_enterprise
):
    steward = users["steward"]
    project = ProjectFactory(
        name="颜料扩产项目",
        enterprise=own_enterprise,
        region=linghai,
        steward=steward,
        stage=Stage.APPROVALS,
        approvals_on=dt.date(2024, 3, 1),
    )
    services.set_guarantee(
        users["admin"],
        project,
        "land",
        department=users["handler"].department,
        due_on=dt.date(2026, 12, 1),
    )

    log_in(page, "t_steward")
    page.goto(f"/projects/{project.pk}/")
    panel = page.locator("#guarantees")
    expect(panel.locator(".guarantee-block")).to_contain_text("自然资源局")

    # Trying to start construction now is refused, naming the land and its department.
    page.select_option("#id_to_stage", Stage.CONSTRUCTION)
    page.fill("#id_evidence", "施工许可证")
    with page.expect_navigation():
        page.get_by_role("button", name=tr("Record the move")).click()
    expect(page.locator("#move")).to_contain_text("自然资源局")
    assert Project.objects.get(pk=project.pk).stage == Stage.APPROVALS

    # The steward records the land delivered.
    page.goto(f"/projects/{project.pk}/")
    land = page.locator("#guarantees li.guarantee-land")
    land.locator("select[name=status]").select_option("delivered")
    with page.expect_navigation():
        land.get_by_role("button", name=tr("Update")).click()
    expect(page.locator("#guarantees li.guarantee-land")).to_have_class(
        "guarantee guarantee-land met"
    )
    expect(page.locator("#guarantees .guarantee-block")).to_have_count(0)
    shot(page, "guarantees-land-delivered")

    # Now the move goes through.
    page.select_option("#id_to_stage", Stage.CONSTRUCTION)
    page.fill("#id_evidence", "施工许可证")
    with page.expect_navigation():
        page.get_by_role("button", name=tr("Record the move")).click()
    expect(page.locator("h1 .tag.stage-construction")).to_be_visible()
    assert Project.objects.get(pk=project.pk).stage == Stage.CONSTRUCTION
