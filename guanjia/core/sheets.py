"""Reading a spreadsheet someone else made (.xlsx, .xls, .ods), for every importer.

The hostile-file checks (guanjia.core.uploads) first, then calamine: a sheet's rows as Excel
numbers them, merged cells filled down, and the cell parsers every importer shares (dates in
the ways Chinese offices write them). Problems are named by row and column as Excel shows them.
"""

import datetime as dt
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.utils.translation import gettext as _
from python_calamine import CalamineError, CalamineSheet, CalamineWorkbook, WorksheetNotFound

from . import uploads

Source = str | os.PathLike[str] | IO[bytes]
NOTHING_MARKS = {"-", "—", "——", "/", "无", "暂无"}


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


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


class FileError(Exception):
    """The file as a whole cannot be imported; the message says why."""


Cell = Any


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


def cell_text(value: Cell) -> str:
    """A cell as the text a reader sees: numbers without a needless .0, dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, ".15g")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


class CellError(ValueError):
    pass


_DATE_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_MONTH_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def parse_date(value: Cell) -> dt.date | None:
    """A date cell, a serial number, or text such as 2023-03-23, 2023/3/23, 2023年3月23日."""
    if value is None or cell_text(value) in ("", *NOTHING_MARKS):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        if number.is_integer() and 19000101 <= number <= 21001231:
            return _ymd(f"{int(number)}", value)
        # A date cell that lost its format shows Excel's serial day number.
        if 18264 <= number <= 73415:  # 1950-01-01 … 2100-12-31
            return _EXCEL_EPOCH + dt.timedelta(days=int(number))
        raise CellError(_("“%(value)s” is not a date") % {"value": cell_text(value)})
    text = cell_text(value)
    text = re.sub(r"[ T]\d{1,2}:\d{2}(:\d{2})?$", "", text)  # a time of day adds nothing
    match = _DATE_RE.fullmatch(text)
    if match:
        return _date(int(match.group(1)), int(match.group(2)), int(match.group(3)), text)
    if re.fullmatch(r"\d{8}", text):
        return _ymd(text, text)
    if _MONTH_RE.fullmatch(text):
        raise CellError(
            _("“%(value)s” has no day; write the full date, e.g. 2023-03-23") % {"value": text}
        )
    raise CellError(_("“%(value)s” is not a date; write it as 2023-03-23") % {"value": text})


def _ymd(digits: str, shown: Cell) -> dt.date:
    return _date(int(digits[:4]), int(digits[4:6]), int(digits[6:]), shown)


def _date(year: int, month: int, day: int, shown: Cell) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise CellError(_("“%(value)s” is not a real date") % {"value": cell_text(shown)}) from exc
