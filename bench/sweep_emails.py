"""The escalation sweep end to end, its emails included, on two versions of the code, A/B/A/B.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \\
     .venv/bin/python bench/sweep_emails.py --a ../main --b . [--due 13305] [--rounds 4]

Each version (a checkout: `--a`, `--b`) gets its own database next to DATABASE_URL's
(<name>_sweep_a_bench, <name>_sweep_b_bench), migrated by its own code, with the requests
benchmark's data (bench/requests.py: 687 stewards, `--open` open requests of which `--due`
are just past a mark; no closed requests — the sweep reads only what is due). A round, in a
process running that version's code:

1. the open requests are written again (so every round finds the same `--due` marks) and the
   notifications emptied;
2. `--workers` rq task workers start on Redis (RQ_REDIS_URL, emptied first) exactly as that
   version's `serve_prod` starts them, mailing through Django's console backend into a file
   (every message fully rendered: MIME, headers, body), and are waited for;
3. the sweep runs (as `guanjia.requests.tasks.sweep_requests` does, in this process) and the
   clock runs until the outbox is empty — no notification still owes its email and no job is
   left: that is "end to end". The workers' CPU (their own and their work horses') is read
   from /proc;
4. the CPU of one submission's email job: `--jobs` single-notification `send_email` jobs are
   queued and one worker works them in burst mode; its CPU (horses included) less that of a
   burst with nothing queued, per job.

The rounds alternate A, B, A, B; one JSON line per round, then a summary line.
"""

import argparse
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()


