"""The whole 招商 path in a browser, driven only through the pages (issue 16, "Done when"):
bureau staff take a lead from first contact through negotiations to a signing at a planned
event with checked-in guests; months later a leader sees the event's follow-through count it.

Only the checks read the database; every change is made by clicking and typing as a user would.
The clock is moved with time-machine (as `--shift-days` does for the whole suite) to stand
"months later"; the live server runs in this process, so it reads the same moved clock.
"""

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import Page, expect

from guanjia.enterprises.models import Enterprise
from guanjia.events.followthrough import add_months
from guanjia.events.models import Event, Guest, Signing, SigningListRow
from guanjia.events.services import checkin_token
from guanjia.leads.models import Lead, Status
from guanjia.projects.models import Project
from guanjia.projects.stages import Stage

from .conftest import log_in, tr

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

INVESTOR = "中国华电集团新能源发展有限公司"
PROJECT = "华电凌海200MW渔光互补光伏项目"
EVENT = "凌海市新能源产业项目签约仪式"
# Words of the English catalogue that must not show on a page read in Chinese. The page's own
# names (investor, project, event) are Chinese; "PDF" and "Excel" are what the bureau calls them.
ALLOWED_LATIN = {"PDF", "Excel", "MW", "QR", "kVA", "tce"}


def english_on(page: Page) -> list[str]:
    """Latin words of three letters or more in the page's main content (the Chinese UI should
    have none but the allowed ones)."""
    text = re.sub(r"\bt_[a-z]+", "", page.locator("main").inner_text())  # the test accounts
    return [w for w in re.findall(r"[A-Za-z]{3,}", text) if w not in ALLOWED_LATIN]


def expect_chinese(page: Page) -> None:
    assert english_on(page) == [], f"English on {page.url}: {english_on(page)}"


def submit(page: Page, scope: str = "main form.stacked, main form") -> None:
    with page.expect_navigation():
        page.locator(scope).locator("button[type=submit]").last.click()


