"""Periodic jobs: tasks enqueued on a fixed interval by the `guanjia scheduler` process.

Register with `@periodic(seconds=60)` on a `django.tasks` task. Each job has a row holding
its next due time; a scheduler claims a due job with a conditional UPDATE (the row changes
only if `next_run_at` is still what it read), so several schedulers never enqueue one slot
twice — the same claim healthchecks' sendalerts uses.
"""

import datetime as dt
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from .models import ScheduledJob


@dataclass(frozen=True)
class Periodic:
    name: str
    every: dt.timedelta
    task: Any  # a django.tasks Task


REGISTRY: dict[str, Periodic] = {}


def periodic(seconds: int) -> Callable[[Any], Any]:
    """Class the decorated task as periodic; its name is the task's module path."""

    def register(task: Any) -> Any:
        name = task.module_path
        REGISTRY[name] = Periodic(name=name, every=dt.timedelta(seconds=seconds), task=task)
        return task

    return register


def due_jobs(now: dt.datetime | None = None) -> list[str]:
    """Enqueue every periodic task whose slot is due; returns the names enqueued."""
    now = now or timezone.now()
    enqueued = []
    for job in REGISTRY.values():
        row, _ = ScheduledJob.objects.get_or_create(name=job.name, defaults={"next_run_at": now})
        if row.next_run_at > now:
            continue
        # Skip missed slots rather than replaying them: a sweep run late covers them all.
        following = max(row.next_run_at + job.every, now + job.every - dt.timedelta(seconds=1))
        claimed = ScheduledJob.objects.filter(pk=row.pk, next_run_at=row.next_run_at).update(
            next_run_at=following, last_run_at=now
        )
        if claimed:  # else another scheduler got there first
            job.task.enqueue()
            enqueued.append(job.name)
    return enqueued


@contextmanager
def timed(task: Any) -> Iterator[None]:
    """Keep how long a periodic task's run took on its row (`last_duration`, read by
    /metrics). A run that raises keeps the previous figure."""
    started = time.perf_counter()
    yield
    ScheduledJob.objects.filter(name=task.module_path).update(
        last_duration=time.perf_counter() - started
    )
