"""guanjia export_audit FILE [--from DATE --to DATE --user NAME --object TYPE[:ID]]"""

import datetime as dt
from typing import Any

import xlsxwriter
from django.core.management.base import BaseCommand, CommandError, CommandParser

from guanjia.core import audit
from guanjia.core.xlsx import write_table


class Command(BaseCommand):
    help = "Export the audit log (a date range, a user, an object) to .csv or .xlsx."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="output file; .csv or .xlsx by its extension")
        parser.add_argument("--from", dest="start", type=dt.date.fromisoformat)
        parser.add_argument("--to", dest="end", type=dt.date.fromisoformat)
        parser.add_argument("--user", default="", help="user name or id")
        parser.add_argument("--object", default="", help="type, or type:id (projects.project:12)")
        parser.add_argument("--action", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        object_type, _sep, object_id = options["object"].partition(":")
        entries = audit.export_queryset(
            start=options["start"],
            end=options["end"],
            actor=options["user"],
            object_type=object_type,
            object_id=object_id,
            action=options["action"],
        )
        path: str = options["file"]
        if path.endswith(".csv"):
            with open(path, "w", encoding="utf-8", newline="") as out:
                n = audit.write_csv(out, entries)
        elif path.endswith(".xlsx"):
            book = xlsxwriter.Workbook(path, {"constant_memory": True})
            rows = (audit.export_row(e) for e in entries.iterator(chunk_size=2000))
            n = write_table(book, "audit", audit.xlsx_columns(), rows)
            book.close()
        else:
            raise CommandError("the file must end in .csv or .xlsx")
        self.stdout.write(f"{n} audit entries written to {path}")
