"""Leads and events benchmark on PostgreSQL: 200,000 leads, 1,000,000 negotiation records,
5,000 events with 300 guests, 50 signing-list rows and 50 signings each, all generated here.

Run: make bench-leads   (= DATABASE_URL=postgres://postgres@127.0.0.1:5432/test
     .venv/bin/python bench/leads.py)
Options: --leads N --records N --events N --guests N --rows N --signings N --requests N
         --rounds N --ft-calls N --only NAME --fresh

It works in its own database, <name>_leads_bench next to DATABASE_URL's, generated inside
PostgreSQL (INSERT … SELECT over generate_series) on the first run and kept for later runs of
the same size (--fresh drops it). It measures with Django's test client (the full request
path: middleware, session, access, templates), as the city admin and as an area official,
the pipeline board and the lead list (first page, a filtered page, a deep page, a search),
an event's page (with its follow-through panel), its guest list and its signing list: p50 and
p95 over --requests calls after 2 warm-ups, the process CPU time per request (less moved by the
load of a shared machine) and the SQL queries per request, every page --rounds times. Then the
follow-through (履约) of all events: the rates of every event at once, the cockpit's table for
every year the signings span (the city's and an area's), and one event's panel with its 50
signings, --ft-calls calls each. It prints one JSON line at the end.
"""

import argparse
import json
import os
import sys
import time
from typing import Any

from benchlib import bench_database, insert_generated, pct, setup_django, step  # noqa: E402

OWNERS = 300
ENTERPRISES = 20_000
PROJECTS = 10_000


