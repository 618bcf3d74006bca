"""An enterprise contact on a 375 px phone presses for an answer (催办) on a late request,
with none of the bureau's lists in its menu; the handler then sees the press on the queue."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from guanjia.accounts.models import Role
from guanjia.requests import services
from guanjia.requests.loading import load_categories
from guanjia.requests.models import Category, ServiceRequest
from guanjia.testing.factories import ProjectFactory, UserFactory

from .conftest import log_in, tr

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def late_request(users, linghai, own_enterprise):
    load_categories()
    steward = UserFactory(
        username="s_linghai", role=Role.STEWARD, region=linghai, display_name="凌海管家"
    )
    own_enterprise.steward = steward
    own_enterprise.save()
    project = ProjectFactory(
        name="颜料扩产项目", enterprise=own_enterprise, region=linghai, steward=steward
    )
    # Dispatched and signed for three weeks ago: its 5 working days to resolve have passed.
    then = timezone.now() - dt.timedelta(days=21)
    sr = services.submit(
        users["enterprise"], enterprise=own_enterprise, category=Category.objects.get(code="land"),
        title="规划条件迟迟未出", text="项目已摘地三个月，规划条件仍未出具。", project=project,
        at=then,
    )  # fmt: skip
    services.dispatch(sr, steward, to=users["handler"], at=then)
    services.sign(sr, users["handler"], at=then)
    return ServiceRequest.objects.get(pk=sr.pk)


def test_the_enterprise_presses_on_a_late_request_from_its_phone(phone, page, shot, late_request):
    log_in(phone, "t_enterprise")
    phone.goto("/requests/")
    # Its menu: its requests, its enterprise, the policies for it — none of the bureau's lists.
    menu = phone.locator("nav.mainnav").text_content() or ""
    assert tr("Direct line") in menu and tr("Policies for you") in menu
    for internal in ("Project ledger", "Services", "Stalled projects", "Element guarantees"):
        assert tr(internal) not in menu, internal
    phone.get_by_role("link", name="规划条件迟迟未出").click()
    phone.fill("#press-note", "下周要开工，请尽快答复")
    with phone.expect_navigation():
        phone.locator("#step-press button").click()
    expect(phone.locator(".messages")).to_contain_text(
        tr("Your steward and the handler have been pressed for an answer.")
    )
    timeline = phone.locator("#timeline")
    expect(timeline).to_contain_text(tr("Pressed by the enterprise"))
    expect(timeline).to_contain_text("下周要开工，请尽快答复")
    # Pressed once: the button is gone for a day, and the page says from when.
    expect(phone.locator("#step-press")).to_have_count(0)
    expect(phone.locator("#press-wait")).to_be_visible()
    shot(phone, "request-press-phone")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    late_request.refresh_from_db()
    assert late_request.press_count == 1

    # The handler holding it sees the press on its queue card.
    log_in(page, "t_handler")
    page.goto("/requests/?queue=mine")
    expect(page.locator("table.queue")).to_contain_text(tr("Pressed ×%(n)s") % {"n": 1})
