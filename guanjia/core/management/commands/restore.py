"""guanjia restore DIR: put a backup back and prove it with the manifest's checksums."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from guanjia.core.backup import BackupError, read_manifest, restore


class Command(BaseCommand):
    help = (
        "Replace the database and the private files with a backup made by `guanjia backup`, "
        "then check every table against the backup's manifest. Stop the web server and the "
        "workers first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help="the backup folder")
        parser.add_argument("--yes", action="store_true", help="do not ask before replacing")

    def handle(self, *args: Any, **options: Any) -> None:
        source = Path(options["source"])
        try:
            manifest = read_manifest(source)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        if not options["yes"]:
            answer = input(
                f"Replace the database with the backup of {manifest['created_at']}? [y/N] "
            )
            if answer.strip().lower() not in ("y", "yes"):
                raise CommandError("nothing restored")
        try:
            differ = restore(source)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        if differ:
            raise CommandError(f"restored, but these tables differ from the backup: {differ}")
        rows = sum(t["rows"] for t in manifest["tables"].values())
        self.stdout.write(
            f"restored {len(manifest['tables'])} tables, {rows} rows; every checksum matches"
        )
