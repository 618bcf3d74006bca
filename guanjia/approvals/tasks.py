"""Background jobs for approvals."""

from django.tasks import task

from guanjia.core.scheduling import periodic, timed

from .sweep import sweep


@periodic(seconds=60)
@task()
def sweep_approvals() -> int:
    """Every minute: reminders, suspensions and returns of tolerated approvals. Timed (/metrics)."""
    with timed(sweep_approvals):
        return sweep()
