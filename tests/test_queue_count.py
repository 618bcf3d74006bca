"""The queue counts a page's worth ahead, not every request of the scope, and still pages on."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from guanjia.requests import queue
from guanjia.requests.loading import load_categories
from guanjia.requests.models import Category, ServiceRequest, Status

pytestmark = pytest.mark.django_db


def _open(enterprise, n: int) -> None:  # type: ignore[no-untyped-def]
    load_categories()
    now = timezone.now()
    ServiceRequest.objects.bulk_create(
        ServiceRequest(
            number=f"QC{i:06d}",
            enterprise=enterprise,
            region=enterprise.region,
            category=Category.objects.first(),
            title="施工许可证办理",
            text="请协调。",
            submitted_at=now - dt.timedelta(hours=i),
            status=Status.HANDLING,
            due_at=now + dt.timedelta(hours=i),
        )  # fmt: skip
        for i in range(n)
    )


def test_the_count_stops_ahead_and_the_next_pages_stay_reachable(own_enterprise):
    _open(own_enterprise, 40)
    qs = ServiceRequest.objects.order_by("due_at")
    first = queue.QueuePaginator(qs, 5, number=1, ahead=10)
    assert (first.count, first.capped, first.upto) == (16, True, 15)
    assert first.page(1).has_next()
    # Page 5 counts ahead from where it is: pages 6 and 7 are there, and so is page 8.
    fifth = queue.QueuePaginator(qs, 5, number=5, ahead=10)
    assert (fifth.count, fifth.capped) == (36, True) and fifth.page(5).has_next()
    last = queue.QueuePaginator(qs, 5, number=8, ahead=10)
    assert (last.count, last.capped, last.num_pages) == (40, False, 8)
    assert [sr.number for sr in last.page(8)] == [f"QC{i:06d}" for i in range(35, 40)]
    exact = queue.QueuePaginator(qs, 5, number=1)
    assert (exact.count, exact.capped) == (40, False)


def test_the_queue_page_says_more_than(client, users, own_enterprise, monkeypatch, settings):
    settings.GUANJIA_PAGE_SIZE = 5
    monkeypatch.setattr(queue, "COUNT_AHEAD", 10)
    _open(own_enterprise, 40)
    client.force_login(users["admin"])
    page = client.get(reverse("requests:queue"), {"queue": "area", "page": 2})
    assert page.status_code == 200
    assert page.context["page"].paginator.capped
    text = page.content.decode()
    assert '<strong class="count">20</strong>' in text  # more than 2 pages + 10 ahead
    assert 'rel="next"' in text and 'rel="last"' not in text
    whole = client.get(reverse("requests:queue"), {"queue": "area", "page": 8})
    assert not whole.context["page"].paginator.capped
    assert whole.context["page"].paginator.count == 40
    assert 'rel="next"' not in whole.content.decode()
