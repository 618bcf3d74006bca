"""Platform-level background jobs."""

from django.tasks import task
from django.utils import timezone


@task()
def heartbeat() -> str:
    """Proves a worker is consuming the queue (used by the health check and the tests)."""
    return timezone.now().isoformat()
