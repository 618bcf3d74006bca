import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from guanjia.approvals.sweep import sweep


class Command(BaseCommand):
    help = (
        "Run the approvals sweep once (the scheduler runs it every minute). "
        "--at moves the clock, to see what would happen at a later moment."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--at", help="local date and time, e.g. 2026-12-01T10:00")

    def handle(self, *args: Any, **options: Any) -> None:
        moment = timezone.now()
        if options["at"]:
            try:
                moment = dt.datetime.fromisoformat(options["at"])
            except ValueError as exc:
                raise CommandError(f"--at: {exc}") from None
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
        acted = sweep(moment)
        self.stdout.write(f"{acted} approval steps at {timezone.localtime(moment):%Y-%m-%d %H:%M}")
