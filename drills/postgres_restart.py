"""Drill: PostgreSQL stopped (immediate) and restarted under load; the app answers 503 while it
is down, recovers by itself, and no acknowledged write is lost.

Run: .venv/bin/python drills/postgres_restart.py [--down 10] [--writers 4] [--readers 2]

It serves the production profile on loopback (gunicorn as `guanjia serve_prod` runs it, a
psycopg pool per worker, Redis for the cache) against its own database `drill_prod` (made and
loaded with the Jinzhou demo if missing) and Redis databases 7 and 8. Writers submit requests
through the API (`POST /api/v1/requests`, bearer token), readers read the ledger page (a
log-in session) and the API's request list. After a warm-up it stops the cluster with
`pg_ctlcluster … main stop -m immediate` (no checkpoint, connections cut: a crash), keeps
the load going for `--down` seconds, starts the cluster again and waits until writes succeed.
Then every write acknowledged with 201 must be in the database with its audit entry.

PostgreSQL is started again whatever happens (finally, SIGINT/SIGTERM/SIGHUP, a time bound
of 5 minutes): other work on this machine uses it. This needs root (or the postgres user).

One JSON line; exit status 1 unless the verdict is pass: no 500 at any time, only 503 (or a
success after the restart) for requests sent while the database was down, writes succeeding
again within 60 s of the restart by themselves, and nothing acknowledged missing.
"""

import argparse
import collections
import json
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
import prodstack  # noqa: E402

TIME_BOUND_S = 300
RECOVERY_LIMIT_S = 60


def cluster() -> list[str]:
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[-1]
    return ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main"]


def pg_online() -> bool:
    done = subprocess.run([*cluster(), "status"], capture_output=True, check=False)  # noqa: S603
    return done.returncode == 0


def pg(action: str, *extra: str) -> None:
    subprocess.run([*cluster(), action, *extra], check=True, capture_output=True, timeout=120)  # noqa: S603


def ensure_pg_started() -> None:
    """Start the cluster if it is down (idempotent; called on every way out)."""
    for _ in range(3):
        if pg_online():
            return
        try:
            pg("start")
        except (subprocess.SubprocessError, OSError) as exc:
            print(f"starting PostgreSQL failed: {exc}", file=sys.stderr)
            time.sleep(2)
    if not pg_online():
        print("PostgreSQL is NOT running: start it by hand!", file=sys.stderr)


def start_watchdog(after_s: float) -> "subprocess.Popen[bytes]":
    """A detached shell that starts the cluster after `after_s` seconds if it is still down:
    the last resort should this process be killed outright (SIGKILL runs no finally)."""
    status, start = " ".join([*cluster(), "status"]), " ".join([*cluster(), "start"])
    script = f"sleep {after_s:.0f}; {status} >/dev/null 2>&1 || {start}"
    return subprocess.Popen(["sh", "-c", script], start_new_session=True)  # noqa: S603, S607


