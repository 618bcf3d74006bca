"""Background jobs for parks and land."""

from django.tasks import task

from guanjia.core.scheduling import periodic

from .services import expire_reservations, remind_reservations


@periodic(seconds=3600)
@task()
def sweep_reservations() -> int:
    """Every hour: reservations (意向) past their date go back on offer (step `expire`)."""
    return expire_reservations()


@periodic(seconds=3600)
@task()
def remind_lapsing_reservations() -> int:
    """Every hour: the lead's owner hears a few working days before its reservation lapses."""
    return remind_reservations()
