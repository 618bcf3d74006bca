"""Every scope's queue page is read off an index in its order, not sorted whole, and its
count stops after a page's worth ahead; the stalled lists read their own partial indexes.

PostgreSQL only: the plan is PostgreSQL's (bench/requests.py and bench/ledger.py --scopes show
it at scale). A few thousand rows with `enable_seqscan = off` stand in for a million.
"""

import datetime as dt
import json

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


def _requests(enterprise, n: int, department=None) -> None:  # type: ignore[no-untyped-def]
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
            department=department if i % 20 == 0 else None,
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


def _plan(qs) -> tuple[set[str], list[int], set[str]]:  # type: ignore[no-untyped-def]
    """The indexes a plan reads, the rows each Sort is fed (estimated) and the tables it
    scans sequentially."""
    nodes, todo = [], [json.loads(qs.explain(format="json"))[0]["Plan"]]
    while todo:
        node = todo.pop()
        nodes.append(node)
        todo += node.get("Plans", [])
    indexes = {n["Index Name"] for n in nodes if "Index Name" in n}
    sorts = [int(c["Plan Rows"]) for n in nodes if "Sort" in n["Node Type"] for c in n["Plans"]]
    seq = {n["Relation Name"] for n in nodes if n["Node Type"] == "Seq Scan"}
    return indexes, sorts, seq


# The open set's partial indexes: in the page's order, or (when the statistics the tests
# before this one left make the planner expect few open rows) another of them, top-N sorted.
OPEN_DUE = "request_open_due request_open_due_desc request_open_submitted"
DEPARTMENT_FK = "requests_servicerequest_department_id_81f31551"


def _analyzed() -> None:
    with connection.cursor() as cur:
        cur.execute("ANALYZE requests_servicerequest, regions_region, accounts_department")
        cur.execute("SET LOCAL enable_seqscan = off")


@pytest.mark.parametrize(
    ("who", "params", "index"),
    [
        ("admin", {"queue": "area", "sort": "-due"}, "request_open_due_desc"),
        ("admin", {"queue": "area", "sort": "-submitted"}, "request_open_submitted"),
        ("admin", {"queue": "area", "sort": "submitted"}, "request_open_submitted"),
        # An area's queues: off the open-queue index in order (either direction's: the
        # descending one read backwards is the same order), or (when the planner expects few
        # rows) off the area's index and top-N sorted; never the whole open set sorted. Which
        # one depends on the statistics the tests before this one left: all are fine.
        ("official", {"queue": "area"}, f"{OPEN_DUE} request_area_q"),
        ("official", {"queue": "late"}, f"{OPEN_DUE} request_area_q"),
        ("leader", {"queue": "late"}, f"{OPEN_DUE} request_area_q"),
        # A department's: its open-queue index, or its few rows off the department's own
        # index and top-N sorted.
        ("handler", {"queue": "department"}, f"request_dept_open_due {DEPARTMENT_FK}"),
    ],
)
def test_each_scope_and_order_reads_its_index_in_order(users, own_enterprise, who, params, index):
    department = users["handler"].department
    _requests(own_enterprise, 3000, department)
    _analyzed()
    _query, qs = queue.queue(users[who], params, timezone.now())
    page = queue.page_rows(qs)[: settings.GUANJIA_PAGE_SIZE]
    indexes, sorts, seq = _plan(page)
    assert set(index.split()) & indexes, (indexes, sorts)
    assert all(rows <= 100 for rows in sorts), sorts  # never the scope's whole open set
    assert "requests_servicerequest" not in seq
    rows = list(page)
    assert rows and all(sr.status in OPEN_STATUSES for sr in rows)
    if params.get("sort") == "-due":
        dues = [sr.due_at for sr in rows if sr.due_at]
        assert dues == sorted(dues, reverse=True) and rows[-1].due_at is not None


