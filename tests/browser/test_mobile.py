"""A steward's phone, 375 px wide: nothing scrolls sideways and the menu folds away."""

import pytest
from playwright.sync_api import expect

from .conftest import PHONE, log_in, tr

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_the_ledger_and_a_project_fit_a_phone_without_sideways_scrolling(phone, shot, ledger):
    log_in(phone, "t_admin")

    expect(phone.locator("#ledger-summary .count")).to_have_text("18")
    assert page_width(phone) <= PHONE["width"]
    # The table folds into one card per project, each value labelled.
    first = phone.locator("#ledger-results table.ledger tbody tr").first
    expect(first.locator("td").first).to_be_visible()
    expect(phone.locator("#ledger-results table.ledger thead")).to_be_hidden()
    shot(phone, "mobile-ledger")

    phone.goto(f"/projects/{ledger['needle_coke'].pk}/")
    expect(phone.locator("h1")).to_contain_text("40万吨/年针状焦项目")
    expect(phone.locator("ol.timeline")).to_be_visible()
    assert page_width(phone) <= PHONE["width"]
    shot(phone, "mobile-project")


def test_the_menu_opens_from_its_toggle_on_a_phone(phone, shot, ledger):
    log_in(phone, "t_admin")
    menu = phone.locator("nav.mainnav")
    toggle = phone.locator("label.nav-toggle-label")

    expect(menu).to_be_hidden()
    expect(toggle).to_be_visible()

    toggle.click()
    expect(menu).to_be_visible()
    assert page_width(phone) <= PHONE["width"]
    shot(phone, "mobile-menu-open")
    with phone.expect_navigation():
        menu.get_by_role("link", name=tr("Events")).click()
    assert phone.url.endswith("/events/")

    phone.locator("label.nav-toggle-label").click()
    expect(phone.locator("nav.mainnav")).to_be_visible()
    phone.locator("label.nav-toggle-label").click()
    expect(phone.locator("nav.mainnav")).to_be_hidden()
