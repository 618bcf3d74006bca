"""Requests benchmark on PostgreSQL: 1,000,000 requests (诉求), 50,000 of them open.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/requests.py
Options: --closed N --open N --due N --pages N --api-seconds S --clients N --skip-api --explain

It works in its own database, <name>_requests_bench next to DATABASE_URL's (a trailing
"_bench" in the name is dropped first, so .../test and .../test_bench both give
test_requests_bench). The closed requests are generated once, inside PostgreSQL, and reused by
later runs; the open ones are written again on every run (COPY), placed against the moment of
the run, so the escalation sweep always finds the same work: `--due` requests just past a
deadline. It measures

- the sweep acting on those marks, and a sweep with nothing due;
- a steward's queue page with ~70 open requests (Django's test client: middleware, session,
  templates), and the queries it takes for 10 and for 70 open requests;
- submissions through the API (POST /api/v1/requests with an enterprise contact's bearer
  token) against gunicorn with the database task worker running, from a few client threads;

and prints the figures, then one JSON line at the end. With --explain it prints the plans of
every scope's queue page (`SCOPES`: city admin, area official, leaders, a department handler,
a steward; the rows and the count) and fails unless each reads its intended index, with no
Seq Scan over the requests and no sort of a whole scope. With --scopes it times those pages
through the full request path, as they are and as they were before issue 19 item 3 (its
indexes dropped in a rolled-back transaction, the old count and picker), alternately;
--scopes-only stops there, --reuse-open keeps the last run's open requests.
"""

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

from benchlib import ROOT, bench_database, check_plan, pct, rolled_back, setup_django  # noqa: E402

STEWARDS = 687
DEPARTMENTS = 24
ENTERPRISES = 20_000
STATUS_MIX = {  # the open requests: share of each open status
    "submitted": 0.05,
    "accepted": 0.05,
    "dispatched": 0.15,
    "bounced": 0.03,
    "handling": 0.60,
    "awaiting_info": 0.12,
}
TITLES = [
    "项目用地规划条件出具慢",
    "厂区双回路供电接入",
    "施工许可证办理",
    "环评审批进度",
    "招商引资奖励兑现",
    "技术工人招聘难",
    "流动资金贷款续贷",
    "天然气管网接入",
]


# ----------------------------------------------------------------------------- people


def people() -> dict[str, Any]:
    """Stewards, area officials and leaders, a city admin and one enterprise contact."""
    from django.contrib.auth.hashers import make_password

    from guanjia.accounts.models import Department, Role, User
    from guanjia.enterprises.creditcode import make_code
    from guanjia.enterprises.models import Enterprise
    from guanjia.regions.models import Region

    city = Region.objects.get(code="210700")
    areas = list(
        Region.objects.filter(parent=city, abolished_on__isnull=True).order_by("sort_order")
    )
    have = set(User.objects.values_list("username", flat=True))
    new = []
    for i in range(1, STEWARDS + 1):
        name = f"bench_steward_{i:04d}"
        if name not in have:
            new.append(
                User(username=name, role=Role.STEWARD, region=areas[i % len(areas)],
                     display_name=f"管家{i:04d}", email=f"{name}@example.invalid",
                     password=make_password(None))
            )  # fmt: skip
    for area in areas:
        for role in (Role.AREA_OFFICIAL, Role.LEADER):
            name = f"bench_{role}_{area.code}"
            if name not in have:
                new.append(
                    User(username=name, role=role, region=area, password=make_password(None))
                )
    for name, role in (("bench_city_leader", Role.LEADER), ("bench_admin", Role.CITY_ADMIN)):
        if name not in have:
            new.append(User(username=name, role=role, region=city, password=make_password(None)))
    # Departments (their queues: dispatched to them, claimed or not), one handler each.
    named = set(
        Department.objects.filter(name__startswith="基准部门").values_list("name", flat=True)
    )
    Department.objects.bulk_create(
        Department(name=f"基准部门{i:02d}", region=areas[i % len(areas)])
        for i in range(DEPARTMENTS)
        if f"基准部门{i:02d}" not in named
    )
    departments = list(Department.objects.filter(name__startswith="基准部门").order_by("name"))
    for i, department in enumerate(departments):
        name = f"bench_handler_{i:02d}"
        if name not in have:
            new.append(
                User(username=name, role=Role.HANDLER, region=department.region,
                     department=department, password=make_password(None))
            )  # fmt: skip
    User.objects.bulk_create(new, batch_size=1000)
    stewards = list(User.objects.filter(username__startswith="bench_steward_").order_by("username"))
    count = Enterprise.objects.count()
    rng = random.Random(2023)
    Enterprise.objects.bulk_create(
        [
            Enterprise(
                name=f"锦州诉求基准企业{i:05d}有限公司",
                credit_code=make_code(f"91210700{i:09d}"),
                region=rng.choice(areas),
                steward=stewards[i % len(stewards)],
            )
            for i in range(count, ENTERPRISES)
        ],
        batch_size=5000,
    )
    first = Enterprise.objects.order_by("pk").first()
    assert first is not None
    contact, _ = User.objects.get_or_create(
        username="bench_contact",
        defaults={"role": Role.ENTERPRISE, "enterprise": first, "password": make_password(None)},
    )
    return {
        "stewards": stewards, "contact": contact, "enterprise": first, "departments": departments
    }  # fmt: skip


