"""The Content-Security-Policy in a browser: the main pages, as the people who use them, run
without a single violation (no inline script, handler or style refused), including the charts'
tooltips and the htmx swaps."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from guanjia.cockpit import services as cockpit_services
from guanjia.events import services as event_services
from guanjia.requests import services as request_services
from guanjia.requests.loading import load_categories
from guanjia.requests.models import Category
from guanjia.targets import services as target_services
from guanjia.targets.models import Indicator, Source, Unit
from guanjia.targets.periods import Period

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Collects securitypolicyviolation events before any page script runs (Playwright injects
# this through the DevTools protocol, which the page's policy does not govern).
WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " "
    + (e.sourceFile || "") + ":" + e.lineNumber + " " + (e.sample || ""));
});
"""


@pytest.fixture
def site(ledger, users, regions, own_enterprise):
    """The small ledger plus a request, signings this year for the cockpit and a target."""
    admin = users["admin"]
    load_categories()
    own_enterprise.steward = users["steward"]
    own_enterprise.save()
    sr = request_services.submit(
        users["enterprise"],
        enterprise=own_enterprise,
        category=Category.objects.filter(active=True).first(),
        title="规划条件迟迟未出",
        text="项目已摘地三个月，规划条件仍未出具。",
        project=ledger["own"],
    )
    year = timezone.localdate().year
    for n, project in enumerate(ledger["others"][:6]):
        event_services.record_signing(
            admin,
            project=project,
            government=project.region,
            signed_on=dt.date(year, 1, 1) + dt.timedelta(days=n),
            amount_wan=Decimal(10000 * (n + 1)),
        )
    cockpit_services.refresh()
    gdp = Indicator.objects.create(
        code="gdp", name="地区生产总值", unit=Unit.YI, source=Source.ENTERED
    )
    target_services.set_target(admin, gdp, Period(year), regions["210700"], Decimal(1_000_000))
    target_services.set_target(admin, gdp, Period(year), regions["210781"], Decimal(600_000))
    target_services.enter_actual(
        admin, gdp, Period(year, quarter=1), regions["210781"], Decimal(100_000)
    )
    return {"request": sr, "project": ledger["needle_coke"]}


def _watch(page) -> list[str]:
    """Console messages that report a refused resource or inline code."""
    refused: list[str] = []
    page.add_init_script(WATCH)
    page.on(
        "console",
        lambda msg: (
            refused.append(msg.text)
            if "Content Security Policy" in msg.text or "Refused to" in msg.text
            else None
        ),
    )
    return refused


def _visit(page, url: str, refused: list[str], hover: str | None = None) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    assert "Content-Security-Policy" in response.headers or (
        "content-security-policy" in response.headers
    ), url
    page.wait_for_load_state("networkidle")
    if hover:
        for node in page.locator(hover).all():
            box = node.bounding_box()
            if box:
                page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
                page.wait_for_timeout(250)
    seen = page.evaluate("window.__cspViolations || []")
    assert not seen, f"{url}: {seen}"
    assert not refused, f"{url}: {refused}"


def test_pages_run_without_a_csp_violation(page, site, users):
    refused = _watch(page)
    _visit(page, "/login/", refused)
    _visit(page, "/admin/login/", refused)
    log_in(page, "t_admin")
    project = site["project"]
    for url, hover in [
        ("/projects/", None),
        ("/projects/?stage=signed&sort=-total_investment_wan", None),
        (f"/projects/{project.pk}/", None),
        (f"/projects/{project.pk}/edit/", None),
        ("/projects/new/", None),
        ("/projects/stalled/", None),
        ("/enterprises/", None),
        (f"/enterprises/{project.enterprise_id}/", None),
        ("/import/", None),
        ("/events/", None),
        ("/requests/", None),
        (f"/requests/{site['request'].pk}/", None),
        ("/requests/invite/", None),
        ("/cockpit/", "[id^=chart-]"),
        ("/targets/", "[id^=gauge-], [id^=bars-]"),
        ("/reports/", None),
        ("/reports/calendar/", None),
        ("/policies/", None),
        ("/policies/new/", None),
        ("/targets/actual/", None),
        ("/guarantees/", None),
        ("/services/", None),
        ("/services/new/", None),
        ("/services/figures/", None),
        ("/inbox/", None),
        ("/admin/", None),
        ("/admin/accounts/user/", None),
        (f"/admin/accounts/user/{users['admin'].pk}/change/", None),
        ("/admin/regions/region/add/", None),
        ("/api/v1/docs", None),
    ]:
        _visit(page, url, refused, hover)
    # An htmx swap: the ledger's filter form answers in place.
    page.goto("/projects/")
    page.fill("#id_q", "针状焦")
    page.wait_for_timeout(800)
    page.wait_for_load_state("networkidle")
    assert not page.evaluate("window.__cspViolations"), "ledger search"
    assert not refused, refused


def test_an_enterprise_contact_and_a_steward_see_no_violation(browser, live_server, site):
    for username, urls in [
        ("t_enterprise", ["/requests/", f"/requests/{site['request'].pk}/", "/requests/new/"]),
        ("t_steward", ["/requests/?queue=stewarded", "/services/new/", "/policies/"]),
        ("t_official", ["/cockpit/", "/projects/", "/targets/"]),
    ]:
        context = browser.new_context(base_url=live_server.url, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(10_000)
        refused = _watch(page)
        log_in(page, username)
        for url in urls:
            _visit(page, url, refused)
        context.close()
