"""The task queue seen from outside: how many tasks wait and how long the oldest has waited.

For the readiness check (`/readyz`) and the metrics (`/metrics`), on whichever backend runs the
tasks: the database (django-tasks-db), Redis (django-tasks-rq) or none (the immediate backend,
which queues nothing). A task deferred to a later time waits from that time on.
"""

import datetime as dt

from django.conf import settings
from django.utils import timezone

QUEUE = "default"


def _db_waiting(name: str) -> tuple[int, dt.datetime | None]:
    from django.db.models import Min, Q
    from django_tasks_db.models import DBTaskResult, get_date_max

    ready = DBTaskResult.objects.ready().filter(queue_name=name)
    undeferred = Q(run_after=get_date_max())  # enqueued to run at once
    figures = ready.aggregate(
        oldest_enqueued=Min("enqueued_at", filter=undeferred),
        oldest_due=Min("run_after", filter=~undeferred),
    )
    since = [t for t in figures.values() if t is not None]
    return ready.count(), min(since) if since else None


def _rq_waiting(name: str) -> tuple[int, dt.datetime | None]:
    import django_rq

    queue = django_rq.get_queue(name)
    depth = int(queue.count)
    for job_id in queue.get_job_ids(0, 1):
        job = queue.fetch_job(job_id)
        if job is not None and job.enqueued_at is not None:
            at = job.enqueued_at
            return depth, at if timezone.is_aware(at) else at.replace(tzinfo=dt.UTC)
    return depth, None


def waiting(name: str = QUEUE) -> tuple[int, dt.datetime | None]:
    """How many tasks are ready to run and not yet taken, and since when the oldest waits."""
    if settings.TASKS_BACKEND == "db":
        return _db_waiting(name)
    if settings.TASKS_BACKEND == "rq":
        return _rq_waiting(name)
    return 0, None


def oldest_age() -> dt.timedelta | None:
    """How long the oldest waiting task has waited (None: nothing waits)."""
    since = waiting()[1]
    return None if since is None else max(dt.timedelta(0), timezone.now() - since)
