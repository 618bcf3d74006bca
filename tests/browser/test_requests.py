"""The direct line in a browser: an enterprise submits from a phone, its steward answers,
the enterprise rates the answer, and the timeline shows each step."""

import pytest
from playwright.sync_api import expect

from guanjia.accounts.models import Role
from guanjia.requests.loading import load_categories
from guanjia.requests.models import ServiceRequest, Status
from guanjia.testing.factories import ProjectFactory, UserFactory

from .conftest import log_in, tr

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def line(users, linghai, own_enterprise, settings, tmp_path):
    settings.GUANJIA_PRIVATE_ROOT = tmp_path / "private"
    load_categories()
    steward = UserFactory(
        username="s_linghai", role=Role.STEWARD, region=linghai, display_name="凌海管家"
    )
    own_enterprise.steward = steward
    own_enterprise.save()
    ProjectFactory(name="颜料扩产项目", enterprise=own_enterprise, region=linghai, steward=steward)
    return {"steward": steward}


def test_submit_answer_rate_and_the_timeline_shows_it(
    browser, live_server, phone, page, shot, line, tmp_path
):
    # The enterprise contact, on a phone.
    log_in(phone, "t_enterprise")
    phone.goto("/requests/new/")
    phone.select_option("#id_category", label="用地保障")
    phone.select_option("#id_project", label="颜料扩产项目")
    phone.fill("#id_title", "规划条件迟迟未出")
    phone.fill("#id_text", "项目已摘地三个月，规划条件仍未出具，影响开工。")
    pdf = tmp_path / "土地出让合同.pdf"
    pdf.write_bytes(PDF)
    phone.set_input_files("#id_attachments", str(pdf))
    shot(phone, "request-new-phone")
    with phone.expect_navigation():
        phone.get_by_role("button", name=tr("Submit")).click()
    expect(phone.locator("h1")).to_contain_text("规划条件迟迟未出")
    expect(phone.locator(".files")).to_contain_text("土地出让合同.pdf")
    sr = ServiceRequest.objects.get()

    # The steward finds it in the queue, takes it and answers.
    log_in(page, "s_linghai")
    page.goto("/requests/?queue=stewarded")
    expect(page.locator("table.queue")).to_contain_text(sr.number)
    page.get_by_role("link", name="规划条件迟迟未出").click()
    # 受理 alone is behind the menu (the page leads with 受理并答复 and 派单).
    page.locator("details.more-steps > summary").click()
    page.locator("#menu-accept > summary").click()
    with page.expect_navigation():
        page.locator("#step-accept button").click()
    page.select_option("#step-dispatch select[name=to]", str(line["steward"].pk))
    with page.expect_navigation():
        page.locator("#step-dispatch button").click()
    with page.expect_navigation():
        page.locator("#step-sign button").click()
    page.fill("#reply-answer", "已协调自然资源局，规划条件于今日出具。")
    with page.expect_navigation():
        page.locator("#step-reply button").click()
    expect(page.locator("#timeline")).to_contain_text(tr("Answered"))
    shot(page, "request-steward")

    # The enterprise rates the answer; unsatisfied reopens it.
    phone.reload()
    expect(phone.locator(".answer")).to_contain_text("规划条件于今日出具")
    phone.get_by_label(tr("Unsatisfied")).check()
    phone.fill("#rate-comment", "还缺附图")
    with phone.expect_navigation():
        phone.locator("#step-rate button").click()
    timeline = phone.locator("#timeline")
    for kind in ("Submitted", "Dispatched", "Signed for", "Answered", "Rated", "Reopened"):
        expect(timeline).to_contain_text(tr(kind))
    expect(timeline).to_contain_text("还缺附图")
    shot(phone, "request-timeline-phone")
    sr.refresh_from_db()
    assert sr.status == Status.HANDLING and sr.reopen_count == 1
    # The page fits a phone: nothing scrolls sideways.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
