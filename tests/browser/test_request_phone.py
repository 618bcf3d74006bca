"""The direct line on a steward's phone (375 px): a simple request answered in one step from
the request page, and a queue whose compact cards fit five to a screen."""

import pytest
from playwright.sync_api import expect

from guanjia.accounts.models import Role
from guanjia.requests import services
from guanjia.requests.loading import load_categories
from guanjia.requests.models import Category, ServiceRequest, Status
from guanjia.testing.factories import EnterpriseFactory, UserFactory

from .conftest import _new_page, log_in, tr

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREEN = {"width": 375, "height": 667}  # a small phone, held upright


@pytest.fixture
def small_phone(browser, live_server):
    context, page = _new_page(browser, live_server, SCREEN, is_mobile=True, has_touch=True)
    yield page
    context.close()


@pytest.fixture
def line(users, linghai, own_enterprise, settings):
    settings.GUANJIA_INTAKE_HOURS = "8"
    load_categories()
    steward = UserFactory(
        username="s_phone", role=Role.STEWARD, region=linghai, display_name="凌海管家"
    )
    own_enterprise.steward = steward
    own_enterprise.save()
    return {"steward": steward, "contact": users["enterprise"]}


# The card's edge for each state of its clock (site.css's --ok, --warn, --bad …).
EDGE = {
    "ok": "rgb(23, 128, 61)",
    "half": "rgb(212, 167, 44)",
    "warn": "rgb(181, 71, 8)",
    "late": "rgb(180, 35, 24)",
}


def submit(enterprise, contact, title: str) -> ServiceRequest:
    return services.submit(
        contact,
        enterprise=enterprise,
        category=Category.objects.get(code="land"),
        title=title,
        text="项目用地的规划条件何时出具？需要准备哪些材料？",
    )


def test_a_steward_answers_a_simple_request_in_one_step_from_a_phone(
    small_phone, shot, line, own_enterprise
):
    sr = submit(own_enterprise, line["contact"], "规划条件需要哪些材料")
    log_in(small_phone, "s_phone")
    small_phone.goto("/requests/?queue=stewarded")
    small_phone.get_by_role("link", name="规划条件需要哪些材料").click()
    form = small_phone.locator("#step-accept_reply")
    expect(form).to_be_visible()
    # The answer is within the first screen and a half, not three screens down.
    assert form.bounding_box()["y"] < SCREEN["height"] * 1.5
    small_phone.fill("#accept_reply-answer", "需提供用地红线图和项目备案证明，材料齐全后当日出具。")
    shot(small_phone, "request-accept-reply-phone")
    with small_phone.expect_navigation():
        form.locator("button[name=go]").click()
    timeline = small_phone.locator("#timeline")
    expect(timeline).to_contain_text(tr("Answered"))
    expect(small_phone.locator(".answer")).to_contain_text("需提供用地红线图")
    sr.refresh_from_db()
    assert sr.status == Status.REPLIED and sr.accepted_at == sr.replied_at
    assert small_phone.evaluate("document.documentElement.scrollWidth") <= SCREEN["width"]


def test_five_queue_cards_fit_one_phone_screen(small_phone, shot, line, own_enterprise):
    long_name = EnterpriseFactory(
        name="锦州新能源装备制造产业园区开发建设投资有限责任公司",
        region=own_enterprise.region,
        steward=line["steward"],
    )
    for i in range(6):
        enterprise = long_name if i % 2 else own_enterprise
        submit(enterprise, None, f"第{i + 1}件：项目用地规划条件和施工许可办理进度咨询")
    log_in(small_phone, "s_phone")
    small_phone.goto("/requests/?queue=stewarded")
    cards = small_phone.locator("table.queue tbody tr")
    expect(cards).to_have_count(6)
    boxes = [cards.nth(i).bounding_box() for i in range(5)]
    height = boxes[-1]["y"] + boxes[-1]["height"] - boxes[0]["y"]
    assert height <= SCREEN["height"], f"five cards take {height:.0f} px"
    # What, who, the deadline's colour and the time left come first on each card.
    first = cards.nth(0)
    top = first.bounding_box()["y"]
    for cell in ("td.c-request", "td.c-left", "td.c-enterprise"):
        assert first.locator(cell).bounding_box()["y"] - top < 45, cell
    for i in range(5):  # the clock's state (ok, half, warn, late) is the card's edge colour
        edge = cards.nth(i).evaluate(
            "tr => [getComputedStyle(tr).borderLeftColor, getComputedStyle(tr).borderLeftWidth]"
        )
        state = cards.nth(i).get_attribute("class")
        assert edge[0] == EDGE[state.removeprefix("row-")] and edge[1] == "5px", (state, edge)
    expect(first.locator("td.c-left")).to_contain_text(tr("to accept"))
    assert small_phone.evaluate("document.documentElement.scrollWidth") <= SCREEN["width"]
    shot(small_phone, "requests-queue-phone")


def test_a_department_handler_claims_from_the_department_queue_on_a_phone(
    small_phone, shot, line, users, own_enterprise
):
    """Dispatched to a department, the request waits in its queue; one of its handlers finds
    it there on a phone and claims it (认领) from the request page, and then holds it."""
    handler = users["handler"]
    sr = submit(own_enterprise, line["contact"], "规划许可请自然资源局办理")
    services.dispatch(sr, line["steward"], department=handler.department)
    log_in(small_phone, "t_handler")
    small_phone.goto("/requests/?queue=unclaimed")
    card = small_phone.get_by_role("link", name="规划许可请自然资源局办理")
    expect(card).to_be_visible()
    expect(small_phone.locator("table.queue")).to_contain_text(tr("To claim"))
    card.click()
    form = small_phone.locator("#step-claim")
    expect(form).to_be_visible()
    # The claim leads the page: within the first screen and a half.
    assert form.bounding_box()["y"] < SCREEN["height"] * 1.5
    shot(small_phone, "request-claim-phone")
    with small_phone.expect_navigation():
        form.locator("button[name=go]").click()
    sr.refresh_from_db()
    assert sr.assignee == handler and sr.status == Status.HANDLING
    expect(small_phone.locator("#timeline")).to_contain_text(
        tr("Claimed from the department queue")
    )
    assert small_phone.evaluate("document.documentElement.scrollWidth") <= SCREEN["width"]
