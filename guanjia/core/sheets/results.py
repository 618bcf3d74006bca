"""What an import found: errors by row and column with a reason, counts, the mapping, a preview."""

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from .columns import Mapped, Unknown

MAX_STORED = 1000  # errors kept in a job's result; the command line prints them all


@dataclass
class RowError:
    row: int  # as Excel numbers it, from 1
    column: str  # letter, "" for a whole-row problem
    header: str
    reason: str

    def __str__(self) -> str:
        if self.column:
            return _("row %(row)d, column %(column)s “%(header)s”: %(reason)s") % {
                "row": self.row,
                "column": self.column,
                "header": self.header,
                "reason": self.reason,
            }
        return _("row %(row)d: %(reason)s") % {"row": self.row, "reason": self.reason}

    def as_json(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "header": self.header,
            "reason": self.reason,
        }


def left_to_right(error: RowError) -> tuple[int, str]:
    """Errors of one row in the order of its columns, as the user reads them."""
    return len(error.column), error.column


@dataclass
class SheetResult:
    """What a pass found (and, after a commit, what it wrote)."""

    sheet: str = ""
    header_row: int = 0
    rows: int = 0  # data rows read (empty rows are not counted)
    to_create: int = 0
    created: int = 0
    committed: bool = False
    file_errors: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    mapping: list[Mapped] = field(default_factory=list)
    unknown_columns: list[Unknown] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # total rows and the like
    preview: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.file_errors and not self.errors

    @property
    def error_rows(self) -> int:
        return len({e.row for e in self.errors})

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "to_create": self.to_create,
            "created": self.created,
            "errors": len(self.errors),
            "error_rows": self.error_rows,
            "unknown_columns": len(self.unknown_columns),
        }

    def as_json(self, limit: int = MAX_STORED) -> dict[str, Any]:
        """For ImportJob.result: JSON-safe, errors capped at `limit`."""
        return {
            "sheet": self.sheet,
            "header_row": self.header_row,
            "committed": self.committed,
            "counts": self.counts(),
            "file_errors": list(self.file_errors),
            "mapping": [
                {
                    "column": m.letter,
                    "header": m.header,
                    "field": m.key,
                    "label": m.label,
                    "unit": m.unit,
                }
                for m in self.mapping
            ],
            "unknown_columns": [
                {"column": u.letter, "header": u.header, "message": str(u), "samples": u.samples}
                for u in self.unknown_columns
            ],
            "errors": [e.as_json() for e in self.errors[:limit]],
            "skipped": list(self.skipped),
            "preview": self.preview,
        }
