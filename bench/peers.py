"""Ours and django-helpdesk side by side: submission, a staff queue page and the SLA sweep,
measured alternately (ours, the peer, ours, the peer ...) in one run, each figure a ratio with
the load average beside it.

Run: PEER_ROOT=/some/scratch .venv/bin/python bench/peers.py [--rounds 2] [--submit-seconds 30]
     (make bench-peers PEER_ROOT=...)

The peer is never part of this repository: its harness lives in the shared folder
(--peers, default ../shared/peers next to the checkout, or $PEERS_DIR) and everything it
installs and generates goes under $PEER_ROOT, a scratch folder outside the repository. This
script drives the peer's own scripts there, with the peer's own interpreter:

- `helpdesk/setup.sh all` when the peer is not installed yet (--setup), `setup.sh server`
  when its gunicorn is not answering on 127.0.0.1:8100 (its PostgreSQL on 5499 started first);
- `helpdesk/gen_data.py` when its database holds no tickets (1,000,000 tickets: 15-25 min
  of CPU; it has no smaller scale, so start it early, or let this script run it);
- `helpdesk/bench.py submit | http | escalate` for its figures (the JSON line each prints),
  or its `manage.py escalate_tickets --queues ...` for the sweep on some queues.

Ours: the data of bench/requests.py (its own database `<name>_requests_bench` next to
DATABASE_URL's; --closed/--open give a smaller scale, the default is its 950,000 + 50,000),
served by gunicorn in the peer's shape (4 gthread workers x 2 threads, `--workers/--threads`)
with the database task worker running, Redis database 7 as the cache (--redis-url; "" for
none). Per round:

- submission: 8 client threads (--clients) for --submit-seconds, each with a kept-alive
  connection: ours POST /api/v1/requests with an enterprise contact's token (201), the
  peer's public form (302, its `bench.py submit`); figure: successful submissions per second;
- a staff queue page, sequential over HTTP with a logged-in session after warm-up: ours the
  steward's /requests/ with 70 open requests; the peer's ticket list page and the datatables
  JSON it loads (its `bench.py http`; the two together are what a staff member waits for);
  figure: p50 ms;
- the SLA sweep: ours `escalation.sweep` over --due requests just past a deadline (written
  afresh each round), the peer's `manage.py escalate_tickets` as a whole process on its data
  (--peer-queues: one queue by default, ~400 tickets due; `all` runs its `bench.py escalate`,
  ~13,000 tickets, most of an hour on a busy 2-core machine), which this script puts back as
  it was after each round (priorities, last_escalation, modified, the follow-ups and changes
  it added); figure: ms per item acted on.

Then each ratio (the peer's figure over ours for throughput, ours over the peer's for times,
so > 1 always means ours is better) with `uptime`'s load average, and one JSON line.
"""

import argparse
import datetime as dt
import http.client
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from benchlib import ROOT, bench_database, pct, setup_django  # noqa: E402

PEER_PORT = 8100
PEER_PG = 5499


def load_average() -> str:
    out = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout  # noqa: S607
    found = re.search(r"load average: (.*)$", out.strip())
    return found.group(1) if found else out.strip()