def generate(args: argparse.Namespace) -> None:
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction

    from guanjia.accounts.models import Role, User
    from guanjia.enterprises.creditcode import make_code
    from guanjia.enterprises.models import ContactSource, Enterprise
    from guanjia.events.models import Event, Guest, Signing, SigningListRow
    from guanjia.industries.loading import load_industries
    from guanjia.industries.models import Industry
    from guanjia.leads.models import Lead, NegotiationRecord
    from guanjia.projects.models import Project
    from guanjia.regions.loading import load_regions
    from guanjia.regions.models import Region

    if (
        Lead.objects.count() == args.leads
        and NegotiationRecord.objects.count() == args.records
        and Guest.objects.count() == args.events * args.guests
        and SigningListRow.objects.count() == args.events * args.rows
        and Signing.objects.count() == args.events * args.signings
    ):
        print("reusing the generated data", file=sys.stderr)
        return
    if Lead.objects.exists() or Event.objects.exists():
        sys.exit("the bench database holds data of another size: run with --fresh")
    t0 = time.perf_counter()
    with transaction.atomic():
        load_regions()
        load_industries()
        city = Region.objects.get(code="210700")
        areas = list(Region.objects.filter(parent=city, abolished_on__isnull=True).order_by("pk"))
        unusable = make_password(None)
        users = [
            User(username=f"lb_owner_{i:04d}", display_name=f"招商专员{i:04d}",
                 role=Role.AREA_OFFICIAL if i % 3 == 0 else Role.STEWARD,
                 region=areas[i % len(areas)], password=unusable)
            for i in range(OWNERS)
        ]  # fmt: skip
        users.append(User(username="lb_admin", role=Role.CITY_ADMIN, region=city))
        users.append(User(username="lb_official", role=Role.AREA_OFFICIAL, region=areas[0]))
        User.objects.bulk_create(users, batch_size=1000)
        Enterprise.objects.bulk_create(
            [
                Enterprise(
                    name=f"锦州招商基准客商{i:05d}有限公司",
                    credit_code=make_code(f"91210700{i:09d}"),
                    region=areas[i % len(areas)] if i % 4 else None,
                    home_city=["北京市", "上海市", "深圳市", "杭州市", "沈阳市"][i % 5],
                )
                for i in range(ENTERPRISES)
            ],
            batch_size=5000,
        )
        step(t0, "people and enterprises")
        with connection.cursor() as cur:
            cur.execute(
                "CREATE TEMP TABLE lb_o AS SELECT row_number() OVER (ORDER BY id) - 1 AS n, id,"
                " region_id FROM accounts_user WHERE username LIKE 'lb_owner_%%'"
            )
            cur.execute(
                "CREATE TEMP TABLE lb_e AS SELECT row_number() OVER (ORDER BY id) - 1 AS n, id,"
                " region_id FROM enterprises_enterprise"
            )
            cur.execute("CREATE UNIQUE INDEX ON lb_o (n)")
            cur.execute("CREATE UNIQUE INDEX ON lb_e (n)")
        industries = list(Industry.objects.values_list("pk", flat=True))
        insert_generated(
            Project,
            {
                "name": "'招商基准项目' || s.g",
                "enterprise_id": "e.id",
                "region_id": "COALESCE(e.region_id, %(city)s)",
                "stage": "'signed'",
                "total_investment_wan": "(1000 + s.g * 7 %% 90000)::numeric",
                "lead_on": "current_date - 400",
                "signed_on": "current_date - 300",
                "created_at": "now()",
                "updated_at": "now()",
            },
            "FROM generate_series(0, %(n)s - 1) s(g) JOIN lb_e e ON e.n = s.g * 13 %% %(ne)s",
            {"n": PROJECTS, "ne": ENTERPRISES, "city": city.pk},
        )
        step(t0, "projects")
        # Leads: k is the status (0 线索 1 初步接洽 2 实质性洽谈 3 签约 4 暂缓 5 放弃).
        status = "(ARRAY['lead','contact','negotiating','signed','paused','dropped'])[1 + s.k]"
        insert_generated(
            Lead,
            {
                "investor_id": "e.id",
                "name": "'意向项目' || s.g || '号' || (ARRAY['新能源电池','精细化工','汽车零部件',"
                "'光伏组件','冷链物流','数据中心','食品加工','生物医药'])[1 + s.g %% 8]",
                "industry_id": "(%(industries)s::bigint[])[1 + s.g %% %(n_ind)s]",
                "investment_wan": "(500 + (s.g * 7919) %% 200000)::numeric",
                "land_mu": "(s.g %% 300)::numeric",
                "source": "(%(sources)s::text[])[1 + s.g %% %(n_src)s]",
                "region_id": "o.region_id",
                "owner_id": "o.id",
                "status": status,
                "lead_on": "s.d0",
                "contact_on": "CASE WHEN s.k BETWEEN 1 AND 3 THEN s.d0 + 20 END",
                "negotiating_on": "CASE WHEN s.k BETWEEN 2 AND 3 THEN s.d0 + 60 END",
                "signed_on": "CASE WHEN s.k = 3 THEN LEAST(current_date, s.d0 + 150) END",
                "paused_on": "CASE WHEN s.k = 4 THEN LEAST(current_date, s.d0 + 90) END",
                "paused_from": "CASE WHEN s.k = 4 THEN 'contact' ELSE '' END",
                "dropped_on": "CASE WHEN s.k = 5 THEN LEAST(current_date, s.d0 + 90) END",
                "status_reason": "CASE WHEN s.k >= 4 THEN '投资方战略调整' ELSE '' END",
                "last_contact_on": "LEAST(current_date, s.d0 + (s.g %% 200))",
                "next_follow_up_on": "CASE WHEN s.k <= 2 THEN current_date + (s.g %% 60) - 20 END",
                "notes": "''",
                "created_at": "s.d0::timestamptz",
                "updated_at": "now() - (s.g %% 100000) * interval '7 minutes'",
            },
            "FROM (SELECT g, current_date - 30 - (g * 31 %% 1400) AS d0,"
            " CASE WHEN g %% 20 < 7 THEN 0 WHEN g %% 20 < 12 THEN 1 WHEN g %% 20 < 15 THEN 2"
            " WHEN g %% 20 < 17 THEN 3 WHEN g %% 20 < 18 THEN 4 ELSE 5 END AS k"
            " FROM generate_series(0, %(n)s - 1) g) s"
            " JOIN lb_o o ON o.n = s.g %% %(no)s JOIN lb_e e ON e.n = (s.g * 17) %% %(ne)s",
            {
                "n": args.leads,
                "no": OWNERS,
                "ne": ENTERPRISES,
                "industries": industries,
                "n_ind": len(industries),
                "sources": list(ContactSource.values),
                "n_src": len(ContactSource.values),
            },
        )
        step(t0, "leads")
        with connection.cursor() as cur:
            cur.execute("SELECT min(id) FROM leads_lead")
            first_lead = cur.fetchone()[0]
        insert_generated(
            NegotiationRecord,
            {
                "lead_id": "%(first)s + s.g %% %(nl)s",
                "kind": "(ARRAY['visit_received','trip_out','meeting','call','other'])[1 + s.g %% 5]",
                "date": "current_date - (s.g * 37 %% 1400)",
                "place": "'锦州市招商局会议室'",
                "our_side": "'招商局副局长、园区主任'",
                "their_side": "'投资方董事长、项目经理'",
                "asked": "'用地指标与电力增容'",
                "offered": "'标准厂房租金减免'",
                "outcome": "'双方就项目选址达成初步意向，约定下次考察。'",
                "next_step": "'安排实地考察'",
                "created_at": "now()",
            },
            "FROM generate_series(0, %(n)s - 1) s(g)",
            {"n": args.records, "first": first_lead, "nl": args.leads},
        )
        step(t0, "negotiation records")
        insert_generated(
            Event,
            {
                "name": "'锦州招商推介会第' || s.g || '场'",
                "kind": "'matchmaking'",
                "date": "current_date - 1500 + s.g %% 1600",
                "organiser": "'锦州市投资促进局'",
                "region_id": "(%(areas)s::bigint[])[1 + s.g %% %(na)s]",
                "location": "'锦州国际会展中心'",
                "description": "''",
                "status": "CASE WHEN s.g %% 50 = 0 THEN 'ongoing' ELSE 'finished' END",
            },
            "FROM generate_series(0, %(n)s - 1) s(g)",
            {"n": args.events, "areas": [a.pk for a in areas], "na": len(areas)},
        )
        with connection.cursor() as cur:
            cur.execute(
                "CREATE TEMP TABLE lb_v AS SELECT row_number() OVER (ORDER BY id) - 1 AS n, id"
                " FROM events_event"
            )
            cur.execute("SELECT min(id) FROM projects_project")
            first_project = cur.fetchone()[0]
        step(t0, "events")
        # Guests: 300 distinct enterprises an event, a third checked in.
        insert_generated(
            Guest,
            {
                "event_id": "v.id",
                "enterprise_id": "e.id",
                "city": "(ARRAY['北京市','上海市','深圳市','杭州市','沈阳市'])[1 + e.n %% 5]",
                "status": "(ARRAY['invited','accepted','declined','checked_in'])[1 + g.i %% 4]",
                "walk_in": "false",
                "checked_in_at": "CASE WHEN g.i %% 4 = 3 THEN now() END",
                "seat": "''",
                "created_at": "now()",
            },
            "FROM lb_v v CROSS JOIN generate_series(0, %(ng)s - 1) g(i)"
            " JOIN lb_e e ON e.n = (v.n * 37 + g.i) %% %(ne)s",
            {"ng": args.guests, "ne": ENTERPRISES},
        )
        step(t0, "guests")
        with connection.cursor() as cur:
            cur.execute(
                "INSERT INTO events_event_participants (event_id, enterprise_id)"
                " SELECT event_id, enterprise_id FROM events_guest WHERE status = 'checked_in'"
            )
        step(t0, "participants")
        insert_generated(
            SigningListRow,
            {
                "event_id": "v.id",
                "position": "r.i + 1",
                "project_id": "%(fp)s + (v.n * 53 + r.i) %% %(np)s",
                "government_id": "(%(areas)s::bigint[])[1 + v.n %% %(na)s]",
                "amount_wan": "(1000 + r.i * 100)::numeric",
                "status": "(ARRAY['planned','signed','not_signed'])[1 + r.i %% 3]",
            },
            "FROM lb_v v CROSS JOIN generate_series(0, %(nr)s - 1) r(i)",
            {
                "nr": args.rows,
                "fp": first_project,
                "np": PROJECTS,
                "areas": [a.pk for a in areas],
                "na": len(areas),
            },
        )
        with connection.cursor() as cur:
            cur.execute(
                "INSERT INTO events_signinglistrow_enterprises (signinglistrow_id, enterprise_id)"
                " SELECT r.id, p.enterprise_id FROM events_signinglistrow r"
                " JOIN projects_project p ON p.id = r.project_id"
            )
        step(t0, "signing lists")
        generate_signings(args, [a.pk for a in areas], t0)
        with connection.cursor() as cur:
            for t in ("lb_o", "lb_e", "lb_v"):
                cur.execute(f"DROP TABLE {t}")
        step(t0, "signings")
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    step(t0, "data ready")


