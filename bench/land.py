"""Parks, land and portal benchmark on PostgreSQL (issue 17 item 8): 500 parks, 50,000 plots,
2,500 standard buildings, 200,000 leads with land needs, 10,000 public projects (the OC4IDS
export), all generated here.

Run: make bench-land   (= DATABASE_URL=postgres://postgres@127.0.0.1:5432/test
     .venv/bin/python bench/land.py)
Options: --parks N --plots-per-park N --leads N --projects N --calls N --only NAME --fresh

It works in its own database, <name>_land_bench next to DATABASE_URL's, generated inside
PostgreSQL (INSERT … SELECT over generate_series) on the first run and kept for later runs of
the same size (--fresh drops it). The cache is the configured one (Redis with REDIS_URL, as in
production; else the process's memory). It measures, p50 and p95 over --calls calls after 2
warm-ups, with the process CPU time and the SQL queries per call:

- matching: `parks.matching.matches_for` for a different lead each call (as the lead page's
  card and `GET /api/v1/leads/{id}/land-matches` call it), and that API call itself; then the
  same calls of `matches_for` as it was at BEFORE (loaded from git), in the same run;
- map: the workspace's data endpoint `/parks/map/data.json` (all 50,000 plots, and filtered)
  and the public mode (`mapdata.cached_map_json(public=True)`), cached and with the
  cache emptied before each call, and the code before this work (`map_data` of main at
  BEFORE, loaded from git, then `JsonResponse` as the view did) for the ratio;
- portal: /invest/ and its parks, a park, policies, projects and a project, anonymous, Chinese
  and English, through Django's test client (the full request path), cached and uncached;
- open data: the OC4IDS package of the 10,000 public projects, /open/plots.geojson and
  /open/parks.geojson, built (cache emptied) and served from the cache.

It prints one JSON line at the end.
"""

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from benchlib import bench_database, insert_generated, pct, setup_django, step  # noqa: E402

OWNERS = 300
ENTERPRISES = 5_000
POLICIES = 60
# Jinzhou, roughly: where the generated parks lie (WGS 84).
LNG0, LAT0, LNG_SPAN, LAT_SPAN = 120.8, 40.75, 1.5, 1.1


