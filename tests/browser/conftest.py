"""Browser tests: Playwright drives Debian's Chromium (no browser download) against live_server.

Screenshots go to test-results/ so a person can look at what the tests saw.
"""

import datetime as dt
import os
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation

from guanjia.projects import services as project_services
from guanjia.projects.stages import Stage
from guanjia.testing.factories import EnterpriseFactory, ProjectFactory
from tests.conftest import PASSWORD

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# around it are synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

RESULTS = Path(__file__).resolve().parents[2] / "test-results"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 800}
PAGE_SIZE = 10  # a short page so a small ledger has a second one


def tr(text: str, context: str = "", language: str = "zh-hans") -> str:
    """What the page shows for an English msgid in a language, with or without a catalogue."""
    with translation.override(language):
        if context:
            return translation.pgettext(context, text)
        return translation.gettext(text)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def browser_settings(settings, tmp_path):
    """Fast password hashes, uploads in a temporary folder, a short ledger page."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.GUANJIA_PAGE_SIZE = PAGE_SIZE


def _new_page(browser, live_server, viewport: dict[str, int], **options):
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport=viewport, **options
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


@pytest.fixture
def page(browser, live_server):
    """A desktop browser tab whose user reads Chinese (Accept-Language: zh-CN)."""
    context, page = _new_page(browser, live_server, DESKTOP)
    yield page
    context.close()


@pytest.fixture
def phone(browser, live_server):
    """A 375 px wide phone, as a steward in the field holds it."""
    context, page = _new_page(browser, live_server, PHONE, is_mobile=True, has_touch=True)
    yield page
    context.close()


@pytest.fixture
def shot():
    RESULTS.mkdir(exist_ok=True)

    def take(page, name: str) -> Path:
        path = RESULTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def log_in(page, username: str, password: str = PASSWORD) -> None:
    """Fill the log-in form and wait for the page the server answers with."""
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("button[type=submit]")


@pytest.fixture
def ledger(regions, industries, users, own_enterprise, linghai, heishan):
    """A small Jinzhou ledger: two named projects with a history, the enterprise contact's own
    project, and enough others across three areas and stages to fill two pages."""
    admin = users["admin"]
    gutai = regions["210702"]
    wind_firm = EnterpriseFactory(name="国家电投东北公司", region=heishan)
    petro = EnterpriseFactory(name="中国石油锦州石化分公司", region=linghai)
    wind = project_services.create_project(
        admin,
        name="黑山400MW风电项目",
        enterprise=wind_firm,
        region=heishan,
        industry=industries["新能源"],
        level="municipal",
        total_investment_wan=Decimal("280000"),
        stage=Stage.SIGNED,
        stage_on=dt.date(2023, 3, 23),
    )
    needle_coke = project_services.create_project(
        admin,
        name="40万吨/年针状焦项目",
        enterprise=petro,
        region=linghai,
        industry=industries["石化及精细化工"],
        level="provincial",
        total_investment_wan=Decimal("350000"),
        stage=Stage.SIGNED,
        stage_on=dt.date(2022, 11, 1),
    )
    project_services.transition(needle_coke, Stage.REGISTERED, admin, on=dt.date(2022, 12, 1))
    own = ProjectFactory(
        name="颜料扩产项目",
        enterprise=own_enterprise,
        region=linghai,
        industry=industries["冶金及新材料"],
        total_investment_wan=Decimal("5000"),
        stage=Stage.NEGOTIATING,
    )
    areas = [linghai, heishan, gutai]
    kinds = [Stage.LEAD, Stage.SIGNED, Stage.CONSTRUCTION]
    names = list(industries.values())
    others = [
        ProjectFactory(
            name=f"锦州测试项目{n:02d}",
            enterprise=EnterpriseFactory(name=f"锦州测试企业{n:02d}有限公司", region=gutai),
            region=areas[n % 3],
            industry=names[n % len(names)],
            stage=kinds[(n // 3) % 3],
            total_investment_wan=Decimal(1000 * (n * 7 % 19 + 1)),
            signed_on=dt.date(2023, 1, 1) + dt.timedelta(days=n),
        )
        for n in range(1, 16)
    ]
    return {"wind": wind, "needle_coke": needle_coke, "own": own, "others": others}
