"""Background jobs for the cockpit."""

from django.tasks import task

from guanjia.core.scheduling import periodic

from . import services


@periodic(seconds=30)
@task()
def refresh_cockpit() -> str:
    """Every 30 s: recompute the rollups the cockpit reads (at most a minute stale)."""
    return services.refresh().isoformat()
