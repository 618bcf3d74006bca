"""Two passes over a sheet: check every row, then write them all in one transaction, or none.

An app's importer subclasses `SheetImporter`, names its `table`, and writes two methods:
`check_row(row)` turns a `Row` into something to write (or reports through `row.fail` and
returns None) and `write(checked)` writes the list inside the transaction. `prepare(body)` may
fetch what the rows will name, once, before the rows are checked.
"""

import datetime as dt
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

from django.db import transaction
from django.utils.translation import gettext as _

from .cells import Cell, CellError, text_of
from .columns import HeaderMap, Mapping_, Table, Unknown, collect_samples
from .reading import FileError, SheetRows, Source, read_sheet
from .results import RowError, SheetResult, left_to_right

Progress = Callable[[int, int], None]
PROGRESS_EVERY = 500
PREVIEW_ROWS = 20


class Body:
    """The rows under the header that have anything in them, and what a first look finds:
    how many, the distinct texts of some columns (`prescan`, to fetch lookups once), and the
    columns with values but no header."""

    def __init__(self, rows: SheetRows, header: HeaderMap, prescan: tuple[str, ...] = ()) -> None:
        self._rows = rows
        self.header = header
        self.count = 0
        self.texts: dict[str, set[str]] = {key: set() for key in prescan}
        self.unnamed_with_values: set[int] = set()
        named = {i for i, v in enumerate(header.cells) if text_of(v)}
        for number, cells in rows:
            if number <= header.row or not any(text_of(v) for v in cells):
                continue
            self.count += 1
            for key in prescan:
                value = text_of(header.raw(cells, key))
                if value:
                    self.texts[key].add(value)
            for index in range(len(cells)):
                if index not in named and text_of(cells[index]):
                    self.unnamed_with_values.add(index)

    def __iter__(self) -> Iterator[tuple[int, list[Cell]]]:
        for number, cells in self._rows:
            if number > self.header.row and any(text_of(v) for v in cells):
                yield number, cells


class Row:
    """One data row: its cells by field, parsed by each column's parser, errors collected."""

    def __init__(self, number: int, cells: list[Cell], header: HeaderMap) -> None:
        self.number = number
        self.cells = cells
        self.header = header
        self.errors: list[RowError] = []

    def has(self, key: str) -> bool:
        return key in self.header.columns

    def raw(self, key: str) -> Cell:
        return self.header.raw(self.cells, key)

    def text(self, key: str) -> str:
        return text_of(self.raw(key))

    def fail(self, key: str, reason: str) -> None:
        """An error in a field's cell (or, for a field the sheet lacks, in the whole row)."""
        column = self.header.columns.get(key)
        if column is None:
            self.errors.append(RowError(self.number, "", "", reason))
        else:
            self.errors.append(RowError(self.number, column.letter, column.header, reason))

    def get(
        self, key: str, parser: Callable[[Cell], Any] | None = None, required: bool = False
    ) -> Any:
        """The field's value by `parser` (default the column's); None when absent, empty
        (an error if `required`) or wrong (the error is recorded)."""
        column = self.header.columns.get(key)
        if column is None:
            return None
        value = self.raw(key)
        if required and not text_of(value):
            self.fail(key, _("this cell is required but empty"))
            return None
        try:
            return (parser or column.parser or text_of)(value)
        except CellError as exc:
            self.fail(key, str(exc))
            return None

    def values(self, table: Table) -> dict[str, Any]:
        """Every mapped field by its column's parser; required cells must be filled."""
        return {
            key: self.get(key, required=table.by_field[key].required) for key in self.header.columns
        }

    @property
    def ok(self) -> bool:
        return not self.errors

    def sorted_errors(self) -> list[RowError]:
        return sorted(self.errors, key=left_to_right)


