"""guanjia import-projects FILE [--dry-run] [--user USERNAME] [--sheet NAME]
    [--map HEADER=FIELD ...] [--template NAME] [--save-template NAME]

A thin wrapper over importers.run_import: prints the column mapping, the counts and every row
error; exits with code 2, having written nothing, when anything is wrong. A header the ledger
does not know, whose cells look like one of its fields (or a required column missing), stops
the import too: the command prints what each such column looks like and the --map arguments
to pass (HEADER=FIELD, or HEADER=- to ignore the column); a saved mapping (--template, or the
one of --user's whose headers are the file's) answers instead.
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guanjia.accounts.models import User
from guanjia.core.sheets.mappings import MapArgError, parse_map_args
from guanjia.projects import mapping
from guanjia.projects.importers import COLUMNS, TABLE, ImportResult, run_import
from guanjia.projects.sheet_review import BY_HEADER, BY_MAPPING, Review

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
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="HEADER=FIELD",
            help="read the column headed HEADER as FIELD (HEADER=- ignores it); repeatable",
        )
        parser.add_argument(
            "--template", default="", metavar="NAME", help="map the columns by this saved mapping"
        )
        parser.add_argument(
            "--save-template",
            default="",
            metavar="NAME",
            help="after a good import, save the columns' mapping under NAME (needs --user)",
        )

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
        if options["save_template"] and user is None:
            raise CommandError(
                _("--save-template needs --user: a mapping is saved for a user's office"),
                returncode=ERROR_EXIT,
            )
        explicit = self.explicit_mapping(path, options, user)
        review = mapping.review_file(path, options["sheet"], path.name, explicit)
        if review is not None and review.needs_answer:
            self.ask(review)
            raise CommandError(
                _("some columns need a meaning; nothing was imported"), returncode=ERROR_EXIT
            )
        result = run_import(
            path,
            user,
            commit=not options["dry_run"],
            sheet=options["sheet"],
            filename=path.name,
            mapping=explicit,
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

        if options["save_template"] and review is not None:
            saved = mapping.save_for(
                user, review.headers, review.mapping(), options["save_template"]
            )
            self.stdout.write(_("Mapping saved as «%(name)s».") % {"name": saved.name})

    def explicit_mapping(
        self, path: Path, options: dict[str, Any], user: User | None
    ) -> dict[str, str | None] | None:
        """--map and --template (or the user's saved mapping for these headers) as
        {header text in the file: field or None}; None when nothing maps explicitly."""
        labels = {c.header: c.field for c in COLUMNS}
        try:
            given = parse_map_args(options["map"], TABLE.by_field, labels)
        except MapArgError as exc:
            raise CommandError(str(exc), returncode=ERROR_EXIT) from exc
        cells = mapping.header_row(path, options["sheet"], path.name, given)
        table: dict[str, str | None] = {}
        if options["template"]:
            template = mapping.template_named(options["template"], cells, user)
            if template is None:
                raise CommandError(
                    _("no saved mapping called «%(name)s»") % {"name": options["template"]},
                    returncode=ERROR_EXIT,
                )
            table.update(template.mapping)
            self.stdout.write(_("Mapped with saved mapping «%(name)s».") % {"name": template.name})
        elif not given and user is not None:
            saved = mapping.saved_mapping_for(path, options["sheet"], path.name, user)
            if saved is not None:
                self.stdout.write(
                    _("Mapped with saved mapping «%(name)s».") % {"name": saved.mapping.name}
                )
                return saved.explicit
        table.update(given)
        if not table:
            return None
        explicit, absent = mapping.by_cell_text(table, cells)
        absent = [h for h in absent if h in given]
        if absent:
            raise CommandError(
                _("the file has no column headed %(headers)s") % {"headers": "、".join(absent)},
                returncode=ERROR_EXIT,
            )
        return explicit

    def ask(self, review: Review) -> None:
        """What each undecided column looks like, and the --map arguments that decide it."""
        labels = {c.field: str(c.label) for c in COLUMNS}
        if review.missing:
            self.stderr.write(
                _("No column is read as: %(fields)s")
                % {"fields": "、".join(labels[f] for f in review.missing)}
            )
        args = []
        for column in review.columns:
            if column.how in (BY_HEADER, BY_MAPPING) or not column.evidence:
                continue
            target = column.field or "-"
            shown = labels.get(column.field or "", _("ignore"))
            self.stderr.write(
                f"  {column.letter} “{column.header}” → {shown} ({target}): {column.evidence}"
            )
            args.append(f"--map '{column.header}={target}'")
        self.stderr.write(
            _("Check these and run the command again with: %(args)s") % {"args": " ".join(args)}
        )
        self.stderr.write(_("The fields are: %(names)s") % {"names": ", ".join(TABLE.by_field)})

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
