"""Drill: kill -9 app workers and task workers during a stream of writes; nothing acknowledged
is lost, no task is lost or runs twice with effect.

Run: .venv/bin/python drills/kill_workers.py [--kills 100] [--stream 240] [--clients 4]

It runs the production profile on loopback against the local PostgreSQL and Redis — its own
database `drill_kill` and Redis databases 5 (cache) and 6 (queue), emptied first, dropped
after: gunicorn as `serve_prod` runs it (3 workers x 4 threads), 3 rq task workers and the
scheduler. A few API clients stream request submissions (an enterprise contact's token;
each enqueues one email task per notified person) and project stage transitions (the city
admin's token; no task) and retry connection errors; only a 2xx counts as acknowledged.
Meanwhile it sends SIGKILL `--kills` times, spaced over the stream, alternating a gunicorn
worker (the master forks a new one) and a task worker, choosing one that is running a task when
there is one. The task workers run their jobs in-process (guanjia.core.worker), so killing
one kills its job with it; with a forking worker (a work horse per job) it kills, every other
time, the worker with its horse (as an OOM kill or systemd's cgroup kill on restart would),
otherwise the horse alone. A killed task worker is started again after 2 s, as systemd's
Restart=always, RestartSec=2 does.

Emails go to a backend that appends one line per message to a file (the task's effect). At
the end, once the queue has drained (the periodic sweep `guanjia.core.tasks.requeue_abandoned`
puts back what the killed workers abandoned) and the email outbox is empty (the sweep
`guanjia.notifications.tasks.sweep_emails` sends what was never queued or whose try died,
after a 2 min grace or a 5 min lease), it checks that every acknowledged submission exists
with its audit entry and its notification, whose email was sent exactly once; that every
acknowledged transition exists with its audit entry; that the submissions which committed
although their answer never arrived lost no email either; and that no job is left queued,
started or failed. One JSON line; exit status 1 if any check fails.
"""

import argparse
import http.client
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from guanjia.core.management.commands.serve import RQ_WORKER  # noqa: E402
from guanjia.core.management.commands.serve_prod import gunicorn_command  # noqa: E402

PY = sys.executable
PG = "postgres://postgres@127.0.0.1:5432"
DB = os.environ.get("DRILL_DB", "drill_kill")
CACHE_URL = os.environ.get("DRILL_CACHE_URL", "redis://127.0.0.1:6379/5")
QUEUE_URL = os.environ.get("DRILL_QUEUE_URL", "redis://127.0.0.1:6379/6")
STAGES = ["negotiating", "signed", "registered", "construction", "operation", "full_capacity"]
RESTART_SEC = 2.0

MAIL_BACKEND = '''
"""The drill's mail: one JSON line per message, appended to $DRILL_MAIL_LOG."""
import json, os
from django.core.mail.backends.base import BaseEmailBackend


class EmailBackend(BaseEmailBackend):
    def send_messages(self, messages):
        with open(os.environ["DRILL_MAIL_LOG"], "a", encoding="utf-8") as log:
            for m in messages:
                line = {"to": list(m.to), "subject": m.subject, "pid": os.getpid(),
                        "message_id": m.extra_headers.get("Message-ID", "")}
                log.write(json.dumps(line, ensure_ascii=False) + "\\n")
                log.flush()
        return len(messages)
'''

SETUP = """
import json
from django.conf import settings
from guanjia.accounts.models import ApiToken, Role, User
from guanjia.enterprises.models import Enterprise
from guanjia.projects.models import Project
from guanjia.regions.loading import load_regions
from guanjia.regions.models import Region
from guanjia.requests.loading import load_categories
from guanjia.worktime.loading import load_holidays

load_regions(); load_categories(); load_holidays([2025, 2026, 2027])
city = Region.objects.get(code=settings.GUANJIA_CITY_CODE)
area = Region.objects.get(code="210781")
def user(name, role, region, **kw):
    u = User(username=name, role=role, region=region, email=f"{name}@drill.invalid", **kw)
    u.set_unusable_password(); u.save(); return u
admin = user("drill_admin", Role.CITY_ADMIN, city, is_staff=True)
steward = user("drill_steward", Role.STEWARD, area)
ent = Enterprise.objects.create(name="锦州演练企业有限公司", credit_code="91210781MA0DRILL01",
                                region=area, steward=steward, home_city="锦州市")
contact = user("drill_contact", Role.ENTERPRISE, area, enterprise=ent)
projects = [Project(name=f"演练项目{i}", enterprise=ent, region=area, steward=steward,
                    total_investment_wan=10000, stage="lead", lead_on="2025-01-01")
            for i in range(%(projects)d)]
ids = [p.pk for p in Project.objects.bulk_create(projects)]
print(json.dumps({"admin": ApiToken.issue(admin)[1], "contact": ApiToken.issue(contact)[1],
                  "projects": ids}))
"""

