"""Background jobs for task forces."""

from django.tasks import task

from guanjia.core.scheduling import periodic

from .services import sweep


@periodic(seconds=3600)
@task()
def supervise_late_items() -> int:
    """Hourly: late action items are supervised (督办) and their people told, once."""
    return sweep()
