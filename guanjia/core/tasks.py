"""Platform-level background jobs."""

from django.tasks import task
from django.utils import timezone

from .scheduling import periodic


@periodic(seconds=60)
@task()
def heartbeat() -> str:
    """Proves a worker is consuming the queue (used by the health check and the tests)."""
    return timezone.now().isoformat()
