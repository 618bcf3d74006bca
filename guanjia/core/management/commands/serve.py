"""Serve the platform: gunicorn, the task worker and the scheduler; Ctrl-C stops them all."""

import os
import shutil
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from guanjia.core.worker import MAX_JOBS, WORKER_CLASS

# django-tasks-rq runs tasks through its own job class; a plain rq worker cannot call them.
# Jobs run in the worker's process, not a fork per job, and the worker is started again after
# MAX_JOBS jobs (guanjia.core.worker).
RQ_WORKER = [
    "rqworker",
    "--worker-class",
    WORKER_CLASS,
    "--job-class",
    "django_tasks_rq.Job",
    "--max-jobs",
    str(MAX_JOBS),
    "default",
]
DB_WORKER = ["db_worker", "--interval", "1"]
RESTART_SECONDS = 2.0


class Command(BaseCommand):
    help = "Run the web server (gunicorn), the background worker and the scheduler together."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--web-workers", type=int, default=2)
        parser.add_argument(
            "--no-worker", action="store_true", help="serve the web only (no worker, no scheduler)"
        )

    def commands(self, options: dict[str, Any]) -> list[list[str]]:
        web = [
            sys.executable,
            "-m",
            "gunicorn",
            "guanjia.wsgi:application",
            "--bind",
            f"{options['host']}:{options['port']}",
            "--workers",
            str(options["web_workers"]),
            "--threads",
            "4",
            "--access-logfile",
            "-",
            "--graceful-timeout",
            "10",
        ]
        cmds = [web]
        if not options["no_worker"]:
            cmds.append([sys.executable, "-m", "guanjia", "scheduler"])
            if settings.TASKS_BACKEND == "rq":
                cmds.append([sys.executable, "-m", "guanjia", *RQ_WORKER])
            else:
                cmds.append([sys.executable, "-m", "guanjia", *DB_WORKER])
        return cmds

    def web_environment(self, options: dict[str, Any]) -> dict[str, str]:
        """The web server's environment: its workers' request metrics add up in a folder of
        its own, emptied at each start (guanjia.core.metrics)."""
        env = dict(os.environ)
        if "PROMETHEUS_MULTIPROC_DIR" not in env:
            folder = settings.VAR_DIR / f"prometheus-{options['port']}"
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            env["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
        return env

    def handle(self, *args: Any, **options: Any) -> None:
        web, *others = self.commands(options)
        procs = [subprocess.Popen(web, env=self.web_environment(options))]  # noqa: S603
        procs += [subprocess.Popen(cmd) for cmd in others]  # noqa: S603
        self.stdout.write(
            f"Guanjia is serving on http://{options['host']}:{options['port']}/ (Ctrl-C stops)"
        )
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        # A task worker or the scheduler that dies (a Redis outage makes an rq worker exit
        # mid-job) is started again after RESTART_SECONDS, as systemd's Restart=always does
        # (deploy/systemd); the web server dying stops everything.
        died_at: dict[int, float] = {}
        try:
            while not stopping and procs[0].poll() is None:
                time.sleep(0.5)
                for i, p in enumerate(procs[1:], start=1):
                    if p.poll() is None:
                        continue
                    since = died_at.setdefault(i, time.monotonic())
                    if time.monotonic() - since >= RESTART_SECONDS and not stopping:
                        self.stderr.write(f"serve: restarting {' '.join(others[i - 1][-3:])}")
                        procs[i] = subprocess.Popen(others[i - 1])  # noqa: S603
                        died_at.pop(i)
        finally:
            for p in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 15
            for p in procs:
                try:
                    p.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    p.kill()
        failed = [p.returncode for p in procs if p.returncode not in (0, -signal.SIGTERM, None)]
        if failed and not stopping:
            raise SystemExit(1)
