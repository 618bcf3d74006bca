"""Background jobs for targets."""

from django.tasks import task

from guanjia.core.scheduling import periodic

from .computations import compute_all


@periodic(seconds=3600)
@task()
def compute_actuals() -> int:
    """Every hour: recompute actuals from the ledger for this year and last."""
    return compute_all()
