"""The mapping screen's questions: every column of a sheet with its header, a few of its cells,
and what it will be read as — by its header, by an explicit (or saved) mapping, or as
`infer.propose` suggests from its cells, with the evidence.

An import whose check finds a header nobody knows that the inference would map to a field, or
misses a required column, asks its user before anything else (`Review.needs_answer`); the
answers come back as an explicit mapping {header text: field or None} for the importer.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from guanjia.core.sheets.cells import Cell, column_letter, text_of
from guanjia.core.sheets.columns import Mapping_, Table
from guanjia.core.sheets.headers import normalise_header

from .infer import Candidate, SheetColumn, Vocabulary, propose

SHOWN_SAMPLES = 3  # cells shown under each header on the mapping screen
INFER_ROWS = 5000  # rows under the header read for the inference (it spreads 1,000 over them)

# How a column got its meaning.
BY_HEADER = "header"
BY_MAPPING = "mapping"
PROPOSED = "proposed"
IGNORED = "ignored"
UNKNOWN = "unknown"


@dataclass
class ColumnChoice:
    """One headed column: what it will be read as (`field`, None to ignore) and why."""

    index: int
    header: str
    samples: list[str]
    field: str | None
    how: str
    evidence: str = ""

    @property
    def letter(self) -> str:
        return column_letter(self.index)


@dataclass
class Review:
    """The questions for one sheet (JSON-safe for ImportJob.result)."""

    header_row: int
    headers: list[str]  # the header row's texts, for the header signature
    columns: list[ColumnChoice] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # required fields no column gives

    @property
    def needs_answer(self) -> bool:
        """A required column is missing, or the inference would map a column nobody named."""
        return bool(self.missing) or any(c.how == PROPOSED for c in self.columns)

    def mapping(self) -> dict[str, str | None]:
        """The choices as an explicit mapping {header text: field or None}."""
        return {c.header: c.field for c in self.columns if c.header}

    def as_json(self) -> dict[str, Any]:
        return {
            "header_row": self.header_row,
            "headers": self.headers,
            "columns": [asdict(c) for c in self.columns],
            "missing": self.missing,
            "needs_answer": self.needs_answer,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Review":
        columns = [
            ColumnChoice(
                **{k: c[k] for k in ("index", "header", "samples", "field", "how")},
                evidence=c.get("evidence", ""),
            )
            for c in data.get("columns", [])
        ]
        return cls(
            data.get("header_row", 0),
            list(data.get("headers", [])),
            columns,
            list(data.get("missing", [])),
        )


def _cells_under(
    rows: Iterable[tuple[int, list[Cell]]], header_row: int, width: int
) -> list[list[Any]]:
    """Each column's cells under the header, for the first INFER_ROWS non-empty rows."""
    columns: list[list[Any]] = [[] for _ in range(width)]
    taken = 0
    for number, cells in rows:
        if number <= header_row or not any(text_of(v) for v in cells):
            continue
        taken += 1
        if taken > INFER_ROWS:
            break
        for index in range(width):
            columns[index].append(cells[index] if index < len(cells) else None)
    return columns


def review_sheet(
    table: Table,
    rows: Iterable[tuple[int, list[Cell]]],
    candidates: Sequence[Candidate],
    vocabulary: Vocabulary,
    mapping: Mapping_ | None = None,
) -> Review | None:
    """Every headed column of the sheet with its meaning; None when no header row is found.

    `rows` must be iterable twice (a SheetRows is). Columns the header or `mapping` names keep
    that meaning; the others get the inference's proposal.
    """
    found = table.find_header(rows, mapping)
    if found is None:
        return None
    number, cells = found
    header = table.map_header(number, cells, mapping)
    under = _cells_under(rows, number, len(cells))
    explicit = {normalise_header(h) for h in (mapping or {})}
    stage = header.columns.get("stage")
    unknown = [u for u in header.unknown if u.header]
    proposals = propose(
        [SheetColumn(u.index, u.header, under[u.index]) for u in unknown],
        candidates,
        vocabulary,
        mapped=header.columns.keys(),
        stage_cells=under[stage.index] if stage else None,
    )
    by_index = {p.index: p for p in proposals}
    known = {m.index: m for m in header.mapping}
    review = Review(number, [text_of(c) for c in cells])
    for index, cell in enumerate(cells):
        text = " ".join(text_of(cell).split())
        if not text:
            continue
        samples = [text_of(v) for v in under[index] if text_of(v)][:SHOWN_SAMPLES]
        if index in known:
            key = known[index].key or None
            how = BY_MAPPING if normalise_header(text) in explicit else BY_HEADER
            choice = ColumnChoice(index, text, samples, key, how if key else IGNORED)
        elif index in by_index:
            p = by_index[index]
            how = PROPOSED if p.field else IGNORED if p.ignore else UNKNOWN
            choice = ColumnChoice(index, text, samples, p.field, how, p.evidence)
        else:  # refused by its header (a second column meaning the same): the user decides
            choice = ColumnChoice(index, text, samples, table.field_for(cell), BY_HEADER)
        review.columns.append(choice)
    given = {c.field for c in review.columns if c.field}
    review.missing = [c.field for c in table.required if c.field not in given]
    return review


def check_answers(
    table: Table, columns: Sequence[ColumnChoice], answers: Mapping[int, str | None]
) -> list[str]:
    """What is wrong with the user's answers {column index: field or None}: a field given by
    two columns, a field that does not exist, a required field no column gives."""
    from django.utils.translation import gettext as _

    problems: list[str] = []
    first: dict[str, ColumnChoice] = {}
    for column in columns:
        key = answers.get(column.index)
        if key is None:
            continue
        if key not in table.by_field:
            problems.append(
                _("column %(col)s “%(header)s”: no field is called “%(field)s”")
                % {"col": column.letter, "header": column.header, "field": key}
            )
        elif key in first:
            problems.append(
                _("columns %(a)s “%(ha)s” and %(b)s “%(hb)s” both mean “%(label)s”; choose one")
                % {
                    "a": first[key].letter,
                    "ha": first[key].header,
                    "b": column.letter,
                    "hb": column.header,
                    "label": table.by_field[key].label,
                }
            )
        else:
            first[key] = column
    for required in table.required:
        if required.field not in first:
            problems.append(
                _("no column is read as “%(label)s”, which every row needs")
                % {"label": required.label}
            )
    return problems
