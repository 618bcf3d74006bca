from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from guanjia.regions.loading import DEFAULT_FILE, load_regions


class Command(BaseCommand):
    help = "Load or update a city's region tree from a JSON file (default: Jinzhou)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", default=str(DEFAULT_FILE))

    def handle(self, *args: Any, **options: Any) -> None:
        created, updated = load_regions(Path(options["file"]))
        self.stdout.write(f"regions: {created} created, {updated} updated")
