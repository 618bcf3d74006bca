"""Ledger benchmark on PostgreSQL: 100,000 projects and 20,000 enterprises it generates itself.

Run: make bench   (or DATABASE_URL=postgres://... .venv/bin/python bench/ledger.py)
Options: --projects N --enterprises N --requests N --keep (reuse existing bench data);
--scopes: only check the plans of the ledger and the stalled lists at city, area and steward
scope and time those pages, as they are and without this issue's indexes, alternately.

It creates its own database (<name>_bench next to DATABASE_URL's), measures the ledger page
(first page and page 500, filtered and unfiltered) and the API list with Django's test client
(the full request path: middleware, auth, templates), counts SQL queries per request, times a
10,000-row import and a 100,000-row export (peak memory of a separate export process), and
prints the figures as one JSON line at the end.
"""

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from benchlib import ROOT, bench_database, check_plan, pct, rolled_back, setup_django  # noqa: E402


def generate(n_projects: int, n_enterprises: int) -> None:
    """Bulk-insert reference data, enterprises and projects (deterministic)."""
    from django.db import connection, transaction

    from guanjia.enterprises.creditcode import make_code
    from guanjia.enterprises.models import Enterprise, Ownership
    from guanjia.industries.loading import load_industries
    from guanjia.industries.models import Industry
    from guanjia.projects.models import Level, Project
    from guanjia.projects.stages import LINE, Stage
    from guanjia.regions.loading import load_regions
    from guanjia.regions.models import Region

    load_regions()
    load_industries()
    rng = random.Random(2023)
    areas = list(Region.objects.filter(parent__code="210700", abolished_on__isnull=True))
    industries = list(Industry.objects.all())
    cities = ["锦州市", "北京市", "上海市", "沈阳市", "大连市", "深圳市", "杭州市", "天津市"]
    with transaction.atomic():
        have = Enterprise.objects.count()
        Enterprise.objects.bulk_create(
            [
                Enterprise(
                    name=f"锦州基准测试企业{i:05d}有限公司",
                    credit_code=make_code(f"91210700{i:09d}"),
                    ownership=rng.choice(Ownership.values),
                    home_city=rng.choice(cities),
                    region=rng.choice(areas),
                    industry=rng.choice(industries),
                )
                for i in range(have, n_enterprises)
            ],
            batch_size=5000,
        )
        enterprise_ids = list(Enterprise.objects.values_list("id", flat=True))
        have = Project.objects.count()
        batch: list[Project] = []
        for i in range(have, n_projects):
            stage = rng.choice(LINE + [Stage.WITHDRAWN])
            start = dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(0, 1800))
            p = Project(
                name=f"基准项目{i:06d}号年产{rng.randint(1, 99)}万吨生产线",
                enterprise_id=rng.choice(enterprise_ids),
                region=rng.choice(areas),
                industry=rng.choice(industries),
                level=rng.choice(Level.values),
                stage=stage,
                total_investment_wan=Decimal(rng.randrange(500, 500000)),
                lead_on=start,
            )
            if stage != Stage.WITHDRAWN and LINE.index(stage) >= LINE.index(Stage.SIGNED):
                p.signed_on = start + dt.timedelta(days=30)
                p.registered_on = (
                    p.signed_on + dt.timedelta(days=60) if LINE.index(stage) >= 3 else None
                )
                p.construction_on = (
                    p.signed_on + dt.timedelta(days=200) if LINE.index(stage) >= 5 else None
                )
            setattr(p, f"{stage}_on", getattr(p, f"{stage}_on") or start)
            batch.append(p)
            if len(batch) == 10000:
                Project.objects.bulk_create(batch)
                batch = []
        Project.objects.bulk_create(batch)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")


STEWARDS = 200
AREA = "210781"  # 凌海市: the area official's scope


