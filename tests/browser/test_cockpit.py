"""The leaders' cockpit in a browser: charts and the map of the 9 areas, drill-down, links."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from guanjia.cockpit import figures
from guanjia.cockpit import services as cockpit_services
from guanjia.events import services as event_services
from guanjia.projects.stages import Stage
from guanjia.testing.factories import ProjectFactory

from .conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)

YEAR = timezone.localdate().year
# 凌海市's label point in the vendored GeoJSON (inside its polygon) and the zone marker.
LINGHAI_AT = [121.35549, 41.160567]
CHARTS = [
    "chart-map",
    "chart-area",
    "chart-industry",
    "chart-funnel",
    "chart-monthly",
    "chart-ontime",
]


@pytest.fixture
def city_figures(regions, industries, users):
    """Signed projects in several of the 9 areas this year, then a refresh."""
    admin = users["admin"]
    names = list(industries.values())
    areas = ["210781", "210726", "210702", "210700Z1", "210700Z2", "210782"]
    for n, code in enumerate(areas * 2):
        region = regions[code]
        project = ProjectFactory(
            name=f"驾驶舱测试项目{n:02d}",
            region=region,
            industry=names[n % len(names)],
            stage=Stage.LEAD,
            total_investment_wan=Decimal(10000 * (n + 1)),
        )
        event_services.record_signing(
            admin,
            project=project,
            government=region,
            signed_on=dt.date(YEAR, 1, 1) + dt.timedelta(days=n),
            amount_wan=Decimal(10000 * (n + 1)),
        )
    cockpit_services.refresh()
    return regions


def _open(page, query=""):
    page.goto(f"/cockpit/{query}")
    page.wait_for_selector("html[data-cockpit-ready]", state="attached")
    page.wait_for_timeout(300)  # the charts' first animation frame


def _pixel(page, finder, at):
    """Page coordinates of a geographic point or a data point on a chart."""
    box = page.locator(f"#{finder['chart']}").bounding_box()
    xy = page.evaluate(
        "([id, finder, at]) => window.guanjiaCockpit.charts[id].convertToPixel(finder, at)",
        [finder["chart"], finder["by"], at],
    )
    return box["x"] + xy[0], box["y"] + xy[1]


def test_the_cockpit_draws_its_charts_and_the_nine_areas(
    page, live_server, users, city_figures, shot
):
    log_in(page, "t_leader")
    assert page.url.endswith("/cockpit/")  # leaders land on it
    _open(page)
    for chart in CHARTS:
        assert page.locator(f"#{chart} canvas").count() >= 1, chart
    placed = page.evaluate(
        "() => ({polygons: guanjiaCockpit.placed.polygons.map(p => p.area.code),"
        " points: guanjiaCockpit.placed.points.map(p => p.area.code),"
        " missing: guanjiaCockpit.placed.missing.length})"
    )
    assert sorted(placed["polygons"]) == [
        "210702", "210703", "210711", "210726", "210727", "210781", "210782",
    ]  # fmt: skip
    assert sorted(placed["points"]) == ["210700Z1", "210700Z2"]
    assert placed["missing"] == 0
    assert page.locator("#area-list li").count() == 9
    shot(page, "cockpit-city")
    page.click("[data-colour=overdue]")
    assert page.evaluate("guanjiaCockpit.state.colour") == "overdue"
    assert page.get_attribute("[data-colour=overdue]", "aria-pressed") == "true"
    shot(page, "cockpit-city-overdue")


def test_a_click_on_the_map_drills_down_to_the_area(page, live_server, users, city_figures, shot):
    linghai = city_figures["210781"]
    log_in(page, "t_leader")
    _open(page, f"?year={YEAR}")
    x, y = _pixel(page, {"chart": "chart-map", "by": {"geoIndex": 0}}, LINGHAI_AT)
    with page.expect_navigation():
        page.mouse.click(x, y)
    assert f"region={linghai.pk}" in page.url
    page.wait_for_selector("html[data-cockpit-ready]", state="attached")
    assert page.text_content("#cockpit-area") == "凌海市"
    data = page.evaluate("guanjiaCockpit.state.data")
    assert data["region"]["id"] == linghai.pk
    assert data["kpis"]["signed_count"] == figures.kpis(linghai, YEAR)["signed_count"] == 2
    shot(page, "cockpit-linghai")
    # A zone is a marker: clicking it drills down too.
    page.click("#cockpit-up")
    page.wait_for_selector("html[data-cockpit-ready]", state="attached")
    page.wait_for_timeout(300)
    zone = city_figures["210700Z1"]
    at = page.evaluate(
        "() => guanjiaCockpit.placed.points.find(p => p.area.code === '210700Z1').at"
    )
    x, y = _pixel(page, {"chart": "chart-map", "by": {"seriesIndex": 1}}, at)
    with page.expect_navigation():
        page.mouse.click(x, y)
    assert f"region={zone.pk}" in page.url


def test_tiles_and_chart_segments_open_the_filtered_ledger(
    page, live_server, users, city_figures, shot
):
    heishan = city_figures["210726"]
    log_in(page, "t_leader")
    _open(page, f"?year={YEAR}")
    with page.expect_navigation():
        page.click("[data-kpi=signed_count]")
    assert "/projects/" in page.url and f"period={YEAR}" in page.url
    assert page.text_content(".summary .count").strip() == "12"
    shot(page, "cockpit-to-ledger")

    _open(page, f"?year={YEAR}")
    index = page.evaluate(
        "() => guanjiaCockpit.state.data.by_area.findIndex(a => a.code === '210726')"
    )
    value = page.evaluate(
        f"() => Number(guanjiaCockpit.state.data.by_area[{index}].amount_wan) / 10000"
    )
    page.wait_for_timeout(1000)  # the bars grow from the axis: let them finish
    # Near the bar's foot, which is drawn first whatever the animation's progress.
    x, y = _pixel(page, {"chart": "chart-area", "by": {"seriesIndex": 0}}, [index, value * 0.15])
    with page.expect_navigation():
        page.mouse.click(x, y)
    assert f"region={heishan.pk}" in page.url and f"period={YEAR}" in page.url
    assert page.text_content(".summary .count").strip() == "2"


def test_the_cockpit_fits_a_phone(phone, live_server, users, city_figures, shot):
    log_in(phone, "t_official")
    _open(phone)
    assert phone.text_content("#cockpit-area") == "凌海市"
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    shot(phone, "cockpit-phone")
