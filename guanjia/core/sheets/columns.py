"""The column table: what an importer reads and an exporter writes, and how headers are found.

A `Table` of `Column`s drives both ways: the importer finds the header row (skipping title
rows), matches each header cell to a column by its normalised header or aliases (a unit in
brackets, 总投资(亿元), goes to the amount parser), and the exporter writes the same headers, so
an exported file imports back.

Headers nobody recognises come back as `Unknown`, each with samples of its cells: the seam for
content-based inference (guanjia.projects.infer proposes a field from the samples). Whatever
proposes or confirms a meaning passes it back as an explicit mapping
`{header text: field, or None to ignore the column}`, which wins over the aliases.
"""

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _

from .cells import HEADER_UNITS, Amount, Cell, Text, column_letter, text_of, word_key

HEADER_SEARCH_ROWS = 10  # the header row is among the first ten
SAMPLES = 20  # cells kept for each unknown column
SAMPLE_ROWS = 200  # rows under the header looked at for samples
# Headers that carry nothing to import (a row counter); shown in the mapping as ignored.
IGNORED_HEADERS = ("序号", "编号", "序")

Parser = Callable[[Cell], Any]
Mapping_ = Mapping[str, str | None]


@dataclass(frozen=True)
class Column:
    """One column: its field, its label (UI), the header we write and the headers offices use.

    `parser` turns a cell into the field's value (see cells.py); `required` means the header
    must be present and the cell filled. The export side: `get(obj)` gives the value (default
    the attribute `field`), `show(value)` the cell (a code → its word), `kind` the xlsx type.
    """

    field: str
    label: Promise | str
    header: str
    aliases: tuple[str, ...] = ()
    parser: Parser = Text()
    required: bool = False
    width: float = 14
    kind: str = "text"  # text, int, amount, date, time (core.xlsx)
    get: Callable[[Any], Any] | None = None
    show: Callable[[Any], Any] | None = None

    @property
    def key(self) -> str:
        return self.field

    @property
    def amount(self) -> bool:
        return isinstance(self.parser, Amount)

    @property
    def canonical(self) -> str:
        """The header as we write it: amounts carry their unit, 总投资(万元)."""
        if isinstance(self.parser, Amount):
            return f"{self.header}({self.parser.unit})"
        return self.header

    def value(self, obj: Any) -> Any:
        """The exported cell for `obj`."""
        value = self.get(obj) if self.get else getattr(obj, self.field, None)
        return self.show(value) if self.show and value not in (None, "") else value


@dataclass
class Mapped:
    """A header cell matched to a column ("" for an ignored one such as 序号)."""

    index: int
    header: str
    key: str
    unit: str = ""
    label_text: Promise | str = ""
    parser: Parser | None = None

    @property
    def field(self) -> str:
        return self.key

    @property
    def letter(self) -> str:
        return column_letter(self.index)

    @property
    def label(self) -> str:
        return str(self.label_text) if self.key else _("(not imported)")


@dataclass
class Unknown:
    """A header nobody recognised (or values under no header), with samples of its cells."""

    index: int
    header: str
    samples: list[str] = field(default_factory=list)

    @property
    def letter(self) -> str:
        return column_letter(self.index)

    def __str__(self) -> str:
        if not self.header:
            return _("column %(col)s has values but no header; ignored") % {"col": self.letter}
        return _("column %(col)s “%(header)s” not recognised, ignored") % {
            "col": self.letter,
            "header": self.header,
        }


@dataclass
class HeaderMap:
    """The header row and what each of its cells means."""

    row: int
    cells: list[Cell]
    columns: dict[str, Mapped] = field(default_factory=dict)  # field → its column
    mapping: list[Mapped] = field(default_factory=list)  # in sheet order, ignored ones too
    unknown: list[Unknown] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # the file cannot be read as it is
    missing: list[Column] = field(default_factory=list)  # required columns not found
    doubled: list[Unknown] = field(default_factory=list)  # a second column for one field

    def raw(self, cells: list[Cell], key: str) -> Cell:
        """A row's cell for a field ("" when the column is absent)."""
        column = self.columns.get(key)
        if column is None or column.index >= len(cells):
            return ""
        return cells[column.index]

    def unknown_headers(self) -> dict[str, list[str]]:
        """{header: samples}: what content-based inference looks at."""
        return {u.header: u.samples for u in self.unknown if u.header}


def _shown(value: Cell) -> str:
    return re.sub(r"\s+", " ", text_of(value))