def reference_data() -> None:
    from django.utils import timezone

    from guanjia.industries.loading import load_industries
    from guanjia.regions.loading import load_regions
    from guanjia.requests.loading import load_categories
    from guanjia.worktime.loading import load_holidays

    load_regions()
    load_industries()
    load_categories()
    year = timezone.localdate().year
    load_holidays(list(range(year - 1, year + 2)))


# ----------------------------------------------------------------------------- requests


def _columns() -> tuple[list[str], dict[str, Any]]:
    """Every column of the request table but id, with the model's default for each."""
    from guanjia.requests.models import ServiceRequest

    columns: list[str] = []
    defaults: dict[str, Any] = {}
    for f in ServiceRequest._meta.concrete_fields:
        if f.primary_key:
            continue
        columns.append(str(f.column))
        defaults[str(f.column)] = None if f.null else f.get_default()
    return columns, defaults


def generate_closed(n: int) -> None:
    """n closed requests over the last year, generated inside PostgreSQL (core fields only:
    deadlines are approximate here, calendar days rather than working days)."""
    from django.db import connection

    from guanjia.requests.models import Category

    columns, defaults = _columns()
    computed = {
        "number": "'ZT' || to_char(s.sub AT TIME ZONE %(tz)s, 'YYYY') || lpad(s.id::text, 7, '0')",
        "enterprise_id": "e.id",
        "region_id": "e.region_id",
        "category_id": "(%(categories)s::int[])[1 + s.g %% %(n_categories)s]",
        "priority": "'general'",
        "title": "(%(titles)s::text[])[1 + s.g %% %(n_titles)s]",
        "text": "'请协调有关部门尽快办理。'",
        "source": "(ARRAY['web','web','web','open311','api','staff'])[1 + s.g %% 6]",
        "submitted_at": "s.sub",
        "status": "'closed'",
        "steward_id": "e.steward_id",
        "assignee_id": "e.steward_id",
        "dispatched_by_id": "e.steward_id",
        "dispatched_at": "s.sub + interval '2 hours'",
        "sign_started_at": "s.sub + interval '2 hours'",
        "clock_started_at": "s.sub + interval '2 hours'",
        "sign_due_at": "s.sub + interval '1 day 2 hours'",
        "reply_due_at": "s.sub + interval '3 days 2 hours'",
        "resolve_due_at": "s.sub + interval '7 days 2 hours'",
        "dispatch_round": "1",
        "signed_at": "s.sub + interval '4 hours'",
        "first_response_at": "s.sub + interval '4 hours'",
        "replied_at": "s.sub + interval '5 hours' + s.r1 * interval '8 days'",
        "answer": "'已协调办结。'",
        "on_time": "s.r1 * interval '8 days' <= interval '7 days' - interval '3 hours'",
        "closed_at": "s.sub + interval '1 day 5 hours' + s.r1 * interval '8 days'",
        "rating": "CASE WHEN s.r2 < 0.8 THEN 'satisfied' WHEN s.r2 < 0.95 THEN 'basically'"
        " ELSE 'unsatisfied' END",
        "rated_at": "s.sub + interval '1 day 5 hours' + s.r1 * interval '8 days'",
        "updated_at": "s.sub + interval '1 day 5 hours' + s.r1 * interval '8 days'",
    }
    params: dict[str, Any] = {
        "tz": "Asia/Shanghai",
        "categories": list(Category.objects.values_list("pk", flat=True)),
        "titles": TITLES,
        "n_titles": len(TITLES),
        "n": n,
    }
    params["n_categories"] = len(params["categories"])
    values = []
    for column in columns:
        if column in computed:
            values.append(computed[column])
        elif defaults[column] is None:
            values.append("NULL")
        else:
            params[f"d_{column}"] = defaults[column]
            values.append(f"%(d_{column})s")
    sql = f"""
        INSERT INTO requests_servicerequest (id, {", ".join(columns)})
        SELECT s.id, {", ".join(values)}
        FROM (
            SELECT nextval(pg_get_serial_sequence('requests_servicerequest', 'id')) AS id, g,
                   now() - interval '10 days' - random() * interval '355 days' AS sub,
                   random() ^ 1.6 AS r1, random() AS r2
            FROM generate_series(1, %(n)s) g
        ) s
        JOIN bench_enterprises e ON e.n = 1 + (s.g::bigint * 7919) %% (SELECT count(*) FROM bench_enterprises)
    """  # noqa: S608 (column names from the model; values are parameters)
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE bench_enterprises AS SELECT row_number() OVER (ORDER BY id) AS n,"
            " id, steward_id, region_id FROM enterprises_enterprise WHERE steward_id IS NOT NULL"
        )
        cur.execute("CREATE UNIQUE INDEX ON bench_enterprises (n)")
        cur.execute(sql, params)
        cur.execute("DROP TABLE bench_enterprises")