# The signed projects' stages now, in twentieths (k = g % 20): 1 withdrawn, 4 signed,
# 3 registered, 2 approvals, 5 under construction, 4 in operation, 1 at full capacity.
SIGNED_STAGES = (
    ["withdrawn"] + ["signed"] * 4 + ["registered"] * 3 + ["approvals"] * 2
    + ["construction"] * 5 + ["operation"] * 4 + ["full_capacity"]
)  # fmt: skip
TASK_FORCES = ["新能源专班", "装备制造专班", "石化专班", "数字经济专班", ""]


def generate_signings(args: argparse.Namespace, areas: list[int], t0: float) -> None:
    """`--signings` first signings an event, each on a project of its own (a project counts
    once, at its first signing), signed on the event's day by the event's area (one in five by
    another area); the projects' stages (those of events less than 60 days ago still signed) spread over the line, with the dates of the stages they
    reached (one started project in ten without its start date, as imported ledgers have them)
    and funds in place growing with the stage. Needs the temp tables lb_e and lb_v."""
    from django.db import connection

    from guanjia.events.models import Signing
    from guanjia.projects.models import Project

    n = args.events * args.signings
    if not n:
        return
    line = ["signed", "registered", "approvals", "construction", "operation", "full_capacity"]
    rank = "array_position(%(line)s::text[], s.stage)"  # 1 signed … 6 full capacity, NULL withdrawn
    insert_generated(
        Project,
        {
            "name": "'签约基准项目' || s.g",
            "enterprise_id": "e.id",
            "region_id": "s.gov",
            "stage": "s.stage",
            "total_investment_wan": "s.amount",
            "funds_in_place_wan": f"round(s.amount * (ARRAY[0.05, 0.2, 0.35, 0.6, 0.9, 1.0])"
            f"[COALESCE({rank}, 2)] * (0.6 + (s.g %% 9) / 20.0), 2)",
            "task_force": "(%(forces)s::text[])[1 + s.g %% 5]",
            "lead_on": "s.d - 200",
            "negotiating_on": "s.d - 90",
            "signed_on": "s.d",
            "registered_on": f"CASE WHEN {rank} >= 2 THEN s.d + 45 + s.g %% 60 END",
            "approvals_on": f"CASE WHEN {rank} >= 3 THEN s.d + 110 + s.g %% 60 END",
            "construction_on": f"CASE WHEN {rank} >= 4 AND s.g %% 10 <> 7"
            " THEN s.d + 180 + s.g %% 120 END",
            "operation_on": f"CASE WHEN {rank} >= 5 THEN s.d + 400 + s.g %% 200 END",
            "full_capacity_on": f"CASE WHEN {rank} >= 6 THEN s.d + 700 + s.g %% 200 END",
            "withdrawn_on": "CASE WHEN s.stage = 'withdrawn' THEN s.d + 120 END",
            "created_at": "now()",
            "updated_at": "now()",
        },
        "FROM (SELECT g, v.id AS event_id, v.n AS vn, ev.date AS d,"
        " CASE WHEN ev.date > current_date - 60 THEN 'signed'"  # too recent to have moved
        "  ELSE (%(stages)s::text[])[1 + (g * 7 + g / %(ns)s) %% 20] END AS stage,"
        " (%(areas)s::bigint[])[1 + CASE WHEN g %% 5 = 4 THEN g %% %(na)s"
        "  ELSE array_position(%(areas)s::bigint[], ev.region_id) - 1 END] AS gov,"
        " (2000 + (g * 7919) %% 300000)::numeric AS amount"
        " FROM generate_series(0, %(n)s - 1) g"
        " JOIN lb_v v ON v.n = g / %(ns)s JOIN events_event ev ON ev.id = v.id) s"
        " JOIN lb_e e ON e.n = (s.g * 29) %% %(ne)s",
        {
            "n": n, "ns": args.signings, "ne": ENTERPRISES, "line": line,
            "stages": SIGNED_STAGES, "areas": areas, "na": len(areas), "forces": TASK_FORCES,
        },
    )  # fmt: skip
    step(t0, "signed projects")
    insert_generated(
        Signing,
        {
            "project_id": "p.id",
            "event_id": "v.id",
            "government_id": "p.region_id",
            "signed_on": "p.signed_on",
            "amount_wan": "p.total_investment_wan",
            "note": "''",
            "is_first": "true",
            "counted_amount_wan": "p.total_investment_wan",
            "created_at": "now()",
        },
        "FROM (SELECT id, region_id, signed_on, total_investment_wan,"
        " row_number() OVER (ORDER BY id) - 1 AS g"
        " FROM projects_project WHERE name LIKE '签约基准项目%%') p"
        " JOIN lb_v v ON v.n = p.g / %(ns)s",
        {"ns": args.signings},
    )
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO events_signing_enterprises (signing_id, enterprise_id)"
            " SELECT s.id, p.enterprise_id FROM events_signing s"
            " JOIN projects_project p ON p.id = s.project_id"
        )


