"""Cockpit benchmark on PostgreSQL: 100,000 projects and 1,000,000 requests it generates itself.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/cockpit.py
Options: --projects N --requests N --services N --calls N --live-runs N --fresh

It works in its own database, <name>_cockpit_bench next to DATABASE_URL's (a trailing
"_bench" in the name is dropped first). The data is generated inside PostgreSQL once and
reused by later runs of the same size (--fresh drops it): 20,000 enterprises and 687 stewards
over Jinzhou's 9 areas, projects at every stage with signings (a tenth without a signing
record, a twentieth expanded by a later signing), requests over three years (2% open, a
quarter of those overdue) and service records. It measures, in one run,

- refresh(): the rollups recomputed from everything (what the worker does every 30 s);
- the data endpoint (/cockpit/data/, Django's test client: middleware, session, access,
  JSON) for the city's leader and for an area official: p50 and p95, as served (the figures
  are cached under the refresh time) and uncached (the cache emptied before every call, so
  each call reads the rollups: the first call after each refresh);
- the same figures computed live with plain SQL through psycopg over the base tables (the
  floor without rollups): the median of a few runs;

and prints the figures, then one JSON line at the end.
"""

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import time
from typing import Any

from benchlib import bench_database, insert_generated, pct, setup_django  # noqa: E402

STEWARDS = 687
ENTERPRISES = 20_000
TZ = "Asia/Shanghai"


# ----------------------------------------------------------------------------- generation


def people_and_firms() -> dict[str, Any]:
    from django.contrib.auth.hashers import make_password

    from guanjia.accounts.models import Role, User
    from guanjia.enterprises.creditcode import make_code
    from guanjia.enterprises.models import Enterprise
    from guanjia.regions.models import Region

    city = Region.objects.get(code="210700")
    areas = list(Region.objects.filter(parent=city, abolished_on__isnull=True))
    unusable = make_password(None)
    users = [
        User(username=f"cb_steward_{i:04d}", role=Role.STEWARD, region=areas[i % len(areas)],
             display_name=f"管家{i:04d}", password=unusable)
        for i in range(STEWARDS)
    ]  # fmt: skip
    users.append(User(username="cb_leader", role=Role.LEADER, region=city, password=unusable))
    users.append(
        User(username="cb_official", role=Role.AREA_OFFICIAL, region=areas[0], password=unusable)
    )
    User.objects.bulk_create(users, batch_size=1000)
    stewards = list(User.objects.filter(role=Role.STEWARD).order_by("pk"))
    rng = random.Random(2023)
    Enterprise.objects.bulk_create(
        [
            Enterprise(
                name=f"锦州驾驶舱基准企业{i:05d}有限公司",
                credit_code=make_code(f"91210700{i:09d}"),
                region=rng.choice(areas),
                steward=stewards[i % len(stewards)],
            )
            for i in range(ENTERPRISES)
        ],
        batch_size=5000,
    )
    return {"city": city, "areas": areas}