def clear_open() -> int:
    """Delete every request not closed (last run's open ones and API submissions)."""
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    from guanjia.notifications.models import Notification
    from guanjia.requests.models import Escalation, ServiceRequest

    through = Escalation.recipients.through._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE bench_gone AS SELECT id FROM requests_servicerequest"
            " WHERE status <> 'closed'"
        )
        gone = cur.rowcount
        # Fresh statistics first: last run's sweep grew the escalation tables from nothing,
        # and with the old estimates the planner loops over the temporary table per row.
        cur.execute("ANALYZE")
        cur.execute(
            f"DELETE FROM {through} WHERE escalation_id IN (SELECT id FROM requests_escalation"
            " WHERE request_id IN (SELECT id FROM bench_gone))"  # noqa: S608
        )
        relations = sorted(
            ServiceRequest._meta.related_objects,
            key=lambda r: r.related_model._meta.model_name != "attachment",
        )
        for rel in relations:
            table, column = rel.related_model._meta.db_table, rel.field.column
            if getattr(rel.on_delete, "__name__", "") == "CASCADE":
                cur.execute(
                    f"DELETE FROM {table} WHERE {column} IN (SELECT id FROM bench_gone)"  # noqa: S608
                )
            else:
                cur.execute(
                    f"UPDATE {table} SET {column} = NULL"  # noqa: S608
                    f" WHERE {column} IN (SELECT id FROM bench_gone)"
                )
        cur.execute("DELETE FROM requests_servicerequest WHERE id IN (SELECT id FROM bench_gone)")
        cur.execute("DROP TABLE bench_gone")
        # Notifications and queued tasks of earlier runs: each run starts from the same place.
        cur.execute(f"TRUNCATE {Notification._meta.db_table}, {DBTaskResult._meta.db_table}")
    return gone