def generate(args: argparse.Namespace) -> None:
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction

    from guanjia.accounts.models import Role, User
    from guanjia.enterprises.creditcode import make_code
    from guanjia.enterprises.models import ContactSource, Enterprise
    from guanjia.industries.loading import load_industries
    from guanjia.industries.models import Industry
    from guanjia.leads.models import Lead
    from guanjia.parks.models import Building, Park, Plot, Substation
    from guanjia.policies.models import Policy
    from guanjia.projects.models import Project
    from guanjia.regions.loading import load_regions
    from guanjia.regions.models import Region

    n_plots = args.parks * args.plots_per_park
    if (
        Park.objects.count() == args.parks
        and Plot.objects.count() == n_plots
        and Lead.objects.count() == args.leads
        and Project.objects.filter(public=True).count() == args.projects
    ):
        print("reusing the generated data", file=sys.stderr)
        return
    if Park.objects.exists() or Lead.objects.exists():
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
                    name=f"锦州土地基准客商{i:05d}有限公司",
                    credit_code=make_code(f"91210700{i:09d}"),
                    region=areas[i % len(areas)],
                )
                for i in range(ENTERPRISES)
            ],
            batch_size=5000,
        )
        industries = list(Industry.objects.order_by("pk").values_list("pk", flat=True))
        area_ids = [a.pk for a in areas]
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
        # The public projects (stages spread over the line), in the areas, with industries.
        stages = ["signed", "registered", "approvals", "construction", "construction",
                  "operation", "full_capacity", "negotiating", "withdrawn", "operation"]  # fmt: skip
        insert_generated(
            Project,
            {
                "name": "'公开基准项目' || s.g || '号' || (ARRAY['新能源电池','精细化工',"
                "'汽车零部件','光伏组件','冷链物流','数据中心','食品加工','生物医药'])[1 + s.g %% 8]",
                "enterprise_id": "e.id",
                "region_id": "e.region_id",
                "industry_id": "(%(industries)s::bigint[])[1 + s.g %% %(n_ind)s]",
                "stage": "(%(stages)s::text[])[1 + s.g %% 10]",
                "total_investment_wan": "(1000 + s.g * 7919 %% 300000)::numeric",
                "construction_content": "'建设标准化厂房及配套设施，年产能' || (s.g %% 90 + 10) || '万件'",
                "public": "true",
                "lead_on": "current_date - 900 + s.g %% 300",
                "signed_on": "current_date - 600 + s.g %% 300",
                "construction_on": "CASE WHEN s.g %% 10 IN (3, 4, 5, 6, 9)"
                " THEN current_date - 400 + s.g %% 300 END",
                "operation_on": "CASE WHEN s.g %% 10 IN (5, 6, 9) THEN current_date - 100 END",
                "full_capacity_on": "CASE WHEN s.g %% 10 = 6 THEN current_date - 30 END",
                "withdrawn_on": "CASE WHEN s.g %% 10 = 8 THEN current_date - 50 END",
                "created_at": "now()",
                "updated_at": "now() - (s.g %% 1000) * interval '1 hour'",
            },
            "FROM generate_series(0, %(n)s - 1) s(g) JOIN lb_e e ON e.n = s.g %% %(ne)s",
            {"n": args.projects, "ne": ENTERPRISES, "industries": industries,
             "n_ind": len(industries), "stages": stages},
        )  # fmt: skip
        step(t0, "public projects")
        insert_generated(
            Policy,
            {
                "title": "'锦州市支持产业园区发展若干政策第' || s.g || '号'",
                "issuer": "'锦州市人民政府'",
                "doc_number": "'锦政发〔2026〕' || s.g || '号'",
                "valid_from": "current_date - 200 - s.g",
                "benefit": "'对新落地项目给予用地、用电和税收方面的支持。'",
                "public": "s.g %% 3 <> 0",
                "rule": "'{}'::jsonb",
                "created_at": "now()",
                "updated_at": "now()",
            },
            "FROM generate_series(0, %(n)s - 1) s(g)",
            {"n": POLICIES},
        )
        # The parks: a point each over the city, the kinds, the facts matching reads.
        insert_generated(
            Park,
            {
                "name": "'锦州基准产业园' || lpad(s.g::text, 4, '0')",
                "kind": "(ARRAY['national_etdz','high_tech','provincial','specialised'])"
                "[1 + s.g %% 4]",
                "region_id": "(%(areas)s::bigint[])[1 + s.g %% %(na)s]",
                "whole_area": "false",
                "planned_area_km2": "(5 + s.g %% 40)::numeric",
                "built_area_km2": "(2 + s.g %% 3)::numeric",
                "occupancy_percent": "(40 + s.g %% 50)::numeric",
                "water_t_day": "(5000 + (s.g * 37) %% 50000)::numeric",
                "gas_m3_day": "(10000 + s.g * 11 %% 90000)::numeric",
                "rail_sidings": "CASE WHEN s.g %% 5 = 0 THEN NULL ELSE s.g %% 3 END",
                "port_berths": "CASE WHEN s.g %% 7 = 0 THEN 2 + s.g %% 5 WHEN s.g %% 7 = 1"
                " THEN NULL ELSE 0 END",
                "km_to_port": "CASE WHEN s.g %% 4 = 0 THEN NULL ELSE (s.g * 13 %% 120)::numeric END",
                "point": "jsonb_build_object('type', 'Point', 'coordinates', jsonb_build_array("
                "round((%(lng0)s + (s.g * 0.618034 - floor(s.g * 0.618034)) * %(lngs)s)::numeric, 5),"
                " round((%(lat0)s + (s.g * 0.414214 - floor(s.g * 0.414214)) * %(lats)s)::numeric,"
                " 5)))",
                "address": "'锦州市基准大街' || s.g || '号'",
                "description": "'园区以先进制造业为主导，配套齐全，交通便利。'",
                "sources": "'园区管委会公开资料'",
                "created_at": "now()",
                "updated_at": "now()",
            },
            "FROM generate_series(0, %(n)s - 1) s(g)",
            {"n": args.parks, "areas": area_ids, "na": len(area_ids), "lng0": LNG0,
             "lngs": LNG_SPAN, "lat0": LAT0, "lats": LAT_SPAN},
        )  # fmt: skip
        with connection.cursor() as cur:
            cur.execute(
                "CREATE TEMP TABLE lb_p AS SELECT row_number() OVER (ORDER BY id) - 1 AS n, id,"
                " point FROM parks_park"
            )
            cur.execute("CREATE UNIQUE INDEX ON lb_p (n)")
            # Three leading industries a park, two substations.
            cur.execute(
                "INSERT INTO parks_park_industries (park_id, industry_id) SELECT DISTINCT p.id,"
                " (%(ind)s::bigint[])[1 + (p.n * 7 + k * 5) %% %(ni)s]"
                " FROM lb_p p CROSS JOIN generate_series(0, 2) k",
                {"ind": industries, "ni": len(industries)},
            )
        insert_generated(
            Substation,
            {
                "park_id": "p.id",
                "name": "'基准变电站' || p.n || '-' || k",
                "voltage_kv": "220",
                "capacity_kva": "180000",
                "spare_kva": "(5000 + (p.n * 31 + k * 17) %% 60000)::numeric",
            },
            "FROM lb_p p CROSS JOIN generate_series(0, 1) k",
            {},
        )
        step(t0, "parks")
        with connection.cursor() as cur:
            cur.execute(
                "CREATE TEMP TABLE lb_pr AS SELECT row_number() OVER (ORDER BY id) - 1 AS n, id"
                " FROM projects_project"
            )
            cur.execute("CREATE UNIQUE INDEX ON lb_pr (n)")
        # The leads, with land needs: 80 % say the land (3-300 亩), most the power, some the
        # water, a budget, a port or a rail siding.
        status = "(ARRAY['lead','contact','negotiating','paused'])[1 + s.g %% 4]"
        insert_generated(
            Lead,
            {
                "investor_id": "e.id",
                "name": "'用地意向项目' || s.g || '号'",
                "industry_id": "CASE WHEN s.g %% 5 = 4 THEN NULL ELSE "
                "(%(industries)s::bigint[])[1 + s.g %% %(n_ind)s] END",
                "investment_wan": "(500 + (s.g * 7919) %% 200000)::numeric",
                "land_mu": "CASE WHEN s.g %% 5 = 3 THEN NULL ELSE (3 + (s.g * 13) %% 298)::numeric"
                " END",
                "power_kva": "CASE WHEN s.g %% 3 = 0 THEN NULL ELSE (500 + s.g * 7 %% 20000)::numeric"
                " END",
                "water_tons": "CASE WHEN s.g %% 4 = 0 THEN (50 + s.g %% 3000)::numeric END",
                "max_price_wan_per_mu": "CASE WHEN s.g %% 2 = 0 THEN (5 + s.g %% 25)::numeric END",
                "needs_port": "s.g %% 11 = 0",
                "needs_rail": "s.g %% 13 = 0",
                "source": "(%(sources)s::text[])[1 + s.g %% %(n_src)s]",
                "region_id": "o.region_id",
                "owner_id": "o.id",
                "status": status,
                "paused_from": "CASE WHEN s.g %% 4 = 3 THEN 'contact' ELSE '' END",
                "status_reason": "''",
                "lead_on": "current_date - 30 - s.g %% 700",
                "notes": "''",
                "created_at": "now() - (s.g %% 700) * interval '1 day'",
                "updated_at": "now() - (s.g %% 100000) * interval '7 minutes'",
            },
            "FROM generate_series(0, %(n)s - 1) s(g)"
            " JOIN lb_o o ON o.n = s.g %% %(no)s JOIN lb_e e ON e.n = (s.g * 17) %% %(ne)s",
            {"n": args.leads, "no": OWNERS, "ne": ENTERPRISES, "industries": industries,
             "n_ind": len(industries), "sources": list(ContactSource.values),
             "n_src": len(ContactSource.values)},
        )  # fmt: skip
        step(t0, "leads")
        with connection.cursor() as cur:
            cur.execute("SELECT min(id) FROM leads_lead")
            first_lead = cur.fetchone()[0]
        # The plots: around their park, 60 % available, 15 % reserved for a lead, 25 % taken by
        # a public project (the OC4IDS locations); one in five with an outline.
        plot_status = "CASE WHEN s.k < 12 THEN 'available' WHEN s.k < 15 THEN 'reserved'" " ELSE 'taken' END"  # fmt: skip
        insert_generated(
            Plot,
            {
                "park_id": "p.id",
                "code": "'DK-' || lpad(s.i::text, 4, '0')",
                "name": "CASE WHEN s.i %% 3 = 0 THEN '工业用地' || s.i ELSE '' END",
                "point": "s.pt",
                "outline": "CASE WHEN s.g %% 5 = 0 THEN jsonb_build_object('type', 'Polygon',"
                " 'coordinates', jsonb_build_array(jsonb_build_array("
                "jsonb_build_array(s.x, s.y), jsonb_build_array(s.x + 0.002, s.y),"
                " jsonb_build_array(s.x + 0.002, s.y + 0.0015), jsonb_build_array(s.x, s.y + 0.0015),"
                " jsonb_build_array(s.x, s.y)))) END",
                "status": plot_status,
                "reserved_for_id": "CASE WHEN s.k BETWEEN 12 AND 14"
                " THEN %(first_lead)s + (s.g * 7) %% %(nl)s END",
                "reserved_until": "CASE WHEN s.k BETWEEN 12 AND 14 THEN current_date + 20 END",
                "project_id": "CASE WHEN s.k >= 15 THEN pr.id END",
                "taken_on": "CASE WHEN s.k >= 15 THEN current_date - 100 END",
                "notes": "''",
                "is_demo": "false",
                "created_at": "now()",
                "updated_at": "now()",
                "area_mu": "(2 + (s.g * 7919) %% 400 + (s.g %% 7) * 0.25)::numeric",
                "area_m2": "round((2 + (s.g * 7919) %% 400 + (s.g %% 7) * 0.25) * 2000 / 3.0, 2)",
                "land_use": "(ARRAY['industrial','industrial','industrial','warehouse',"
                "'research','mixed'])[1 + s.g %% 6]",
                "far_min": "1.0",
                "far_max": "(1.5 + s.g %% 3)::numeric",
                "density_max": "50",
                "green_max": "15",
                "height_limit_m": "CASE WHEN s.g %% 4 = 0 THEN NULL ELSE 24 END",
                "utilities": "'[\"road\", \"power\", \"water\", \"sewer\"]'::jsonb",
                "power_kva": "CASE WHEN s.g %% 3 = 0 THEN NULL ELSE (200 + s.g * 13 %% 30000)::numeric"
                " END",
                "price_wan_per_mu": "CASE WHEN s.g %% 6 = 0 THEN NULL ELSE (4 + s.g %% 26)::numeric"
                " END",
                "price_is_reference": "true",
            },
            "FROM (SELECT g, g %% %(ppp)s AS i, g / %(ppp)s AS pn, (g * 7) %% 20 AS k,"
            " x, y, jsonb_build_object('type', 'Point', 'coordinates', jsonb_build_array(x, y)) AS pt"
            " FROM (SELECT g, round(((pp.point->'coordinates'->>0)::numeric"
            "  + ((g %% 10) - 5) * 0.004), 6) AS x,"
            "  round(((pp.point->'coordinates'->>1)::numeric + (((g / 10) %% 10) - 5) * 0.003), 6) AS y"
            "  FROM generate_series(0, %(n)s - 1) g JOIN lb_p pp ON pp.n = g / %(ppp)s) xy) s"
            " JOIN lb_p p ON p.n = s.pn LEFT JOIN lb_pr pr ON pr.n = (s.g * 3) %% %(npr)s",
            {"n": n_plots, "ppp": args.plots_per_park, "first_lead": first_lead,
             "nl": args.leads, "npr": args.projects},
        )  # fmt: skip
        step(t0, "plots")
        insert_generated(
            Building,
            {
                "park_id": "p.id",
                "code": "'CF-' || k",
                "name": "'标准厂房' || k || '号'",
                "point": "p.point",
                "status": "(ARRAY['available','available','reserved','taken','available'])[1 + k]",
                "reserved_for_id": "CASE WHEN k = 2 THEN %(first_lead)s + p.n * 11 END",
                "reserved_until": "CASE WHEN k = 2 THEN current_date + 20 END",
                "notes": "''",
                "is_demo": "false",
                "created_at": "now()",
                "updated_at": "now()",
                "floor_area_m2": "(2000 + (p.n * 7 + k * 1500) %% 20000)::numeric",
                "floors": "1 + k %% 3",
                "for_rent": "true",
                "for_sale": "k %% 2 = 0",
                "rent_yuan_m2_month": "(8 + k)::numeric",
            },
            "FROM lb_p p CROSS JOIN generate_series(0, 4) k",
            {"first_lead": first_lead},
        )
        with connection.cursor() as cur:
            for t in ("lb_o", "lb_e", "lb_p", "lb_pr"):
                cur.execute(f"DROP TABLE {t}")
        step(t0, "buildings")
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    step(t0, "data ready")


