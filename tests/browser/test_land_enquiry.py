"""Issue 17's path, on a 375 px phone in English: an investor finds a 50-mu industrial plot
with 10,000 kVA spare in a park that suits their industry, opens its card, enquires about it
and reads the reference number; the bureau finds the lead on its pipeline board, and the lead's
land matching shows that very plot first, as the one asked about, ready to reserve."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from guanjia.leads.models import Lead
from guanjia.parks import services as park_services
from guanjia.parks.models import ParkKind, PlotEnquiry

from .conftest import PHONE, log_in, tr

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.fixture
def inventory(users, linghai, heishan, industries):
    """A new-energy park with 12,000 kVA spare and a chemicals park, each with plots."""
    admin = users["admin"]
    energy = industries["新能源"]
    green = park_services.save_park(
        admin,
        name="凌海新能源产业园",
        kind=ParkKind.SPECIALISED,
        region=linghai,
        industries=[energy],
    )
    park_services.add_substation(
        admin, green, name="66kV园区变", capacity_kva=Decimal(40000), spare_kva=Decimal(12000)
    )
    chem = park_services.save_park(
        admin,
        name="黑山化工园区",
        kind=ParkKind.PROVINCIAL,
        region=heishan,
        industries=[industries["石化及精细化工"]],
    )
    for park, code, mu in ((green, "XN-30", 30), (green, "XN-52", 52), (chem, "HG-60", 60)):
        park_services.create_plot(admin, park=park, code=code, area_mu=Decimal(mu))
    park_services.create_plot(
        admin, park=green, code="XN-W1", area_mu=Decimal(70), land_use="warehouse"
    )
    return {"energy": energy}


def test_an_investor_finds_a_plot_enquires_and_the_bureau_sees_the_lead_matched_to_it(
    phone, shot, settings, inventory
):
    settings.GUANJIA_PORTAL_LEAD_OWNER = "t_admin"
    phone.goto("/invest/")
    phone.get_by_role("link", name="English").click()
    expect(phone.locator("h1")).to_have_text("Invest in Jinzhou")

    # Find the land: industry, at least 50 mu, at least 10,000 kVA spare, industrial.
    phone.get_by_role("link", name="Find land").click()
    phone.select_option("#id_industry", label="新能源")
    phone.fill("#id_min_mu", "50")
    phone.fill("#id_min_kva", "10000")
    phone.select_option("#id_land_use", label="Industrial")
    phone.get_by_role("button", name="Search").click()
    expect(phone.locator("#results")).to_have_text("1 plot found")
    assert page_width(phone) <= PHONE["width"]
    shot(phone, "portal-land-search-en")

    # Its card, then "Enquire about this plot".
    phone.get_by_role("link", name="XN-52").click()
    expect(phone.locator("h1")).to_contain_text("XN-52")
    expect(phone.locator("main")).to_contain_text("凌海新能源产业园")
    expect(phone.locator("main")).to_contain_text("12000")
    assert page_width(phone) <= PHONE["width"]
    shot(phone, "portal-plot-card-en")
    phone.get_by_role("link", name="Enquire about this plot").click()
    expect(phone.locator(".about-plot")).to_contain_text("XN-52")
    expect(phone.locator("#id_land_mu")).to_have_value("52.0000")
    expect(phone.locator("#id_power_kva")).to_have_value("12000")
    phone.fill("#id_land_mu", "50")
    phone.fill("#id_power_kva", "10000")
    phone.fill("#id_name", "Anna Schmidt")
    phone.fill("#id_organisation", "Nordwerk Batteries GmbH")
    phone.fill("#id_contact", "anna@example.com")
    phone.fill("#id_interest", "Battery cell plant")
    phone.fill("#id_investment_wan", "60000")
    assert page_width(phone) <= PHONE["width"]
    phone.get_by_role("button", name="Send").click()
    expect(phone.locator("h1")).to_have_text("Thank you")
    reference = phone.locator(".reference").inner_text()
    shot(phone, "portal-plot-thanks-en")
    lead = Lead.objects.get()
    assert reference.startswith("WEB-") and reference.endswith(f"-{lead.pk}")
    assert PlotEnquiry.objects.get(lead=lead).plot.code == "XN-52"

    # The bureau: the lead on the pipeline board, then the lead's page with its land matching.
    log_in(phone, "t_admin")
    phone.goto("/leads/board/")
    card = phone.locator(".board-card", has_text="Battery cell plant")
    expect(card).to_contain_text("Nordwerk Batteries GmbH")
    with phone.expect_navigation():
        card.get_by_role("link", name="Battery cell plant").click()
    # The lead the reference number names (its id is the reference's last part).
    assert phone.url.endswith(f"/leads/{reference.split('-')[-1]}/")
    first = phone.locator("#land-matches .match").first
    expect(first).to_contain_text("XN-52")
    expect(first).to_contain_text(tr("asked about in the enquiry", language="en"))
    expect(first.locator(".reason.met")).to_have_count(3)  # area, power and industry met
    expect(
        first.get_by_role("button", name=tr("Reserve for this lead", language="en"))
    ).to_be_visible()
    assert page_width(phone) <= PHONE["width"]
    shot(phone, "lead-matched-plot-en")


def test_the_public_land_map_shows_plots_on_offer_and_opens_their_public_card(
    browser, live_server, users, linghai
):
    admin = users["admin"]
    park = park_services.save_park(
        admin, name="凌海大有经济区", kind=ParkKind.PROVINCIAL, region=linghai
    )
    plot = park_services.create_plot(
        admin,
        park=park,
        code="DY-50",
        area_mu=Decimal(50),
        point={"type": "Point", "coordinates": [121.2, 41.0]},
    )
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", viewport=PHONE, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    page.goto("/invest/plots/")
    page.get_by_role("link", name="See them on the map").click()
    page.wait_for_selector("html[data-landmap-ready]", state="attached")
    assert page.evaluate("guanjiaLandMap.state.data.count") == 1
    expect(page.locator("#id_status")).to_have_count(0)  # only plots on offer: no status
    assert page_width(page) <= PHONE["width"]
    page.wait_for_timeout(500)
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    box = page.locator("#landmap-chart").bounding_box()
    xy = page.evaluate(
        "([lng, lat]) => guanjiaLandMap.chart.convertToPixel({geoIndex: 0},"
        " guanjiaLandMap.gcj(lng, lat))",
        [121.2, 41.0],
    )
    page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])
    link = page.locator("#landmap-card-link")
    link.wait_for(state="visible")
    assert link.get_attribute("href") == f"/invest/plots/{plot.pk}/"
    link.click()
    expect(page.locator("h1")).to_contain_text("DY-50")
    assert refused == []
    context.close()
