"""Serve the production stack on one machine: gunicorn with several workers, N task workers
on Redis (django-tasks-rq) and the scheduler; Ctrl-C stops them all.

`make run-prod` runs it with GUANJIA_PROFILE=production against the local PostgreSQL and
Redis. On a real server the same processes run as systemd units (deploy/systemd/).
"""

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from guanjia.core.management.commands.serve import RQ_WORKER
from guanjia.core.management.commands.serve import Command as ServeCommand


def gunicorn_command(bind: str, workers: int, threads: int) -> list[str]:
    """gunicorn as deploy/systemd/guanjia-web.service runs it."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "guanjia.wsgi:application",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--access-logfile",
        "-",
        "--graceful-timeout",
        "10",
        "--timeout",
        "60",
        # The application is loaded (and warmed: guanjia/wsgi.py) once, before the fork.
        "--preload",
        # Restart a worker now and then so a slow leak cannot grow without bound; with
        # --preload a restart is a fork, not a second of imports.
        "--max-requests",
        "10000",
        "--max-requests-jitter",
        "1000",
        "--forwarded-allow-ips",
        os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
    ]


class Command(ServeCommand):
    help = (
        "Run the production stack here: gunicorn (several workers), N task workers on Redis "
        "and the scheduler (GUANJIA_PROFILE=production)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.set_defaults(web_workers=max(2, (os.cpu_count() or 1) + 1))
        parser.add_argument("--threads", type=int, default=4, help="threads per web worker")
        parser.add_argument(
            "--task-workers", type=int, default=3, help="rq worker processes (jobs in-process)"
        )

    def commands(self, options: dict[str, Any]) -> list[list[str]]:
        cmds = [
            gunicorn_command(
                f"{options['host']}:{options['port']}", options["web_workers"], options["threads"]
            )
        ]
        if not options["no_worker"]:
            # The task workers (jobs in-process, guanjia.core.worker) and the scheduler are one
            # thread each, with one persistent connection: a pool belongs in the web servers.
            no_pool = ["env", "DB_POOL=false", sys.executable, "-m", "guanjia"]
            cmds.append([*no_pool, "scheduler"])
            cmds += [[*no_pool, *RQ_WORKER] for _ in range(options["task_workers"])]
        return cmds

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.TASKS_BACKEND != "rq":
            raise CommandError("serve_prod runs the task queue on Redis: set TASKS_BACKEND=rq")
        super().handle(*args, **options)
