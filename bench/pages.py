"""What each page and API call of the load drill costs, one at a time, in the production profile.

Run: .venv/bin/python bench/pages.py [--calls 30] [--fresh]

It loads the Jinzhou demo into its own PostgreSQL database (`bench_pages`, Redis databases 9
and 10; --fresh starts them again; --database and --redis-dbs, or BENCH_PAGES_DATABASE and
BENCH_PAGES_REDIS_DBS="11,12", pick others so that two runs can share a machine) with the production profile's settings (as
drills/prodstack.py sets them up for the drills), then calls each endpoint of
drills/locustfile.py `--calls` times in this process through Django's test client, as the
city admin (a session, and an API token), after three warm-up calls. Per call it reports the
CPU time of this process (the application: middleware, view, ORM, templates), the CPU time of
the PostgreSQL backend serving it, the wall time, the number of queries and the size of the
answer; then the locust mix's weighted average, which bounds what two cores can serve:
requests/s <= 2000 ms / (application + PostgreSQL + locust per request).

One JSON line at the end. This is where to look first when the load drill misses its target.
"""

import argparse
import cProfile
import datetime as dt
import json
import os
import pstats
import re
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "drills"))
sys.path.insert(0, str(ROOT))

import prodstack  # noqa: E402

# The locustfile's task weights (reads 80, writes 20).
MIX = {
    "GET /projects/": 14,
    "GET /projects/?stage=": 8,
    "GET /projects/?q=": 8,
    "GET /projects/[id]/": 14,
    "GET /requests/": 10,
    "GET /requests/[id]/": 10,
    "GET /cockpit/data/": 8,
    "GET /api/v1/projects": 4,
    "GET /api/v1/requests": 4,
    "POST /api/v1/requests": 7,
    "POST /api/v1/requests/[id]/steps/note": 5,
    "POST /api/v1/projects/[id]/transition": 4,
    "POST /services/new/": 4,
}