CHECK = """
import json, os
from django.db.models import Count
from guanjia.core.models import AuditEntry
from guanjia.notifications.models import Notification
from guanjia.projects.models import StageChange
from guanjia.requests.models import ServiceRequest

acked = json.load(open(os.environ["DRILL_ACKED"]))
sr_ids = set(acked["requests"])
found = set(ServiceRequest.objects.filter(pk__in=sr_ids).values_list("pk", flat=True))
audited = set(int(i) for i in AuditEntry.objects.filter(
    object_type="requests.servicerequest", action="create").values_list("object_id", flat=True))
notes = {}
for n in Notification.objects.filter(kind="request.submitted").select_related("recipient"):
    notes.setdefault(int(n.target_id), []).append(
        [n.recipient.email, " ".join(n.title.split())])
changes = set(StageChange.objects.values_list("project_id", "to_stage"))
moves = set()
for a in AuditEntry.objects.filter(object_type="projects.project", action="transition"):
    moves.add((int(a.object_id), (a.after or {}).get("stage")))
tr = [tuple(t) for t in acked["transitions"]]
print(json.dumps({
    "missing": len(sr_ids - found) + sum(1 for t in tr if t not in changes),
    "audit_missing": len(sr_ids - audited) + sum(1 for t in tr if t not in moves),
    "notifications": {str(k): v for k, v in notes.items()},
    "all_requests": ServiceRequest.objects.count(),
    "all_transitions": len(changes),
    "email_status": {s or "none": c for s, c in Notification.objects.order_by().values(
        "email_status").annotate(c=Count("pk")).values_list("email_status", "c")},
    "email_retried": Notification.objects.filter(email_attempts__gt=1).count(),
}))
"""


def psql(sql: str) -> None:
    subprocess.run(  # noqa: S603
        ["psql", f"{PG}/postgres", "-q", "-c", sql],  # noqa: S607
        check=True,
        capture_output=True,
        timeout=120,
    )