class SheetImporter:
    """Validate a file against `table`, then commit it all or nothing."""

    table: ClassVar[Table]
    prescan: ClassVar[tuple[str, ...]] = ()
    preview_rows: ClassVar[int] = PREVIEW_ROWS

    def __init__(
        self,
        user: Any = None,
        *,
        filename: str = "",
        progress: Progress | None = None,
        mapping: Mapping_ | None = None,
        today: dt.date | None = None,
    ) -> None:
        from django.utils import timezone

        self.user = user
        self.filename = filename
        self.progress = progress
        self.mapping = mapping
        self.today = today or timezone.localdate()
        self.checked: list[Any] = []

    # Hooks ------------------------------------------------------------------------------------

    def new_result(self) -> SheetResult:
        return SheetResult()

    def no_header_message(self) -> str:
        names = "、".join(c.header for c in self.table.required[:3] or self.table.columns[:3])
        return _(
            "no header row found: none of the first %(n)d rows has two recognised column names "
            "such as %(names)s"
        ) % {"n": self.table.search_rows, "names": names}

    def check_header(self, header: HeaderMap, result: SheetResult) -> None:
        """What the header row means goes into the result; its problems are file errors."""
        result.mapping.extend(header.mapping)
        result.unknown_columns.extend(header.unknown)
        result.file_errors.extend(header.errors)

    def prepare(self, body: Body, result: SheetResult) -> None:
        """Fetch, once, what the rows will name (lookups, existing records); a file error
        added here (too many rows) stops the check."""

    def skip(self, row: Row, result: SheetResult) -> bool:
        """True for a row that is not data (a total row); say why in result.skipped."""
        return False

    def check_row(self, row: Row, result: SheetResult) -> Any:
        """What to write for this row, or None when it has errors (recorded by row.fail) or is
        nothing to write. The default: every mapped field by its parser."""
        values = row.values(self.table)
        return values if row.ok else None

    def finish(self, result: SheetResult) -> None:
        """After every row was checked: counts the importer adds to the result."""

    def preview(self, checked: Any) -> dict[str, Any]:
        """A checked row as JSON-safe texts, for the preview table (override to choose)."""
        values = checked if isinstance(checked, dict) else vars(checked)
        return {k: v if isinstance(v, str | int) else text_of(v) for k, v in values.items()}

    def write(self, checked: list[Any], result: SheetResult) -> int:
        """Write every checked row (inside the commit's transaction); how many were written."""
        raise NotImplementedError

    # 1. Validate ------------------------------------------------------------------------------

    def validate(self, source: Source, sheet: str = "") -> SheetResult:
        """Read and check the whole file; nothing is written."""
        result = self.new_result()
        self.checked = []
        try:
            rows = read_sheet(source, sheet, self.filename)
        except FileError as exc:
            result.file_errors.append(str(exc))
            return result
        result.sheet = rows.name
        found = self.table.find_header(rows, self.mapping)
        if found is None:
            result.file_errors.append(self.no_header_message())
            return result
        header = self.table.map_header(*found, mapping=self.mapping)
        result.header_row = header.row
        # Before any header problem stops the check: an unknown column's cells are what
        # inference (guanjia.projects.infer) looks at to propose its field.
        collect_samples(header, rows)
        self.check_header(header, result)
        if result.file_errors:
            return result
        body = Body(rows, header, self.prescan)

        result.unknown_columns.extend(Unknown(i, "") for i in sorted(body.unnamed_with_values))
        if not body.count:
            result.file_errors.append(_("there are no rows under the header"))
            return result
        self.prepare(body, result)
        if result.file_errors:
            return result
        self._check_rows(body, result)
        return result

    def _check_rows(self, body: Body, result: SheetResult) -> None:
        total = body.count
        if self.progress:
            self.progress(0, total)
        for done, (number, cells) in enumerate(body, start=1):
            if self.progress and done % PROGRESS_EVERY == 0:
                self.progress(done, total)
            row = Row(number, cells, body.header)
            if self.skip(row, result):
                continue
            result.rows += 1
            checked = self.check_row(row, result)
            result.errors.extend(row.sorted_errors())
            if checked is not None and row.ok:
                self.checked.append(checked)
        if self.progress:
            self.progress(total, total)
        result.to_create = len(self.checked)
        self.finish(result)
        result.preview = [self.preview(c) for c in self.checked[: self.preview_rows]]

    # 2. Commit --------------------------------------------------------------------------------

    def commit(self, source: Source, sheet: str = "") -> SheetResult:
        """Validate again, then write everything in one transaction, or nothing at all."""
        result = self.validate(source, sheet)
        if not result.ok:
            return result
        if self.checked:
            with transaction.atomic():
                result.created = self.write(self.checked, result)
                if not result.ok:  # write() found a conflict: nothing stays written
                    transaction.set_rollback(True)
                    result.created = 0
                    return result
        result.committed = True
        return result


def source_name(source: Source) -> str:
    """The file name of a path or an uploaded file."""
    if isinstance(source, str | os.PathLike):
        return Path(source).name
    return Path(getattr(source, "name", "") or "").name
