"""The task force in a browser: the record forms arrive when the panel comes on screen, and a
meeting with its action item is recorded from them."""

import pytest
from playwright.sync_api import expect

from guanjia.projects.stages import Stage
from guanjia.taskforces.models import ActionItem, Meeting
from guanjia.testing.factories import ProjectFactory

from .conftest import log_in, tr

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_steward_records_a_meeting_from_the_lazily_loaded_forms(
    live_server, page, shot, users, linghai, own_enterprise
):
    steward = users["steward"]
    project = ProjectFactory(
        name="颜料扩产项目", enterprise=own_enterprise, region=linghai, steward=steward,
        stage=Stage.SIGNED, task_force="颜料扩产项目专班",
    )  # fmt: skip

    log_in(page, "t_steward")
    page.goto(f"/projects/{project.pk}/")
    panel = page.locator("#taskforce")
    panel.scroll_into_view_if_needed()
    # htmx swaps the placeholder for the forms once the panel is visible.
    meeting = panel.locator("details", has_text=tr("Record a meeting"))
    expect(meeting).to_be_visible()
    meeting.locator("summary").click()
    form = meeting.locator("form")
    form.locator("[name=title]").fill("项目推进会")
    form.locator("[name=minutes]").fill("研究解决用地手续问题。")
    form.locator("[name=item-text]").fill("完成用地预审")
    form.locator("[name=item-owner]").select_option(str(steward.pk))
    form.locator("[name=item-due_on]").fill("2026-12-31")
    with page.expect_navigation():
        form.get_by_role("button", name=tr("Record the meeting")).click()
    expect(page.locator("#taskforce")).to_contain_text("完成用地预审")
    shot(page, "taskforce-meeting")
    assert Meeting.objects.filter(project=project, title="项目推进会").exists()
    assert ActionItem.objects.get(project=project).owner == steward
