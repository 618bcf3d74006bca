"""The land map (招商地图) in a browser: parks and plots drawn on the city map with no CSP
violation, filtered without a reload, a plot's card on click, and on a 375 px phone."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from guanjia.parks import services as park_services
from guanjia.parks.models import ParkKind
from guanjia.testing.factories import LeadFactory

from .conftest import log_in
from .test_csp import _watch

pytestmark = pytest.mark.django_db(transaction=True)


def point(lng: float, lat: float) -> dict:
    return {"type": "Point", "coordinates": [lng, lat]}


def square(lng: float, lat: float, d: float = 0.02) -> dict:
    ring = [[lng, lat], [lng + d, lat], [lng + d, lat + d], [lng, lat + d], [lng, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.fixture
def land(users, linghai, heishan, industries):
    admin = users["admin"]
    park = park_services.save_park(admin, name="凌海大有经济区", kind=ParkKind.PROVINCIAL,
                                   region=linghai, point=point(121.25, 41.05),
                                   industries=[next(iter(industries.values()))])  # fmt: skip
    other = park_services.save_park(admin, name="黑山工业园", kind=ParkKind.SPECIALISED,
                                    region=heishan, point=point(122.1, 41.68))  # fmt: skip
    big = park_services.create_plot(admin, park=park, code="DY-01", name="化工地块",
                                    area_mu=Decimal(52), power_kva=Decimal(10000),
                                    price_wan_per_mu=Decimal(8), point=point(121.21, 41.02),
                                    outline=square(121.2, 41.01))  # fmt: skip
    small = park_services.create_plot(admin, park=park, code="DY-02", area_mu=Decimal(12),
                                      power_kva=Decimal(630), point=point(121.3, 41.08))  # fmt: skip
    kept = park_services.create_plot(admin, park=other, code="HS-01", area_mu=Decimal(80),
                                     point=point(122.12, 41.7))  # fmt: skip
    lead = LeadFactory(region=heishan, owner=users["admin"])
    park_services.reserve(kept, admin, lead.pk, timezone.localdate() + dt.timedelta(days=30))
    return {"big": big, "small": small, "kept": kept}


def _open(page, query: str = "") -> None:
    page.goto(f"/parks/map/{query}")
    page.wait_for_selector("html[data-landmap-ready]", state="attached")
    page.wait_for_timeout(300)  # the first animation frame


def _pixel(page, lng: float, lat: float) -> tuple[float, float]:
    """Viewport coordinates of a place on the map (the page scrolled to the map's foot)."""
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    box = page.locator("#landmap-chart").bounding_box()
    xy = page.evaluate(
        "([lng, lat]) => guanjiaLandMap.chart.convertToPixel({geoIndex: 0},"
        " guanjiaLandMap.gcj(lng, lat))",
        [lng, lat],
    )
    return box["x"] + xy[0], box["y"] + xy[1]


def test_the_map_draws_filters_and_opens_a_plots_card(page, live_server, users, land, shot):
    refused = _watch(page)
    log_in(page, "t_official")
    _open(page)
    assert page.locator("#landmap-chart canvas").count() >= 1
    assert page.evaluate("guanjiaLandMap.state.data.count") == 3
    assert "审图号" in page.locator("#landmap-note").inner_text()
    shot(page, "landmap-desktop")
    # Filter: at least 50 亩 and 10,000 kVA — the page does not reload.
    page.fill("#id_min_mu", "50")
    page.fill("#id_min_kva", "10000")
    page.select_option("#id_status", "available")
    page.locator("#landmap-filters button[type=submit]").click()
    page.wait_for_function("() => guanjiaLandMap.state.data.count === 1")
    assert "min_mu=50" in page.url
    page.wait_for_timeout(500)  # the redraw's animation
    # A click on the plot opens its card, which links to its page.
    x, y = _pixel(page, 121.21, 41.02)
    page.mouse.click(x, y)
    card = page.locator("#landmap-card")
    card.wait_for(state="visible")
    assert "DY-01" in card.inner_text() and "凌海大有经济区" in card.inner_text()
    link = page.locator("#landmap-card-link")
    assert link.get_attribute("href") == f"/parks/plots/{land['big'].pk}/"
    shot(page, "landmap-card")
    link.click()
    page.wait_for_url(f"**/parks/plots/{land['big'].pk}/")
    assert refused == []


def test_the_map_works_on_a_phone(phone, live_server, users, land, shot):
    refused = _watch(phone)
    log_in(phone, "t_steward")
    _open(phone)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    box = phone.locator("#landmap-chart").bounding_box()
    assert box["width"] > 300 and box["height"] >= 320
    x, y = _pixel(phone, 121.3, 41.08)
    phone.mouse.click(x, y)
    phone.locator("#landmap-card").wait_for(state="visible")
    assert "DY-02" in phone.locator("#landmap-card").inner_text()
    shot(phone, "landmap-phone")
    assert refused == []
