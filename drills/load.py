"""Drill: load with locust — 80% reads and 20% writes over the main pages and the API, against
the production profile; requests/s, p50, p95 and errors against the targets.

Run: .venv/bin/python drills/load.py [--users 100] [--duration 300] [--spawn-rate 20]
     [--web-workers N] [--threads 4] [--capacity 20 30 40 ...] [--capacity-duration 60]
     [--fresh]

It serves the production profile on loopback (gunicorn as `guanjia serve_prod` runs it:
cores + 1 workers x 4 threads, a psycopg pool per worker, Redis for the cache) against its own
database `drill_prod` (made and loaded with the Jinzhou demo if missing) and Redis databases
7 and 8, with the API's and the log-in's rate limits lifted (every simulated user comes from
127.0.0.1; the limits are per client). `--users` users (the city admin's account, each user
with its own session made beforehand, and the account's API token) run drills/locustfile.py
headless for `--duration` seconds. Targets on this 2-core machine: >= 200 requests/s,
p95 <= 300 ms, no errors. With `--capacity`, shorter runs with those numbers of users follow
on the same server: the most requests/s carried within p95 <= 300 ms and no errors (what the
machine serves at the latency target). One JSON line (with the five slowest endpoints by p95,
CPU per request of gunicorn, PostgreSQL and locust, and the machine's load average); exit
status 1 unless every target of the main run is met.
"""

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import prodstack  # noqa: E402

LOCUST = str(prodstack.ROOT / ".venv" / "bin" / "locust")
TARGET_RPS, TARGET_P95_MS = 200, 300


def pg_connections(database: str, stop: threading.Event, peak: list[int]) -> None:
    import psycopg

    with psycopg.connect(f"{prodstack.PG}/postgres", autocommit=True) as conn:
        while not stop.wait(2):
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [database]
            ).fetchone()
            peak[0] = max(peak[0], int(row[0]) if row else 0)


def tree_cpu_s(pid: int) -> float:
    """CPU seconds of a process and its descendants, the reaped ones included."""
    import psutil

    root = psutil.Process(pid)
    total = 0.0
    for proc in [root, *root.children(recursive=True)]:
        try:
            t = proc.cpu_times()
        except psutil.Error:
            continue
        total += t.user + t.system + t.children_user + t.children_system
    return total


def postgres_cpu_s() -> float:
    """CPU seconds of the local PostgreSQL: the postmaster and its children, the exited ones
    included (a backend whose connection the pool closed mid-run still counts). Other
    databases' work counts too; during the drill there is none to speak of."""
    import psutil

    total = 0.0
    for proc in psutil.process_iter(["name", "ppid"]):
        try:
            if (
                proc.info["name"] != "postgres"
                or psutil.Process(proc.info["ppid"]).name() == "postgres"
            ):
                continue
        except psutil.Error:
            continue
        total += tree_cpu_s(proc.pid)
    return total


def table(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.read_text().splitlines()))