def stewards() -> None:
    """Stewards for the enterprises (one in `STEWARDS` each, by id) and for every second
    project (its enterprise's), an area official: the scopes the ledger is read at.
    Deterministic; done once (kept with the data)."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction

    from guanjia.accounts.models import Role, User
    from guanjia.regions.models import Region

    User.objects.get_or_create(
        username="bench_admin",
        defaults={"role": Role.CITY_ADMIN, "region": Region.objects.get(code="210700")},
    )
    if User.objects.filter(username="bench_steward_0001").exists():
        return
    areas = list(Region.objects.filter(parent__code="210700", abolished_on__isnull=True))
    with transaction.atomic():
        User.objects.bulk_create(
            [
                User(username=f"bench_steward_{i:04d}", role=Role.STEWARD,
                     region=areas[i % len(areas)], password=make_password(None))
                for i in range(1, STEWARDS + 1)
            ]
            + [
                User(username=f"bench_area_official_{AREA}", role=Role.AREA_OFFICIAL,
                     region=Region.objects.get(code=AREA), password=make_password(None))
            ]
        )  # fmt: skip
        with connection.cursor() as cur:
            cur.execute(
                "UPDATE enterprises_enterprise e SET steward_id = s.id FROM ("
                " SELECT id, row_number() OVER (ORDER BY username) - 1 AS n FROM accounts_user"
                " WHERE username LIKE 'bench_steward_%%') s WHERE e.id %% %s = s.n",
                [STEWARDS],
            )
            cur.execute(
                "UPDATE projects_project p SET steward_id = e.steward_id"
                " FROM enterprises_enterprise e WHERE e.id = p.enterprise_id AND p.id % 2 = 0"
            )
            cur.execute("ANALYZE")


# Each scope's lists: (case, username, url, indexes the rows may be read off).
SCOPE_USERS = {"city": "bench_admin", "area": f"bench_area_official_{AREA}",
               "steward": "bench_steward_0001"}  # fmt: skip
STALL_INDEXES = {
    "signed_not_registered": "project_stall_signed",
    "registered_not_started": "project_stall_registered",
    "started_not_completed": "project_stall_started",
}
NEW_INDEXES = list(STALL_INDEXES.values())
# Also fine: the ledger's older (stage, signed_on) index, in order for the signed list, and
# for a steward's few projects of a stage (then top-N sorted: the check bounds the sort).
ALSO = ("projects_pr_stage_c5e92a_idx",)


def scope_cases() -> list[tuple[str, str, str, str]]:
    cases = []
    for scope, username in SCOPE_USERS.items():
        cases.append((f"{scope}: ledger, first page", username, "/projects/", ""))
        for kind, index in STALL_INDEXES.items():
            cases.append((f"{scope}: stalled {kind}", username, f"/projects/stalled/?kind={kind}",
                          index))  # fmt: skip
    return cases


def explain_scopes() -> list[dict]:
    """The plans of each scope's stalled list pages (rows and counts) and ledger page (ids),
    checked: no Seq Scan over the projects, no sort of a whole list, the list's own index."""
    from django.utils import timezone

    from guanjia.accounts.models import User
    from guanjia.projects import stalled
    from guanjia.projects.access import projects_for
    from guanjia.projects.ledger import LedgerFilter

    tables = ("projects_project",)
    today = timezone.localdate()
    out = []
    for scope, username in SCOPE_USERS.items():
        user = User.objects.get(username=username)
        ledger = LedgerFilter.from_params({}).apply(projects_for(user))
        plans = {"ledger ids": (ledger.values_list("pk", flat=True)[:25], ())}
        for kind, index in STALL_INDEXES.items():
            rows = stalled.stalled(projects_for(user), kind, today)
            plans[f"stalled {kind}"] = (rows[:25], (index, *ALSO))
            plans[f"stalled {kind} count"] = (rows.order_by().values("pk"), ())
        for name, (qs, indexes) in plans.items():
            checked = check_plan(qs.explain(format="json"), tables=tables, indexes=indexes)
            print(f"EXPLAIN {scope}: {name}: {checked}", file=sys.stderr)
            out.append({"case": f"{scope}: {name}"} | checked)
    bad = [r["case"] for r in out if not r["ok"]]
    assert not bad, f"plans not as intended: {bad}"
    return out


@contextlib.contextmanager
def as_before(before: bool, stalled_list: bool = False) -> Iterator[None]:
    """As before this issue's changes when `before`: without its indexes (dropped in a
    transaction rolled back), a steward's projects found through the enterprise join, and (on
    a stalled list) each list counted afresh on every view."""
    from django.db.models import Q

    from guanjia.accounts.models import Role
    from guanjia.projects import access, views
    from guanjia.projects.ledger import Summary

    visible_q, summarise = access.visible_q, views.summarise

    def old_visible_q(user):  # type: ignore[no-untyped-def]
        if user.is_active and user.role == Role.STEWARD:
            return Q(steward=user) | Q(enterprise__steward=user)
        return visible_q(user)

    if before:
        access.visible_q = old_visible_q
        if stalled_list:
            views.summarise = lambda qs: Summary(count=qs.count(), total_investment_wan=0)
    try:
        with rolled_back(NEW_INDEXES if before else ()):
            yield
    finally:
        access.visible_q, views.summarise = visible_q, summarise