class Table:
    """An importer's columns, with the alias index and the header finder."""

    def __init__(
        self,
        columns: Iterable[Column],
        *,
        ignored: Iterable[str] = IGNORED_HEADERS,
        search_rows: int = HEADER_SEARCH_ROWS,
        minimum: int = 2,
        best: bool = False,
        extra: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        self.columns = tuple(columns)
        self.by_field = {c.field: c for c in self.columns}
        self.ignored = {word_key(h) for h in ignored}
        self.search_rows = search_rows
        self.minimum = minimum  # recognised headers that make a row the header row
        self.best = best  # take the row with the most recognised headers, not the first
        self._index: dict[str, str] = {}
        for column in self.columns:
            for alias in (column.header, *column.aliases):
                self._index.setdefault(word_key(self._clean(alias)), column.field)
        # Headers other offices write (core.sheets.headers.EXTRA_ALIASES), after our own.
        for key, aliases in (extra or {}).items():
            if key in self.by_field:
                for alias in aliases:
                    self._index.setdefault(word_key(self._clean(alias)), key)

    def __iter__(self) -> Iterator[Column]:
        return iter(self.columns)

    @property
    def required(self) -> list[Column]:
        return [c for c in self.columns if c.required]

    @staticmethod
    def _clean(value: Cell) -> str:
        text = re.sub(r"\s+", "", text_of(value))
        return text.replace("（", "(").replace("）", ")").strip("*＊:：")

    def normalise(self, value: Cell) -> tuple[str, str]:
        """A header cell as (base, unit): '总投资\\n（亿元）*' → ('总投资', '亿元')."""
        text = self._clean(value)
        if word_key(text) in self._index:
            return text, ""
        match = re.fullmatch(r"(.+?)\(([^()]*)\)", text)
        if match:
            return match.group(1), match.group(2)
        for unit in ("亿元", "万元"):  # 总投资亿元, written without the brackets
            base = text.removesuffix(unit)
            found = self._index.get(word_key(base)) if base != text else None
            if found and self.by_field[found].amount:
                return base, unit
        return text, ""

    def field_for(self, value: Cell) -> str | None:
        """The field a header cell means, or None."""
        base, _unit = self.normalise(value)
        return self._index.get(word_key(base))

    def find_header(
        self, rows: Iterable[tuple[int, list[Cell]]], mapping: Mapping_ | None = None
    ) -> tuple[int, list[Cell]] | None:
        """The first of the first rows with `minimum` recognised headers (title rows above it
        are skipped), or with `best` the one with the most; a header the explicit mapping
        names counts as recognised."""
        named = {word_key(self._clean(h)) for h, f in (mapping or {}).items() if f}
        chosen: tuple[int, tuple[int, list[Cell]]] | None = None
        for number, cells in rows:
            if number > self.search_rows:
                break
            found: set[Any] = {self.field_for(v) for v in cells} - {None}
            found |= {i for i, v in enumerate(cells) if word_key(self._clean(v)) in named}
            if len(found) >= self.minimum and (chosen is None or len(found) > chosen[0]):
                chosen = (len(found), (number, cells))
                if not self.best:
                    break
        return chosen[1] if chosen else None

    def map_header(
        self, number: int, cells: list[Cell], mapping: Mapping_ | None = None
    ) -> HeaderMap:
        """What each header cell means. `mapping` {header text: field or None} comes first."""
        explicit = {word_key(self._clean(h)): f for h, f in (mapping or {}).items()}
        result = HeaderMap(number, cells)
        for index, value in enumerate(cells):
            shown = _shown(value)
            base, unit = self.normalise(value)
            clean = word_key(self._clean(value))
            if clean and clean in explicit:
                key = explicit[clean]
                if key is None:
                    result.mapping.append(Mapped(index, shown, ""))
                    continue
                if key not in self.by_field:
                    result.errors.append(
                        _("column %(col)s “%(header)s”: no field is called “%(field)s”")
                        % {"col": column_letter(index), "header": shown, "field": key}
                    )
                    continue
                unit = unit if self.by_field[key].amount else ""
            else:
                key = self._index.get(word_key(base))
            if key is None:
                if word_key(base) in self.ignored:
                    result.mapping.append(Mapped(index, shown, ""))
                elif base:
                    result.unknown.append(Unknown(index, shown))
                continue
            self._add(result, index, shown, key, unit)
        for column in self.required:
            if column.field not in result.columns:
                result.missing.append(column)
                names = "、".join((column.header, *column.aliases[:3]))
                result.errors.append(
                    _("the required column “%(label)s” is missing (a header such as %(names)s)")
                    % {"label": column.label, "names": names}
                )
        return result

    def _add(self, result: HeaderMap, index: int, shown: str, key: str, unit: str) -> None:
        column = self.by_field[key]
        parser = column.parser
        if isinstance(parser, Amount):
            if unit and unit not in HEADER_UNITS:
                result.errors.append(
                    _(
                        "column %(col)s “%(header)s”: the unit “%(unit)s” is not understood; "
                        "use 元, 万元 or 亿元"
                    )
                    % {"col": column_letter(index), "header": shown, "unit": unit}
                )
                return
            parser = parser.in_unit(unit)
            unit = parser.unit
        elif hasattr(parser, "in_unit"):  # a measure of its own kind: the header's unit as is
            parser = parser.in_unit(unit)
        else:
            unit = ""
        if key in result.columns:
            first = result.columns[key]
            result.doubled.append(Unknown(index, shown))
            result.errors.append(
                _(
                    "columns %(a)s “%(ha)s” and %(b)s “%(hb)s” both mean “%(label)s”; "
                    "keep one of them"
                )
                % {
                    "a": first.letter,
                    "ha": first.header,
                    "b": column_letter(index),
                    "hb": shown,
                    "label": column.label,
                }
            )
            return
        mapped = Mapped(index, shown, key, unit, column.label, parser)
        result.columns[key] = mapped
        result.mapping.append(mapped)


def collect_samples(
    header: HeaderMap, rows: Iterable[tuple[int, list[Cell]]], limit: int = SAMPLES
) -> None:
    """Fill each unknown column's samples from the first rows under the header."""
    if not header.unknown:
        return
    for number, cells in rows:
        if number <= header.row:
            continue
        if number > header.row + SAMPLE_ROWS:
            break
        for unknown in header.unknown:
            if len(unknown.samples) < limit and unknown.index < len(cells):
                text = text_of(cells[unknown.index])
                if text:
                    unknown.samples.append(text)
