"""The scheduler process: enqueues periodic tasks when due; stops cleanly on SIGTERM/SIGINT."""

import importlib
import logging
import signal
import time
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser

from guanjia.core.health import warn_if_no_cjk_font
from guanjia.core.scheduling import REGISTRY, due_jobs

logger = logging.getLogger("guanjia.tasks")


def drain_outbox() -> int:
    """Move the tasks kept while Redis was down onto its queue (the rq backend only)."""
    from django.conf import settings

    if settings.TASKS_BACKEND != "rq":
        return 0
    from guanjia.core.taskoutbox import drain

    try:
        return drain()
    except Exception:  # the database down too: the next tick tries again
        logger.exception("scheduler: draining the task outbox failed")
        return 0


def discover() -> None:
    """Import every app's tasks module so its @periodic registrations run."""
    for config in apps.get_app_configs():
        if config.name.startswith("guanjia."):
            try:
                importlib.import_module(f"{config.name}.tasks")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.tasks":
                    raise


class Command(BaseCommand):
    help = "Enqueue periodic background tasks when they are due (run one or more)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between ticks")
        parser.add_argument("--once", action="store_true", help="one tick, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        discover()
        warn_if_no_cjk_font()  # the reports it schedules are drawn with a Chinese font
        self.stdout.write(f"scheduler: {len(REGISTRY)} periodic tasks: {', '.join(REGISTRY)}")
        self.running = True

        def stop(signum: int, frame: Any) -> None:
            self.running = False

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while self.running:
            for name in due_jobs():
                self.stdout.write(f"scheduler: enqueued {name}")
            # Tasks enqueued while Redis was down go onto its queue once it answers again.
            if moved := drain_outbox():
                self.stdout.write(f"scheduler: {moved} tasks moved from the outbox to Redis")
            if options["once"]:
                break
            time.sleep(options["interval"])
