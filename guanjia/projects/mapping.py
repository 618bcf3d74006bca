"""The ledger import's column mapping: ask the user about unknown columns, use and save mappings.

A ledger from another office may head its region column with words we do not know (落户地点);
the check then proposes a field from the cells (projects.infer) and the job waits for its
owner to confirm the columns on the mapping screen. A confirmed mapping may be saved for the
user's department or office (core.sheets.mappings), and the next file with the same header row
is mapped by it without asking.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from guanjia.core.models import SheetMapping
from guanjia.core.sheets import read_sheet, text_of
from guanjia.core.sheets.headers import normalise_header
from guanjia.core.sheets.mappings import (
    apply_mapping,
    find_mapping,
    save_mapping,
    visible_mappings,
)
from guanjia.core.sheets.reading import FileError, Source
from guanjia.projects.infer import Vocabulary, ledger_candidates
from guanjia.projects.sheet_review import Review, review_sheet

from .importers import TABLE, ImportResult, ProjectImporter

KIND = "ledger"


def review_file(
    source: Source,
    sheet: str = "",
    filename: str = "",
    mapping: Mapping[str, str | None] | None = None,
) -> Review | None:
    """The mapping screen's questions for a ledger file (None: unreadable, or no header row)."""
    try:
        rows = read_sheet(source, sheet, filename)
    except FileError:
        return None
    return review_sheet(TABLE, rows, ledger_candidates(), Vocabulary.from_db(), mapping)


@dataclass
class Saved:
    """A saved mapping laid over a file's header row, as an explicit mapping."""

    mapping: SheetMapping
    explicit: dict[str, str | None]


def saved_mapping_for(source: Source, sheet: str, filename: str, user: Any) -> Saved | None:
    """The saved mapping (visible to `user`) whose header signature one of the file's first
    rows has, as {header text: field or None}; None when there is none."""
    if user is None or not getattr(user, "pk", None):
        return None
    if not visible_mappings(KIND, user).exists():  # most users: no second read of the file
        return None
    try:
        rows = read_sheet(source, sheet, filename)
    except FileError:
        return None
    for number, cells in rows:
        if number > TABLE.search_rows:
            break
        if sum(1 for c in cells if text_of(c)) < 2:
            continue
        found = find_mapping(KIND, cells, user)
        if found is not None:
            applied = apply_mapping(found, cells, TABLE.by_field)
            explicit = {text_of(cells[i]): key for i, key in applied.fields.items()}
            return Saved(found, explicit)
    return None


def owner_for(user: Any) -> tuple[str, str]:
    """Who a user's saved mapping is for: ("department", its name), ("office", the area's
    name), or ("user", "me") for a user with neither."""
    if getattr(user, "department_id", None):
        return "department", str(user.department)
    if getattr(user, "region_id", None):
        return "office", str(user.region)
    return "user", _("me")


def save_for(user: Any, headers: list[str], mapping: dict[str, str | None], name: str) -> Any:
    """Save the confirmed mapping for the user's department or office (see `owner_for`)."""
    owner, _name = owner_for(user)
    return save_mapping(KIND, headers, mapping, user, name, owner=owner)


class JobImporter(ProjectImporter):
    """A background job's importer: it maps the file by the job's confirmed mapping, else by
    a saved one the user may use, and asks about unknown columns instead of ignoring them."""

    def __init__(self, job: Any) -> None:
        super().__init__(
            job.user, filename=job.original_name, progress=job.set_progress, mapping=job.mapping
        )
        self.ask = job.mapping is None

    def validate(self, source: Source, sheet: str = "") -> ImportResult:
        saved = None
        if self.ask:
            saved = saved_mapping_for(source, sheet, self.filename, self.user)
            self.mapping = saved.explicit if saved else None
        result = super().validate(source, sheet)
        assert isinstance(result, ImportResult)
        if saved is not None:
            result.saved_mapping = saved.mapping.name
        if self.ask and _undecided(result):
            review = review_file(source, sheet, self.filename, self.mapping)
            if review is not None and review.needs_answer:
                result.review = review.as_json()
        return result

    def commit(self, source: Source, sheet: str = "") -> ImportResult:
        # What was checked is committed: the mapping the check used, without asking again.
        if self.ask:
            saved = saved_mapping_for(source, sheet, self.filename, self.user)
            self.mapping = saved.explicit if saved else None
            self.ask = False
        return super().commit(source, sheet)  # type: ignore[return-value]


def _undecided(result: ImportResult) -> bool:
    """Columns with a header nobody knows, or a required column missing."""
    if any(u.header for u in result.unknown_columns):
        return True
    given = {m.key for m in result.mapping}
    return bool(result.header_row) and any(c.field not in given for c in TABLE.required)


def job_importer(job: Any) -> JobImporter:
    """The importer of a background ledger job (guanjia.core.sheets.jobs)."""
    return JobImporter(job)


def header_row(source: Source, sheet: str, filename: str, hint: dict[str, Any]) -> list[Any]:
    """The file's header row: of its first rows, the one with the most headers the ledger or
    `hint` ({normalised header: field}) knows; [] for none."""
    best: list[Any] = []
    best_score = 0
    for number, cells in read_sheet(source, sheet, filename):
        if number > TABLE.search_rows:
            break
        score = sum(
            1
            for cell in cells
            if text_of(cell) and (TABLE.field_for(cell) or normalise_header(cell) in hint)
        )
        if score > best_score:
            best, best_score = cells, score
    return best


def by_cell_text(
    table_mapping: dict[str, str | None], cells: list[Any]
) -> tuple[dict[str, str | None], list[str]]:
    """A mapping by normalised header laid over a header row: ({cell text: field}, the
    mapping's headers the row does not have)."""
    applied = apply_mapping(table_mapping, cells, TABLE.by_field, touch=False)
    return {text_of(cells[i]): key for i, key in applied.fields.items()}, applied.missing


def template_named(name: str, cells: list[Any], user: Any) -> SheetMapping | None:
    """The saved mapping for --template NAME: by this header row or by name, among the
    user's; without a user (the system), any ledger mapping of that name."""
    if user is not None:
        found = find_mapping(KIND, cells, user, name=name)
        return found if found is not None and found.name == name else None
    return SheetMapping.objects.filter(kind=KIND, name=name).order_by("-used_at", "-pk").first()
