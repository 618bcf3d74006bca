"""Drill: Redis stopped for 60 s under the load drill's mix (issue 20, item 3).

Run: .venv/bin/python drills/redis_outage.py [--users 20] [--before 30] [--outage 60]
     [--after 60] [--redis-port 6390] [--fresh]

It serves the production profile on loopback (`guanjia serve_prod`: gunicorn, the rq workers
and the scheduler) against its own PostgreSQL database `gj_redisout` and a private
redis-server on --redis-port (append-only file in the drill's folder, as a server keeps it;
never the machine's shared Redis on 6379). drills/locustfile.py runs the load drill's mix
(80% reads / 20% writes, pages and API) for before + outage + after seconds; a prober logs in
with a password and opens a page with a session made before the outage, twice a second;
during the outage the drill enqueues `guanjia.core.tasks.probe` tasks (they land in the
database outbox) and counts the outbox. Then Redis is started again and the drill waits for
every probe to have run on a worker and the outbox to be empty.

One JSON line: requests served, 5xx by phase (pages and log-in must be 0), the prober's
answers, the tasks queued during the outage (probes and the application's own), whether they
all ran, and how long the queue took to catch up. Exit status 1 unless the targets are met.
"""

import argparse
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
import prodstack  # noqa: E402

LOCUST = str(prodstack.ROOT / ".venv" / "bin" / "locust")
DATABASE = "gj_redisout"
LOGIN_USER, LOGIN_PASSWORD = "drill_redis_login", "drill-redis-outage-pass-1"

SETUP = f"""
import json
from django.conf import settings
from guanjia.accounts.models import Role, User
from guanjia.regions.models import Region

city = Region.objects.get(code=settings.GUANJIA_CITY_CODE)
user, _ = User.objects.get_or_create(username={LOGIN_USER!r},
                                     defaults={{"role": Role.STEWARD, "region": city}})
user.set_password({LOGIN_PASSWORD!r}); user.save()
print(json.dumps({{"ok": True}}))
"""

PROBES = """
import json
from guanjia.core.tasks import probe
ids = [probe.enqueue(m).id for m in {marks!r}]
print(json.dumps(ids))
"""


