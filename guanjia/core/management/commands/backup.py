"""guanjia backup [DIR]: the database, the private files and a manifest of checksums."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from guanjia.core.backup import BackupError, backup


class Command(BaseCommand):
    help = "Back up the database and the private files into a new folder, with a manifest."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "target",
            nargs="?",
            help="folder to create (default var/backups/guanjia-YYYYmmdd-HHMMSS)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        target = Path(options["target"] or Path(settings.VAR_DIR) / "backups" / f"guanjia-{stamp}")
        try:
            manifest = backup(target)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(t["rows"] for t in manifest["tables"].values())
        size = sum(p.stat().st_size for p in target.iterdir())
        self.stdout.write(
            f"backed up {len(manifest['tables'])} tables, {rows} rows, "
            f"{size / 1024 / 1024:.1f} MB → {target}"
        )
