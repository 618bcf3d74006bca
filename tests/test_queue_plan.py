"""The city-wide queue's first page is read off the open-queue index, not sorted whole.

PostgreSQL only: the plan is PostgreSQL's (bench/requests.py --explain shows it at scale).
"""

import datetime as dt

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from guanjia.requests import queue
from guanjia.requests.loading import load_categories
from guanjia.requests.models import OPEN_STATUSES, Category, ServiceRequest, Status

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's query plan"),
]


def _requests(enterprise, n: int) -> None:  # type: ignore[no-untyped-def]
    load_categories()
    category = Category.objects.first()
    now = timezone.now()
    ServiceRequest.objects.bulk_create(
        ServiceRequest(
            number=f"QP{i:06d}",
            enterprise=enterprise,
            region=enterprise.region,
            category=category,
            title="施工许可证办理",
            text="请协调。",
            submitted_at=now - dt.timedelta(hours=i),
            # One in ten open, as in the city (50,000 of 1,000,000 is one in twenty).
            status=OPEN_STATUSES[i % len(OPEN_STATUSES)] if i % 10 == 0 else Status.CLOSED,
            due_at=None if i % 70 == 0 else now + dt.timedelta(hours=(i * 37) % 500 - 250),
        )
        for i in range(n)
    )


@pytest.mark.parametrize("name", ["area", "late"])
def test_the_city_queue_first_page_reads_the_open_queue_index(users, own_enterprise, name):
    _requests(own_enterprise, 3000)
    with connection.cursor() as cur:
        cur.execute("ANALYZE requests_servicerequest, regions_region")
        cur.execute("SET LOCAL enable_seqscan = off")  # a few thousand rows: as at a million
    _query, qs = queue.queue(users["admin"], {"queue": name}, timezone.now())
    page = queue.page_rows(qs)[: settings.GUANJIA_PAGE_SIZE]
    plan = page.explain()
    assert "request_open_due" in plan, plan
    assert "Sort Key" not in plan, plan
    # And the page is the most urgent open requests: earliest deadline first, none last.
    rows = list(page)
    dues = [sr.due_at for sr in rows]
    assert all(sr.status in OPEN_STATUSES for sr in rows)
    assert [d for d in dues if d] == sorted(d for d in dues if d)