def pending_emails() -> int:
    """Notification emails still owed (the outbox), read straight from the drill's database."""
    done = subprocess.run(  # noqa: S603
        [  # noqa: S607
            "psql",
            f"{PG}/{DB}",
            "-tA",
            "-c",
            "SELECT count(*) FROM notifications_notification WHERE email_status = 'pending'",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return int(done.stdout.strip())


def guanjia(env: dict[str, str], *args: str, timeout: float = 600) -> str:
    done = subprocess.run(  # noqa: S603
        [PY, "-m", "guanjia", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=ROOT,
    )
    if done.returncode != 0:
        raise SystemExit(f"guanjia {args[0]} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def kill(pid: int) -> bool:
    try:
        os.kill(pid, signal.SIGKILL)
        return True
    except ProcessLookupError:
        return False


class TaskWorkers:
    """N rq workers, each started again RESTART_SEC after it dies (systemd's Restart=always)."""

    def __init__(self, n: int, env: dict[str, str], logdir: Path, redis: Any = None) -> None:
        self.env, self.logdir, self.redis = env | {"DB_POOL": "false"}, logdir, redis
        self.procs: list[subprocess.Popen[bytes] | None] = [None] * n
        self.died_at: list[float | None] = [None] * n
        self.starts = 0
        self.lock = threading.Lock()
        for i in range(n):
            self.start(i)

    def start(self, i: int) -> None:
        log = open(self.logdir / f"rq-{i}.log", "ab")  # noqa: SIM115
        self.procs[i] = subprocess.Popen(  # noqa: S603
            [PY, "-m", "guanjia", *RQ_WORKER], env=self.env, cwd=ROOT, stdout=log, stderr=log
        )
        self.died_at[i] = None
        self.starts += 1

    def supervise(self) -> None:
        with self.lock:
            for i, proc in enumerate(self.procs):
                if proc is None or proc.poll() is None:
                    continue
                if self.died_at[i] is None:
                    self.died_at[i] = time.monotonic()
                elif time.monotonic() - (self.died_at[i] or 0) >= RESTART_SEC:
                    self.start(i)

    def running(self) -> set[int]:
        """The pids of the workers running a job now, as rq records them in Redis."""
        if self.redis is None:
            return set()
        from rq import Worker

        return {w.pid for w in Worker.all(connection=self.redis) if w.get_state() == "busy"}

    def kill_one(self, with_worker: bool) -> str:
        """SIGKILL a task worker that is running a task (if one is within 1 s): a worker that
        runs its jobs in-process, with its job; a forking one's horse alone, or (with_worker,
        or no horse) the worker and its horse."""
        deadline = time.monotonic() + 1.0
        while True:
            with self.lock:
                alive = [p for p in self.procs if p is not None and p.poll() is None]
                running = self.running()
                busy = [(p, children(p.pid)) for p in alive if p.pid in running or children(p.pid)]
                if busy or time.monotonic() > deadline:
                    if busy:
                        proc, horses = random.choice(busy)
                    elif alive:
                        proc, horses = random.choice(alive), []
                    else:
                        return "none"
                    if horses and not with_worker:
                        for h in horses:
                            kill(h)
                        return "horse"
                    kill(proc.pid)
                    for h in horses:
                        kill(h)
                    if horses:
                        return "worker+horse"
                    return "worker mid-job" if proc.pid in running else "idle worker"
            time.sleep(0.02)

    def stop(self) -> None:
        for proc in self.procs:
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            if proc is not None:
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()


class Client(threading.Thread):
    """Submits requests and moves its own projects' stages until told to stop."""

    def __init__(self, base: str, tokens: dict[str, Any], projects: list[int], seed: int):
        super().__init__(daemon=True)
        self.base, self.tokens, self.rnd = base, tokens, random.Random(seed)
        self.projects = [[pk, 0] for pk in projects]  # [id, index of the next stage]
        self.stop = threading.Event()
        self.requests: list[int] = []
        self.transitions: list[tuple[int, str]] = []
        self.statuses: Counter[str] = Counter()
        self.retries = 0

    def call(self, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        for attempt in range(30):
            req = urllib.request.Request(self.base + path, data, headers, method=method)  # noqa: S310
            try:
                with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310
                    return resp.status, json.loads(resp.read() or b"null")
            except urllib.error.HTTPError as exc:
                if exc.code in (502, 503, 504):
                    pass  # not ours: gunicorn has no proxy in front; kept for completeness
                else:
                    return exc.code, None
            except (OSError, ValueError, http.client.HTTPException):  # reset, refused, cut short
                pass
            self.retries += 1
            time.sleep(min(0.1 * (attempt + 1), 1.0))
        return 0, None

    def submit(self) -> None:
        tag = secrets.token_hex(6)
        status, body = self.call(
            "POST",
            "/api/v1/requests",
            self.tokens["contact"],
            {"category": "utilities", "title": f"演练诉求 {tag}", "text": f"演练 {tag}"},
        )
        self.statuses[f"submit {status}"] += 1
        if 200 <= status < 300:
            self.requests.append(int(body["id"]))

    def move(self) -> None:
        live = [p for p in self.projects if p[1] < len(STAGES)]
        if not live:
            return self.submit()
        project = self.rnd.choice(live)
        pk, stage = project[0], STAGES[project[1]]
        status, _ = self.call(
            "POST", f"/api/v1/projects/{pk}/transition", self.tokens["admin"], {"to_stage": stage}
        )
        self.statuses[f"transition {status}"] += 1
        if 200 <= status < 300:
            self.transitions.append((pk, stage))
            project[1] += 1
        else:  # e.g. 409 after a retry whose first try went through: read where it is
            code, detail = self.call("GET", f"/api/v1/projects/{pk}", self.tokens["admin"])
            if code == 200 and detail["stage"] in STAGES:
                project[1] = STAGES.index(detail["stage"]) + 1
        return None

    def run(self) -> None:
        while not self.stop.is_set():
            if self.rnd.random() < 0.6:
                self.submit()
            else:
                self.move()


def queue_state(redis: Any) -> dict[str, int]:
    """Jobs not finished, read straight from Redis (no cleanup side effects)."""
    return {
        "queued": redis.llen("rq:queue:default"),
        "intermediate": redis.llen("rq:queue:default:intermediate"),
        "started": redis.zcard("rq:wip:default"),
        "failed": redis.zcard("rq:failed:default"),
        "scheduled": redis.zcard("rq:scheduled:default"),
    }


def drill(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    import redis as redis_lib

    t_start = time.monotonic()
    (work / "drill_mail.py").write_text(MAIL_BACKEND)
    mail_log = work / "mail.log"
    mail_log.touch()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SQLITE_PATH")}
    env.update(
        GUANJIA_PROFILE="production",
        DATABASE_URL=f"{PG}/{DB}",
        REDIS_URL=CACHE_URL,
        RQ_REDIS_URL=QUEUE_URL,
        TASKS_BACKEND="rq",
        SECRET_KEY=secrets.token_urlsafe(64),
        GUANJIA_TLS="false",
        GUANJIA_PROXY_COUNT="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        GUANJIA_BASE_URL=f"http://127.0.0.1:{port}",
        GUANJIA_RATE_API_WRITE="100000/60",
        GUANJIA_RATE_API_READ="100000/60",
        GUANJIA_VAR_DIR=str(work),
        GUANJIA_PRIVATE_ROOT=str(work / "private"),
        EMAIL_BACKEND="drill_mail.EmailBackend",
        DRILL_MAIL_LOG=str(mail_log),
        PYTHONPATH=os.pathsep.join(filter(None, [str(work), env.get("PYTHONPATH", "")])),
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="WARNING",
    )
    psql(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{DB}"')
    cache, queue = redis_lib.Redis.from_url(CACHE_URL), redis_lib.Redis.from_url(QUEUE_URL)
    cache.flushdb()
    queue.flushdb()
    guanjia(env, "migrate", "--no-input", "-v", "0")
    n_projects = args.clients * 60
    tokens = json.loads(
        guanjia(env, "shell", "-c", SETUP % {"projects": n_projects}).strip().splitlines()[-1]
    )
    setup_s = time.monotonic() - t_start

    procs: list[subprocess.Popen[bytes]] = []
    weblog = open(work / "web.log", "ab")  # noqa: SIM115
    web = subprocess.Popen(  # noqa: S603
        gunicorn_command(f"127.0.0.1:{port}", args.web_workers, 4),
        env=env,
        cwd=ROOT,
        stdout=weblog,
        stderr=weblog,
    )
    procs.append(web)
    schedlog = open(work / "scheduler.log", "ab")  # noqa: SIM115
    procs.append(
        subprocess.Popen(  # noqa: S603
            [PY, "-m", "guanjia", "scheduler"],
            env=env | {"DB_POOL": "false"},
            cwd=ROOT,
            stdout=schedlog,
            stderr=schedlog,
        )
    )
    workers = TaskWorkers(args.task_workers, env, work, queue)
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):  # wait for gunicorn
        try:
            urllib.request.urlopen(base + "/api/v1/openapi.json", timeout=5).read()  # noqa: S310
            break
        except OSError:
            time.sleep(0.5)
    else:
        raise SystemExit(f"gunicorn did not come up; see {work / 'web.log'}")

    chunks = [tokens["projects"][i :: args.clients] for i in range(args.clients)]
    clients = [Client(base, tokens, chunks[i], seed=i) for i in range(args.clients)]
    kinds: Counter[str] = Counter()
    t_stream = time.monotonic()
    for c in clients:
        c.start()
    spacing = args.stream / (args.kills + 1)
    next_kill = t_stream + spacing
    kills = 0
    try:
        while kills < args.kills:
            workers.supervise()
            if time.monotonic() >= next_kill:
                if kills % 2 == 0:
                    victims = children(web.pid)
                    if victims and kill(random.choice(victims)):
                        kinds["gunicorn worker"] += 1
                        kills += 1
                else:
                    what = workers.kill_one(with_worker=(kills // 2) % 2 == 0)
                    if what != "none":
                        kinds[f"task {what}"] += 1
                        kills += 1
                next_kill += spacing
            if web.poll() is not None:
                raise SystemExit(f"the gunicorn master died; see {work / 'web.log'}")
            time.sleep(0.05)
        while time.monotonic() < t_stream + args.stream:
            workers.supervise()
            time.sleep(0.1)
        for c in clients:
            c.stop.set()
        for c in clients:
            c.join(timeout=120)
            workers.supervise()
        stream_s = time.monotonic() - t_stream

        # Drain: the queue empties, the sweep puts back what the kills abandoned, and the
        # outbox sweep sends the emails whose task was never queued or died mid-try.
        t_drain = time.monotonic()
        state = queue_state(queue)
        owed = pending_emails()
        while time.monotonic() - t_drain < args.drain:
            workers.supervise()
            state = queue_state(queue)
            owed = pending_emails()
            if not any(state.values()) and not owed:
                time.sleep(3)  # a last look: nothing is on its way back
                state = queue_state(queue)
                owed = pending_emails()
                if not any(state.values()) and not owed:
                    break
            time.sleep(1)
        drain_s = time.monotonic() - t_drain
    finally:
        for c in clients:
            c.stop.set()
        workers.stop()
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()

    acked = {
        "requests": [pk for c in clients for pk in c.requests],
        "transitions": [list(t) for c in clients for t in c.transitions],
    }
    (work / "acked.json").write_text(json.dumps(acked))
    found = json.loads(
        guanjia(env | {"DRILL_ACKED": str(work / "acked.json")}, "shell", "-c", CHECK)
        .strip()
        .splitlines()[-1]
    )
    sent: Counter[tuple[str, str]] = Counter()
    by_message_id: Counter[str] = Counter()
    for line in mail_log.read_text(encoding="utf-8").splitlines():
        mail = json.loads(line)
        by_message_id[mail.get("message_id") or line] += 1
        for to in mail["to"]:
            sent[(to, mail["subject"])] += 1
    tasks_missing = tasks_twice = notes_missing = 0
    for pk in acked["requests"]:
        notes = found["notifications"].get(str(pk), [])
        notes_missing += not notes
        for email, subject in notes:
            count = sent[(email, subject)]
            tasks_missing += count == 0
            tasks_twice += count > 1
    # Writes that committed although their answer never arrived (killed mid-answer): their
    # emails too (a kill between the commit and the enqueue leaves them to the outbox sweep).
    unacked = [int(k) for k in found["notifications"] if int(k) not in set(acked["requests"])]
    unacked_lost = sum(
        1 for k in unacked for e, s in found["notifications"][str(k)] if sent[(e, s)] == 0
    )
    recovered = {k.decode(): int(v) for k, v in queue.hgetall("guanjia:recovered:default").items()}
    psql(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    cache.flushdb()
    queue.flushdb()
    statuses: Counter[str] = Counter()
    for c in clients:
        statuses.update(c.statuses)
    writes_acked = len(acked["requests"]) + len(acked["transitions"])
    result = {
        "drill": "kill_workers",
        "kills": kills,
        "kinds": dict(kinds),
        "writes_acked": writes_acked,
        "submissions_acked": len(acked["requests"]),
        "transitions_acked": len(acked["transitions"]),
        "missing": found["missing"],
        "audit_missing": found["audit_missing"],
        "notifications_missing": notes_missing,
        "tasks_missing": tasks_missing,
        "tasks_twice": tasks_twice,
        # Of those, sent again with the same Message-ID (a kill between the mail server's
        # acceptance and the row being marked sent: at-least-once delivery's window).
        "same_message_id_twice": sum(1 for n in by_message_id.values() if n > 1),
        "requeued": recovered.get("requeued", 0),
        "abandoned": recovered.get("abandoned", 0),
        "left_in_queue": state,
        "unacked_committed": len(unacked),
        "unacked_tasks_lost": unacked_lost,
        "emails_pending": owed,
        "email_status": found["email_status"],
        "emails_retried": found["email_retried"],
        "client_retries": sum(c.retries for c in clients),
        "answers": dict(sorted(statuses.items())),
        "task_worker_starts": workers.starts,
        "setup_s": round(setup_s, 1),
        "stream_s": round(stream_s, 1),
        "drain_s": round(drain_s, 1),
        "seconds": round(time.monotonic() - t_start, 1),
    }
    ok = (
        kills == args.kills
        and writes_acked > 0
        and found["missing"] == 0
        and found["audit_missing"] == 0
        and notes_missing == 0
        and tasks_missing == 0
        and tasks_twice == 0
        and unacked_lost == 0
        and owed == 0
        and not any(state.values())
    )
    result["verdict"] = "pass" if ok else "FAIL"
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--stream", type=float, default=240, help="seconds of writes")
    # Up to the email lease (5 min) and a sweep (1 min) after the last kill.
    parser.add_argument("--drain", type=float, default=600, help="seconds to wait after")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--web-workers", type=int, default=3)
    parser.add_argument("--task-workers", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the logs' directory")
    args = parser.parse_args()
    if args.keep:
        work = Path(tempfile.mkdtemp(prefix="guanjia-drill-kill-"))
        result = drill(args, work)
        result["logs"] = str(work)
    else:
        with tempfile.TemporaryDirectory(prefix="guanjia-drill-kill-") as tmp:
            result = drill(args, Path(tmp))
    print(json.dumps(result, ensure_ascii=False))
    sys.exit(0 if result["verdict"] == "pass" else 1)


if __name__ == "__main__":
    main()