def bench_event(official: Any) -> Any:
    """The measured event: the 101st of the official's area (the last on a small run)."""
    from guanjia.events.models import Event

    mine = Event.objects.filter(region=official.region).order_by("id")
    return mine[min(100, mine.count() - 1)]


def timed_get(client: Any, url: str, n: int) -> tuple[list[float], list[float], int, int]:
    """Wall and process CPU milliseconds of n GETs after 2 warm-ups, the queries, the status.
    The CPU time (time.process_time around the call) moves less with the shared machine's load."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, cpu = [], []
    queries = 0
    status = 0
    for i in range(n + 2):
        connection.queries_log.clear()  # the log keeps 9,000 entries: count from empty
        with CaptureQueriesContext(connection) as ctx:
            c0, t0 = time.process_time(), time.perf_counter()
            resp = client.get(url)
            elapsed, used = time.perf_counter() - t0, time.process_time() - c0
        status = resp.status_code
        queries = len(ctx.captured_queries)
        if i >= 2:  # the first two warm caches and connections
            times.append(elapsed * 1000)
            cpu.append(used * 1000)
    return times, cpu, queries, status


def timed_call(fn: Any, n: int) -> dict[str, Any]:
    """The same for a function: p50/p95 wall and CPU over n calls after 2 warm-ups, queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, cpu = [], []
    queries = 0
    for i in range(n + 2):
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as ctx:
            c0, t0 = time.process_time(), time.perf_counter()
            result = fn()
            elapsed, used = time.perf_counter() - t0, time.process_time() - c0
        queries = len(ctx.captured_queries)
        if i >= 2:
            times.append(elapsed * 1000)
            cpu.append(used * 1000)
    return {
        "p50_ms": pct(times, 0.5),
        "p95_ms": pct(times, 0.95),
        "cpu_p50_ms": pct(cpu, 0.5),
        "queries": queries,
        "size": len(result) if hasattr(result, "__len__") else None,
    }


