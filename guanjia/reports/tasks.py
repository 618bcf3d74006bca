"""Background jobs for reports: generate one, and the hourly check that the scheduled
reports (last week's every Monday morning, last month's on the 1st) exist."""

from django.tasks import task

from guanjia.core.scheduling import periodic

from . import services


@task()
def generate_report(report_id: int) -> str:
    report = services.generate(report_id)
    return report.status if report else "skipped"


@periodic(seconds=3600)
@task()
def schedule_reports() -> list[int]:
    """Every hour: queue last week's and last month's reports if they are not there yet."""
    return services.ensure_scheduled()
