"""Logging in: the ledger in Chinese by default, English one click away, a clear refusal."""

import pytest
from playwright.sync_api import expect

from .conftest import log_in, tr

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_lands_on_the_ledger_in_chinese_and_can_switch_to_english(page, shot, ledger):
    log_in(page, "t_admin")

    assert page.url.endswith("/projects/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("h1")).to_have_text("项目台账")
    expect(page.locator("nav.mainnav")).to_contain_text(tr("Enterprises"))
    expect(page.locator("th a[data-sort=investment]")).to_have_text("总投资")
    expect(page.locator("#ledger-summary .count")).to_have_text("18")
    shot(page, "ledger-zh")

    with page.expect_navigation():
        page.get_by_role("button", name="English").click()

    assert page.url.endswith("/projects/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Project ledger")
    expect(page.locator("nav.mainnav")).to_contain_text("Enterprises")
    expect(page.locator("#ledger-summary")).to_contain_text("Total investment")
    expect(page.get_by_role("button", name="中文")).to_be_visible()
    shot(page, "ledger-en")


def test_a_wrong_password_is_refused_with_a_message(page, shot, users):
    log_in(page, "t_admin", "not-the-password")

    assert page.url.endswith("/login/")
    expect(page.locator(".card .error")).to_have_text(
        tr("Your user name and password did not match. Please try again.")
    )
    expect(page.locator("nav.mainnav")).to_have_count(0)
    expect(page.locator("#id_username")).to_have_value("t_admin")
    shot(page, "login-error")