def measure_followthrough(n: int) -> dict[str, Any]:
    """The follow-through (履约) of all events: the grouped rates of every event at once, the
    cockpit's table (city and one area) for each year the events span, and one event's panel
    (its 50 signings) as the city admin and the area official see it."""
    from django.db.models import Max, Min
    from django.utils import timezone

    from guanjia.accounts.models import User
    from guanjia.cockpit import figures
    from guanjia.events import access, followthrough
    from guanjia.events.models import Signing
    from guanjia.projects import access as project_access

    admin = User.objects.get(username="lb_admin")
    official = User.objects.get(username="lb_official")
    event = bench_event(official)
    span = Signing.objects.aggregate(lo=Min("signed_on"), hi=Max("signed_on"))
    years = range(span["lo"].year, span["hi"].year + 1)
    today = timezone.localdate()
    out: dict[str, Any] = {
        "all_events": timed_call(lambda: followthrough.rates_for_events(), n),
        "all_events_area": timed_call(
            lambda: followthrough.rates_for_events(scope=access.followthrough_scope(official)), n
        ),
        "cockpit_all_years_city": timed_call(
            lambda: [figures.followthrough(None, y) for y in years], n
        ),
        "cockpit_all_years_area": timed_call(
            lambda: [figures.followthrough(official.region, y) for y in years], n
        ),
    }
    for who, user in (("city_admin", admin), ("area_official", official)):
        scope = access.followthrough_scope(user)
        assert scope is not None
        mine = project_access.projects_for(user)

        def panel(scope: Any = scope, mine: Any = mine) -> dict[str, Any]:
            return followthrough.event_followthrough(event, today, scope, visible_projects=mine)

        out[f"event_panel_{who}"] = timed_call(panel, n)
        out[f"event_panel_{who}"]["signed"] = panel()["totals"]["signed"]
    out["years"] = f"{years.start}-{years.stop - 1}"
    return out


