"""Take the README's screenshots from a fresh demo: `.venv/bin/python docs/screenshots.py`.

1. Make a temporary SQLite database, migrate it and load the Jinzhou demo (about a minute).
2. Serve it with `guanjia runserver --noreload --insecure` on a free loopback port.
3. Log in as the demo admin in Debian's Chromium (Playwright, no browser download) and save
   docs/ledger.png, docs/project.png, docs/event.png, docs/service-figures.png; as the demo
   leader docs/cockpit.png (2023) and docs/targets.png; as the demo
   steward docs/requests-queue.png (1280 px wide); docs/mobile-ledger.png and, as the demo
   enterprise contact, docs/mobile-request.png (375 px), each cut at 1600 px high.
   The 招商 workbench: as the demo admin (bureau staff) docs/leads-board.png (the pipeline
   board) and docs/lead.png (a lead in negotiation with its negotiation records); as the demo
   leader docs/event-followthrough.png (the 2023-03-23 conference's follow-through panel); as
   the demo admin on a phone docs/mobile-board.png (375 px).
   Parks and land: as the demo admin docs/land-map.png (the land map, 招商地图); without
   logging in docs/portal.png (the public portal's land search, 找地: the plots of at least
   50 亩) and, in English on a phone, docs/mobile-portal.png (a plot's public card, 375 px).
4. Stop the server and remove the temporary database.

--db PATH reuses (or keeps) a database instead, which saves the demo load on a second run;
--only NAME,NAME saves only those screenshots (e.g. --only land-map,portal,mobile-portal).
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import Browser, Page, sync_playwright

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

from guanjia.demo import data  # noqa: E402  (plain data: no Django set-up needed)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
MAX_HEIGHT = 1600
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 800}
PROJECT = "国家电投黑山400MW风电项目"


def guanjia(*args: str) -> list[str]:
    """The `guanjia` command, run by this Python (the project's virtual environment)."""
    return [sys.executable, "-m", "guanjia", *args]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped (exit code {server.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310  (our own loopback URL)
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.3)
    raise SystemExit(f"the server did not answer at {url} within {timeout:.0f} s")


# The screenshots to save (--only); empty: all of them.
ONLY: set[str] = set()


def save(page: Page, name: str) -> Path | None:
    """The page from the top, as wide as the window and at most MAX_HEIGHT high."""
    if ONLY and name not in ONLY:
        return None
    width = page.viewport_size["width"] if page.viewport_size else DESKTOP["width"]
    height = min(page.evaluate("document.documentElement.scrollHeight"), MAX_HEIGHT)
    path = DOCS / f"{name}.png"
    page.screenshot(
        path=str(path), full_page=True, clip={"x": 0, "y": 0, "width": width, "height": height}
    )
    print(f"{path.relative_to(ROOT)}  {path.stat().st_size // 1024} KB")
    return path


def save_element(page: Page, selector: str, name: str) -> Path | None:
    """One element of the page (a panel), whole, with a little margin round it."""
    if ONLY and name not in ONLY:
        return None
    box = page.locator(selector).bounding_box()
    if box is None:
        raise SystemExit(f"{selector} is not on {page.url}")
    margin = 8
    path = DOCS / f"{name}.png"
    page.screenshot(
        path=str(path),
        full_page=True,
        clip={
            "x": max(box["x"] - margin, 0),
            "y": max(box["y"] - margin, 0),
            "width": box["width"] + 2 * margin,
            "height": min(box["height"] + 2 * margin, MAX_HEIGHT),
        },
    )
    print(f"{path.relative_to(ROOT)}  {path.stat().st_size // 1024} KB")
    return path


def open_lead_with_records(page: Page, least: int = 3) -> None:
    """The largest lead in negotiation with at least `least` negotiation records."""
    page.goto("/leads/?status=negotiating&sort=-investment")
    links = page.locator("table a[href^='/leads/']").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    hrefs = [h for h in links if h.rstrip("/").split("/")[-1].isdigit()]
    for href in hrefs:
        page.goto(href)
        if page.locator("article.record").count() >= least:
            return
    if not hrefs:
        raise SystemExit("no lead in negotiation in the demo")
    page.goto(hrefs[0])


def log_in(page: Page, username: str, password: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    if "/login/" in page.url:
        raise SystemExit(f"could not log in as {username}")


def take(base_url: str) -> None:
    admin = next(a for a in data.ACCOUNTS if a.username == "admin")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu"],
        )
        desktop = browser.new_context(base_url=base_url, locale="zh-CN", viewport=DESKTOP)
        page = desktop.new_page()
        log_in(page, admin.username, admin.password)
        page.goto("/projects/?sort=-investment")  # the largest projects, at every stage
        save(page, "ledger")

        page.goto(f"/projects/?q={quote(PROJECT)}")
        with page.expect_navigation():
            page.get_by_role("link", name=PROJECT, exact=True).click()
        save(page, "project")

        page.goto("/events/")
        with page.expect_navigation():
            page.get_by_role("link", name=data.CONFERENCE_NAME, exact=True).click()
        page.locator("#figure-investment").wait_for()
        save(page, "event")

        page.goto("/services/figures/?period=year")
        save(page, "service-figures")

        page.goto("/leads/board/")
        save(page, "leads-board")
        open_lead_with_records(page)
        save(page, "lead")

        leader = next(a for a in data.ACCOUNTS if a.username == "leader")
        board = browser.new_context(base_url=base_url, locale="zh-CN", viewport=DESKTOP)
        page = board.new_page()
        log_in(page, leader.username, leader.password)
        page.goto("/cockpit/?year=2023")  # the year of the two conferences
        page.wait_for_selector("html[data-cockpit-ready]", state="attached")
        page.wait_for_timeout(800)  # the charts' entry animation
        save(page, "cockpit")
        page.goto("/targets/")
        page.wait_for_timeout(800)
        save(page, "targets")
        page.goto("/events/")
        with page.expect_navigation():
            page.get_by_role("link", name=data.CONFERENCE_NAME, exact=True).click()
        page.locator("#ft-chart.drawn canvas").wait_for()
        page.wait_for_timeout(800)  # the chart's entry animation
        save_element(page, "#followthrough", "event-followthrough")

        steward = next(a for a in data.ACCOUNTS if a.username == "steward")
        desk = browser.new_context(base_url=base_url, locale="zh-CN", viewport=DESKTOP)
        page = desk.new_page()
        log_in(page, steward.username, steward.password)
        page.goto("/requests/?queue=stewarded")
        save(page, "requests-queue")

        phone = browser.new_context(
            base_url=base_url, locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True
        )
        page = phone.new_page()
        log_in(page, admin.username, admin.password)
        page.goto("/projects/?sort=-investment")
        save(page, "mobile-ledger")
        page.goto("/leads/board/")
        save(page, "mobile-board")

        contact = next(a for a in data.ACCOUNTS if a.username == "enterprise")
        page = phone.new_page()
        phone.clear_cookies()
        log_in(page, contact.username, contact.password)
        with page.expect_navigation():
            page.locator("table.queue a").first.click()
        save(page, "mobile-request")
        take_land(browser, base_url)
        browser.close()


def take_land(browser: Browser, base_url: str) -> None:
    """The land map as bureau staff see it; the public portal's land search and a plot's card."""
    admin = next(a for a in data.ACCOUNTS if a.username == "admin")
    staff = browser.new_context(base_url=base_url, locale="zh-CN", viewport=DESKTOP)
    page = staff.new_page()
    log_in(page, admin.username, admin.password)
    page.goto("/parks/map/")
    page.wait_for_selector("html[data-landmap-ready]", state="attached")
    page.wait_for_timeout(800)  # the map's entry animation
    # A click on the largest plot on offer drawn well inside the map opens its card.
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    xy = page.evaluate(
        "() => { var m = guanjiaLandMap, d = m.state.data, f = d.fields, c = m.chart;"
        " var w = c.getWidth(), h = c.getHeight(), best = null, size = -1;"
        " d.plots.forEach(function (r) {"
        "   if (r[f.indexOf('status')] !== 'available') return;"
        "   var p = c.convertToPixel({geoIndex: 0}, m.gcj(r[f.indexOf('lng')], r[f.indexOf('lat')]));"
        "   var mu = r[f.indexOf('area_mu')];"
        "   if (p[0] > 40 && p[0] < w - 40 && p[1] > 40 && p[1] < h - 40 && mu > size) {"
        "     best = p; size = mu; } });"
        " return best; }"
    )
    box = page.locator("#landmap-chart").bounding_box()
    if box is not None and xy is not None:
        page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])
        page.locator("#landmap-card").wait_for(state="visible")
    save(page, "land-map")

    public = browser.new_context(base_url=base_url, locale="zh-CN", viewport=DESKTOP)
    page = public.new_page()
    page.goto("/invest/plots/?min_mu=50&land_use=industrial")
    save(page, "portal")

    phone = browser.new_context(
        base_url=base_url, locale="en-GB", viewport=PHONE, is_mobile=True, has_touch=True
    )
    page = phone.new_page()
    page.goto("/invest/language/en/?next=/invest/plots/%3Fmin_mu%3D50")
    with page.expect_navigation():
        page.locator("ul.plots a").first.click()
    save(page, "mobile-portal")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="SQLite file to use and keep (made if missing)")
    parser.add_argument("--only", default="", help="comma-separated names to save (default all)")
    args = parser.parse_args()
    ONLY.update(n for n in args.only.split(",") if n)

    workdir = Path(tempfile.mkdtemp(prefix="guanjia-shots-"))
    db = args.db.resolve() if args.db else workdir / "guanjia.sqlite3"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        SQLITE_PATH=str(db),
        GUANJIA_VAR_DIR=str(workdir),
        DJANGO_SETTINGS_MODULE="guanjia.settings",
        DEBUG="false",
        TASKS_BACKEND="immediate",
    )
    server = None
    try:
        subprocess.run(guanjia("migrate", "--no-input", "-v", "0"), env=env, check=True)  # noqa: S603
        subprocess.run(guanjia("load_demo"), env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
        port = free_port()
        server = subprocess.Popen(  # noqa: S603
            guanjia("runserver", "--noreload", "--insecure", f"127.0.0.1:{port}"),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base_url = f"http://127.0.0.1:{port}"
        wait_until_up(f"{base_url}/login/", server)
        take(base_url)
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
