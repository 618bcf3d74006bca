"""The pipeline board on a phone: the columns stack, nothing scrolls sideways, and a card moves
with its own form (the same step as the lead's page)."""

import pytest
from playwright.sync_api import expect

from guanjia.leads import services
from guanjia.leads.models import Lead, Status
from guanjia.testing.factories import EnterpriseFactory

from .conftest import PHONE, log_in, tr

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_board_fits_a_phone_and_a_card_moves(phone, shot, users, linghai):
    investor = EnterpriseFactory(name="国家电投集团东北电力有限公司", credit_code=None)
    for name in ("海上风电项目", "储能电站项目", "氢能产业园"):
        services.create_lead(
            users["admin"], investor=investor, name=name, region=linghai, source="central_soe"
        )
    log_in(phone, "t_admin")
    phone.goto("/leads/board/")
    expect(phone.locator(".board-card")).to_have_count(3)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(phone, "mobile-leads-board")
    card = phone.locator(".board-card", has_text="海上风电项目")
    card.locator("summary").click()
    with phone.expect_navigation():
        card.get_by_role("button", name=tr("First contact")).click()
    assert Lead.objects.get(name="海上风电项目").status == Status.CONTACT
