"""guanjia import-projects FILE [--dry-run] [--user USERNAME] [--sheet NAME]

A thin wrapper over importers.run_import: prints the column mapping, the counts and every row
error; exits with code 2, having written nothing, when anything is wrong.
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guanjia.accounts.models import User
from guanjia.projects.importers import ImportResult, run_import

ERROR_EXIT = 2


class Command(BaseCommand):
    help = "Import projects from an .xlsx, .xls or .ods ledger: every row, or none."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the spreadsheet to import")
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and report; write nothing"
        )
        parser.add_argument(
            "--user", help="import as this user (their regions and audit name); default: system"
        )
        parser.add_argument("--sheet", default="", help="the sheet to read (default: the first)")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("no such file: %(path)s") % {"path": path}, returncode=ERROR_EXIT)
        user = None
        if options["user"]:
            user = User.objects.filter(username=options["user"], is_active=True).first()
            if user is None:
                raise CommandError(
                    _("no active user called %(name)s") % {"name": options["user"]},
                    returncode=ERROR_EXIT,
                )
            if not user.can_write:
                raise CommandError(
                    _("%(name)s has a read-only role and cannot import")
                    % {"name": options["user"]},
                    returncode=ERROR_EXIT,
                )
        result = run_import(
            path, user, commit=not options["dry_run"], sheet=options["sheet"], filename=path.name
        )
        self.report(result)
        if not result.ok:
            raise CommandError(
                _("%(n)d problems found; nothing was imported")
                % {"n": len(result.errors) + len(result.file_errors)},
                returncode=ERROR_EXIT,
            )
        if options["dry_run"]:
            self.stdout.write(
                ngettext(
                    "Dry run: nothing written. %(n)d project would be created.",
                    "Dry run: nothing written. %(n)d projects would be created.",
                    result.to_create,
                )
                % {"n": result.to_create}
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    ngettext(
                        "Imported %(n)d project (new enterprises: %(e)d, duplicates skipped: %(d)d).",
                        "Imported %(n)d projects (new enterprises: %(e)d, duplicates skipped: %(d)d).",
                        result.created,
                    )
                    % {
                        "n": result.created,
                        "e": result.new_enterprises,
                        "d": len(result.duplicates),
                    }
                )
            )

    def report(self, result: ImportResult) -> None:
        if result.sheet:
            self.stdout.write(
                _("Sheet “%(sheet)s”, headers in row %(row)d.")
                % {"sheet": result.sheet, "row": result.header_row}
            )
        for column in result.mapping:
            unit = f" [{column.unit}]" if column.unit else ""
            self.stdout.write(f"  {column.letter} “{column.header}” → {column.label}{unit}")
        for unknown in result.unknown_columns:
            self.stdout.write(self.style.WARNING(f"  {unknown}"))
        for note in result.skipped:
            self.stdout.write(f"  {note}")
        for duplicate in result.duplicates:
            self.stdout.write(f"  {duplicate}")
        for message in result.file_errors:
            self.stderr.write(message)
        for error in result.errors:
            self.stderr.write(str(error))
        counts = result.counts()
        self.stdout.write(
            _(
                "Rows: %(rows)d; to create: %(to_create)d; duplicates: %(duplicates)d; "
                "errors: %(errors)d; unknown columns: %(unknown_columns)d."
            )
            % counts
        )
