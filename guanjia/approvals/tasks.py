"""Background jobs for approvals."""

from django.tasks import task

from guanjia.core.scheduling import periodic

from .sweep import sweep


@periodic(seconds=60)
@task()
def sweep_approvals() -> int:
    """Every minute: reminders, suspensions and returns of tolerated approvals."""
    return sweep()
