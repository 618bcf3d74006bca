"""guanjia purge_audit: delete audit entries past the retention (the daily job, run now)."""

from typing import Any

from django.core.management.base import BaseCommand

from guanjia.core.audit import purge_expired, retention_days


class Command(BaseCommand):
    help = "Delete audit entries older than GUANJIA_AUDIT_RETENTION_DAYS (at least 180)."

    def handle(self, *args: Any, **options: Any) -> None:
        days = retention_days()
        n = purge_expired(days=days)
        self.stdout.write(f"{n} audit entries older than {days} days purged")