def generate(n_projects: int, n_requests: int, n_services: int) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    from guanjia.events.models import Signing
    from guanjia.industries.loading import load_industries
    from guanjia.industries.models import Industry
    from guanjia.projects.models import Project
    from guanjia.regions.loading import load_regions
    from guanjia.requests.loading import load_categories
    from guanjia.requests.models import Category, ServiceRequest
    from guanjia.servicerecords.models import ServiceRecord

    call_command("migrate", verbosity=0)
    if (
        Project.objects.count() == n_projects
        and ServiceRequest.objects.count() == n_requests
        and ServiceRecord.objects.count() == n_services
    ):
        print("reusing the generated data", file=sys.stderr)
        return
    if Project.objects.exists():
        sys.exit("the bench database holds data of another size: run with --fresh")
    t0 = time.perf_counter()
    with transaction.atomic():
        load_regions()
        load_industries()
        load_categories()
        people_and_firms()
        with connection.cursor() as cur:
            cur.execute(
                "CREATE TEMP TABLE cb_e AS SELECT row_number() OVER (ORDER BY id) AS n, id,"
                " steward_id, region_id FROM enterprises_enterprise"
            )
            cur.execute("CREATE UNIQUE INDEX ON cb_e (n)")
        pick = "JOIN cb_e e ON e.n = 1 + (s.g::bigint * 7919) %% (SELECT count(*) FROM cb_e)"
        industries = list(Industry.objects.values_list("pk", flat=True))
        stage_of = (
            "CASE WHEN q.x < .15 THEN 0 WHEN q.x < .25 THEN 1 WHEN q.x < .35 THEN 2"
            " WHEN q.x < .45 THEN 3 WHEN q.x < .55 THEN 4 WHEN q.x < .75 THEN 5"
            " WHEN q.x < .90 THEN 6 WHEN q.x < .95 THEN 7 ELSE 8 END"
        )
        names = "ARRAY['lead','negotiating','signed','registered','approvals','construction'," \
            "'operation','full_capacity','withdrawn']"  # fmt: skip
        # k: the stage's place on the line (8 withdrawn, counted as signed and registered).
        day = lambda offset, k: (  # noqa: E731
            f"CASE WHEN s.k >= {k} THEN LEAST(current_date, s.d0 + {offset}) END"
        )
        insert_generated(
            Project,
            {
                "name": "'驾驶舱基准项目' || s.g",
                "enterprise_id": "e.id",
                "region_id": "e.region_id",
                "industry_id": "(%(industries)s::bigint[])[1 + s.g %% %(n_ind)s]",
                "total_investment_wan": "(500 + floor(s.y * 200000))::numeric",
                "funds_in_place_wan": "floor((500 + floor(s.y * 200000)) * s.z * LEAST(s.k, 7) / 7)",
                "steward_id": "e.steward_id",
                "stage": f"({names})[1 + s.k]",
                "lead_on": "s.d0 - 60",
                "negotiating_on": "CASE WHEN s.k >= 1 THEN s.d0 - 30 END",
                "signed_on": "CASE WHEN s.k >= 2 THEN s.d0 END",
                "registered_on": day(60, 3),
                "approvals_on": "CASE WHEN s.k BETWEEN 4 AND 7 THEN LEAST(current_date, s.d0 + 120) END",
                "construction_on": "CASE WHEN s.k BETWEEN 5 AND 7 THEN LEAST(current_date, s.d0 + 200) END",
                "operation_on": "CASE WHEN s.k BETWEEN 6 AND 7 THEN LEAST(current_date, s.d0 + 500) END",
                "full_capacity_on": "CASE WHEN s.k = 7 THEN LEAST(current_date, s.d0 + 700) END",
                "withdrawn_on": "CASE WHEN s.k = 8 THEN LEAST(current_date, s.d0 + 90) END",
                "withdrawn_reason": "CASE WHEN s.k = 8 THEN '投资方战略调整' ELSE '' END",
                "created_at": "now()",
                "updated_at": "now()",
            },
            f"FROM (SELECT q.*, {stage_of} AS k FROM (SELECT g, random() AS x, random() AS y,"
            " random() AS z, current_date - (random() * 1400)::int AS d0"
            f" FROM generate_series(1, %(n)s) g) q) s {pick}",
            {"n": n_projects, "industries": industries, "n_ind": len(industries)},
        )
        print(f"projects: {time.perf_counter() - t0:.1f}s", file=sys.stderr)
        signing = {
            "project_id": "p.id",
            "government_id": "p.region_id",
            "signed_on": "p.signed_on",
            "amount_wan": "p.total_investment_wan",
            "is_first": "true",
            "counted_amount_wan": "p.total_investment_wan",
            "created_at": "now()",
        }
        # A tenth of the signed projects came in by import, without a signing record.
        insert_generated(
            Signing, signing,
            "FROM projects_project p WHERE p.signed_on IS NOT NULL AND p.id %% 10 <> 0", {},
        )  # fmt: skip
        # A twentieth were expanded later: only the increase counts.
        insert_generated(
            Signing,
            {
                **signing,
                "signed_on": "LEAST(current_date, p.signed_on + 200)",
                "amount_wan": "p.total_investment_wan * 1.2",
                "is_first": "false",
                "counted_amount_wan": "p.total_investment_wan * 0.2",
            },
            "FROM projects_project p WHERE p.signed_on IS NOT NULL AND p.id %% 20 = 1",
            {},
        )
        print(f"signings: {time.perf_counter() - t0:.1f}s", file=sys.stderr)
        open_share = 0.02
        insert_generated(
            ServiceRequest,
            {
                "number": "'CB' || lpad(s.g::text, 8, '0')",
                "enterprise_id": "e.id",
                "region_id": "e.region_id",
                "category_id": "(%(categories)s::bigint[])[1 + s.g %% %(n_cat)s]",
                "title": "'项目用地规划条件出具慢'",
                "text": "'请协调有关部门尽快办理。'",
                "submitted_at": "s.sub",
                "status": "CASE WHEN s.o THEN 'handling' ELSE 'closed' END",
                "steward_id": "e.steward_id",
                "assignee_id": "CASE WHEN s.g %% 7 = 0 THEN NULL ELSE e.steward_id END",
                "dispatched_at": "s.sub + interval '2 hours'",
                "due_at": "CASE WHEN s.o THEN now() + (s.r1 - 0.25) * interval '10 days' END",
                "replied_at": "CASE WHEN NOT s.o THEN s.sub + s.r1 * interval '8 days' END",
                "on_time": "CASE WHEN NOT s.o THEN s.r1 * interval '8 days' <= interval '7 days' END",
                "closed_at": "CASE WHEN NOT s.o THEN s.sub + interval '1 day' + s.r1 * interval '8 days' END",
                "rating": "CASE WHEN s.o OR s.r2 > 0.7 THEN '' WHEN s.r2 < 0.55 THEN 'satisfied'"
                " WHEN s.r2 < 0.66 THEN 'basically' ELSE 'unsatisfied' END",
                "rated_at": "CASE WHEN NOT s.o AND s.r2 <= 0.7 THEN s.sub + interval '2 days'"
                " + s.r1 * interval '8 days' END",
                "updated_at": "now()",
            },
            "FROM (SELECT g, random() < %(open)s AS o, random() ^ 1.6 AS r1, random() AS r2,"
            " now() - interval '2 days' - random() * interval '1090 days' AS sub"
            f" FROM generate_series(1, %(n)s) g) s {pick}",
            {
                "n": n_requests,
                "open": open_share,
                "categories": list(Category.objects.values_list("pk", flat=True)),
                "n_cat": Category.objects.count(),
            },
        )
        print(f"requests: {time.perf_counter() - t0:.1f}s", file=sys.stderr)
        insert_generated(
            ServiceRecord,
            {
                "steward_id": "e.steward_id",
                "enterprise_id": "e.id",
                "region_id": "e.region_id",
                "kind": "(ARRAY['visit','call','meeting','problem_solved','policy'])[1 + s.g %% 5]",
                "date": "current_date - (random() * 1090)::int",
                "summary": "'走访企业，了解生产经营情况'",
                "created_at": "now()",
                "updated_at": "now()",
            },
            f"FROM generate_series(1, %(n)s) AS s(g) {pick}",
            {"n": n_services},
        )
        with connection.cursor() as cur:
            cur.execute("DROP TABLE cb_e")
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    print(f"data ready in {time.perf_counter() - t0:.1f}s", file=sys.stderr)