class PrivateRedis:
    def __init__(self, port: int, work: Path) -> None:
        self.port, self.dir = port, work / "redis"
        self.dir.mkdir(exist_ok=True)
        self.proc: subprocess.Popen[bytes] | None = None

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        exe = shutil.which("redis-server")
        if exe is None:
            raise SystemExit("redis-server is not installed")
        self.proc = subprocess.Popen(  # noqa: S603
            [
                exe,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.dir),
                "--appendonly",
                "yes",
                "--save",
                "",
            ],  # fmt: skip
            stdout=open(self.dir / "redis.log", "ab"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )
        import redis

        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                redis.Redis(port=self.port).ping()
                return
            except redis.RedisError:
                time.sleep(0.1)
        raise SystemExit(f"redis-server did not start on {self.port}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # SHUTDOWN: the append-only file is kept
            self.proc.wait(timeout=30)
        self.proc = None


class Stack:
    """`guanjia serve_prod` whole: gunicorn, the rq workers and the scheduler."""

    def __init__(self, env: dict[str, str], work: Path, workers: int) -> None:
        self.env, self.port = env, prodstack.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = work / "serve_prod.log"
        self.args = ["serve_prod", "--port", str(self.port), "--task-workers", str(workers)]
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> "Stack":
        self.proc = subprocess.Popen(  # noqa: S603
            [prodstack.GUANJIA, *self.args], env=self.env,
            stdout=open(self.log, "ab"), stderr=subprocess.STDOUT,  # noqa: SIM115
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/login/", timeout=5).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.5)
        self.__exit__()
        raise SystemExit(f"serve_prod did not start; see {self.log}")

    def __exit__(self, *exc: object) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


class Prober(threading.Thread):
    """Twice a second: a log-in with the password, and a page on a session made before the
    outage; status codes counted by phase."""

    def __init__(self, url: str, cookie: str, session: str) -> None:
        super().__init__(daemon=True)
        self.url, self.cookie, self.session = url, cookie, session
        self.phase = "before"
        self.codes: dict[str, Counter[str]] = {}
        self.stop = threading.Event()

    def count(self, what: str, code: int | str) -> None:
        self.codes.setdefault(f"{self.phase}:{what}", Counter())[str(code)] += 1

    def run(self) -> None:
        while not self.stop.wait(0.5):
            with requests.Session() as s:
                try:
                    s.get(f"{self.url}/login/", timeout=10)
                    r = s.post(
                        f"{self.url}/login/",
                        {"username": LOGIN_USER, "password": LOGIN_PASSWORD,
                         "csrfmiddlewaretoken": s.cookies.get("csrftoken", "")},
                        headers={"Referer": f"{self.url}/login/"},
                        allow_redirects=False, timeout=10,
                    )  # fmt: skip
                    self.count("login", r.status_code)
                    if r.status_code == 302:
                        self.count("after_login", s.get(f"{self.url}/", timeout=10).status_code)
                except requests.RequestException as exc:
                    self.count("login", exc.__class__.__name__)
            try:
                r = requests.get(
                    f"{self.url}/projects/", cookies={self.cookie: self.session},
                    allow_redirects=False, timeout=10,
                )  # fmt: skip
                self.count("old_session_page", r.status_code)
            except requests.RequestException as exc:
                self.count("old_session_page", exc.__class__.__name__)


def locust_failures(stats: Path) -> tuple[int, dict[str, int], int]:
    """(requests, failures by 'METHOD name: error', 5xx among them)."""
    rows = list(csv.DictReader(Path(f"{stats}_stats.csv").read_text().splitlines()))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    failures: dict[str, int] = {}
    five = 0
    for row in csv.DictReader(Path(f"{stats}_failures.csv").read_text().splitlines()):
        key = f"{row['Method']} {row['Name']}: {row['Error'][:120]}"
        failures[key] = int(row["Occurrences"])
        if any(f"{c}" in row["Error"] for c in ("500", "502", "503", "504")):
            five += int(row["Occurrences"])
    return int(total["Request Count"]), failures, five


def finished_marks(env: dict[str, str]) -> set[str]:
    """The probe marks whose job finished on a worker (rq's finished registry)."""
    import redis
    from rq.job import Job
    from rq.registry import FinishedJobRegistry

    conn = redis.Redis.from_url(env["RQ_REDIS_URL"])
    ids = FinishedJobRegistry("default", connection=conn).get_job_ids()
    marks = set()
    for job in Job.fetch_many(ids, connection=conn):
        if job is not None and job.func_name.endswith("core.tasks.probe") and job.args:
            marks.add(str(job.args[0]))
    return marks


def outbox(env: dict[str, str]) -> int:
    import psycopg

    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM core_taskoutbox").fetchone()
    return int(row[0]) if row else 0


def drill(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    redis_server = PrivateRedis(args.redis_port, work)
    redis_server.start()
    try:
        env = prodstack.environment(DATABASE, (0, 1), work)
        env.update(REDIS_URL=redis_server.url(0), RQ_REDIS_URL=redis_server.url(1))
        env["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
        prodstack.prepare(env, fresh=args.fresh)
        prodstack.shell(SETUP, env)
        auth = prodstack.logins(env, ["admin"], args.users + 1)
        old_session = auth["sessions"].pop()[1]
        (work / "auth.json").write_text(json.dumps(auth))
        prodstack.flush_redis(env)
        return run(args, work, env, redis_server, auth["cookie"], old_session)
    finally:
        redis_server.stop()


def run(args: argparse.Namespace, work: Path, env: dict[str, str], redis_server: PrivateRedis,
        cookie: str, old_session: str) -> dict[str, Any]:  # fmt: skip
    total = args.before + args.outage + args.after
    stats = work / "stats"
    with Stack(env, work, args.task_workers) as stack:
        prober = Prober(stack.url, cookie, old_session)
        prober.start()
        locust = subprocess.Popen(  # noqa: S603
            [LOCUST, "-f", str(Path(__file__).with_name("locustfile.py")), "--headless",
             "-u", str(args.users), "-r", str(args.users), "-t", f"{total}s",
             "--host", stack.url, "--csv", str(stats), "--only-summary",
             "--stop-timeout", "10", "--loglevel", "WARNING"],
            env=os.environ | {"DRILL_AUTH": str(work / "auth.json")},
            stdout=subprocess.DEVNULL, stderr=open(work / "locust.log", "ab"),  # noqa: SIM115
        )  # fmt: skip
        time.sleep(args.before)

        prober.phase = "outage"
        redis_server.stop()
        stopped = time.monotonic()
        marks: list[str] = []
        peak_outbox, i = 0, 0
        while time.monotonic() - stopped < args.outage - 5:
            batch = [f"outage-{i + k}" for k in range(5)]
            i += 5
            ids = prodstack.shell(PROBES.format(marks=batch), env, timeout=60)
            if all(str(x).startswith("outbox-") for x in ids):
                marks += batch
            else:  # cannot be: Redis is down
                raise SystemExit(f"a probe reached Redis during the outage: {ids}")
            peak_outbox = max(peak_outbox, outbox(env))
            time.sleep(max(0.0, min(5.0, args.outage - 5 - (time.monotonic() - stopped))))
        time.sleep(max(0.0, args.outage - (time.monotonic() - stopped)))
        peak_outbox = max(peak_outbox, outbox(env))
        outage_s = time.monotonic() - stopped

        prober.phase = "after"
        redis_server.start()
        returned = time.monotonic()
        caught_up_s: float | None = None
        ran: set[str] = set()
        while time.monotonic() - returned < args.catch_up:
            ran = finished_marks(env) & set(marks)
            if len(ran) == len(marks) and outbox(env) == 0:
                caught_up_s = time.monotonic() - returned
                break
            time.sleep(1)
        locust.wait(timeout=total + 120)
        prober.stop.set()
        prober.join()
        left_in_outbox = outbox(env)
    served, failures, locust_5xx = locust_failures(stats)
    prober_5xx = sum(
        n for c in prober.codes.values() for code, n in c.items() if code.startswith("5")
    )
    prober_errors = sum(
        n for c in prober.codes.values() for code, n in c.items() if not code.isdigit()
    )
    result: dict[str, Any] = {
        "drill": "redis-outage",
        "users": args.users,
        "outage_s": round(outage_s, 1),
        "requests_served": served,
        "locust_failures": failures,
        "locust_5xx": locust_5xx,
        "prober": {k: dict(v) for k, v in sorted(prober.codes.items())},
        "prober_5xx": prober_5xx,
        "tasks_in_outbox_peak": peak_outbox,
        "probes_enqueued_during_outage": len(marks),
        "probes_ran_after": len(ran),
        "all_ran": len(ran) == len(marks),
        "outbox_left": left_in_outbox,
        "caught_up_s": round(caught_up_s, 1) if caught_up_s is not None else None,
    }
    result["passed"] = (
        locust_5xx == 0
        and prober_5xx == 0
        and prober_errors == 0
        and result["all_ran"]
        and left_in_outbox == 0
        and bool(marks)
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--before", type=int, default=30, help="seconds of load before")
    parser.add_argument("--outage", type=int, default=60, help="seconds Redis is down")
    parser.add_argument("--after", type=int, default=60, help="seconds of load after")
    parser.add_argument("--catch-up", type=int, default=120, help="seconds to wait for probes")
    parser.add_argument("--task-workers", type=int, default=2)
    parser.add_argument("--redis-port", type=int, default=6390)
    parser.add_argument("--fresh", action="store_true", help="drop and reload the database")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="drill-redis-"))
    result = drill(args, work)
    result["work"] = str(work)
    print(json.dumps(result, ensure_ascii=False))
    sys.exit(0 if result["passed"] else 1)


if __name__ == "__main__":
    main()
