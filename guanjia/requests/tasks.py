"""Background jobs for requests."""

from django.tasks import task

from guanjia.core.scheduling import periodic, timed

from .escalation import sweep


@periodic(seconds=60)
@task()
def sweep_requests() -> int:
    """Every minute: reminders and escalations for whatever crossed a mark. Timed (/metrics)."""
    with timed(sweep_requests):
        return sweep()
