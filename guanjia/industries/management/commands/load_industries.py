from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from guanjia.industries.loading import DEFAULT_FILE, load_industries


class Command(BaseCommand):
    help = "Load an industry taxonomy from a JSON file (default: the 6+1+2 taxonomy)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", default=str(DEFAULT_FILE))

    def handle(self, *args: Any, **options: Any) -> None:
        created = load_industries(Path(options["file"]))
        self.stdout.write(f"industries: {created} created")
