"""The task producer surviving a Redis outage: TASKS' backend on Redis
("guanjia.core.taskoutbox.OutboxRQBackend") tries rq and, when Redis does not answer, keeps
the task in the database (TaskOutbox). The scheduler drains that outbox onto rq at each tick
(`drain`) once Redis answers again: a task enqueued during an outage runs after it, none is
lost. A drained row is deleted in the transaction that moved it, so a failed move keeps it.
"""

import logging
from typing import Any

from django.db import transaction
from django.tasks import Task, TaskResult, TaskResultStatus
from django.tasks.signals import task_enqueued
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks_rq.backend import RQBackend

from .cache import CACHE_ERRORS

logger = logging.getLogger("guanjia.tasks")


class OutboxRQBackend(RQBackend):
    def enqueue(self, task: Task, args: Any, kwargs: Any) -> TaskResult:  # type: ignore[override]
        try:
            return super().enqueue(task, args, kwargs)  # type: ignore[arg-type,return-value]
        except CACHE_ERRORS as exc:
            return self._keep(task, args, kwargs, exc)

    def _keep(self, task: Task, args: Any, kwargs: Any, exc: BaseException) -> TaskResult:
        from .models import TaskOutbox

        row = TaskOutbox.objects.create(
            task_path=task.module_path,
            queue_name=task.queue_name,
            priority=task.priority,
            run_after=task.run_after,
            args=list(args),
            kwargs=dict(kwargs),
        )
        logger.warning(
            "Redis unreachable (%s): task %s kept in the outbox (#%d)",
            exc.__class__.__name__,
            task.module_path,
            row.pk,
        )
        result: TaskResult = TaskResult(
            task=task,
            id=f"outbox-{row.pk}",
            status=TaskResultStatus.READY,
            enqueued_at=None,
            started_at=None,
            last_attempted_at=None,
            finished_at=None,
            args=list(args),
            kwargs=dict(kwargs),
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )
        task_enqueued.send(type(self), task_result=result)
        return result

    def move(self, row: Any) -> None:
        """Put one outbox row on rq (raises on a Redis error)."""
        task = import_string(row.task_path)
        task = task.using(queue_name=row.queue_name, priority=row.priority, run_after=row.run_after)
        RQBackend.enqueue(self, task, row.args, row.kwargs)


def drain(limit: int = 500, backend: Any = None) -> int:
    """Move up to `limit` outbox rows onto the Redis queue; how many moved. Stops at the first
    Redis error (the rest wait for the next tick). A no-op with another task backend."""
    from django.tasks import task_backends

    from .models import TaskOutbox

    backend = backend or task_backends["default"]
    if not isinstance(backend, OutboxRQBackend):
        return 0
    moved = 0
    while moved < limit:
        with transaction.atomic():
            rows = list(TaskOutbox.objects.select_for_update(skip_locked=True).order_by("id")[:50])
            if not rows:
                break
            for row in rows:
                try:
                    backend.move(row)
                except CACHE_ERRORS:
                    TaskOutbox.objects.filter(pk=row.pk).update(attempts=row.attempts + 1)
                    return moved
                except ImportError:
                    logger.exception("outbox #%d: task %s no longer exists", row.pk, row.task_path)
                    continue
                row.delete()
                moved += 1
    if moved:
        logger.warning("task outbox: %d tasks moved onto the Redis queue", moved)
    return moved


def pending() -> int:
    from .models import TaskOutbox

    return TaskOutbox.objects.count()


def oldest_age_s() -> float:
    from .models import TaskOutbox

    first = TaskOutbox.objects.order_by("id").values_list("created_at", flat=True).first()
    return (timezone.now() - first).total_seconds() if first else 0.0
