"""The lead list and the pipeline board read a constant number of SQL queries however many
leads there are (bench/leads.py times them at 200,000 leads; this only counts, on small data)."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guanjia.leads.models import LINE, Status
from guanjia.testing.factories import LeadFactory

pytestmark = pytest.mark.django_db

STATUSES = [*LINE, Status.PAUSED]


def _leads(n, users, linghai, start=0):  # type: ignore[no-untyped-def]
    for i in range(start, start + n):
        LeadFactory(
            name=f"意向项目{i:04d}号", region=linghai, owner=users["official"],
            status=STATUSES[i % len(STATUSES)],
        )  # fmt: skip


def _queries(client: Client, url: str) -> tuple[int, bytes]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content


@pytest.mark.parametrize("role", ["admin", "official"])
@pytest.mark.parametrize(
    "url",
    [
        reverse("leads:list"),
        reverse("leads:list") + "?page=2",
        reverse("leads:list") + "?status=lead&source=central_soe",
        reverse("leads:list") + "?q=意向项目",
        reverse("leads:board"),
    ],
)
def test_the_list_and_the_board_cost_the_same_queries_for_few_or_many_leads(
    users, linghai, settings, role, url
):
    settings.GUANJIA_PAGE_SIZE = 5
    client = Client()
    client.force_login(users[role])
    _leads(12, users, linghai)
    client.get(url)  # the first request of a session reads more (the session, the menu)
    few_warm, _ = _queries(client, url)  # the counts cached
    cache.clear()
    few_cold, _ = _queries(client, url)  # the counts computed
    _leads(40, users, linghai, start=12)
    cache.clear()
    many_cold, content = _queries(client, url)
    many_warm, _ = _queries(client, url)
    assert (many_warm, many_cold) == (few_warm, few_cold), url
    assert "意向项目".encode() in content
    if url == reverse("leads:board"):
        # The session, the user, the counts' version, the filters' owners, areas and
        # industries, then every column's cards in one query on PostgreSQL (one a column on
        # SQLite); cold, the five cached figures (four choices' ids and the columns' counts).
        cards = 1 if connection.features.supports_slicing_ordering_in_compound else len(STATUSES)
        assert (few_warm, few_cold) == (6 + cards, 11 + cards)


def test_the_board_shows_at_most_so_many_cards_a_column_with_the_count_and_a_link(
    users, linghai, monkeypatch
):
    from guanjia.leads import views

    monkeypatch.setattr(views, "BOARD_CARDS", 3)
    _leads(25, users, linghai)  # 5 a column
    client = Client()
    client.force_login(users["official"])
    response = client.get(reverse("leads:board"))
    lead_column = response.context["columns"][0]
    assert lead_column["count"] == 5
    assert len(lead_column["cards"]) == 3
    assert f"{reverse('leads:list')}?status=lead".encode() in response.content
    # Every card the official works offers its steps, each form posting for its own lead back
    # to the board (the forms are drawn once for the board, then given each card's action).
    assert all(card.steps for card in lead_column["cards"])
    html = response.content.decode()
    for card in lead_column["cards"]:
        assert f'<a href="{reverse("leads:detail", args=[card.pk])}">{card.name}</a>' in html
        for step in ("contact", "negotiate", "sign", "pause", "drop"):
            assert f'action="{reverse("leads:step", args=[card.pk, step])}"' in html
    offered = sum(
        len(card.steps) for column in response.context["columns"] for card in column["cards"]
    )
    assert html.count(f'name="next" value="{reverse("leads:board")}"') == offered