def test_the_page_count_stops_a_page_ahead(users, own_enterprise):
    """The queue's count reads at most COUNT_AHEAD rows past the page, off the page's own
    index: a LIMITed subquery, whatever the scope's size."""
    _requests(own_enterprise, 3000)
    _analyzed()
    _query, qs = queue.queue(users["admin"], {"queue": "area"}, timezone.now())
    paginator = queue.QueuePaginator(qs, 25, number=1, ahead=100)
    counted = qs.values("pk")[: paginator.upto + 1]
    plan = json.loads(counted.explain(format="json"))[0]["Plan"]
    assert plan["Node Type"] == "Limit", plan
    indexes, sorts, seq = _plan(counted)
    assert "request_open_due" in indexes and not sorts and not seq, (indexes, sorts, seq)
    assert paginator.count == 126 and paginator.capped


def _projects(enterprise, n: int) -> None:  # type: ignore[no-untyped-def]
    from guanjia.projects.models import Project
    from guanjia.projects.stages import Stage

    stages = [Stage.SIGNED, Stage.REGISTERED, Stage.APPROVALS, Stage.CONSTRUCTION, Stage.LEAD]
    start = dt.date(2020, 1, 1)
    Project.objects.bulk_create(
        Project(
            name=f"计划项目{i:05d}",
            enterprise=enterprise,
            region=enterprise.region,
            stage=stages[i % len(stages)],
            total_investment_wan=1000,
            lead_on=start,
            signed_on=start + dt.timedelta(days=i % 700),
            registered_on=start + dt.timedelta(days=i % 700 + 30),
            construction_on=start + dt.timedelta(days=i % 700 + 60),
        )  # fmt: skip
        for i in range(n)
    )


@pytest.mark.parametrize("who", ["admin", "official"])
@pytest.mark.parametrize(
    ("kind", "index"),
    [
        ("signed_not_registered", "project_stall_signed"),
        ("registered_not_started", "project_stall_registered"),
        ("started_not_completed", "project_stall_started"),
    ],
)
def test_a_stalled_list_reads_its_own_index_in_order(users, own_enterprise, who, kind, index):
    from guanjia.projects import stalled
    from guanjia.projects.access import projects_for

    _projects(own_enterprise, 3000)
    with connection.cursor() as cur:
        cur.execute("ANALYZE projects_project, regions_region")
        cur.execute("SET LOCAL enable_seqscan = off")
    page = stalled.stalled(projects_for(users[who]), kind, timezone.localdate())[:25]
    indexes, sorts, seq = _plan(page)
    # The ledger's (stage, signed_on) index also gives the signed list in order; an area's
    # few projects (here all in one county) may come off its (region, stage) index, sorted.
    assert {index, "projects_pr_stage_c5e92a_idx", "projects_pr_region__1827b3_idx"} & indexes
    assert all(rows <= 100 for rows in sorts), sorts  # never the whole list sorted
    assert "projects_project" not in seq, seq
    since = [getattr(p, stalled.STALL_WATCH[kind][1]) for p in page]
    assert since and since == sorted(since)


def test_a_stewards_projects_are_two_index_scans_not_a_join(users, own_enterprise):
    """A steward's projects: theirs, or their enterprises' (ids), ORed off two indexes."""
    from guanjia.projects.access import projects_for
    from guanjia.testing.factories import EnterpriseFactory

    own_enterprise.steward = users["steward"]
    own_enterprise.save()
    _projects(own_enterprise, 30)
    _projects(EnterpriseFactory(region=own_enterprise.region), 3000)  # nobody's
    with connection.cursor() as cur:
        cur.execute("ANALYZE projects_project, enterprises_enterprise")
    qs = projects_for(users["steward"])
    indexes, _sorts, seq = _plan(qs.order_by().values("pk"))
    assert "projects_project" not in seq, indexes
    assert "enterprises_enterprise" not in str(qs.query), qs.query
    assert qs.count() == 30
