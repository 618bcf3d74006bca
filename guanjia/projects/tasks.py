"""Background jobs for projects."""

from django.tasks import task

from guanjia.core.scheduling import periodic

from .stalled import notify_stalled


@periodic(seconds=6 * 3600)
@task()
def notify_stalled_projects() -> int:
    """Four times a day: newly stalled projects are notified to their steward and leader."""
    return notify_stalled()
