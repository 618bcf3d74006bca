"""The targets board in a browser: the city's gauges and the per-area bars render (ECharts),
a lagging area is named, and an area official's phone shows their own area's gauges."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from guanjia.targets import services
from guanjia.targets.models import Computation, Indicator, Source, Unit
from guanjia.targets.periods import Period

from .conftest import log_in, tr

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def targets(users, regions):
    admin = users["admin"]
    gdp = Indicator.objects.create(
        code="gdp", name="地区生产总值", unit=Unit.YI, source=Source.ENTERED
    )
    Indicator.objects.create(
        code="landed", name="重点项目落地", unit=Unit.COUNT, source=Source.COMPUTED,
        computation=Computation.KEY_PROJECTS_LANDED, sort_order=2,
    )  # fmt: skip
    year = dt.date.today().year
    services.set_target(admin, gdp, Period(year), regions["210700"], Decimal(1_000_000))
    for code, value, pace in [("210781", 600_000, "0.95"), ("210726", 400_000, "0.40")]:
        services.set_target(admin, gdp, Period(year), regions[code], Decimal(value))
        services.enter_actual(
            admin, gdp, Period(year, quarter=1), regions[code], Decimal(value) * Decimal(pace) / 4
        )
    return year


def test_leader_sees_gauges_and_lagging_areas(page, shot, users, targets):
    log_in(page, "t_leader")
    page.goto(f"/targets/?year={targets}")
    card = page.locator("#indicator-gdp")
    expect(card.locator("#gauge-gdp svg")).to_be_visible()
    expect(card.locator("#bars-gdp svg")).to_be_visible()
    expect(page.locator("#gauge-landed svg")).to_be_visible()
    expect(card.locator(".lagging-areas")).to_contain_text("黑山县")
    expect(card.locator(".lagging-areas")).not_to_contain_text("凌海市")
    expect(page.get_by_role("link", name=tr("Targets"))).to_be_visible()
    shot(page, "targets")


def test_official_phone_shows_own_area(phone, shot, users, targets):
    log_in(phone, "t_official")
    phone.goto(f"/targets/?year={targets}")
    expect(phone.locator("#gauge-gdp svg")).to_be_visible()
    expect(phone.locator("h1")).to_contain_text("凌海市")
    assert phone.locator("#bars-gdp").count() == 0
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    shot(phone, "targets-mobile")