def test_a_lead_from_first_contact_to_a_signing_that_started(
    browser, live_server, page, users, linghai, industries, shot
):
    today = timezone.localdate()

    # --- bureau staff: the investor and the lead, typed once ----------------------------
    log_in(page, "t_admin")
    page.goto("/leads/new/")
    expect_chinese(page)
    page.fill("#id_new_investor", INVESTOR)
    page.fill("#id_new_home_city", "北京市")
    page.fill("#id_new_group", "华电")
    page.select_option("#id_new_ownership", "central_soe_sub")
    page.fill("#id_name", PROJECT)
    page.select_option("#id_industry", label="新能源")
    page.fill("#id_investment_wan", "12亿元")
    page.fill("#id_land_mu", "3000")
    page.select_option("#id_source", "central_soe")
    page.select_option("#id_region", str(linghai.pk))
    with page.expect_navigation():
        page.get_by_role("button", name=tr("Save")).click()
    lead = Lead.objects.get(name=PROJECT)
    assert page.url.endswith(f"/leads/{lead.pk}/")
    assert lead.investor.name == INVESTOR and lead.investment_wan == Decimal(120000)
    expect(page.locator("h1")).to_contain_text(tr("Lead"))
    expect_chinese(page)

    # --- first contact, negotiation records, 实质性洽谈 ------------------------------------
    with page.expect_navigation():
        page.get_by_role("button", name=tr("First contact"), exact=True).click()
    expect(page.locator("h1 .tag")).to_have_text(tr("First contact"))
    for n, (kind, outcome) in enumerate(
        [
            ("call", "对方有意在凌海布局光伏项目，约定来访"),
            ("visit_received", "实地踏勘渔光互补用地"),
        ]
    ):
        with page.expect_navigation():
            page.get_by_role("link", name=tr("Record a negotiation")).click()
        expect_chinese(page)
        page.select_option("#id_kind", kind)
        page.fill("#id_date", (today - dt.timedelta(days=1 - n)).isoformat())
        page.fill("#id_our_side", "市招商局 王科长")
        page.fill("#id_their_side", "华电新能源 李总")
        page.fill("#id_outcome", outcome)
        page.fill("#id_next_follow_up_on", (today + dt.timedelta(days=7)).isoformat())
        with page.expect_navigation():
            page.get_by_role("button", name=tr("Save")).click()
    expect(page.locator("article.record")).to_have_count(2)
    expect(page.locator("article.record").first).to_contain_text("实地踏勘渔光互补用地")
    with page.expect_navigation():
        page.get_by_role("button", name=tr("Negotiate"), exact=True).click()
    expect(page.locator("h1 .tag")).to_have_text(tr("In negotiation"))
    lead.refresh_from_db()
    assert lead.status == Status.NEGOTIATING and lead.last_contact_on == today
    shot(page, "path-lead-negotiating")

    # --- the event: planned, started, the investor invited and checked in ---------------
    page.goto("/events/new/")
    expect_chinese(page)
    page.fill("#id_name", EVENT)
    page.fill("#id_date", today.isoformat())
    page.select_option("#id_region", str(linghai.pk))
    page.fill("#id_location", "凌海市政务服务中心三楼会议室")
    page.fill("#id_organiser", "凌海市人民政府")
    page.fill(
        "#id_agenda", "09:00 | 开幕致辞 | 市长\n09:20 | 项目推介 | 招商局\n10:00 | 集中签约 |"
    )
    with page.expect_navigation():
        page.get_by_role("button", name=tr("Save")).click()
    event = Event.objects.get(name=EVENT)
    assert [a.title for a in event.agenda.all()] == ["开幕致辞", "项目推介", "集中签约"]
    expect(page.locator("main")).to_contain_text("凌海市政务服务中心三楼会议室")
    expect_chinese(page)

    with page.expect_navigation():
        page.get_by_role("button", name=tr("start the event")).click()
    event.refresh_from_db()
    assert event.status == "ongoing"
    with page.expect_navigation():
        page.get_by_role("link", name=tr("Guest list"), exact=True).click()
    page.fill("#id_invite-enterprise", INVESTOR)
    with page.expect_navigation():
        page.get_by_role("button", name=tr("Invite"), exact=True).click()
    guest = Guest.objects.get(event=event, enterprise__name=INVESTOR)
    assert guest.city == "北京市"  # the investor's home city, typed once with the investor
    row = page.locator(f"#guest-{guest.pk}")
    row.locator("summary").click()
    row.locator("input[name=name]").fill("李明远")
    row.locator("input[name=title]").fill("总经理")
    with page.expect_navigation():
        row.get_by_role("button", name=tr("Add"), exact=True).click()
    expect_chinese(page)
    for step in ("accepted", "check in"):  # the RSVP, then the check-in by hand on the day
        with page.expect_navigation():
            page.locator(f"#guest-{guest.pk}").get_by_role(
                "button", name=tr(step), exact=True
            ).click()
    expect(page.locator(f"#guest-{guest.pk}")).to_contain_text(tr("Checked in"))
    expect(page.locator("#guests-checked-in .value")).to_have_text("1")
    # The guest's QR code, and the page its signed link opens on a steward's phone: scanning
    # it after the check-in by hand says so and changes nothing.
    qr = page.locator(f"#guest-{guest.pk}").get_by_role("link", name=tr("QR code"))
    response = page.request.get(qr.get_attribute("href") or "")
    assert response.ok and response.headers["content-type"].startswith("image/svg+xml")
    guest.refresh_from_db()
    checked_in_at = guest.checked_in_at
    page.goto(f"/events/{event.pk}/checkin/{checkin_token(guest)}/")
    expect(page.locator("#checkin-enterprise")).to_have_text(INVESTOR)
    expect(page.locator("#checkin-done")).to_contain_text(tr("Already checked in at"))
    expect(page.locator("main")).to_contain_text("李明远")
    expect_chinese(page)
    guest.refresh_from_db()
    assert guest.checked_in_at == checked_in_at

    # --- the lead on the event's signing list, confirmed 已签 at the ceremony -----------
    page.goto(f"/leads/{lead.pk}/")
    page.select_option("#signing-lists select[name=event]", str(event.pk))
    with page.expect_navigation():
        page.get_by_role("button", name=tr("Put on the signing list")).click()
    assert page.url.endswith(f"/events/{event.pk}/signings/")
    expect_chinese(page)
    listed = SigningListRow.objects.get(event=event)
    row = page.locator(f"#row-{listed.pk}")
    expect(row).to_contain_text(PROJECT)
    expect(row).to_contain_text(linghai.name)
    expect(row).to_contain_text(INVESTOR)
    expect(row).to_contain_text(tr("To be signed"))
    with page.expect_navigation():
        row.get_by_role("button", name=tr("signed"), exact=True).click()
    expect(page.locator(f"#row-{listed.pk}")).to_contain_text(tr("Signed", "a signing-list row"))
    shot(page, "path-signing-list")

    # --- the lead signed: it continues the project the ceremony signed ------------------
    page.goto(f"/leads/{lead.pk}/")
    steps = page.locator(".card.steps")
    steps.get_by_label(tr("I confirm")).first.check()
    with page.expect_navigation():
        steps.get_by_role("button", name=tr("Sign"), exact=True).click()
    expect(page.locator("h1 .tag")).to_have_text(tr("Signed"))
    expect_chinese(page)
    lead.refresh_from_db()
    project = Project.objects.get(name=PROJECT)
    # Nothing typed twice: one investor, one project with the lead's facts, one signing (the
    # ceremony's), counted at the event.
    assert Enterprise.objects.filter(name=INVESTOR).count() == 1
    assert lead.status == Status.SIGNED and lead.project == project
    assert project.enterprise == lead.investor and project.region == linghai
    assert project.total_investment_wan == Decimal(120000)
    assert project.industry == industries["新能源"] and project.stage == Stage.SIGNED
    signing = Signing.objects.get(project=project)
    assert signing.event == event and signing.is_first and signing.signed_on == today
    assert signing.amount_wan == Decimal(120000)
    with page.expect_navigation():
        page.get_by_role("link", name=PROJECT, exact=True).click()
    assert page.url.endswith(f"/projects/{project.pk}/")
    expect_chinese(page)

    # The event is over: closed on its page.
    page.goto(f"/events/{event.pk}/")
    with page.expect_navigation():
        page.get_by_role("button", name=tr("close the event")).click()
    event.refresh_from_db()
    assert event.status == "finished"

    # --- months later: the project registers, then starts, in the ledger ------------------
    for months, stage in ((1, Stage.REGISTERED), (2, Stage.CONSTRUCTION)):
        with time_machine.travel(add_months(today, months), tick=True):
            log_in(page, "t_admin")
            page.goto(f"/projects/{project.pk}/")
            move = page.locator("#move")
            move.locator("select[name=to_stage]").select_option(stage)
            with page.expect_navigation():
                move.get_by_role("button", name=tr("Record the move")).click()
            project.refresh_from_db()
            assert project.stage == stage, page.locator("main").inner_text()[:500]

    # --- a leader, seven months after the day, sees the follow-through count it ----------
    with time_machine.travel(add_months(today, 7), tick=True):
        leader = browser.new_context(base_url=live_server.url, locale="zh-CN")
        view = leader.new_page()
        view.set_default_timeout(10_000)
        log_in(view, "t_leader")
        view.goto(f"/events/{event.pk}/")
        panel = view.locator("#followthrough")
        expect(panel).to_be_visible()
        expect(view.locator("#ft-registered .muted")).to_have_text("1 / 1")
        expect(view.locator("#ft-started .muted")).to_have_text("1 / 1")
        expect(view.locator("#ft-started .value")).to_contain_text("100")
        expect(view.locator("#ft-operating .muted")).to_have_text("0 / 1")
        over_time = view.locator("#ft-over-time tbody tr")
        expect(over_time).to_have_count(3)
        # Started two months after the day: counted at 3 and 6 months; 12 has not come yet.
        expect(view.locator("#ft-over-time tr[data-months='3']")).to_contain_text("1")
        expect(view.locator("#ft-over-time tr[data-months='12']")).to_contain_text(tr("not yet"))
        expect(view.locator("#ft-laggards")).to_have_count(0)  # no laggard: it has started
        view.wait_for_selector("#ft-chart.drawn canvas")
        expect_chinese(view)
        shot(view, "path-event-followthrough")
        leader.close()
