"""Platform-level background jobs."""

from django.tasks import task
from django.utils import timezone

from .scheduling import periodic


@periodic(seconds=60)
@task()
def heartbeat() -> str:
    """Proves the scheduler is enqueueing: `/readyz` reads when it last did (its ScheduledJob
    row, guanjia.core.health), and the queue check that a worker takes what it enqueues."""
    return timezone.now().isoformat()


@task()
def probe(mark: str) -> str:
    """Does nothing but answer its mark: the Redis outage drill enqueues probes while Redis is
    down and checks that each one ran after it returned (drills/redis_outage.py)."""
    return mark


@periodic(seconds=30)
@task()
def requeue_abandoned() -> int:
    """Put back on the queue the tasks whose worker died under them (the Redis queue only;
    see guanjia.core.taskrecovery); returns how many."""
    from django.conf import settings

    if settings.TASKS_BACKEND != "rq":
        return 0
    from .taskrecovery import recover

    return recover().requeued


# Imports of every kind: checked and committed in the background, their lost workers noticed.
from .sheets.jobs import commit_import, fail_abandoned_imports, validate_import  # noqa: E402

__all__ = [
    "commit_import",
    "fail_abandoned_imports",
    "heartbeat",
    "probe",
    "requeue_abandoned",
    "validate_import",
]
