from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from guanjia.worktime.loading import load_holidays


class Command(BaseCommand):
    help = "Seed the holiday calendar (holidays and 调休 workdays) from chinese-calendar."

    def add_arguments(self, parser: CommandParser) -> None:
        this_year = timezone.localdate().year
        parser.add_argument("years", nargs="*", type=int, default=[this_year - 1, this_year])

    def handle(self, *args: Any, **options: Any) -> None:
        added = load_holidays(options["years"])
        self.stdout.write(f"calendar days added: {added}")
