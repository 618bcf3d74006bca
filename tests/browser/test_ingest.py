"""Ingest in a browser: paste a report of a matchmaking conference, see every figure highlighted
in its sentence, correct and accept the event and a signing; the ledger gets them once."""

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import expect

from guanjia.events.models import Event, Signing
from guanjia.ingest.models import IngestedDocument, Kind, Status

from .conftest import log_in, tr

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTICLE = Path(__file__).resolve().parents[1] / "data" / "ingest" / "2024-09-matchmaking.txt"


def test_paste_review_and_accept(live_server, page, shot, users, regions):
    log_in(page, "t_admin")
    page.goto("/ingest/")
    page.fill("#id_text", ARTICLE.read_text(encoding="utf-8"))
    with page.expect_navigation():
        page.get_by_role("button", name=tr("Read", "read a text")).click()
    document = IngestedDocument.objects.get()
    expect(page).to_have_url(f"{live_server.url}/ingest/{document.pk}/")

    # Every figure of the event is highlighted inside its sentence.
    text = page.locator(".ingest-text .doc")
    for written in ("9月10日", "二十一个", "一百零六家", "18个", "286亿元"):
        expect(text.locator("mark.figure", has_text=written).first).to_be_visible()
    event_p = document.proposals.get(kind=Kind.EVENT)
    card = page.locator(f"#proposal-{event_p.pk}")
    card.hover()
    expect(text.locator("mark.active").first).to_be_visible()
    shot(page, "ingest-review")

    # The reviewer corrects the name and accepts.
    card.locator("input[name=f_name]").fill("2024锦州市央地合作项目对接会(第二届)")
    with page.expect_navigation():
        card.get_by_role("button", name=tr("Accept", "accept a proposal")).click()
    expect(page.locator(f"#proposal-{event_p.pk}")).to_have_class("card proposal status-accepted")
    event = Event.objects.get()
    assert (event.date, event.name) == (
        dt.date(2024, 9, 10),
        "2024锦州市央地合作项目对接会(第二届)",
    )

    # A signing: accepted into the event, through the counting rule.
    signing_p = document.proposals.filter(kind=Kind.SIGNING).order_by("position").first()
    with page.expect_navigation():
        page.locator(f"#proposal-{signing_p.pk}").get_by_role(
            "button", name=tr("Accept", "accept a proposal")
        ).click()
    signing = Signing.objects.get()
    assert signing.event == event and signing.is_first

    # Reject the running total; then paste the same article again: no new proposals.
    # Rejecting asks for a reason and a ticked box (no JavaScript needed: a <details> form).
    total_p = document.proposals.filter(kind=Kind.TOTAL).first()
    card = page.locator(f"#proposal-{total_p.pk}")
    card.locator("summary").click()
    card.get_by_label(tr("Reason")).fill("与签约项目重复")
    card.get_by_label(tr("Yes, reject this proposal")).check()
    with page.expect_navigation():
        card.get_by_role("button", name=tr("Reject"), exact=True).click()
    total_p.refresh_from_db()
    assert (total_p.status, total_p.note) == (Status.REJECTED, "与签约项目重复")
    page.goto("/ingest/")
    page.fill("#id_text", ARTICLE.read_text(encoding="utf-8"))
    with page.expect_navigation():
        page.get_by_role("button", name=tr("Read", "read a text")).click()
    assert IngestedDocument.objects.count() == 1
    assert Event.objects.count() == 1 and Signing.objects.count() == 1


def test_review_on_a_phone(live_server, phone, shot, users, regions):
    log_in(phone, "t_steward")
    phone.goto("/ingest/")
    phone.fill("#id_text", ARTICLE.read_text(encoding="utf-8"))
    with phone.expect_navigation():
        phone.get_by_role("button", name=tr("Read", "read a text")).click()
    wide = phone.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 376)"
        ".map(e => e.tagName + '.' + e.className).slice(0, 8)"
    )
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375 + 1, wide
    shot(phone, "ingest-review-phone")