def measure_scopes(n: int, rounds: int, n_before: int) -> dict:
    """Each scope's ledger and stalled list pages through the full request path, after and
    before alternately (A/B/A/B…)."""
    from django.core.cache import cache
    from django.test import Client

    from guanjia.accounts.models import User

    clients = {}
    for username in SCOPE_USERS.values():
        clients[username] = Client()
        clients[username].force_login(User.objects.get(username=username))
    times: dict[tuple[str, str], list[float]] = {}
    out: dict[str, dict] = {}
    for _round in range(rounds):
        for variant in ("after", "before"):
            cache.clear()  # the ledger's summary: each variant computes its own once
            for case, username, url, _index in scope_cases():
                with as_before(variant == "before", stalled_list="stalled" in url):
                    got, queries, status = timed_get(
                        clients[username], url, n if variant == "after" else n_before
                    )
                    assert status == 200, (case, status)
                    times.setdefault((case, variant), []).extend(got)
                    out.setdefault(case, {"url": url})[f"queries_{variant}"] = queries
    for (case, variant), got in times.items():
        out[case] |= {f"p50_{variant}": pct(got, 0.5), f"p95_{variant}": pct(got, 0.95)}
    for case, row in out.items():
        print(
            f"{case:42s} after p50 {row['p50_after']:7.1f} p95 {row['p95_after']:7.1f}"
            f" | before p50 {row['p50_before']:7.1f} p95 {row['p95_before']:7.1f} ms"
            f" | queries {row['queries_after']}/{row['queries_before']}",
            file=sys.stderr,
        )
    return out


def timed_get(client, url: str, n: int, cold: bool = False) -> tuple[list[float], int, int]:
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = []
    queries = 0
    status = 0
    for i in range(n + 2):
        if cold:
            cache.clear()  # as after any change to the ledger: the summary is recomputed
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            resp = client.get(url)
            elapsed = time.perf_counter() - t0
        status = resp.status_code
        queries = len(ctx.captured_queries)
        if i >= 2:  # the first two warm caches and connections
            times.append(elapsed * 1000)
    return times, queries, status


def measure_pages(n: int) -> dict:
    from django.test import Client

    from guanjia.accounts.models import ApiToken, Role, User
    from guanjia.regions.models import Region

    city = Region.objects.get(code="210700")
    user, _ = User.objects.get_or_create(
        username="bench_admin", defaults={"role": Role.CITY_ADMIN, "region": city}
    )
    client = Client()
    client.force_login(user)
    _, token = ApiToken.issue(user, "bench")
    api = Client(headers={"authorization": f"Bearer {token}"})
    cases = {
        "ledger_first_page": (client, "/projects/"),
        "ledger_first_page_cold": (client, "/projects/"),
        "ledger_page_500": (client, "/projects/?page=500"),
        "ledger_filtered_first_page": (client, "/projects/?region=210781&stage=construction"),
        "ledger_filtered_page_20": (client, "/projects/?region=210781&stage=construction&page=20"),
        "ledger_search": (client, "/projects/?q=基准项目00012"),
        "ledger_sorted_by_investment": (client, "/projects/?sort=-investment&page=100"),
        "api_list_first_page": (api, "/api/v1/projects?limit=25"),
        "api_list_offset_12500": (api, "/api/v1/projects?limit=25&offset=12500"),
        "api_list_filtered": (api, "/api/v1/projects?limit=25&region=210781&stage=construction"),
        "api_list_limit_100": (api, "/api/v1/projects?limit=100"),
    }
    out = {}
    for name, (c, url) in cases.items():
        times, queries, status = timed_get(c, url, n, cold=name.endswith("_cold"))
        out[name] = {
            "p50_ms": pct(times, 0.5),
            "p95_ms": pct(times, 0.95),
            "queries": queries,
            "status": status,
        }
    return out