def templates(now: dt.datetime, count: int, overdue: bool) -> list[dict[str, Any]]:
    """Open requests' clock fields for `count` distinct moments, computed with the calendar
    and `sla.reschedule`; `overdue` ones are just past a deadline nobody has acted on."""
    from guanjia.demo.requests_demo import working_back
    from guanjia.requests import sla
    from guanjia.requests.models import Category, ServiceRequest
    from guanjia.worktime.clock import WorkCalendar

    cal, mpd, rng = WorkCalendar.load(), WorkCalendar.load().minutes_per_day, random.Random(7)
    category = Category.objects.get(code="land")
    statuses = ["dispatched", "handling"] if overdue else list(STATUS_MIX)
    weights = [1, 1] if overdue else list(STATUS_MIX.values())
    found = []
    for _i in range(count):
        status = rng.choices(statuses, weights=weights)[0]
        priority = rng.choices(["general", "urgent", "complex"], weights=[85, 5, 10])[0]
        policy = sla.sla_for(category, priority)
        sr = ServiceRequest(
            status=status, priority=priority, sign_days=policy.sign_days,
            reply_days=policy.reply_days, resolve_days=policy.resolve_days,
            max_resolve_days=policy.max_resolve_days, dispatch_round=1,
        )  # fmt: skip
        f = rng.uniform(1.02, 1.5) if overdue else rng.uniform(0.02, 0.95)
        if status in ("submitted", "accepted"):
            sr.submitted_at = working_back(cal, now, rng.uniform(10, 2 * mpd))
            sr.dispatch_round = 0
        else:
            if status in ("dispatched", "bounced"):
                window = float(sr.sign_days) * mpd
                sr.dispatched_at = working_back(cal, now, f * window)
            else:
                window = float(sr.resolve_days) * mpd
                sr.dispatched_at = working_back(cal, now, f * window)
                sr.signed_at = sr.first_response_at = cal.add(sr.dispatched_at, 0.05 * window)
            sr.sign_started_at = sr.clock_started_at = sr.dispatched_at
            sr.submitted_at = working_back(cal, sr.dispatched_at, rng.uniform(10, 300))
            if status == "bounced":
                sr.status_before_bounce, sr.bounce_reason = "dispatched", "不属于本部门职责"
            if status == "awaiting_info":
                # Reschedule while the clock ran, then the pause: deadlines stay as they were.
                sr.status = "handling"
                sla.reschedule(sr, cal, now)
                sr.status = "awaiting_info"
                assert sr.signed_at is not None
                sr.paused_at = max(sr.signed_at, working_back(cal, now, rng.uniform(10, mpd)))
        sla.reschedule(sr, cal, now)
        due = sr.next_mark_at is not None and sr.next_mark_at <= now
        assert due == overdue, (status, f, sr.next_mark, sr.next_mark_at, now)
        found.append({k: v for k, v in vars(sr).items() if not k.startswith("_")})
    return found