def run(args: argparse.Namespace, work: Path, server: "prodstack.Server", users: int,
        duration: int, *, database: str = "drill_prod", web_pids: list[int] | None = None,
        tag: str = "") -> dict[str, Any]:  # fmt: skip
    """One locust run of `users` for `duration` seconds against the running server.

    `server` needs only a `url` when `web_pids` names the processes whose trees serve it (the
    two-node drill: nginx in front of two nodes); otherwise its `proc` is that process."""
    peak, stop = [0], threading.Event()
    watcher = threading.Thread(target=pg_connections, args=(database, stop, peak))
    watcher.start()
    started = time.monotonic()
    if web_pids is None:
        assert server.proc is not None
        web_pids = [server.proc.pid]
    web_cpu0 = sum(tree_cpu_s(pid) for pid in web_pids)
    pg_cpu0 = postgres_cpu_s()
    kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    stats = work / f"stats-{tag}{users}"
    done = subprocess.run(  # noqa: S603
        [LOCUST, "-f", str(Path(__file__).with_name("locustfile.py")), "--headless",
         "-u", str(users), "-r", str(args.spawn_rate), "-t", f"{duration}s",
         "--host", server.url, "--csv", str(stats), "--only-summary",
         "--stop-timeout", "10", "--loglevel", "WARNING",
         "--think-min", str(args.think_min), "--think-max", str(args.think_max)],
        env=os.environ | {"DRILL_AUTH": str(work / "auth.json")},
        capture_output=True, text=True, timeout=duration + 180, check=False,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    web_cpu = sum(tree_cpu_s(pid) for pid in web_pids) - web_cpu0
    pg_cpu = postgres_cpu_s() - pg_cpu0
    locust_cpu = (kids1.ru_utime + kids1.ru_stime) - (kids0.ru_utime + kids0.ru_stime)
    stop.set()
    watcher.join()
    rows = table(Path(f"{stats}_stats.csv"))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    endpoints = [r for r in rows if r["Name"] != "Aggregated"]
    slowest = sorted(endpoints, key=lambda r: -float(r["95%"]))[:5]
    failures = table(Path(f"{stats}_failures.csv"))
    exceptions = table(Path(f"{stats}_exceptions.csv"))
    count = max(1, int(total["Request Count"]))
    result: dict[str, Any] = {
        "users": users,
        "duration_s": duration,
        "requests": int(total["Request Count"]),
        "requests_per_s": round(float(total["Requests/s"]), 1),
        "p50_ms": float(total["50%"]),
        "p95_ms": float(total["95%"]),
        "p99_ms": float(total["99%"]),
        "errors": int(total["Failure Count"]) + sum(int(e["Count"]) for e in exceptions),
        "slowest_p95_ms": {r["Name"]: float(r["95%"]) for r in slowest},
        "pg_connections_peak": peak[0],
        # Where the two cores went, per request: gunicorn, PostgreSQL's backends, locust.
        "cpu_ms_per_request": {
            "web": round(web_cpu * 1000 / count, 1),
            "postgres": round(pg_cpu * 1000 / count, 1),
            "locust": round(locust_cpu * 1000 / count, 1),
        },
        "run_s": round(elapsed, 1),
    }
    if failures:
        result["failures"] = [
            {k: f[k] for k in ("Method", "Name", "Error", "Occurrences")} for f in failures[:5]
        ]
    if exceptions:
        result["exceptions"] = [e["Message"][:200] for e in exceptions[:5]]
    if done.returncode not in (0, 1):  # 1: locust saw failures, reported above
        result["locust_stderr"] = done.stderr[-1500:]
    return result


def meets(run_result: dict[str, Any], rps: float = 0) -> bool:
    return (
        run_result["requests_per_s"] >= rps
        and run_result["p95_ms"] <= TARGET_P95_MS
        and run_result["errors"] == 0
    )


def drill(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    env = prodstack.environment("drill_prod", (7, 8), work)
    prodstack.prepare(env, fresh=args.fresh)
    most = max([args.users, *args.capacity])
    auth = prodstack.logins(env, ["admin"], most)
    (work / "auth.json").write_text(json.dumps(auth))
    load_before = os.getloadavg()
    with prodstack.Server(env, work, args.web_workers, args.threads) as server:
        main = run(args, work, server, args.users, args.duration)
        # The capacity at the latency target: the same mix with fewer users, the most
        # requests/s any of them carried with p95 <= 300 ms and no errors.
        steps = [run(args, work, server, users, args.capacity_duration)
                 for users in args.capacity]  # fmt: skip
        load_after = os.getloadavg()
    prodstack.flush_redis(env)
    result: dict[str, Any] = {
        "drill": "load",
        **main,
        "web_workers": args.web_workers or (os.cpu_count() or 1) + 1,
        "threads": args.threads or 4,
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in load_after],
        "targets": {"requests_per_s": TARGET_RPS, "p95_ms": TARGET_P95_MS, "errors": 0},
        "verdict": "pass" if meets(main, TARGET_RPS) else "FAIL",
    }
    if steps:
        within = [s for s in steps if meets(s)]
        best = max(within, key=lambda s: s["requests_per_s"]) if within else None
        result["capacity_at_p95_target"] = {
            "requests_per_s": best["requests_per_s"] if best else 0,
            "users": best["users"] if best else 0,
            "steps": [
                {k: s[k] for k in ("users", "requests_per_s", "p95_ms", "errors")} for s in steps
            ],
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--spawn-rate", type=float, default=20)
    parser.add_argument("--duration", type=int, default=300, help="seconds")
    parser.add_argument("--think-min", type=float, default=0.1, help="seconds between tasks")
    parser.add_argument("--think-max", type=float, default=0.5)
    parser.add_argument(
        "--capacity", type=int, nargs="*", default=[],
        help="after the main run, short runs with these numbers of users (e.g. 20 30 40 50): "
        "the most requests/s carried within p95 <= 300 ms and no errors",
    )  # fmt: skip
    parser.add_argument("--capacity-duration", type=int, default=60, help="seconds per step")
    parser.add_argument(
        "--fresh", action="store_true",
        help="drop drill_prod and load the demo afresh (earlier runs' writes otherwise stay)",
    )  # fmt: skip
    parser.add_argument("--web-workers", type=int, default=None, help="default: cores + 1")
    parser.add_argument("--threads", type=int, default=None, help="default: 4")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="guanjia-drill-load-") as tmp:
        result = drill(args, Path(tmp))
    print(json.dumps(result, ensure_ascii=False))
    sys.exit(0 if result["verdict"] == "pass" else 1)


if __name__ == "__main__":
    main()