# ----------------------------------------------------------------------------- measuring


def measure_refresh(runs: int = 3) -> dict[str, Any]:
    from guanjia.cockpit import services
    from guanjia.cockpit.models import FlowRollup, ProjectRollup, RequestRollup, StewardRollup

    times = []
    for _i in range(runs):
        t0 = time.perf_counter()
        services.refresh()
        times.append((time.perf_counter() - t0) * 1000)
    return {
        "runs": runs,
        "median_ms": round(statistics.median(times), 1),
        "max_ms": round(max(times), 1),
        "rows": {
            "projects": ProjectRollup.objects.count(),
            "milestones": FlowRollup.objects.count(),
            "requests": RequestRollup.objects.count(),
            "stewards": StewardRollup.objects.count(),
        },
    }


def measure_endpoint(
    username: str, region_id: int, year: int, calls: int, cached: bool = True
) -> dict[str, Any]:
    """The data endpoint's latency; `cached=False` empties the cache before each call (every
    call then reads the rollups, as the first one after each refresh does)."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    from guanjia.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    url = f"/cockpit/data/?region={region_id}&year={year}"
    for _i in range(5):
        assert client.get(url).status_code == 200  # warm
    queries: list[str] = []
    cache.clear()
    with connection.execute_wrapper(lambda run, sql, *rest: queries.append(sql) or run(sql, *rest)):
        client.get(url)
    times = []
    for _i in range(calls):
        if not cached:
            cache.clear()
        t0 = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200
    return {
        "calls": calls,
        "p50_ms": pct(times, 0.5),
        "p95_ms": pct(times, 0.95),
        "queries": len(queries),
        "signed_count": response.json()["kpis"]["signed_count"],
    }


LIVE_SQL = {
    "signed": """
        SELECT count(*) FILTER (WHERE s.is_first), sum(s.counted_amount_wan)
        FROM events_signing s JOIN projects_project p ON p.id = s.project_id
        WHERE s.signed_on >= %(y0)s AND s.signed_on < %(y1)s AND p.region_id IN (SELECT id FROM sub)""",
    "signed_bare": """
        SELECT count(*), sum(total_investment_wan) FROM projects_project p
        WHERE p.signed_on >= %(y0)s AND p.signed_on < %(y1)s AND p.region_id IN (SELECT id FROM sub)
          AND NOT EXISTS (SELECT 1 FROM events_signing s WHERE s.project_id = p.id)""",
    "cohort": """
        SELECT count(*),
               count(*) FILTER (WHERE stage IN ('registered','approvals','construction','operation','full_capacity')),
               count(*) FILTER (WHERE stage IN ('construction','operation','full_capacity')),
               count(*) FILTER (WHERE stage IN ('operation','full_capacity')),
               sum(funds_in_place_wan) FILTER (WHERE stage <> 'withdrawn'),
               sum(total_investment_wan) FILTER (WHERE stage <> 'withdrawn')
        FROM projects_project
        WHERE signed_on >= %(y0)s AND signed_on < %(y1)s AND region_id IN (SELECT id FROM sub)""",
    "requests": """
        SELECT count(*) FILTER (WHERE replied_at >= %(t0)s AND replied_at < %(t1)s),
               count(*) FILTER (WHERE replied_at >= %(t0)s AND replied_at < %(t1)s AND on_time),
               count(*) FILTER (WHERE rated_at >= %(t0)s AND rated_at < %(t1)s AND rating <> ''),
               count(*) FILTER (WHERE rated_at >= %(t0)s AND rated_at < %(t1)s
                                AND rating IN ('satisfied','basically'))
        FROM requests_servicerequest
        WHERE region_id IN (SELECT id FROM sub)
          AND ((replied_at >= %(t0)s AND replied_at < %(t1)s) OR (rated_at >= %(t0)s AND rated_at < %(t1)s))""",
    "overdue": """
        SELECT region_id, count(*) FROM requests_servicerequest
        WHERE status IN ('submitted','accepted','dispatched','handling','awaiting_info','bounced')
          AND due_at < now() AND region_id IN (SELECT id FROM sub) GROUP BY region_id""",
    "services_month": """
        SELECT count(*) FROM servicerecords_servicerecord
        WHERE date >= %(m0)s AND date <= %(today)s AND region_id IN (SELECT id FROM sub)""",
    "by_industry_area": """
        SELECT p.industry_id, p.region_id, count(*) FILTER (WHERE s.is_first), sum(s.counted_amount_wan)
        FROM events_signing s JOIN projects_project p ON p.id = s.project_id
        WHERE s.signed_on >= %(y0)s AND s.signed_on < %(y1)s AND p.region_id IN (SELECT id FROM sub)
        GROUP BY 1, 2""",
    "funnel": """
        SELECT stage, count(*), sum(total_investment_wan) FROM projects_project
        WHERE stage <> 'withdrawn' AND region_id IN (SELECT id FROM sub) GROUP BY stage""",
    "monthly_signed": """
        SELECT extract(month FROM s.signed_on), count(*) FILTER (WHERE s.is_first)
        FROM events_signing s JOIN projects_project p ON p.id = s.project_id
        WHERE s.signed_on >= %(y0)s AND s.signed_on < %(y1)s AND p.region_id IN (SELECT id FROM sub)
        GROUP BY 1""",
    "monthly_started": """
        SELECT extract(month FROM construction_on), count(*) FROM projects_project
        WHERE construction_on >= %(y0)s AND construction_on < %(y1)s AND region_id IN (SELECT id FROM sub)
        GROUP BY 1""",
    "monthly_operating": """
        SELECT extract(month FROM operation_on), count(*) FROM projects_project
        WHERE operation_on >= %(y0)s AND operation_on < %(y1)s AND region_id IN (SELECT id FROM sub)
        GROUP BY 1""",
    "on_time_by_month": """
        SELECT extract(month FROM replied_at AT TIME ZONE %(tz)s), count(*), count(*) FILTER (WHERE on_time)
        FROM requests_servicerequest
        WHERE replied_at >= %(t0)s AND replied_at < %(t1)s AND region_id IN (SELECT id FROM sub)
        GROUP BY 1""",
    "leaderboard": """
        SELECT t.steward_id, t.services,
               (SELECT count(*) FROM requests_servicerequest r
                 WHERE (r.steward_id = t.steward_id OR r.assignee_id = t.steward_id)
                   AND r.replied_at >= %(t0)s AND r.replied_at < %(t1)s
                   AND r.region_id IN (SELECT id FROM sub))
        FROM (
            SELECT steward_id, count(*) AS services FROM servicerecords_servicerecord
            WHERE date >= %(y0)s AND date < %(y1)s AND region_id IN (SELECT id FROM sub)
            GROUP BY steward_id ORDER BY services DESC, steward_id LIMIT 10) t""",
}


def measure_live(db_url: str, region_path: str, year: int, runs: int) -> dict[str, Any]:
    """The same figures straight from the base tables, with plain SQL through psycopg."""
    from zoneinfo import ZoneInfo

    import psycopg

    tz = ZoneInfo(TZ)
    today = dt.date.today()
    params = {
        "y0": dt.date(year, 1, 1),
        "y1": dt.date(year + 1, 1, 1),
        "t0": dt.datetime(year, 1, 1, tzinfo=tz),
        "t1": dt.datetime(year + 1, 1, 1, tzinfo=tz),
        "m0": today.replace(day=1),
        "today": today,
        "tz": TZ,
        "path": region_path + "%",
    }
    prefix = "WITH sub AS (SELECT id FROM regions_region WHERE path LIKE %(path)s) "
    totals, per_query = [], {name: [] for name in LIVE_SQL}
    with psycopg.connect(db_url.replace("postgres://", "postgresql://")) as conn:
        for _run in range(runs + 1):
            t_all = time.perf_counter()
            for name, sql in LIVE_SQL.items():
                t0 = time.perf_counter()
                conn.execute(prefix + sql, params).fetchall()
                per_query[name].append((time.perf_counter() - t0) * 1000)
            totals.append((time.perf_counter() - t_all) * 1000)
    # The first run warms the cache: left out.
    return {
        "runs": runs,
        "median_ms": round(statistics.median(totals[1:]), 1),
        "queries_ms": {k: round(statistics.median(v[1:]), 1) for k, v in per_query.items()},
    }


def measure_weekly_pdf(runs: int = 3) -> dict[str, Any]:
    """Last week's city report as the scheduler makes it: the content from the records, then
    the PDF (WeasyPrint); the best and the median of `runs`."""
    from django.utils import timezone, translation

    from guanjia.regions.models import Region
    from guanjia.reports import content, render
    from guanjia.reports.models import period_of

    city = Region.objects.get(code="210700")
    start, end = period_of("weekly", timezone.localdate() - dt.timedelta(days=7))
    timings, size = [], 0
    with translation.override("zh-hans"):
        for _ in range(runs):
            t0 = time.perf_counter()
            body = content.build("weekly", start, end, city)
            size = len(render.to_pdf(body))
            timings.append(time.perf_counter() - t0)
    return {
        "week": f"{start}..{end}",
        "median_s": round(statistics.median(timings), 2),
        "best_s": round(min(timings), 2),
        "pdf_kb": size // 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--services", type=int, default=300_000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--live-runs", type=int, default=5)
    parser.add_argument("--fresh", action="store_true", help="drop and regenerate the data")
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    if not base.startswith("postgres"):
        sys.exit("the benchmark runs on PostgreSQL: set DATABASE_URL=postgres://...")
    url = bench_database(base, "cockpit", fresh=args.fresh)
    setup_django(url)
    generate(args.projects, args.requests, args.services)

    from django.utils import timezone

    from guanjia.events.models import Signing
    from guanjia.projects.models import Project
    from guanjia.regions.models import Region
    from guanjia.requests.models import ServiceRequest
    from guanjia.servicerecords.models import ServiceRecord

    city = Region.objects.get(code="210700")
    official_region = Region.objects.get(users__username="cb_official")
    year = timezone.localdate().year - 1  # a whole year of figures
    result: dict[str, Any] = {
        "database": "postgresql",
        "projects": Project.objects.count(),
        "signings": Signing.objects.count(),
        "requests": ServiceRequest.objects.count(),
        "service_records": ServiceRecord.objects.count(),
        "year": year,
    }
    result["refresh"] = measure_refresh()
    print(f"refresh: {result['refresh']}", file=sys.stderr)
    result["endpoint_city"] = measure_endpoint("cb_leader", city.pk, year, args.calls)
    print(f"endpoint (city): {result['endpoint_city']}", file=sys.stderr)
    result["endpoint_city_uncached"] = measure_endpoint(
        "cb_leader", city.pk, year, args.calls, cached=False
    )
    print(f"endpoint (city, uncached): {result['endpoint_city_uncached']}", file=sys.stderr)
    result["endpoint_area"] = measure_endpoint("cb_official", official_region.pk, year, args.calls)
    print(f"endpoint (area): {result['endpoint_area']}", file=sys.stderr)
    result["endpoint_area_uncached"] = measure_endpoint(
        "cb_official", official_region.pk, year, args.calls, cached=False
    )
    print(f"endpoint (area, uncached): {result['endpoint_area_uncached']}", file=sys.stderr)
    result["live_sql_city"] = measure_live(url, city.path, year, args.live_runs)
    print(f"live SQL (city): {result['live_sql_city']}", file=sys.stderr)
    live = result["live_sql_city"]["median_ms"]
    result["weekly_pdf"] = measure_weekly_pdf()
    print(f"weekly PDF: {result['weekly_pdf']}", file=sys.stderr)
    result["targets"] = {"weekly_pdf_le_3s": result["weekly_pdf"]["median_s"] <= 3}
    for name in ("endpoint_city", "endpoint_city_uncached"):
        p50, p95 = result[name]["p50_ms"], result[name]["p95_ms"]
        result["targets"][name] = {
            "p95_le_100ms": p95 <= 100,
            "p50_over_live": round(p50 / live, 3) if live else None,
            "p50_le_fifth_of_live": p50 <= live / 5,
        }
    print(json.dumps(result, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
