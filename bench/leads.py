"""Leads and events benchmark on PostgreSQL: 200,000 leads, 1,000,000 negotiation records,
5,000 events with 300 guests and 50 signing-list rows each, all generated here.

Run: make bench-leads   (= DATABASE_URL=postgres://postgres@127.0.0.1:5432/test
     .venv/bin/python bench/leads.py)
Options: --leads N --records N --events N --guests N --rows N --requests N --fresh

It works in its own database, <name>_leads_bench next to DATABASE_URL's, generated inside
PostgreSQL (INSERT … SELECT over generate_series) on the first run and kept for later runs of
the same size (--fresh drops it). It measures with Django's test client (the full request
path: middleware, session, access, templates), as the city admin and as an area official,
the pipeline board and the lead list (first page, a filtered page, a deep page, a search),
an event's page, its guest list and its signing list: p50 and p95 over --requests calls
after 2 warm-ups, and the SQL queries per request; then prints one JSON line at the end.
"""

import argparse
import json
import os
import sys
import time
from typing import Any

from benchlib import bench_database, pct, setup_django  # noqa: E402

OWNERS = 300
ENTERPRISES = 20_000
PROJECTS = 10_000


def _insert_generated(model: Any, computed: dict[str, str], source: str, params: dict) -> int:
    """INSERT every column of `model` but id: computed SQL, else NULL or the field's default
    (as bench/cockpit.py)."""
    from django.db import connection

    columns, values = [], []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        column = str(f.column)
        columns.append(column)
        if column in computed:
            values.append(computed[column])
        elif f.null:
            values.append("NULL")
        else:
            default = f.get_default()
            if default is None:
                raise ValueError(f"{model.__name__}.{column} needs a value")
            params[f"d_{column}"] = default
            values.append(f"%(d_{column})s")
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT {', '.join(values)} {source}"
    )
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.rowcount


def _step(t0: float, what: str) -> None:
    print(f"{what}: {time.perf_counter() - t0:.1f}s", file=sys.stderr)


def generate(args: argparse.Namespace) -> None:
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction

    from guanjia.accounts.models import Role, User
    from guanjia.enterprises.creditcode import make_code
    from guanjia.enterprises.models import ContactSource, Enterprise
    from guanjia.events.models import Event, Guest, SigningListRow
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
        _step(t0, "people and enterprises")
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
        _insert_generated(
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
        _step(t0, "projects")
        # Leads: k is the status (0 线索 1 初步接洽 2 实质性洽谈 3 签约 4 暂缓 5 放弃).
        status = "(ARRAY['lead','contact','negotiating','signed','paused','dropped'])[1 + s.k]"
        _insert_generated(
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
        _step(t0, "leads")
        with connection.cursor() as cur:
            cur.execute("SELECT min(id) FROM leads_lead")
            first_lead = cur.fetchone()[0]
        _insert_generated(
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
        _step(t0, "negotiation records")
        _insert_generated(
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
        _step(t0, "events")
        # Guests: 300 distinct enterprises an event, a third checked in.
        _insert_generated(
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
        _step(t0, "guests")
        with connection.cursor() as cur:
            cur.execute(
                "INSERT INTO events_event_participants (event_id, enterprise_id)"
                " SELECT event_id, enterprise_id FROM events_guest WHERE status = 'checked_in'"
            )
        _step(t0, "participants")
        _insert_generated(
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
            for t in ("lb_o", "lb_e", "lb_v"):
                cur.execute(f"DROP TABLE {t}")
        _step(t0, "signing lists")
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    _step(t0, "data ready")


def timed_get(client: Any, url: str, n: int) -> tuple[list[float], int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = []
    queries = 0
    status = 0
    for i in range(n + 2):
        connection.queries_log.clear()  # the log keeps 9,000 entries: count from empty
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            resp = client.get(url)
            elapsed = time.perf_counter() - t0
        status = resp.status_code
        queries = len(ctx.captured_queries)
        if i >= 2:  # the first two warm caches and connections
            times.append(elapsed * 1000)
    return times, queries, status


def measure(n: int, only: str = "") -> dict[str, Any]:
    from django.test import Client

    from guanjia.accounts.models import User
    from guanjia.events.models import Event
    from guanjia.leads.models import Lead

    admin = User.objects.get(username="lb_admin")
    official = User.objects.get(username="lb_official")
    # An event of the official's area (both see it), its 300 guests and 50 rows.
    event = Event.objects.filter(region=official.region).order_by("id")[100]
    some = Lead.objects.filter(region=official.region).order_by("id")[5000]
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
            times, queries, status = timed_get(client, url, n)
            out[f"{who}:{name}"] = {
                "p50_ms": pct(times, 0.5),
                "p95_ms": pct(times, 0.95),
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
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--only", default="", help="measure only the cases with this in the name")
    parser.add_argument("--fresh", action="store_true", help="drop the data and generate it anew")
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    url = bench_database(base, "leads", fresh=args.fresh)
    setup_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    generate(args)
    from guanjia.events.models import Guest
    from guanjia.leads.models import Lead, NegotiationRecord

    pages = measure(args.requests, args.only)
    figures = {
        "leads": Lead.objects.count(),
        "negotiation_records": NegotiationRecord.objects.count(),
        "guests": Guest.objects.count(),
        "database": "postgresql",
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "pages": pages,
    }
    for name, row in pages.items():
        print(
            f"{name:36s} p50 {row['p50_ms']:7.1f} ms  p95 {row['p95_ms']:7.1f} ms  "
            f"queries {row['queries']:2d}  status {row['status']}",
            file=sys.stderr,
        )
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
