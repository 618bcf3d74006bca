"""Log-in security and audit housekeeping jobs."""

from django.tasks import task

from guanjia.core.audit import purge_expired
from guanjia.core.scheduling import periodic


@periodic(seconds=24 * 3600)
@task()
def purge_audit_log() -> int:
    """Daily: delete audit entries older than GUANJIA_AUDIT_RETENTION_DAYS (≥ 180)."""
    return purge_expired()
