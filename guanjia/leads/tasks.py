"""Background jobs for leads."""

from django.tasks import task

from guanjia.core.scheduling import periodic

from .follow_ups import sweep


@periodic(seconds=3600)
@task()
def sweep_follow_ups() -> int:
    """Every hour: remind owners of follow-ups due, and leaders of those missed."""
    return sweep()
