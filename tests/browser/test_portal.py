"""The public portal on a 375 px phone, without logging in: an investor from abroad reads it
in English and sends an enquiry, which becomes a lead; nothing scrolls sideways, and the
pages work with JavaScript turned off."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from guanjia.leads.models import Lead
from guanjia.parks import services as park_services
from guanjia.parks.models import ParkKind
from guanjia.policies.models import Policy
from guanjia.testing.factories import ProjectFactory

from .conftest import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.fixture
def published(users, linghai, industries):
    admin = users["admin"]
    park = park_services.save_park(
        admin, name="锦州经济技术开发区测试园", kind=ParkKind.NATIONAL_ETDZ, region=linghai
    )
    park_services.create_plot(
        admin, park=park, code="JZ-50", area_mu=Decimal(50), power_kva=Decimal(10000), is_demo=True
    )
    Policy.objects.create(
        title="锦州市招商引资若干政策措施（测试）", issuer="锦州市人民政府", public=True
    )
    project = ProjectFactory(
        name="年产10万吨锂电池负极材料项目", region=linghai, stage="construction", public=True
    )
    return {"park": park, "project": project}


def test_an_investor_reads_the_portal_in_english_on_a_phone_and_enquires(phone, shot, published):
    phone.goto("/invest/")
    expect(phone.locator("h1")).to_have_text("投资锦州")
    assert page_width(phone) <= PHONE["width"]
    shot(phone, "portal-home-zh")

    phone.get_by_role("link", name="English").click()
    expect(phone.locator("h1")).to_have_text("Invest in Jinzhou")
    assert page_width(phone) <= PHONE["width"]
    shot(phone, "portal-home-en")

    phone.get_by_role("link", name="Parks and land").click()
    phone.get_by_role("link", name="锦州经济技术开发区测试园").click()
    expect(phone.locator("main")).to_contain_text("JZ-50")
    expect(phone.locator("main")).to_contain_text("demo data")
    assert page_width(phone) <= PHONE["width"]
    shot(phone, "portal-park-en")

    phone.get_by_role("link", name="Key projects").first.click()
    expect(phone.locator("main")).to_contain_text("年产10万吨锂电池负极材料项目")
    assert page_width(phone) <= PHONE["width"]

    phone.goto("/invest/enquiry/")
    assert page_width(phone) <= PHONE["width"]
    phone.fill("#id_name", "Anna Schmidt")
    phone.fill("#id_organisation", "Nordwerk Batteries GmbH")
    phone.fill("#id_contact", "anna@example.com")
    phone.fill("#id_interest", "Anode materials plant")
    phone.fill("#id_land_mu", "50")
    phone.fill("#id_power_kva", "10000")
    phone.fill("#id_investment_wan", "60000")
    phone.get_by_role("button", name="Send").click()
    expect(phone.locator("h1")).to_have_text("Thank you")
    reference = phone.locator(".reference").inner_text()
    shot(phone, "portal-thanks-en")
    lead = Lead.objects.get()
    assert reference.endswith(f"-{lead.pk}")
    assert lead.investor.name == "Nordwerk Batteries GmbH" and lead.land_mu == 50


def test_the_portal_reads_without_javascript(browser, live_server, published):
    context = browser.new_context(
        base_url=live_server.url, java_script_enabled=False, viewport=PHONE, locale="en-US"
    )
    page = context.new_page()
    page.goto(f"/invest/parks/{published['park'].pk}/")
    expect(page.locator("main")).to_contain_text("JZ-50")
    assert page_width(page) <= PHONE["width"]
    context.close()