def _ours_module() -> Any:
    """bench/requests.py (its generator and sweep), imported under a name that does not
    shadow the `requests` library."""
    spec = importlib.util.spec_from_file_location("bench_requests", ROOT / "bench" / "requests.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ----------------------------------------------------------------------------- the peer


class Peer:
    def __init__(self, peers: Path, root: Path) -> None:
        self.dir = peers / "helpdesk"
        self.root = root
        self.python = root / ".venv" / "bin" / "python"
        self.env = dict(os.environ, PEER_ROOT=str(root))
        pgbin = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
        self.pgbin = os.environ.get("PGBIN") or (str(pgbin[-1]) if pgbin else "")

    def script(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 (the peer's own scripts)
            [str(self.dir / "setup.sh"), *args], env=self.env, text=True, check=check
        )

    def psql(self, sql: str) -> str:
        return subprocess.run(  # noqa: S603
            [f"{self.pgbin}/psql", "-h", str(self.root), "-p", str(PEER_PG), "-U", "postgres",
             "-d", "helpdesk", "-v", "ON_ERROR_STOP=1", "-tAc", sql],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip

    def answering(self) -> bool:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PEER_PORT, timeout=3)
            conn.request("GET", "/helpdesk/login/")
            return conn.getresponse().status == 200
        except OSError:
            return False

    def ready(self, setup: bool) -> None:
        if not self.python.exists():
            if not setup:
                sys.exit(f"the peer is not installed under {self.root}: pass --setup")
            self.script("install")
        if not (self.root / "pg" / "postmaster.pid").exists():
            self.script("pg")
        if not self.answering():
            if self.psql("select to_regclass('helpdesk_ticket') is null") == "t":
                self.script("migrate")
            self.script("server")
        if int(self.psql("select count(*) from helpdesk_ticket")) == 0:
            print("the peer's data: gen_data.py (15-25 min)", file=sys.stderr)
            subprocess.run(  # noqa: S603
                [str(self.python), str(self.dir / "gen_data.py")],
                cwd=self.root / "project",
                env=self.env,
                check=True,
            )

    def bench(self, mode: str, **env: str) -> list[dict[str, Any]]:
        done = subprocess.run(  # noqa: S603
            [str(self.python), str(self.dir / "bench.py"), mode],
            cwd=self.root, env=self.env | env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode:
            raise RuntimeError(f"peer bench.py {mode}: {done.stderr[-2000:]}")
        return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]

    def submit(self, seconds: float, clients: int) -> dict[str, Any]:
        row = self.bench("submit", SUBMIT_SECONDS=str(seconds), SUBMIT_CLIENTS=str(clients))[-1]
        return {"per_s": row["ok_per_s"], "p50_ms": row["p50_ms"], "errors": row["errors"]}

    def queue(self, n: int) -> dict[str, Any]:
        rows = {r["bench"]: r for r in self.bench("http", BENCH_N=str(n), BENCH_WARM="5")}
        page, data = rows["list_page_html"], rows["list_datatables_json"]
        return {
            "p50_ms": round(page["p50_ms"] + data["p50_ms"], 1),
            "page_p50_ms": page["p50_ms"],
            "datatables_p50_ms": data["p50_ms"],
        }

    def escalate(self, queues: list[str]) -> dict[str, Any]:
        """escalate_tickets once (its bench.py mode for every queue; for some queues, its
        `manage.py escalate_tickets --queues ...` timed the same way, as a whole process),
        then its data put back as it was."""
        marks = self.psql(
            "select coalesce(max(id), 0) from helpdesk_followup;"
            " drop table if exists bench_peers_before;"
            " create table bench_peers_before as"
            " select id, priority, last_escalation, modified from helpdesk_ticket"
            " where status in (1, 2)"
        )
        first_followup = int(marks.splitlines()[0]) + 1
        try:
            row = self.bench("escalate")[-1] if not queues else self._escalate_some(queues)
        finally:
            self.psql(
                f"delete from helpdesk_ticketchange where followup_id >= {first_followup};"
                f" delete from helpdesk_followup where id >= {first_followup};"
                " update helpdesk_ticket t set priority = b.priority,"
                " last_escalation = b.last_escalation, modified = b.modified"
                " from bench_peers_before b"
                " where b.id = t.id and (t.priority, t.last_escalation)"
                " is distinct from (b.priority, b.last_escalation);"
                " drop table bench_peers_before"
            )
        return {
            "ms_per_item": row["ms_per_escalated_ticket"],
            "items": row["escalated"],
            "wall_s": row["wall_s"],
            "sql_statements": row["sql_statements"],
        }

    def _escalate_some(self, queues: list[str]) -> dict[str, Any]:
        count = "select count(*) from helpdesk_followup where title = 'Ticket Escalated'"
        before = int(self.psql(count))
        t0 = time.perf_counter()
        subprocess.run(  # noqa: S603 (the peer's own command)
            [str(self.python), "manage.py", "escalate_tickets", "--queues", *queues],
            cwd=self.root / "project", env=self.env, check=True, capture_output=True,
        )  # fmt: skip
        wall = time.perf_counter() - t0
        escalated = int(self.psql(count)) - before
        return {
            "ms_per_escalated_ticket": round(wall * 1000 / max(escalated, 1), 2),
            "escalated": escalated,
            "wall_s": round(wall, 2),
            "sql_statements": None,
            "queues": queues,
        }


# ----------------------------------------------------------------------------- ours


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Ours:
    def __init__(self, args: argparse.Namespace) -> None:
        base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
        self.url = bench_database(base, "requests")
        setup_django(self.url, tasks="db")
        self.args = args
        self.mod = _ours_module()
        self.staff = self.mod.generate(args.closed, args.open, args.due)
        self.port = free_port()
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        from django.db import connection

        from guanjia.accounts.models import ApiToken

        self.token = ApiToken.issue(self.staff["contact"], "bench-peers")[1]
        self.session = self._session(self.staff["many"])
        connection.close()
        env = dict(
            os.environ, DATABASE_URL=self.url, TASKS_BACKEND="db", PYTHONUNBUFFERED="1",
            GUANJIA_RATE_API_WRITE="1000000/60", GUANJIA_RATE_API_READ="1000000/60",
            REDIS_URL=self.args.redis_url,
        )  # fmt: skip
        self.procs = [
            subprocess.Popen(  # noqa: S603 (fixed arguments)
                [sys.executable, "-m", "gunicorn", "guanjia.wsgi:application", "--bind",
                 f"127.0.0.1:{self.port}", "--workers", str(self.args.workers), "--threads",
                 str(self.args.threads), "-k", "gthread", "--graceful-timeout", "10"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            ),
            subprocess.Popen(  # noqa: S603 (fixed arguments)
                [sys.executable, "-m", "guanjia", "db_worker", "--interval", "1"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            ),
        ]  # fmt: skip
        # Minutes on a busy machine: four workers import the app at once.
        self.mod.wait_for(f"http://127.0.0.1:{self.port}/api/v1/requests/categories", 300)

    def stop(self) -> None:
        for proc in self.procs:
            proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.procs = []

    def _session(self, user: Any) -> str:
        """A logged-in session's cookie for `user`, as Django's test client makes one."""
        from django.conf import settings
        from django.test import Client

        client = Client()
        client.force_login(user)
        return (
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )

    def submit(self, seconds: float, clients: int) -> dict[str, Any]:
        body = json.dumps(
            {"category": "utilities", "title": "厂区双回路供电接入",
             "text": "项目生产工艺要求双回路供电，请协调供电公司加快建设第二回路。"}
        ).encode()  # fmt: skip
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        latencies: list[float] = []
        errors: list[int] = []
        lock = threading.Lock()

        def post(conn: http.client.HTTPConnection) -> tuple[int, float]:
            t0 = time.perf_counter()
            conn.request("POST", "/api/v1/requests", body=body, headers=headers)
            resp = conn.getresponse()
            resp.read()
            return resp.status, (time.perf_counter() - t0) * 1000

        def client(stop_at: list[float], barrier: threading.Barrier) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            post(conn)  # warm: a connection, the worker's caches
            barrier.wait()
            while time.perf_counter() < stop_at[0]:
                status, ms = post(conn)
                with lock:
                    (latencies.append(ms) if status == 201 else errors.append(status))
            conn.close()

        stop_at = [0.0]
        started = [0.0]

        def go() -> None:
            started[0] = time.perf_counter()
            stop_at[0] = started[0] + seconds

        barrier = threading.Barrier(clients, action=go)
        threads = [threading.Thread(target=client, args=(stop_at, barrier)) for _ in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started[0]
        return {
            "per_s": round(len(latencies) / elapsed, 1),
            "p50_ms": pct(latencies, 0.5),
            "errors": len(errors),
        }

    def queue(self, n: int) -> dict[str, Any]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        times = []
        for i in range(n + 5):
            t0 = time.perf_counter()
            conn.request("GET", "/requests/", headers={"Cookie": self.session})
            resp = conn.getresponse()
            resp.read()
            assert resp.status == 200, resp.status
            if i >= 5:
                times.append((time.perf_counter() - t0) * 1000)
        conn.close()
        return {"p50_ms": round(statistics.median(times), 1), "p95_ms": pct(times, 0.95)}

    def sweep(self) -> dict[str, Any]:
        from django.db import connection, transaction
        from django.utils import timezone

        now = timezone.now()
        with transaction.atomic():
            self.mod.clear_open()
            self.mod.generate_open(self.args.open, self.args.due, self.staff["stewards"], now)
        with connection.cursor() as cur:
            cur.execute("ANALYZE requests_servicerequest")
        figures = self.mod.measure_sweep(now)
        connection.close()
        return {
            "ms_per_item": figures["ms_per_mark"],
            "items": figures["acted"],
            "seconds": figures["seconds"],
        }


# ----------------------------------------------------------------------------- the run


def default_peers() -> Path:
    for candidate in (ROOT.parent / "shared" / "peers", ROOT.parent.parent / "shared" / "peers"):
        if candidate.is_dir():
            return candidate
    return ROOT.parent / "shared" / "peers"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--peers", type=Path, default=Path(os.environ.get("PEERS_DIR", default_peers()))
    )
    parser.add_argument("--setup", action="store_true", help="install the peer if missing")
    parser.add_argument("--rounds", type=int, default=2, help="A/B pairs per measure")
    parser.add_argument(
        "--sweep-rounds",
        type=int,
        default=0,
        help="A/B pairs of the sweep (default --rounds;"
        " escalate_tickets takes minutes at full scale)",
    )
    parser.add_argument(
        "--peer-queues",
        default="procurement",
        help="the peer's queues escalate_tickets runs on, comma-separated, or 'all' (its"
        " bench.py escalate: ~30,000 tickets, most of an hour on a busy 2-core machine);"
        " procurement holds ~400 due",
    )
    parser.add_argument("--only", default="submit,queue,sweep")
    parser.add_argument("--submit-seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--pages", type=int, default=60)
    parser.add_argument("--closed", type=int, default=950_000)
    parser.add_argument("--open", type=int, default=50_000)
    parser.add_argument("--due", type=int, default=200)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/7")
    args = parser.parse_args()
    root = os.environ.get("PEER_ROOT")
    if not root:
        sys.exit("set PEER_ROOT to a scratch folder outside the repository")
    if Path(root).resolve().is_relative_to(ROOT):
        sys.exit("PEER_ROOT must be outside the repository")
    if not shutil.which("uptime"):
        sys.exit("uptime is needed for the load average")
    peer = Peer(args.peers.resolve(), Path(root).resolve())
    peer.ready(args.setup)
    t0 = time.perf_counter()
    ours = Ours(args)
    print(f"our data ready in {time.perf_counter() - t0:.0f}s", file=sys.stderr)
    only = set(args.only.split(","))
    rounds: dict[str, list[dict[str, Any]]] = {}

    def pair(name: str, a: Any, b: Any, better: str, times: int) -> None:
        for i in range(times):
            mine = a()
            load_mine = load_average()
            theirs = b()
            load_theirs = load_average()
            if better == "higher":
                ratio = mine["per_s"] / max(theirs["per_s"], 0.01)
            else:
                key = "p50_ms" if "p50_ms" in mine else "ms_per_item"
                ratio = theirs[key] / max(mine[key], 0.001)
            row = {"round": i + 1, "ours": mine, "peer": theirs, "ratio": round(ratio, 2),
                   "load_ours": load_mine, "load_peer": load_theirs}  # fmt: skip
            rounds.setdefault(name, []).append(row)
            print(f"{name} round {i + 1}: ours {mine} | peer {theirs} | ratio {ratio:.2f}x"
                  f" | load {load_mine} / {load_theirs}", file=sys.stderr)  # fmt: skip

    if only & {"submit", "queue"}:
        try:
            ours.start()
            if "submit" in only:
                pair(
                    "submit",
                    lambda: ours.submit(args.submit_seconds, args.clients),
                    lambda: peer.submit(args.submit_seconds, args.clients),
                    "higher",
                    args.rounds,
                )
            if "queue" in only:
                pair(
                    "queue",
                    lambda: ours.queue(args.pages),
                    lambda: peer.queue(args.pages),
                    "lower",
                    args.rounds,
                )
        finally:
            ours.stop()
    if "sweep" in only:
        queues = [] if args.peer_queues == "all" else args.peer_queues.split(",")
        pair(
            "sweep",
            ours.sweep,
            lambda: peer.escalate(queues),
            "lower",
            args.sweep_rounds or args.rounds,
        )

    print("\nratio (> 1: ours better), per round, with the load average (1, 5, 15 min):")
    for name, rows in rounds.items():
        for row in rows:
            print(f"  {name:7} round {row['round']}: {row['ratio']:6.2f}x   ours {row['ours']}"
                  f"   peer {row['peer']}   load {row['load_ours']} / {row['load_peer']}")  # fmt: skip
    summary = {
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "scale": {"closed": args.closed, "open": args.open, "peer_tickets": int(peer.psql(
            "select count(*) from helpdesk_ticket"))},
        "shape": {"workers": args.workers, "threads": args.threads, "clients": args.clients},
        "ratios": {name: [r["ratio"] for r in rows] for name, rows in rounds.items()},
        "rounds": rounds,
    }  # fmt: skip
    print(json.dumps(summary, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
