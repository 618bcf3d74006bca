"""The ledger in a browser: filters that swap the results in place, a project page, a stage move,
and an enterprise contact who sees only their own enterprise's projects."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from guanjia.core.amounts import format_yi
from guanjia.projects.models import Project
from guanjia.projects.stages import Stage

from .conftest import PAGE_SIZE, log_in, tr

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROWS = "#ledger-results table.ledger tbody tr"


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def column(page, index: int) -> list[str]:
    """The text of one column (1-based) of the result rows."""
    return [t.strip() for t in page.locator(f"{ROWS} td:nth-child({index})").all_inner_texts()]


def names(page) -> list[str]:
    """The project names of the result rows (without the tags beside them)."""
    return [t.strip() for t in page.locator(f"{ROWS} td:nth-child(1) a").all_inner_texts()]


def stage_label(stage: str) -> str:
    return tr(Stage(stage).label)


def test_filtering_by_region_and_stage_swaps_the_results_and_keeps_the_filters_in_the_url(
    page, shot, ledger, linghai
):
    log_in(page, "t_admin")
    expect(page.locator("#ledger-summary .count")).to_have_text("18")
    everything = page.locator("#ledger-summary .total").inner_text()
    expected = Project.objects.filter(region=linghai, stage=Stage.SIGNED)
    total = sum(p.total_investment_wan for p in expected)

    page.evaluate("window.sameDocument = true")  # gone if the whole page reloads
    page.select_option("#id_region", str(linghai.pk))
    page.wait_for_url(re.compile(rf"region={linghai.pk}"))
    page.select_option("#id_stage", Stage.SIGNED)
    page.wait_for_url(re.compile(r"stage=signed"))

    expect(page.locator("#ledger-summary .count")).to_have_text(str(expected.count()))
    expect(page.locator("#ledger-summary .total")).to_have_text(format_yi(total))
    assert page.locator("#ledger-summary .total").inner_text() != everything
    assert set(column(page, 3)) == {"凌海市"}
    assert set(column(page, 5)) == {stage_label(Stage.SIGNED)}
    assert sorted(names(page)) == sorted(p.name for p in expected)
    assert query(page)["region"] == [str(linghai.pk)] and query(page)["stage"] == ["signed"]
    # htmx swapped the results in: the page itself never reloaded.
    assert page.evaluate("window.sameDocument") is True
    expect(page.locator("#id_region")).to_have_value(str(linghai.pk))
    shot(page, "ledger-filtered")

    page.reload()  # the URL alone brings the same list back
    expect(page.locator("#ledger-summary .count")).to_have_text(str(expected.count()))
    expect(page.locator("#id_stage")).to_have_value("signed")


def test_searching_by_project_name_finds_the_project(page, shot, ledger):
    log_in(page, "t_admin")

    page.fill("#id_q", "针状焦")
    page.wait_for_url(re.compile(r"q=%E9%92%88"))  # 针, percent-encoded

    expect(page.locator("#ledger-summary .count")).to_have_text("1")
    expect(page.locator(ROWS)).to_have_count(1)
    assert names(page) == ["40万吨/年针状焦项目"]
    assert column(page, 2) == ["中国石油锦州石化分公司"]
    shot(page, "ledger-search")


def test_sorting_by_investment_and_paging_follow_the_amounts(page, shot, ledger):
    log_in(page, "t_admin")
    by_amount = [p.name for p in Project.objects.order_by("total_investment_wan", "id")]

    page.click("th a[data-sort=investment]")
    page.wait_for_url(re.compile(r"sort=investment"))
    expect(page.locator(ROWS).first).to_contain_text(by_amount[0])
    assert names(page) == by_amount[:PAGE_SIZE]
    expect(page.locator("#id_sort")).to_have_value("investment")

    page.click("th a[data-sort=investment]")  # a second click turns the order round
    page.wait_for_url(re.compile(r"sort=-investment"))
    expect(page.locator(ROWS).first).to_contain_text(by_amount[-1])
    assert names(page) == by_amount[::-1][:PAGE_SIZE]

    page.click(".pagination a[rel=next]")
    page.wait_for_url(re.compile(r"page=2"))
    expect(page.locator(".pagination")).to_contain_text("2")
    expect(page.locator(ROWS).first).to_contain_text(by_amount[::-1][PAGE_SIZE])
    assert names(page) == by_amount[::-1][PAGE_SIZE:]
    assert query(page)["sort"] == ["-investment"]
    expect(page.locator("#ledger-summary .count")).to_have_text("18")
    shot(page, "ledger-page-2")


def test_a_project_page_shows_facts_timeline_and_history_and_takes_a_stage_move(page, shot, ledger):
    log_in(page, "t_admin")
    # Searching as one types is the list test's; here the search is in the address, so that
    # no htmx swap (the search box's change event fires when the click blurs it) races the
    # click on the result.
    page.goto("/projects/?q=风电")
    with page.expect_navigation(url=re.compile(rf"/projects/{ledger['wind'].pk}/$")):
        page.get_by_role("link", name="黑山400MW风电项目").click()

    assert page.url.endswith(f"/projects/{ledger['wind'].pk}/")
    expect(page.locator("h1")).to_contain_text("黑山400MW风电项目")
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("国家电投东北公司")
    expect(facts).to_contain_text("黑山县")
    expect(facts).to_contain_text("新能源")
    expect(page.locator("dd.total-investment")).to_contain_text("28.00")
    current = page.locator("ol.timeline li[aria-current=step]")
    expect(current).to_contain_text(stage_label(Stage.SIGNED))
    expect(current).to_contain_text("2023-03-23")
    expect(page.locator("ol.timeline li")).to_have_count(len(Stage.values) - 1)
    expect(page.locator("section.history tbody tr")).to_have_count(1)

    page.select_option("#id_to_stage", Stage.REGISTERED)
    page.fill("#id_on", "2023-05-10")
    page.fill("#id_evidence", "营业执照 91210726MA0000001")
    with page.expect_navigation():
        page.get_by_role("button", name=tr("Record the move")).click()

    expect(page.locator(".messages")).to_contain_text(stage_label(Stage.REGISTERED))
    current = page.locator("ol.timeline li[aria-current=step]")
    expect(current).to_contain_text(stage_label(Stage.REGISTERED))
    expect(current).to_contain_text("2023-05-10")
    signed = page.locator("ol.timeline li.done")
    expect(signed).to_have_count(1)
    expect(signed).to_contain_text("2023-03-23")
    expect(page.locator("h1 .tag.stage-registered")).to_have_text(stage_label(Stage.REGISTERED))
    expect(page.locator("table.stage-changes tbody tr")).to_have_count(2)
    expect(page.locator("table.stage-changes")).to_contain_text("营业执照 91210726MA0000001")
    expect(page.locator("section.history tbody tr")).to_have_count(2)
    expect(page.locator("section.history")).to_contain_text("t_admin")
    shot(page, "project-after-move")
    assert Project.objects.get(pk=ledger["wind"].pk).stage == Stage.REGISTERED


def test_an_enterprise_contact_follows_its_own_project_not_the_ledger(page, shot, ledger):
    log_in(page, "t_enterprise")

    assert page.url.endswith("/requests/")  # an enterprise contact starts at the direct line
    # The ledger is the bureau's list: not in its menu, refused at its address.
    expect(page.locator("nav.mainnav")).not_to_contain_text(tr("Project ledger"))
    expect(page.locator("nav.mainnav")).not_to_contain_text(tr("Import"))
    assert page.goto("/projects/").status == 403
    # Its own project, from its company page.
    page.goto(f"/enterprises/{ledger['own'].enterprise_id}/")
    page.get_by_role("link", name="颜料扩产项目").click()
    expect(page.locator("h1")).to_contain_text("颜料扩产项目")
    expect(page.get_by_role("link", name=tr("Edit"))).to_have_count(0)
    shot(page, "project-enterprise-contact")

    response = page.goto(f"/projects/{ledger['wind'].pk}/")
    assert response.status == 404
