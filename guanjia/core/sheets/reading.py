"""Reading a spreadsheet (.xlsx, .xls, .ods) row by row, once it passed the hostile-file checks."""

import os
from collections.abc import Iterator
from typing import IO

from django.utils.translation import gettext as _
from python_calamine import CalamineError, CalamineSheet, CalamineWorkbook, WorksheetNotFound

from guanjia.core import uploads

from .cells import Cell

Source = str | os.PathLike[str] | IO[bytes]
EXTENSIONS = (".xlsx", ".xls", ".ods")  # never .xlsm: macros are not imported


class FileError(Exception):
    """The file as a whole cannot be imported; the message says why."""


class SheetRows:
    """A sheet's rows as Excel numbers them, read on demand, each from column A.

    The cells stay in calamine's compact form until a row is asked for, so a 100,000-row file
    does not become millions of Python objects at once; the rows can be walked more than once.
    """

    def __init__(self, sheet: CalamineSheet) -> None:
        self.name = sheet.name
        self._sheet = sheet
        # iter_rows starts at row 1 but at the first used column.
        self._offset = [""] * (sheet.start[1] if sheet.start else 0)
        # A value merged down several rows (a region written once for a block of projects)
        # is what the reader sees on each of those rows.
        self._merges: dict[int, list[tuple[int, int]]] = {}
        for (r0, c0), (r1, _c1) in sheet.merged_cell_ranges or []:
            if r1 > r0:
                self._merges.setdefault(r0, []).append((c0, r1))

    def __iter__(self) -> Iterator[tuple[int, list[Cell]]]:
        filling: list[tuple[int, int, Cell]] = []  # (column, last row, value)
        for index, row in enumerate(self._sheet.iter_rows()):
            cells = self._offset + row if self._offset else row
            if filling:
                filling = [f for f in filling if f[1] >= index]
                for column, _last, value in filling:
                    if column < len(cells) and cells[column] in ("", None):
                        cells[column] = value
            for column, last in self._merges.get(index, ()):
                filling.append((column, last, cells[column] if column < len(cells) else ""))
            yield index + 1, cells


def read_sheet(source: Source, sheet: str = "", name: str = "") -> SheetRows:
    """The named (or first) sheet of a workbook, once the file has passed the hostile-file
    checks (zip bombs, macros: guanjia.core.uploads); `name` is the uploader's file name."""
    shown = name or os.path.basename(str(getattr(source, "name", None) or source))
    try:
        uploads.check_spreadsheet(
            os.fspath(source) if isinstance(source, str | os.PathLike) else source, shown
        )
    except uploads.UploadRefused as exc:
        raise FileError(str(exc)) from exc
    except OSError as exc:
        raise FileError(
            _("the file could not be read as a spreadsheet (.xlsx, .xls or .ods): %(reason)s")
            % {"reason": exc}
        ) from exc
    try:
        if isinstance(source, str | os.PathLike):
            workbook = CalamineWorkbook.from_path(source)
        else:
            source.seek(0)
            workbook = CalamineWorkbook.from_filelike(source)
    except (CalamineError, OSError, ValueError) as exc:
        raise FileError(
            _("the file could not be read as a spreadsheet (.xlsx, .xls or .ods): %(reason)s")
            % {"reason": exc}
        ) from exc
    with workbook:
        try:
            found = workbook.get_sheet_by_name(sheet) if sheet else workbook.get_sheet_by_index(0)
        except (WorksheetNotFound, IndexError) as exc:
            raise FileError(
                _("there is no sheet called “%(sheet)s”; the sheets are: %(names)s")
                % {"sheet": sheet, "names": "、".join(workbook.sheet_names)}
            ) from exc
        except CalamineError as exc:
            raise FileError(_("the sheet could not be read: %(reason)s") % {"reason": exc}) from exc
    return SheetRows(found)