# --- the code before this work, for the ratio in the same run ----------------------------------

# main before issue 17 item 8: its matching and map modules are loaded from git beside ours.
BEFORE = "1c1865a"


def before_module(name: str) -> Any:
    """guanjia.parks.<name> as it was at BEFORE (None outside a git checkout)."""
    import subprocess
    import types

    from benchlib import ROOT

    try:
        source = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{BEFORE}:guanjia/parks/{name}.py"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return None
    module = types.ModuleType(f"guanjia.parks._before_{name}")
    module.__package__ = "guanjia.parks"
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, f"{BEFORE}:{name}.py", "exec"), module.__dict__)  # noqa: S102
    return module


# --- timing -------------------------------------------------------------------------------------


def timed(fn: Callable[[int], Any], n: int, *, before: Callable[[], Any] | None = None) -> dict:
    """p50/p95 wall and CPU milliseconds of n calls of fn(i) after 2 warm-ups, the queries,
    the size of the last result (bytes of a response, items of a list). `before` runs ahead
    of every call, untimed (emptying the cache)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, cpu = [], []
    queries, size, status = 0, None, None
    for i in range(n + 2):
        if before is not None:
            before()
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as ctx:
            c0, t0 = time.process_time(), time.perf_counter()
            result = fn(i)
            elapsed, used = time.perf_counter() - t0, time.process_time() - c0
        queries = len(ctx.captured_queries)
        if hasattr(result, "status_code"):
            status = result.status_code
            size = len(result.content)
        elif hasattr(result, "__len__"):
            size = len(result)
        if i >= 2:
            times.append(elapsed * 1000)
            cpu.append(used * 1000)
    out = {"p50_ms": pct(times, 0.5), "p95_ms": pct(times, 0.95), "cpu_p50_ms": pct(cpu, 0.5),
           "queries": queries, "size": size}  # fmt: skip
    if status is not None:
        out["status"] = status
    return out


def _clear() -> None:
    from django.core.cache import cache

    cache.clear()


def measure_matching(n: int) -> dict[str, Any]:
    from django.test import Client

    from guanjia.accounts.models import ApiToken, User
    from guanjia.leads.models import Lead
    from guanjia.parks import matching

    admin = User.objects.get(username="lb_admin")
    # Leads with land needs, spread over the table, a different one each call.
    ids = list(
        Lead.objects.filter(land_mu__isnull=False).order_by("pk").values_list("pk", flat=True)
    )
    stride = max(1, len(ids) // (n + 2))
    sample = [Lead.objects.select_related("industry").get(pk=pk) for pk in ids[::stride][: n + 2]]
    _, token = ApiToken.issue(admin, "bench")
    api = Client(headers={"authorization": f"Bearer {token}"})

    def cases(module: Any) -> dict[str, Any]:
        out = {
            "matches_for_5": timed(lambda i: module.matches_for(sample[i % len(sample)], 5), n),
            "matches_for_20": timed(lambda i: module.matches_for(sample[i % len(sample)]), n),
        }
        if module is matching:  # the API and the lead page call ours
            out["api_land_matches"] = timed(
                lambda i: api.get(f"/api/v1/leads/{sample[i % len(sample)].pk}/land-matches"), n
            )
        return out

    out = {"after": cases(matching)}
    old = before_module("matching")
    if old is not None:
        out["before"] = cases(old)
    return out


def measure_map(n: int) -> dict[str, Any]:
    from django.http import JsonResponse
    from django.test import Client

    from guanjia.accounts.models import User
    from guanjia.industries.models import Industry
    from guanjia.parks import mapdata
    from guanjia.parks.models import Park, Plot

    admin = User.objects.get(username="lb_admin")
    client = Client()
    client.force_login(admin)
    led = Park.industries.through.objects.values("industry_id")
    industry = Industry.objects.filter(pk__in=led).order_by("pk").first()
    queries = {
        "all": "",
        "available_100mu": "status=available&min_mu=100",
        "industry_price_50mu": f"industry={industry.pk if industry else ''}&max_price=10&min_mu=50",
    }
    old = before_module("mapdata")
    slow = max(8, n // 4)  # the calls that read all 50,000 plots
    out: dict[str, Any] = {}
    for name, q in queries.items():
        url = "/parks/map/data.json" + (f"?{q}" if q else "")
        out[f"staff:{name}:cached"] = timed(lambda i, url=url: client.get(url), n)
        out[f"staff:{name}:uncached"] = timed(
            lambda i, url=url: client.get(url), slow, before=_clear
        )
        if old is not None:  # the view before: map_data, then JsonResponse
            f = _filters(q)
            out[f"staff:{name}:before"] = timed(
                lambda i, f=f: JsonResponse(
                    old.map_data(Plot.objects.all(), Park.objects.all(), f)
                ),
                slow,
            )

    def public(i: int) -> bytes:
        return mapdata.cached_map_json(
            "public", Plot.objects.all(), Park.objects.all(), public=True
        )

    out["public:all:cached"] = timed(public, n)
    out["public:all:uncached"] = timed(public, slow, before=_clear)
    if old is not None:
        out["public:all:before"] = timed(
            lambda i: JsonResponse(
                old.map_data(Plot.objects.all(), Park.objects.all(), public=True)
            ),
            slow,
        )
    return out


def _filters(query: str) -> Any:
    from django.http import QueryDict

    from guanjia.parks.forms import MapFilter

    return MapFilter(QueryDict(query)).filters()


def measure_portal(n: int) -> dict[str, Any]:
    from django.test import Client

    from guanjia.parks.models import Park
    from guanjia.portal import access

    park = Park.objects.order_by("pk")[Park.objects.count() // 2]
    projects = access.public_projects().order_by("pk")
    project = projects[projects.count() // 2]
    pages = {
        "home": "/invest/",
        "parks": "/invest/parks/",
        "park": f"/invest/parks/{park.pk}/",
        "policies": "/invest/policies/",
        "projects": "/invest/projects/",
        "project": f"/invest/projects/{project.pk}/",
    }
    out: dict[str, Any] = {}
    for lang in ("zh-hans", "en"):
        client = Client(headers={"accept-language": lang})
        for name, url in pages.items():
            out[f"{lang}:{name}:cached"] = timed(lambda i, c=client, u=url: c.get(u), n)
            out[f"{lang}:{name}:uncached"] = timed(
                lambda i, c=client, u=url: c.get(u), n, before=_clear
            )
    return out


def measure_open(n: int) -> dict[str, Any]:
    from django.test import Client

    client = Client()
    out: dict[str, Any] = {}
    for name, url, calls in (
        ("oc4ids_projects", "/open/oc4ids/projects.json", max(3, n // 8)),
        ("plots_geojson", "/open/plots.geojson", max(3, n // 4)),
        ("parks_geojson", "/open/parks.geojson", n),
    ):
        out[f"{name}:built"] = timed(lambda i, url=url: client.get(url), calls, before=_clear)
        out[f"{name}:cached"] = timed(lambda i, url=url: client.get(url), n)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parks", type=int, default=500)
    parser.add_argument("--plots-per-park", type=int, default=100)
    parser.add_argument("--leads", type=int, default=200_000)
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--only", default="", help="matching, map, portal or open")
    parser.add_argument("--fresh", action="store_true", help="drop the data and generate it anew")
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    url = bench_database(base, "land", fresh=args.fresh)
    setup_django(url)
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    generate(args)
    from guanjia.leads.models import Lead
    from guanjia.parks.models import Park, Plot
    from guanjia.projects.models import Project

    results: dict[str, Any] = {}
    for name, fn in (("matching", measure_matching), ("map", measure_map),
                     ("portal", measure_portal), ("open", measure_open)):  # fmt: skip
        if args.only and args.only != name:
            continue
        found = fn(args.calls)
        results[name] = found
        rows = found.items()
        if name == "matching":
            rows = [(f"{k}:{c}", v) for k, cs in found.items() for c, v in cs.items()]
        for case, row in rows:
            print(
                f"{name:8s} {case:42s} p50 {row['p50_ms']:8.1f} ms  p95 {row['p95_ms']:8.1f} ms"
                f"  cpu p50 {row['cpu_p50_ms']:7.1f} ms  queries {row['queries']:2d}"
                f"  size {row['size']}",
                file=sys.stderr,
            )
    figures = {
        "parks": Park.objects.count(),
        "plots": Plot.objects.count(),
        "leads": Lead.objects.count(),
        "public_projects": Project.objects.filter(public=True).count(),
        "database": "postgresql",
        "cache": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1],
        "load_average": [round(x, 2) for x in os.getloadavg()],
        **results,
    }
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