class Outcome:
    """Every answer: (sent, done, kind, status) with the id of each acknowledged write."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rows: list[tuple[float, float, str, str]] = []
        self.acked: list[int] = []

    def add(self, sent: float, kind: str, status: str, acked: int | None = None) -> None:
        with self.lock:
            self.rows.append((sent, time.monotonic(), kind, status))
            if acked is not None:
                self.acked.append(acked)


def writer(url: str, token: str, body: dict[str, Any], out: Outcome, stop: threading.Event,
           n: int) -> None:  # fmt: skip
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    i = 0
    while not stop.is_set():
        i += 1
        sent = time.monotonic()
        payload = body | {"text": f"drill postgres_restart writer {n} #{i}"}
        try:
            r = session.post(f"{url}/api/v1/requests", json=payload, timeout=30)
        except requests.RequestException as exc:
            out.add(sent, "write", type(exc).__name__)
            time.sleep(0.2)
            continue
        out.add(sent, "write", str(r.status_code), r.json()["id"] if r.status_code == 201 else None)
        if r.status_code >= 500:
            time.sleep(0.2)


def reader(url: str, token: str, cookie: tuple[str, str], out: Outcome,
           stop: threading.Event) -> None:  # fmt: skip
    session = requests.Session()
    session.cookies.set(*cookie)
    paths = [
        ("page", "/projects/", {}),
        ("api", "/api/v1/requests", {"Authorization": f"Bearer {token}"}),
    ]
    i = 0
    while not stop.is_set():
        kind, path, headers = paths[i % 2]
        i += 1
        sent = time.monotonic()
        try:
            r = session.get(f"{url}{path}", headers=headers, timeout=30, allow_redirects=False)
            out.add(sent, kind, str(r.status_code))
        except requests.RequestException as exc:
            out.add(sent, kind, type(exc).__name__)
            time.sleep(0.2)


VERIFY = """
import json
from guanjia.core.models import AuditEntry
from guanjia.requests.models import ServiceRequest
ids = {ids!r}
found = set(ServiceRequest.objects.filter(pk__in=ids).values_list("pk", flat=True))
label = ServiceRequest._meta.label_lower
audited = set(
    int(i) for i in AuditEntry.objects.filter(object_type=label, object_id__in=[str(i) for i in ids])
    .values_list("object_id", flat=True)
)
print(json.dumps({{"missing": sorted(set(ids) - found), "unaudited": sorted(set(ids) - audited)}}))
"""


def drill(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    env = prodstack.environment("drill_prod", (7, 8), work)
    prodstack.prepare(env)
    auth = prodstack.logins(env, ["admin"], args.readers)
    token = auth["tokens"]["admin"]
    out, stop = Outcome(), threading.Event()
    watchdog: subprocess.Popen[bytes] | None = None
    signal.alarm(TIME_BOUND_S)  # from here on; the setup above is bounded by its commands
    with prodstack.Server(env, work) as server:
        headers = {"Authorization": f"Bearer {token}"}
        category = requests.get(f"{server.url}/api/v1/requests/categories", headers=headers,
                                timeout=30).json()["items"][0]["code"]  # fmt: skip
        enterprise = requests.get(f"{server.url}/api/v1/enterprises", headers=headers,
                                  timeout=30).json()["items"][0]["id"]  # fmt: skip
        body = {"category": category, "enterprise_id": enterprise, "title": "postgres drill"}
        threads = [
            threading.Thread(target=writer, args=(server.url, token, body, out, stop, n))
            for n in range(args.writers)
        ] + [
            threading.Thread(
                target=reader, args=(server.url, token, (auth["cookie"], s[1]), out, stop)
            )
            for s in auth["sessions"]
        ]
        for t in threads:
            t.start()
        try:
            start = time.monotonic()
            time.sleep(args.warmup)
            t_stop = time.monotonic()
            if not args.trial:
                watchdog = start_watchdog(args.down + 90)
                pg("stop", "-m", "immediate")
            t_down = time.monotonic()
            time.sleep(args.down)
            t_start = time.monotonic()
            if not args.trial:
                pg("start")
            t_up = time.monotonic()
            recovered = None
            while time.monotonic() < t_up + RECOVERY_LIMIT_S:
                with out.lock:
                    ok = [
                        d for s, d, k, st in out.rows if k == "write" and s >= t_up and st == "201"
                    ]
                if ok:
                    recovered = min(ok) - t_up
                    break
                time.sleep(0.2)
            time.sleep(args.after)
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=40)
            ensure_pg_started()
            if watchdog is not None:
                watchdog.kill()
                watchdog.wait()
        log_tail = server.log.read_text(errors="replace")[-2000:]
    check = prodstack.shell(VERIFY.format(ids=out.acked), env)
    prodstack.flush_redis(env)
    while_down = collections.Counter(st for s, d, k, st in out.rows if t_stop <= s < t_start)
    overall = collections.Counter(st for s, d, k, st in out.rows)
    down_latency = sorted(
        d - s for s, d, k, st in out.rows if t_stop <= s < t_start and st == "503"
    )
    fine = (
        "500" not in overall
        and while_down.get("503", 0) > 0
        and set(while_down) <= {"503", "200", "201"}
        and recovered is not None
        and not check["missing"]
        and not check["unaudited"]
    )
    result = {
        "drill": "postgres_restart",
        "down_s": round(t_start - t_stop, 1),
        "stop_s": round(t_down - t_stop, 2),
        "start_s": round(t_up - t_start, 2),
        "answers_while_down": dict(sorted(while_down.items())),
        "median_503_s": round(down_latency[len(down_latency) // 2], 2) if down_latency else None,
        "recovered_after_s": None if recovered is None else round(recovered, 2),
        "answers": dict(sorted(overall.items())),
        "writes_acked": len(out.acked),
        "missing": len(check["missing"]),
        "unaudited": len(check["unaudited"]),
        "run_s": round(time.monotonic() - start, 1),
        "verdict": "pass" if fine else "FAIL",
    }
    if not fine:
        result["gunicorn_log_tail"] = log_tail
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--down", type=float, default=10, help="seconds PostgreSQL stays down")
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--after", type=float, default=10, help="seconds of load after recovery")
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--readers", type=int, default=2)
    parser.add_argument("--trial", action="store_true", help="everything but stopping PostgreSQL")
    args = parser.parse_args()
    if not pg_online():
        sys.exit("PostgreSQL is not running; this drill stops and starts a running cluster")

    def bail(signum: int, frame: Any) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)  # nothing may interrupt the restart below
        raise SystemExit(f"stopped by signal {signum}")

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGALRM):
        signal.signal(sig, bail)
    try:
        with tempfile.TemporaryDirectory(prefix="guanjia-drill-pg-") as tmp:
            result = drill(args, Path(tmp))
    finally:
        signal.alarm(0)
        ensure_pg_started()
    print(json.dumps(result, ensure_ascii=False))
    sys.exit(0 if result["verdict"] == "pass" else 1)


if __name__ == "__main__":
    main()