def measure(calls: int, profile: str = "") -> dict[str, Any]:
    import psutil
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from guanjia.accounts.models import ApiToken, User
    from guanjia.projects.models import Project
    from guanjia.requests.models import ServiceRequest

    admin = User.objects.get(username="admin")
    page = Client(HTTP_HOST="127.0.0.1")
    page.force_login(admin, backend=settings.AUTHENTICATION_BACKENDS[0])
    token = ApiToken.issue(admin, "bench")[1]
    api = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}")

    def json_post(path: str, body: dict[str, Any]) -> Any:
        return api.post(path, body, content_type="application/json")

    # The demo's own rows (the lowest ids), not ones earlier runs wrote.
    projects = list(Project.objects.order_by("id").values_list("pk", flat=True)[:10])
    requests = list(ServiceRequest.objects.order_by("id").values_list("pk", flat=True)[:10])
    firms = api.get("/api/v1/enterprises?limit=100").json()["items"]
    located = [(e["id"], e["region"]["id"]) for e in firms if e.get("region")]
    category = api.get("/api/v1/requests/categories").json()["items"][0]["code"]
    own = json_post("/api/v1/projects", {
        "name": f"基准项目 {secrets.token_hex(3)}", "enterprise_id": located[0][0],
        "region_id": located[0][1], "total_investment_wan": "1000",
    }).json()["id"]  # fmt: skip
    html = page.get("/services/new/").content.decode()
    choice = {
        field: re.findall(
            r'<option value="(\d+)"',
            re.search(rf'<select name="{field}"[^>]*>(.*?)</select>', html, re.S).group(1),  # type: ignore[union-attr]
        )[0]
        for field in ("steward", "enterprise")
    }
    mine: list[int] = []
    forward = [True]

    def submit() -> Any:
        answer = json_post("/api/v1/requests", {
            "category": category, "enterprise_id": firms[1]["id"], "text": "基准：用电报装进度咨询",
        })  # fmt: skip
        mine.append(answer.json()["id"])
        return answer

    def move() -> Any:
        body = ({"to_stage": "negotiating"} if forward[0]
                else {"to_stage": "lead", "reason": "基准：阶段更正"})  # fmt: skip
        forward[0] = not forward[0]
        return json_post(f"/api/v1/projects/{own}/transition", body)

    today = dt.date.today().isoformat()
    endpoints = {
        "GET /projects/": lambda: page.get("/projects/"),
        "GET /projects/?stage=": lambda: page.get("/projects/?stage=signed"),
        "GET /projects/?q=": lambda: page.get("/projects/?q=锦州"),
        "GET /projects/[id]/": lambda: page.get(f"/projects/{projects[5]}/"),
        "GET /requests/": lambda: page.get("/requests/"),
        "GET /requests/[id]/": lambda: page.get(f"/requests/{requests[5]}/"),
        "GET /cockpit/data/": lambda: page.get("/cockpit/data/"),
        "GET /api/v1/projects": lambda: api.get("/api/v1/projects?limit=20"),
        "GET /api/v1/requests": lambda: api.get("/api/v1/requests?limit=20"),
        "POST /api/v1/requests": submit,
        "POST /api/v1/requests/[id]/steps/note": lambda: json_post(
            f"/api/v1/requests/{mine[-1]}/steps/note", {"note": "已电话联系企业"}
        ),
        "POST /api/v1/projects/[id]/transition": move,
        "POST /services/new/": lambda: page.post(
            "/services/new/",
            {
                **choice,
                "kind": "call",
                "date": today,
                "summary": "基准：电话了解用工需求",
                "problems_solved": "0",
            },
        ),  # fmt: skip
    }
    results: dict[str, dict[str, float]] = {}
    for name, call in endpoints.items():
        if profile and profile not in name:
            continue
        for _ in range(3):
            answer = call()
        assert answer.status_code in (200, 201, 302), (name, answer.status_code)
        connection.ensure_connection()
        backend = psutil.Process(connection.connection.info.backend_pid)
        queries = [0]

        def count(execute, sql, params, many, context, seen=queries):  # type: ignore[no-untyped-def]
            seen[0] += 1
            return execute(sql, params, many, context)

        pg0, cpu0, wall0 = sum(backend.cpu_times()[:2]), time.process_time(), time.perf_counter()
        profiler = cProfile.Profile(time.process_time) if profile else None  # CPU, not waits
        with connection.execute_wrapper(count):
            if profiler:
                profiler.enable()
            for _ in range(calls):
                answer = call()
            if profiler:
                profiler.disable()
        results[name] = {
            "app_cpu_ms": round((time.process_time() - cpu0) * 1000 / calls, 1),
            "pg_cpu_ms": round((sum(backend.cpu_times()[:2]) - pg0) * 1000 / calls, 1),
            "wall_ms": round((time.perf_counter() - wall0) * 1000 / calls, 1),
            "queries": round(queries[0] / calls, 1),
            "bytes": len(answer.content),
        }
        print(f"{name:42s} app {results[name]['app_cpu_ms']:5.1f} ms  "
              f"pg {results[name]['pg_cpu_ms']:4.1f} ms  wall {results[name]['wall_ms']:5.1f} ms  "
              f"{results[name]['queries']:4.1f} queries  {results[name]['bytes']:6d} bytes")  # fmt: skip
        if profiler:
            pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)
    if profile:
        return {"bench": "pages", "calls": calls, "endpoints": results}
    weight = sum(MIX.values())
    mix = {
        key: round(sum(MIX[n] * r[key] for n, r in results.items()) / weight, 1)
        for key in ("app_cpu_ms", "pg_cpu_ms", "wall_ms")
    }
    print(f"{'the drill mix, weighted':42s} app {mix['app_cpu_ms']:5.1f} ms  "
          f"pg {mix['pg_cpu_ms']:4.1f} ms")  # fmt: skip
    return {"bench": "pages", "calls": calls, "endpoints": results, "mix": mix}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=int, default=30, help="timed calls per endpoint")
    parser.add_argument("--fresh", action="store_true", help="load the demo afresh")
    parser.add_argument(
        "--database",
        default=os.environ.get("BENCH_PAGES_DATABASE", "bench_pages"),
        help="PostgreSQL database (default bench_pages, or $BENCH_PAGES_DATABASE)",
    )
    parser.add_argument(
        "--redis-dbs",
        default=os.environ.get("BENCH_PAGES_REDIS_DBS", "9,10"),
        help="two Redis database numbers, cache and queue (default 9,10, or $BENCH_PAGES_REDIS_DBS)",
    )
    parser.add_argument(
        "--profile",
        default="",
        metavar="CALL",
        help="only the calls whose name contains CALL, under cProfile (its top functions printed)",
    )
    args = parser.parse_args()
    cache_db, queue_db = (int(n) for n in args.redis_dbs.split(","))
    with tempfile.TemporaryDirectory(prefix="guanjia-bench-pages-") as tmp:
        env = prodstack.environment(args.database, (cache_db, queue_db), Path(tmp))
        prodstack.prepare(env, fresh=args.fresh)
        # One persistent connection (no pool) so its backend's CPU can be read.
        os.environ.update(env, DB_POOL="false")  # tasks are queued on Redis, as in the drill
        os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
        import django

        django.setup()
        result = measure(args.calls, args.profile)
        prodstack.flush_redis(env)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