def cpu_of(pid: int) -> float:
    """A live process's CPU seconds, with its waited-for children's (an rq worker's horses)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def one_round(args: argparse.Namespace) -> dict[str, Any]:
    code = Path(args.code).resolve()
    sys.path[0] = str(code / "bench")
    import benchlib  # that version's: puts its code first on the path

    os.environ["RQ_REDIS_URL"] = args.rq_url
    benchlib.setup_django(args.db, tasks="rq")
    spec = importlib.util.spec_from_file_location("bench_requests", code / "bench/requests.py")
    assert spec and spec.loader
    br = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(br)

    import django_rq
    from django.db import connection
    from django.urls import reverse
    from rq import Worker

    import guanjia
    from guanjia.core.management.commands.serve import RQ_WORKER
    from guanjia.notifications.models import EmailStatus, Notification
    from guanjia.requests.escalation import sweep

    assert Path(guanjia.__file__).is_relative_to(code), guanjia.__file__
    t_gen = time.perf_counter()
    staff = br.generate(0, args.open, args.due)
    with connection.cursor() as cur:
        cur.execute("TRUNCATE notifications_notification CASCADE")
    gen_s = time.perf_counter() - t_gen
    queue = django_rq.get_queue("default")
    queue.connection.flushdb()

    env = os.environ | {
        "PYTHONPATH": str(code),
        "DB_POOL": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        "LOG_LEVEL": "WARNING",
    }
    work = Path(args.out)
    work.mkdir(parents=True, exist_ok=True)
    outs = [work / f"mail-{args.label}-{i}.txt" for i in range(args.workers)]
    procs = [
        subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "guanjia", *RQ_WORKER],
            env=env,
            cwd=code,
            stdout=out.open("w"),
            stderr=(work / f"worker-{args.label}-{i}.log").open("w"),
        )
        for i, out in enumerate(outs)
    ]
    try:
        deadline = time.monotonic() + 120
        while Worker.count(queue=queue) < args.workers:
            if time.monotonic() > deadline:
                raise SystemExit("the workers did not start")
            time.sleep(0.2)
        reverse("requests:detail", args=[1])
        sweep(at=staff["now"] - br.dt.timedelta(days=30))  # warm, as a running worker is
        cpu0 = [cpu_of(p.pid) for p in procs]
        t0 = time.perf_counter()
        own0 = time.process_time()
        acted = sweep(at=staff["now"])
        sweep_s = time.perf_counter() - t0
        sweep_cpu = time.process_time() - own0
        owed = Notification.objects.filter(email_status=EmailStatus.PENDING)
        while owed.exists() or queue.count or queue.started_job_registry.count:
            time.sleep(0.1)
            if time.perf_counter() - t0 > args.timeout:
                break
        total_s = time.perf_counter() - t0
        workers_cpu = sum(cpu_of(p.pid) - c for p, c in zip(procs, cpu0, strict=True))
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(timeout=60)
    sent = sum(o.read_text(errors="replace").count("\nMessage-ID: ") for o in outs)
    for o in outs:
        o.unlink()
    notes = Notification.objects.count()
    people = Notification.objects.values("recipient").distinct().count()
    unsent = Notification.objects.filter(email_status=EmailStatus.PENDING).count()

    # One submission's email job, K times, one worker in burst mode.
    per_job = per_job_cpu(args, env, code, queue)
    return {
        "label": args.label,
        "code": str(code),
        "marks": acted,
        "notifications": notes,
        "recipients": people,
        "emails_sent": sent,
        "emails_pending": unsent,
        "sweep_s": round(sweep_s, 2),
        "sweep_cpu_s": round(sweep_cpu, 2),
        "end_to_end_s": round(total_s, 2),
        "emails_after_sweep_s": round(total_s - sweep_s, 2),
        "workers_cpu_s": round(workers_cpu, 2),
        "email_job_cpu_ms": per_job,
        "generate_s": round(gen_s, 1),
        "load": os.getloadavg(),
    }


def per_job_cpu(args: argparse.Namespace, env: dict[str, str], code: Path, queue: Any) -> float:
    from guanjia.accounts.models import User
    from guanjia.core.management.commands.serve import RQ_WORKER
    from guanjia.notifications.models import Notification
    from guanjia.notifications.tasks import send_email

    user = User.objects.filter(email__gt="").order_by("pk").first()
    assert user is not None
    rows = []
    for i in range(args.jobs):
        row = Notification(
            recipient=user, kind="request.submitted", title=f"新诉求 {i}", url="/requests/1/"
        )
        row.email_status = "pending"
        rows.append(row)
    rows = Notification.objects.bulk_create(rows)
    burst = [sys.executable, "-m", "guanjia", "rqworker", "--burst"]
    queue.connection.flushdb()
    cost = []
    for enqueue in (False, True):
        if enqueue:
            for row in rows:
                send_email.enqueue(row.pk)
        before = children_cpu()
        subprocess.run(  # noqa: S603
            [*burst, *RQ_WORKER[1:]],
            env=env,
            cwd=code,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
        )
        cost.append(children_cpu() - before)
    sent = Notification.objects.filter(pk__in=[r.pk for r in rows], email_status="sent").count()
    assert sent == len(rows), (sent, len(rows))
    return round((cost[1] - cost[0]) * 1000 / len(rows), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--a", default=str(HERE.parents[2] / "main"), help="version A's checkout")
    parser.add_argument("--b", default=str(HERE.parents[1]), help="version B's checkout")
    parser.add_argument("--due", type=int, default=13_305)
    parser.add_argument("--open", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=300, help="email jobs for the CPU per job")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument(
        "--rq-url", default=os.environ.get("RQ_REDIS_URL", "redis://127.0.0.1:6379/4")
    )
    parser.add_argument("--out", default="/tmp/guanjia-sweep-emails")
    # One round (internal: the parent runs each round in a process of that version's code).
    parser.add_argument("--round", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--code", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--label", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.round:
        print(json.dumps(one_round(args), ensure_ascii=False))
        return

    sys.path.insert(0, str(HERE.parent))
    from benchlib import bench_database

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    dbs = {"A": bench_database(base, "sweep_a"), "B": bench_database(base, "sweep_b")}
    codes = {"A": args.a, "B": args.b}
    results: dict[str, list[dict[str, Any]]] = {"A": [], "B": []}
    for i in range(args.rounds):
        label = "AB"[i % 2]
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SQLITE_PATH")}
        done = subprocess.run(  # noqa: S603
            [
                sys.executable,
                str(HERE),
                "--round",
                "--code",
                codes[label],
                "--db",
                dbs[label],
                "--label",
                label,
                "--due",
                str(args.due),
                "--open",
                str(args.open),
                "--workers",
                str(args.workers),
                "--jobs",
                str(args.jobs),
                "--timeout",
                str(args.timeout),
                "--rq-url",
                args.rq_url,
                "--out",
                args.out,
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            sys.exit(f"round {i + 1} ({label}) failed:\n{done.stderr[-3000:]}")
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        results[label].append(figures)
        print(json.dumps(figures, ensure_ascii=False), flush=True)
    summary = {
        label: {
            key: [r[key] for r in rows]
            for key in ("end_to_end_s", "sweep_s", "emails_sent", "email_job_cpu_ms")
        }
        for label, rows in results.items()
    }
    print(json.dumps({"summary": summary}, ensure_ascii=False))


if __name__ == "__main__":
    main()