def generate_open(
    n: int, due: int, stewards: list[Any], departments: list[Any], now: dt.datetime
) -> dict[str, Any]:
    """n open requests: `due` of them overdue; steward 1 holds 10, steward 2 holds 70, the
    rest are spread over the others. Of those others, the ones past dispatch are sent to a
    department of their area (about 1,500 a department), and three in ten of the dispatched
    ones wait there unclaimed (no assignee). Written with COPY."""
    from django.db import connection
    from django.utils import timezone

    from guanjia.enterprises.models import Enterprise
    from guanjia.requests.models import Category, ServiceRequest

    columns, defaults = _columns()
    fields = {f.column: f.attname for f in ServiceRequest._meta.concrete_fields}
    fine, late = templates(now, 400, False), templates(now, 40, True)
    rng = random.Random(11)
    categories = list(Category.objects.values_list("pk", flat=True))
    few, many, others = stewards[0], stewards[1], stewards[2:]
    firms: dict[int, list[tuple[int, int]]] = {}
    for pk, steward, region in Enterprise.objects.values_list("pk", "steward_id", "region_id"):
        firms.setdefault(steward, []).append((pk, region))
    holders = [few] * 10 + [many] * 70
    by_area: dict[int, list[int]] = {}
    for department in departments:
        by_area.setdefault(department.region_id, []).append(department.pk)
    sent = random.Random(13)  # its own sequence: the rows above stay what they were
    holders += [others[i % len(others)] for i in range(n - len(holders))]
    with connection.cursor() as cur:
        cur.execute(
            "SELECT nextval(pg_get_serial_sequence('requests_servicerequest', 'id'))"
            " FROM generate_series(1, %s)",
            [n],
        )
        ids = [row[0] for row in cur.fetchall()]
    rows = []
    for i, (pk, holder) in enumerate(zip(ids, holders, strict=True)):
        template = rng.choice(late if 80 <= i < 80 + due else fine)
        enterprise, region = rng.choice(firms[holder.pk])
        values = {
            **template,
            "enterprise_id": enterprise,
            "region_id": region,
            "category_id": rng.choice(categories),
            "title": rng.choice(TITLES),
            "text": "请协调有关部门尽快办理。",
            "source": "web",
            "steward_id": holder.pk,
            "assignee_id": holder.pk,
            "dispatched_by_id": holder.pk if template["dispatched_at"] else None,
            "updated_at": now,
        }
        if i >= 80 + due and template["status"] != "submitted" and template["status"] != "accepted":
            values["department_id"] = sent.choice(by_area.get(region) or [departments[0].pk])
            if template["status"] == "dispatched" and sent.random() < 0.3:
                values["assignee_id"] = None
        values["number"] = f"ZT{timezone.localtime(template['submitted_at']).year}{pk:07d}"
        row = [pk]
        for column in columns:
            value = values.get(fields[column])
            row.append(defaults[column] if value is None else value)
        rows.append(row)
    raw = connection.connection
    with (
        raw.cursor() as cur,
        cur.copy(f"COPY requests_servicerequest (id, {', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
    return {"few": few, "many": many}


def generate(closed: int, open_: int, due: int, reuse_open: bool = False) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from guanjia.requests.models import ServiceRequest

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    with transaction.atomic():
        reference_data()
        staff = people()
    have = ServiceRequest.objects.filter(status="closed").count()
    if have != closed:
        with connection.cursor() as cur:
            cur.execute("TRUNCATE requests_servicerequest CASCADE")
        with transaction.atomic():
            generate_closed(closed)
        print(f"{closed} closed requests in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    t1 = time.perf_counter()
    now = timezone.now()
    if reuse_open and ServiceRequest.objects.exclude(status="closed").count() == open_:
        # Only the pages are timed (--scopes-only): last run's open requests serve as they are.
        stewards = staff["stewards"]
        return staff | {"now": now, "few": stewards[0], "many": stewards[1]}
    with transaction.atomic():
        clear_open()
        staff |= generate_open(open_, due, staff["stewards"], staff["departments"], now)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    print(f"{open_} open requests in {time.perf_counter() - t1:.1f}s", file=sys.stderr)
    return staff | {"now": now}


# ----------------------------------------------------------------------------- measuring


def measure_sweep(now: dt.datetime) -> dict[str, Any]:
    from django.urls import reverse

    import guanjia.notifications.services  # noqa: F401 (imported as the worker has it)
    from guanjia.requests.escalation import sweep
    from guanjia.requests.models import Escalation, ServiceRequest

    # A running worker has its imports done and URLs resolved: so has this process first.
    reverse("requests:detail", args=[1])
    sweep(at=now - dt.timedelta(days=30))
    due = ServiceRequest.objects.filter(next_mark_at__lte=now).count()
    before = Escalation.objects.count()
    t0 = time.perf_counter()
    acted = sweep(at=now)
    first = time.perf_counter() - t0
    idle = []
    for _i in range(20):
        t0 = time.perf_counter()
        again = sweep(at=now)
        idle.append((time.perf_counter() - t0) * 1000)
        assert again == 0, again
    return {
        "due": due,
        "acted": acted,
        "escalations_written": Escalation.objects.count() - before,
        "seconds": round(first, 3),
        "ms_per_mark": round(first * 1000 / max(acted, 1), 2),
        "nothing_due_ms_p50": pct(idle, 0.5),
        "nothing_due_ms_max": round(max(idle), 1),
    }


def measure_queue(staff: dict[str, Any], n: int) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from guanjia.requests.models import OPEN_STATUSES, ServiceRequest

    url = reverse("requests:queue")
    out: dict[str, Any] = {"url": url}
    for key in ("few", "many"):
        client = Client()
        client.force_login(staff[key])
        open_count = ServiceRequest.objects.filter(
            assignee=staff[key], status__in=OPEN_STATUSES
        ).count()
        for _i in range(2):
            client.get(url)  # warm caches and the connection
        with CaptureQueriesContext(connection) as ctx:
            resp = client.get(url)
        assert resp.status_code == 200, resp.status_code
        row: dict[str, Any] = {"open": open_count, "queries": len(ctx.captured_queries)}
        if key == "many":
            times = []
            for _i in range(n):
                t0 = time.perf_counter()
                resp = client.get(url)
                times.append((time.perf_counter() - t0) * 1000)
                assert resp.status_code == 200
            row |= {"p50_ms": pct(times, 0.5), "p95_ms": pct(times, 0.95), "requests": n}
            second = client.get(url + "?page=2")
            row["page_2_status"] = second.status_code
        out[f"steward_{open_count}"] = row
    counts = [v["queries"] for k, v in out.items() if k.startswith("steward_")]
    out["constant_queries"] = len(set(counts)) == 1
    return out


# Every scope's queue pages: (case, username, query string, indexes the page's rows may be read
# off). A leader's "Overdue" is where their escalations are (the requests past a deadline in
# their area); the department handler's "Department queue" is its unclaimed requests.
AREA = "210781"  # 凌海市: an area official's and an area leader's scope
SCOPES: list[tuple[str, str, str, tuple[str, ...]]] = [
    ("city admin, my area", "bench_admin", "queue=area", ("request_open_due",)),
    ("city admin, overdue", "bench_admin", "queue=late", ("request_open_due",)),
    ("city admin, latest deadline first", "bench_admin", "queue=area&sort=-due",
     ("request_open_due_desc",)),
    ("city admin, newest first", "bench_admin", "queue=area&sort=-submitted",
     ("request_open_submitted",)),
    ("city admin, page 40", "bench_admin", "queue=area&page=40", ("request_open_due",)),
    ("area official, my area", f"bench_area_official_{AREA}", "queue=area",
     ("request_open_due",)),
    ("area official, overdue", f"bench_area_official_{AREA}", "queue=late",
     ("request_open_due", "request_area_q")),
    ("area leader, overdue (escalations)", f"bench_leader_{AREA}", "queue=late",
     ("request_open_due", "request_area_q")),
    ("city leader, overdue (escalations)", "bench_city_leader", "queue=late",
     ("request_open_due",)),
    ("handler, my department", "bench_handler_00", "queue=department",
     ("request_dept_open_due",)),
    ("handler, department queue (unclaimed)", "bench_handler_00", "queue=unclaimed",
     ("request_dept_open_due", "request_dept_q", "requests_servicerequest_department_id_81f31551")),
    ("steward, assigned to me (70)", "bench_steward_0002", "queue=mine",
     ("request_assignee_q",)),
    ("steward, my enterprises", "bench_steward_0002", "queue=stewarded",
     ("request_steward_q",)),
]  # fmt: skip
# The indexes this issue added: dropped (inside a transaction rolled back after) to time the
# pages as they were, alternately with the pages as they are.
NEW_INDEXES = ["request_open_due_desc", "request_open_submitted"]


def explain_scopes(verbose: bool = True) -> list[dict[str, Any]]:
    """The plan of each scope's first page (its rows, and its count) as the queue view asks for
    them; fails unless each reads its intended index, with no Seq Scan over the requests and
    no sort of a whole scope."""
    from urllib.parse import parse_qs

    from django.conf import settings
    from django.utils import timezone

    from guanjia.accounts.models import User
    from guanjia.requests import queue

    out = []
    tables = ("requests_servicerequest",)
    for case, username, params, indexes in SCOPES:
        user = User.objects.get(username=username)
        query = {k: v[0] for k, v in parse_qs(params).items()}
        _query, qs = queue.queue(user, query, timezone.now())
        page = int(query.get("page", 1))
        size = settings.GUANJIA_PAGE_SIZE
        rows = queue.page_rows(qs)[(page - 1) * size : page * size]
        paginator = queue.QueuePaginator(qs, size, number=page, ahead=queue.COUNT_AHEAD)
        counted = qs.values("pk")[: paginator.upto + 1]
        row = {
            "case": case,
            "rows": check_plan(rows.explain(format="json"), tables=tables, indexes=indexes),
            "count": check_plan(counted.explain(format="json"), tables=tables),
        }
        if verbose:
            print(f"EXPLAIN {case}: rows {row['rows']}; count {row['count']}", file=sys.stderr)
        out.append(row)
    bad = [r["case"] for r in out if not (r["rows"]["ok"] and r["count"]["ok"])]
    assert not bad, f"plans not as intended: {bad}"
    return out


@contextlib.contextmanager
def as_before(before: bool) -> Iterator[None]:
    """The pages as they were before this issue's changes when `before`: the exact count, the
    bulk dispatch's select drawn afresh on every page, and without the indexes it added
    (dropped in a transaction that is rolled back)."""
    from guanjia.requests import queue

    # Both variants in a transaction rolled back: the same conditions but for the change.
    ahead = queue.COUNT_AHEAD
    if before:
        queue.COUNT_AHEAD = 0
        queue.PICKER.cached = lambda _key, compute: compute()  # type: ignore[method-assign]
    try:
        with rolled_back(NEW_INDEXES if before else ()):
            yield
    finally:
        queue.COUNT_AHEAD = ahead
        if before:
            del queue.PICKER.cached


def measure_scopes(n: int, rounds: int, n_before: int) -> dict[str, Any]:
    """Each scope's queue page through the full request path (test client), after and before
    alternately (A/B/A/B…), `rounds` times each; p50/p95 of all of a variant's requests."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from guanjia.accounts.models import User

    url = reverse("requests:queue")
    clients = {}
    for _case, username, _params, _indexes in SCOPES:
        if username not in clients:
            clients[username] = Client()
            clients[username].force_login(User.objects.get(username=username))
    times: dict[tuple[str, str], list[float]] = {}
    out: dict[str, Any] = {}
    for _round in range(rounds):
        for variant in ("after", "before"):
            with as_before(variant == "before"):
                for case, username, params, _indexes in SCOPES:
                    client = clients[username]
                    for _i in range(2):
                        client.get(f"{url}?{params}")  # warm
                    with CaptureQueriesContext(connection) as ctx:
                        resp = client.get(f"{url}?{params}")
                    assert resp.status_code == 200, (case, resp.status_code)
                    row = out.setdefault(case, {"params": params})
                    row[f"queries_{variant}"] = len(ctx.captured_queries)
                    if variant == "after":
                        html = resp.content.decode()
                        found = re.search(r'<strong class="count">(\d+)</strong>', html)
                        row["count"] = int(found.group(1)) if found else None
                        row["capped"] = 'rel="next"' in html and 'rel="last"' not in html
                    got = times.setdefault((case, variant), [])
                    for _i in range(n if variant == "after" else n_before):
                        t0 = time.perf_counter()
                        resp = client.get(f"{url}?{params}")
                        got.append((time.perf_counter() - t0) * 1000)
    for (case, variant), got in times.items():
        out[case] |= {f"p50_{variant}": pct(got, 0.5), f"p95_{variant}": pct(got, 0.95)}
    return out


def print_scopes(scopes: dict[str, Any]) -> None:
    for case, row in scopes.items():
        print(
            f"{case:42s} after p50 {row.get('p50_after', 0):7.1f} p95 {row.get('p95_after', 0):7.1f}"
            f" | before p50 {row.get('p50_before', 0):7.1f} p95 {row.get('p95_before', 0):7.1f} ms"
            f" | queries {row.get('queries_after')}/{row.get('queries_before')}"
            f" count {row.get('count')}{'+' if row.get('capped') else ''}",
            file=sys.stderr,
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 (our own local server)
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"the server at {url} did not come up")


def measure_api(staff: dict[str, Any], db_url: str, seconds: float, clients: int) -> dict:
    from django.db import connection

    from guanjia.accounts.models import ApiToken
    from guanjia.requests.models import ServiceRequest

    _, token = ApiToken.issue(staff["contact"], "bench")
    connection.close()  # the servers' connections are theirs; ours reopens when needed
    port = free_port()
    # One token submits for the whole bench: lift the per-token write limit (60/min) for it.
    env = dict(
        os.environ, DATABASE_URL=db_url, PYTHONUNBUFFERED="1", GUANJIA_RATE_API_WRITE="100000/60"
    )
    web = subprocess.Popen(  # noqa: S603 (fixed arguments)
        [sys.executable, "-m", "gunicorn", "guanjia.wsgi:application", "--bind",
         f"127.0.0.1:{port}", "--workers", "2", "--threads", "4", "--graceful-timeout", "10"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    worker = subprocess.Popen(  # noqa: S603 (fixed arguments)
        [sys.executable, "-m", "guanjia", "db_worker", "--interval", "1"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    before = ServiceRequest.objects.count()

    def post() -> tuple[int, float]:
        body = json.dumps(
            {"category": "utilities", "title": "厂区双回路供电接入",
             "text": "项目生产工艺要求双回路供电，请协调供电公司加快建设第二回路。"}
        ).encode()  # fmt: skip
        req = urllib.request.Request(  # noqa: S310 (our own local server)
            f"{base}/api/v1/requests",
            data=body,
            method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        t0 = time.perf_counter()
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310
                resp.read()
                status = resp.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        return status, (time.perf_counter() - t0) * 1000

    def client(stop_at: float) -> None:
        while time.monotonic() < stop_at:
            status, ms = post()
            with lock:
                latencies.append(ms)
                statuses[status] = statuses.get(status, 0) + 1

    try:
        wait_for(f"{base}/api/v1/requests/categories")
        for _i in range(4):
            post()  # warm both web workers
        started = time.monotonic()
        threads = [
            threading.Thread(target=client, args=(started + seconds,)) for _i in range(clients)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
        time.sleep(3)  # let the worker catch up with the last notifications
    finally:
        for proc in (web, worker):
            proc.send_signal(signal.SIGTERM)
        for proc in (web, worker):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    created = ServiceRequest.objects.count() - before - 4
    tasks = _task_statuses()
    ok = statuses.get(201, 0)
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "submitted": ok,
        "created": created,
        "requests_per_s": round(ok / elapsed, 1),
        "p50_ms": pct(latencies, 0.5),
        "p95_ms": pct(latencies, 0.95),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "tasks": tasks,
    }


def _task_statuses() -> dict[str, int]:
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    return dict(DBTaskResult.objects.values_list("status").annotate(n=Count("pk")))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--closed", type=int, default=950_000)
    parser.add_argument("--open", type=int, default=50_000)
    parser.add_argument("--due", type=int, default=200)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--api-seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--skip-api", action="store_true")
    parser.add_argument(
        "--explain", action="store_true", help="print and check every scope's queue plans"
    )
    parser.add_argument("--scopes", action="store_true", help="time every scope's queue page")
    parser.add_argument("--scopes-only", action="store_true", help="stop after the scopes")
    parser.add_argument("--scope-pages", type=int, default=40, help="requests a case, a round")
    parser.add_argument("--before-pages", type=int, default=10, help="the same, before")
    parser.add_argument("--rounds", type=int, default=2, help="after/before rounds")
    parser.add_argument(
        "--reuse-open", action="store_true", help="keep last run's open requests (pages only)"
    )
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    if not base.startswith("postgres"):
        sys.exit("the benchmark runs on PostgreSQL: set DATABASE_URL=postgres://...")
    url = bench_database(base, "requests")
    setup_django(url, tasks="db")
    staff = generate(args.closed, args.open, args.due, reuse_open=args.reuse_open)
    from guanjia.requests.models import OPEN_STATUSES, ServiceRequest

    figures: dict[str, Any] = {
        "requests": ServiceRequest.objects.count(),
        "open": ServiceRequest.objects.filter(status__in=OPEN_STATUSES).count(),
        "database": "postgresql",
    }
    if args.explain:
        figures["plans"] = explain_scopes()
        if args.scopes_only and not args.scopes:
            return
    if args.scopes:
        figures["scopes"] = measure_scopes(args.scope_pages, args.rounds, args.before_pages)
        print_scopes(figures["scopes"])
        if args.scopes_only:
            print(json.dumps(figures, ensure_ascii=False, default=str))
            return
    figures["sweep"] = measure_sweep(staff["now"])
    print(f"sweep: {figures['sweep']}", file=sys.stderr)
    figures["queue"] = measure_queue(staff, args.pages)
    print(f"queue: {figures['queue']}", file=sys.stderr)
    if not args.skip_api:
        figures["api_submit"] = measure_api(staff, url, args.api_seconds, args.clients)
        print(f"api: {figures['api_submit']}", file=sys.stderr)
    print(json.dumps(figures, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