def measure(n: int, only: str = "") -> dict[str, Any]:
    from django.test import Client

    from guanjia.accounts.models import User
    from guanjia.leads.models import Lead

    admin = User.objects.get(username="lb_admin")
    official = User.objects.get(username="lb_official")
    # An event of the official's area (both see it), its 300 guests and 50 rows.
    event = bench_event(official)
    theirs = Lead.objects.filter(region=official.region).order_by("id")
    some = theirs[min(5000, theirs.count() - 1)]
    search = some.name[:8]  # "意向项目1234": a few hundred matches among the names
    area = official.region_id
    cases = {
        "board": "/leads/board/",
        "list_first_page": "/leads/",
        "list_filtered": f"/leads/?status=negotiating&area={area}&source=expo",
        "list_deep_page": "/leads/?page=300",
        "list_search": f"/leads/?q={search}",
        "event_page": f"/events/{event.pk}/",
        "event_guests": f"/events/{event.pk}/guests/",
        "event_signing_list": f"/events/{event.pk}/signings/",
    }
    out: dict[str, Any] = {}
    for who, user in (("city_admin", admin), ("area_official", official)):
        client = Client()
        client.force_login(user)
        for name, url in cases.items():
            if only and only not in name:
                continue
            times, cpu, queries, status = timed_get(client, url, n)
            out[f"{who}:{name}"] = {
                "p50_ms": pct(times, 0.5),
                "p95_ms": pct(times, 0.95),
                "cpu_p50_ms": pct(cpu, 0.5),
                "cpu_p95_ms": pct(cpu, 0.95),
                "queries": queries,
                "status": status,
                "url": url,
            }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=200_000)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=5_000)
    parser.add_argument("--guests", type=int, default=300)
    parser.add_argument("--rows", type=int, default=50)
    parser.add_argument("--signings", type=int, default=50, help="first signings an event")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=2, help="how many times every page")
    parser.add_argument("--ft-calls", type=int, default=20, help="follow-through calls timed")
    parser.add_argument(
        "--only", default="", help="only the pages with this in the name, or 'followthrough'"
    )
    parser.add_argument("--fresh", action="store_true", help="drop the data and generate it anew")
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    url = bench_database(base, "leads", fresh=args.fresh)
    setup_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    generate(args)
    # The server as production starts it (gunicorn --preload loads guanjia/wsgi.py): every URL
    # module imported, then what was loaded frozen out of the collector's sight. Without it
    # every full collection walked the ~250,000 objects of Django and the data generation,
    # 100-250 ms at once: the p95 spikes of the guest list (2026-12-07).
    import guanjia.wsgi  # noqa: F401
    from guanjia.events.models import Guest, Signing
    from guanjia.leads.models import Lead, NegotiationRecord

    rounds = []
    only_ft = args.only == "followthrough"
    for r in range(0 if only_ft else args.rounds):  # every page again: the load is noise
        pages = measure(args.requests, args.only)
        rounds.append(pages)
        for name, row in pages.items():
            print(
                f"round {r + 1} {name:36s} p50 {row['p50_ms']:7.1f} ms  p95 {row['p95_ms']:7.1f}"
                f" ms  cpu p50 {row['cpu_p50_ms']:7.1f} ms  queries {row['queries']:2d}"
                f"  status {row['status']}",
                file=sys.stderr,
            )
    ft = measure_followthrough(args.ft_calls) if only_ft or not args.only else {}
    for name, row in ft.items():
        if isinstance(row, dict):
            print(
                f"follow-through {name:28s} p50 {row['p50_ms']:7.1f} ms  p95 {row['p95_ms']:7.1f}"
                f" ms  cpu p50 {row['cpu_p50_ms']:7.1f} ms  queries {row['queries']:2d}",
                file=sys.stderr,
            )
    figures = {
        "leads": Lead.objects.count(),
        "negotiation_records": NegotiationRecord.objects.count(),
        "guests": Guest.objects.count(),
        "signings": Signing.objects.count(),
        "database": "postgresql",
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "pages": rounds,
        "followthrough": ft,
    }
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