def measure_import(rows: int) -> dict:
    """Write a 10,000-row spreadsheet another office might send, then validate and commit it."""
    import xlsxwriter

    from guanjia.projects import importers
    from guanjia.projects.models import Project

    path = Path(tempfile.mkdtemp()) / "import.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet()
    headers = [
        "项目名称",
        "企业名称",
        "统一社会信用代码",
        "所属县区",
        "产业类别",
        "当前阶段",
        "总投资(亿元)",
        "签约时间",
    ]
    ws.write_row(0, 0, headers)
    from guanjia.enterprises.creditcode import make_code

    stamp = int(time.time())
    areas = ["凌海市", "黑山县", "太和区", "古塔区", "北镇市", "义县"]
    stages = ["签约", "注册落地", "开工", "在谈"]
    for i in range(rows):
        ws.write_row(
            i + 1,
            0,
            [
                f"导入基准项目{stamp}-{i:05d}",
                f"导入基准企业{i % 2000:04d}有限公司",
                make_code(f"91210781{(stamp % 1000):03d}{i % 2000:06d}"),
                areas[i % 6],
                "新能源",
                stages[i % 4],
                round(1 + (i % 50) * 0.1, 2),
                "" if stages[i % 4] == "在谈" else "2024-05-01",
            ],
        )
    wb.close()
    before = Project.objects.count()
    t0 = time.perf_counter()
    result = importers.run_import(path, user=None, commit=True)
    elapsed = time.perf_counter() - t0
    created = Project.objects.count() - before
    # Keep the data set at its size for the next run.
    Project.objects.filter(name__startswith=f"导入基准项目{stamp}-").delete()
    from guanjia.enterprises.models import Enterprise

    Enterprise.objects.filter(name__startswith="导入基准企业", projects__isnull=True).delete()
    return {
        "rows": rows,
        "seconds": round(elapsed, 2),
        "created": created,
        "errors": len(getattr(result, "errors", []) or []),
    }


def measure_export(db_url: str) -> dict:
    """Export every project in a separate process and read its peak RSS."""
    out = Path(tempfile.mkdtemp()) / "ledger.xlsx"
    code = (
        "import os,resource,sys,time,django;"
        "os.environ['DJANGO_SETTINGS_MODULE']='guanjia.settings';django.setup();"
        "from guanjia.projects.exporters import export_projects;"
        "from guanjia.projects.models import Project;"
        "base=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss;"
        "t=time.perf_counter();n=export_projects(Project.objects.order_by('id'), sys.argv[1]);"
        "e=time.perf_counter()-t;"
        "print(e, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, base, n)"
    )
    env = dict(os.environ, DATABASE_URL=db_url, PYTHONPATH=str(ROOT))
    res = subprocess.run(
        [sys.executable, "-c", code, str(out)], env=env, capture_output=True, text=True, check=True
    )
    seconds, peak_kb, base_kb, rows = res.stdout.strip().split()[-4:]
    return {
        "rows": int(rows) if rows.isdigit() else rows,
        "seconds": round(float(seconds), 2),
        "peak_rss_mb": round(int(peak_kb) / 1024, 1),
        "startup_rss_mb": round(int(base_kb) / 1024, 1),
        "file_mb": round(out.stat().st_size / 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--enterprises", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--import-rows", type=int, default=10_000)
    parser.add_argument(
        "--scopes",
        action="store_true",
        help="only: check the plans and time each scope's lists (A/B)",
    )
    parser.add_argument("--scope-pages", type=int, default=30, help="requests a case, a round")
    parser.add_argument("--before-pages", type=int, default=10, help="the same, before")
    parser.add_argument("--rounds", type=int, default=2, help="after/before rounds")
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    if not base.startswith("postgres"):
        sys.exit("the benchmark runs on PostgreSQL: set DATABASE_URL=postgres://...")
    url = bench_database(base, "")
    setup_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    generate(args.projects, args.enterprises)
    print(f"data ready in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    from guanjia.enterprises.models import Enterprise
    from guanjia.projects.models import Project

    if args.scopes:
        stewards()
        scoped = {"plans": explain_scopes()}
        scoped["scopes"] = measure_scopes(args.scope_pages, args.rounds, args.before_pages)
        print(json.dumps(scoped, ensure_ascii=False))
        return
    figures = {
        "projects": Project.objects.count(),
        "enterprises": Enterprise.objects.count(),
        "database": "postgresql",
        "pages": measure_pages(args.requests),
    }
    figures["export"] = measure_export(url)
    figures["import"] = measure_import(args.import_rows)
    for name, row in figures["pages"].items():
        print(
            f"{name:32s} p50 {row['p50_ms']:7.1f} ms  p95 {row['p95_ms']:7.1f} ms  "
            f"queries {row['queries']:2d}  status {row['status']}",
            file=sys.stderr,
        )
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
