"""Importing another office's project ledger from .xlsx, .xls or .ods.

Two passes, as django-oscar's importers do it:

1. `ProjectImporter.validate` reads the sheet, finds the header row, maps every header (Chinese
   aliases, units in the header), checks every cell and collects errors named by the row and
   column Excel shows. Rows already in the ledger, or repeated in the file, are duplicates:
   flagged and skipped, never doubled and never errors.
2. `ProjectImporter.commit` validates again and, only when nothing at all is wrong, writes every
   enterprise, project, stage change and audit entry in one transaction with bulk inserts.

Headers we do not recognise are reported, never guessed.
"""

import datetime as dt
import functools
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.db.models import DecimalField, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

from guanjia.accounts.models import User
from guanjia.accounts.scope import referenceable_people
from guanjia.core.amounts import AmountError, parse_amount_wan
from guanjia.core.audit import _jsonable
from guanjia.core.bounds import YEAR_MAX, YEAR_MIN, name_problem, text_limit
from guanjia.core.models import AuditAction, AuditEntry
from guanjia.core.sheets import (
    NOTHING_MARKS,
    Cell,
    CellError,
    FileError,
    RowError,
    SheetRows,
    Source,
    column_letter,
    parse_date,
    read_sheet,
)
from guanjia.core.sheets import (
    cell_text as _text,
)
from guanjia.enterprises import creditcode
from guanjia.enterprises.access import referenceable_enterprises
from guanjia.enterprises.models import CreditCodeWhitelist, Enterprise
from guanjia.enterprises.services import many_facts_changed
from guanjia.industries.models import Industry
from guanjia.projects import stages
from guanjia.projects.access import can_create_in
from guanjia.projects.models import Level, Project, StageChange
from guanjia.projects.stages import Stage
from guanjia.regions.models import Region

Progress = Callable[[int, int], None]

EXTENSIONS = (".xlsx", ".xls", ".ods")  # never .xlsm: macros are not imported
HEADER_SEARCH_ROWS = 10  # the header row is among the first ten
PROGRESS_EVERY = 500
BATCH = 1000
MAX_STORED = 1000  # errors and duplicates kept in a job's result; the CLI prints them all
PREVIEW_ROWS = 20


# --- Columns ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A ledger column: its key, its canonical Chinese header and the headers other offices use."""

    key: str
    label: Promise
    header: str  # the name we export under (without the unit)
    aliases: tuple[str, ...] = ()
    required: bool = False
    amount: bool = False

    @property
    def canonical(self) -> str:
        """The header as we write it: amounts carry their unit, 总投资(万元)."""
        return f"{self.header}(万元)" if self.amount else self.header


COLUMNS: tuple[Column, ...] = (
    Column(
        "name",
        gettext_lazy("Project name"),
        "项目名称",
        ("名称", "项目", "项目全称"),
        required=True,
    ),
    Column(
        "enterprise",
        gettext_lazy("Enterprise"),
        "企业名称",
        (
            "投资主体",
            "签约企业",
            "企业",
            "投资企业",
            "投资方",
            "项目单位",
            "建设单位",
            "项目业主",
            "企业全称",
        ),
        required=True,
    ),
    Column(
        "credit_code",
        gettext_lazy("Credit code"),
        "统一社会信用代码",
        ("信用代码", "社会信用代码", "企业信用代码", "统一信用代码"),
    ),
    Column(
        "region",
        gettext_lazy("Region"),
        "所属县区",
        (
            "所在地区",
            "县区",
            "属地",
            "所属地区",
            "所在县区",
            "县(市)区",
            "所属县(市)区",
            "地区",
            "项目所在地",
            "落地县区",
        ),
        required=True,
    ),
    Column(
        "industry",
        gettext_lazy("Industry"),
        "产业类别",
        ("行业", "产业", "所属行业", "行业类别", "所属产业", "产业分类", "产业领域"),
    ),
    Column("level", gettext_lazy("Level"), "项目级别", ("级别", "项目类别")),
    Column(
        "stage",
        gettext_lazy("Stage"),
        "当前阶段",
        ("项目进度", "项目阶段", "阶段", "进展阶段", "项目状态", "进展情况"),
    ),
    Column(
        "total_investment_wan",
        gettext_lazy("Total investment"),
        "总投资",
        ("总投资额", "计划总投资", "项目总投资", "投资总额"),
        amount=True,
    ),
    Column("plan_year", gettext_lazy("Plan year"), "计划年度", ("年度",)),
    Column(
        "planned_investment_year_wan",
        gettext_lazy("Planned investment this year"),
        "本年计划投资",
        ("年度计划投资", "本年度计划投资", "年计划投资"),
        amount=True,
    ),
    Column(
        "completed_investment_year_wan",
        gettext_lazy("Completed investment this year"),
        "本年完成投资",
        ("年度完成投资", "本年度完成投资", "本年已完成投资"),
        amount=True,
    ),
    Column(
        "funds_in_place_wan",
        gettext_lazy("Funds in place"),
        "到位资金",
        ("资金到位", "实际到位资金", "到位资金额", "累计到位资金"),
        amount=True,
    ),
    Column("signed_on", gettext_lazy("Signed on"), "签约时间", ("签约日期",)),
    Column("construction_on", gettext_lazy("Construction started"), "开工时间", ("开工日期",)),
    Column("operation_on", gettext_lazy("In operation from"), "投产时间", ("投产日期", "并网时间")),
    Column("steward", gettext_lazy("Steward"), "项目管家", ("管家",)),
    Column("leader", gettext_lazy("Leader in charge"), "包保领导", ("包保市领导", "包联领导")),
    Column("task_force", gettext_lazy("Task force"), "工作专班", ("专班",)),
    Column(
        "construction_content",
        gettext_lazy("Construction content"),
        "建设内容",
        ("主要建设内容", "建设规模及内容", "建设规模和内容", "项目内容"),
    ),
    Column("withdrawn_reason", gettext_lazy("Reason for withdrawal"), "终止原因", ("退出原因",)),
)
BY_KEY = {c.key: c for c in COLUMNS}
REQUIRED = [c for c in COLUMNS if c.required]
AMOUNT_KEYS = [c.key for c in COLUMNS if c.amount]
# Stage dates a file can carry, in lifecycle order.
DATE_KEYS = {
    "signed_on": Stage.SIGNED,
    "construction_on": Stage.CONSTRUCTION,
    "operation_on": Stage.OPERATION,
}

# Headers that carry nothing to import (a row counter); shown in the mapping as ignored.
IGNORED_HEADERS = {"序号", "编号", "序"}

# Units an amount header may name; a cell may still say "3.5亿元" and that wins.
HEADER_UNITS = {"亿元": "亿元", "亿": "亿元", "万元": "万元", "万": "万元", "元": "元"}

# The level words offices use (domain vocabulary, not UI text).
LEVEL_NAMES = {Level.PROVINCIAL: "省重点", Level.MUNICIPAL: "市重点", Level.GENERAL: "一般"}
LEVEL_WORDS = {
    "省重点": Level.PROVINCIAL,
    "省级重点": Level.PROVINCIAL,
    "省重点项目": Level.PROVINCIAL,
    "省级": Level.PROVINCIAL,
    "省级重点项目": Level.PROVINCIAL,
    "市重点": Level.MUNICIPAL,
    "市级重点": Level.MUNICIPAL,
    "市重点项目": Level.MUNICIPAL,
    "市级": Level.MUNICIPAL,
    "市级重点项目": Level.MUNICIPAL,
    "一般": Level.GENERAL,
    "一般项目": Level.GENERAL,
}
TOTAL_ROW_WORDS = {"合计", "总计", "小计"}
# What offices write in an optional amount or date cell that has nothing to say.


def stage_name(stage: str) -> str:
    """The Chinese word a ledger file uses for a stage (the first of its aliases)."""
    return stages.ALIASES[stage][0]


_ALIAS_TO_KEY: dict[str, str] = {}
for _column in COLUMNS:
    for _alias in (_column.header, *_column.aliases):
        _ALIAS_TO_KEY[_alias] = _column.key


def normalise_header(value: Any) -> tuple[str, str]:
    """A header cell as (base, unit): '总投资\\n（亿元）*' → ('总投资', '亿元')."""
    text = re.sub(r"\s+", "", _text(value))
    text = text.replace("（", "(").replace("）", ")").strip("*＊:：")
    if text in _ALIAS_TO_KEY:
        return text, ""
    match = re.fullmatch(r"(.+?)\(([^()]*)\)", text)
    if match:
        return match.group(1), match.group(2)
    for unit in ("亿元", "万元"):  # 总投资亿元, written without the brackets
        base = text.removesuffix(unit)
        if base != text and base in _ALIAS_TO_KEY and BY_KEY[_ALIAS_TO_KEY[base]].amount:
            return base, unit
    return text, ""


def header_key(value: Any) -> str | None:
    """The column key a header means, or None."""
    base, _unit = normalise_header(value)
    return _ALIAS_TO_KEY.get(base)


# --- Results ---------------------------------------------------------------------------------


@dataclass
class Duplicate:
    row: int
    name: str
    enterprise: str
    project_id: int | None = None  # the project already in the ledger
    first_row: int | None = None  # or the earlier row of this file

    def __str__(self) -> str:
        if self.project_id:
            return _(
                "row %(row)d “%(name)s” (%(enterprise)s) is already in the ledger as "
                "project no. %(pk)d; skipped"
            ) % {
                "row": self.row,
                "name": self.name,
                "enterprise": self.enterprise,
                "pk": self.project_id,
            }
        return _("row %(row)d “%(name)s” (%(enterprise)s) repeats row %(first)d; skipped") % {
            "row": self.row,
            "name": self.name,
            "enterprise": self.enterprise,
            "first": self.first_row or 0,
        }


@dataclass
class MappedColumn:
    index: int
    header: str
    key: str  # a Column key, or "" for an ignored column such as 序号
    unit: str = ""

    @property
    def letter(self) -> str:
        return column_letter(self.index)

    @property
    def label(self) -> str:
        return str(BY_KEY[self.key].label) if self.key else _("(not imported)")


@dataclass
class UnknownColumn:
    index: int
    header: str

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
class ImportResult:
    """What a pass found (and, after a commit, what it wrote)."""

    sheet: str = ""
    header_row: int = 0
    rows: int = 0  # data rows read (empty rows are not counted)
    to_create: int = 0
    created: int = 0
    new_enterprises: int = 0
    committed: bool = False
    file_errors: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    mapping: list[MappedColumn] = field(default_factory=list)
    unknown_columns: list[UnknownColumn] = field(default_factory=list)
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
            "duplicates": len(self.duplicates),
            "errors": len(self.errors),
            "error_rows": self.error_rows,
            "unknown_columns": len(self.unknown_columns),
            "new_enterprises": self.new_enterprises,
        }

    def as_json(self, limit: int = MAX_STORED) -> dict[str, Any]:
        """For ImportJob.result: JSON-safe, errors and duplicates capped at `limit`."""
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
                {"column": u.letter, "header": u.header, "message": str(u)}
                for u in self.unknown_columns
            ],
            "errors": [
                {"row": e.row, "column": e.column, "header": e.header, "reason": e.reason}
                for e in self.errors[:limit]
            ],
            "duplicates": [
                {
                    "row": d.row,
                    "name": d.name,
                    "enterprise": d.enterprise,
                    "project_id": d.project_id,
                    "first_row": d.first_row,
                }
                for d in self.duplicates[:limit]
            ],
            "skipped": list(self.skipped),
            "preview": self.preview,
        }


# --- Reading the file ------------------------------------------------------------------------


# --- Cell parsers: each returns a value or raises CellError with the reason ------------------


def parse_amount(value: Cell, unit: str) -> Decimal:
    """An amount in 万元; an empty cell is 0, the header's unit applies unless the cell has one."""
    if value is None or _text(value) in ("", *NOTHING_MARKS):
        return Decimal(0)
    if isinstance(value, float):
        # Excel keeps 15 significant digits; more is binary noise (0.1 + 0.2).
        value = Decimal(format(value, ".15g"))
    try:
        return parse_amount_wan(value, default_unit=unit or "万元")
    except AmountError as exc:
        raise CellError(str(exc)) from exc


# --- Lookups ---------------------------------------------------------------------------------


_SPACE = re.compile(r"\s+")


@functools.lru_cache(maxsize=4096)
def _key(text: str) -> str:
    return _SPACE.sub("", text).lower()


class Lookups:
    """Regions, industries, stages, levels and people by every name a file may use."""

    def __init__(self, user: User | None) -> None:
        self.user = user
        # Every name, short name and code; None marks a name two regions share.
        self.regions: dict[str, Region | None] = {}
        self.abolished: dict[str, Region | None] = {}
        for region in Region.objects.select_related("successor"):
            target = self.abolished if region.abolished_on else self.regions
            for name in {region.name, region.short_name, region.code, region.gb_code} - {""}:
                current = target.get(_key(name), region)
                target[_key(name)] = region if current and current.pk == region.pk else None
        self.industries: dict[str, Industry] = {}
        for industry in Industry.objects.filter(active=True):
            for name in (industry.name, industry.code, *industry.alias_list()):
                self.industries.setdefault(_key(name), industry)
        self.stages: dict[str, str] = {}
        self.levels: dict[str, str] = dict(LEVEL_WORDS)
        for language in ("en", "zh-hans"):
            with override(language):
                for stage in Stage:
                    self.stages[_key(str(stage.label))] = stage.value
                for level in Level:
                    self.levels[_key(str(level.label))] = level.value
        for aliased, words in stages.ALIASES.items():
            for word in words:
                self.stages[_key(word)] = str(aliased)
        for stage in Stage:
            self.stages[_key(stage.value)] = stage.value
        for level in Level:
            self.levels[_key(level.value)] = level.value
        self._may_create: dict[int, bool] = {}
        self.people: dict[str, list[int]] = {}

    def load_people(self, names: Iterable[str]) -> None:
        wanted = {n for n in names if n}
        if not wanted:
            return
        # Only people the importer may name (their area and above): anyone else is "nobody
        # here is called …", exactly like a name nobody has.
        people = User.objects.filter(is_active=True)
        if self.user is not None:
            people = referenceable_people(self.user)
        found = people.filter(Q(username__in=wanted) | Q(display_name__in=wanted)).values_list(
            "pk", "username", "display_name"
        )
        for pk, username, display_name in found:
            for name in {username, display_name} & wanted:
                self.people.setdefault(name, []).append(pk)

    def region(self, text: str) -> Region:
        k = _key(text)
        if k in self.regions:
            region = self.regions[k]
            if region is None:
                raise CellError(
                    _("“%(value)s” names more than one region; use the full name or the code")
                    % {"value": text}
                )
            return region
        old = self.abolished.get(k)
        if old is not None:
            if old.successor:
                raise CellError(
                    _("%(name)s was abolished on %(date)s; it is now %(successor)s")
                    % {"name": old.name, "date": old.abolished_on, "successor": old.successor.name}
                )
            raise CellError(_("%(name)s no longer exists") % {"name": old.name})
        raise CellError(_("no region is called “%(value)s”") % {"value": text})

    def may_create_in(self, region: Region) -> bool:
        if self.user is None:
            return True  # the command line without --user acts for the system
        if region.pk not in self._may_create:
            self._may_create[region.pk] = can_create_in(self.user, region.pk)
        return self._may_create[region.pk]

    def industry(self, text: str) -> Industry:
        found = self.industries.get(_key(text))
        if found is None:
            raise CellError(_("no industry is called “%(value)s”") % {"value": text})
        return found

    def stage(self, text: str) -> str:
        found = self.stages.get(_key(text))
        if found is None:
            words = "、".join(stage_name(s) for s in Stage.values)
            raise CellError(
                _("“%(value)s” is not a stage; use one of %(words)s")
                % {"value": text, "words": words}
            )
        return found

    def level(self, text: str) -> str:
        found = self.levels.get(_key(text))
        if found is None:
            words = "、".join(LEVEL_NAMES.values())
            raise CellError(
                _("“%(value)s” is not a level; use one of %(words)s")
                % {"value": text, "words": words}
            )
        return found

    def person(self, text: str) -> int:
        found = self.people.get(text, [])
        if not found:
            raise CellError(
                _("nobody here is called “%(value)s”; use a user name, or leave it empty")
                % {"value": text}
            )
        if len(set(found)) > 1:
            raise CellError(
                _("several users are called “%(value)s”; use the user name") % {"value": text}
            )
        return found[0]


class Enterprises:
    """Existing enterprises of a file, by code and by name, fetched once; new ones to create."""

    def __init__(self, codes: set[str], names: set[str], user: User | None = None) -> None:
        self.user = user
        self.by_code: dict[str, tuple[int, str]] = {}
        self.by_name: dict[str, list[tuple[int, str | None]]] = {}
        for chunk in _chunks(sorted(codes)):
            for pk, name, code in Enterprise.objects.filter(credit_code__in=chunk).values_list(
                "pk", "name", "credit_code"
            ):
                self.by_code[str(code)] = (pk, name)
        for chunk in _chunks(sorted(names)):
            for pk, name, code in Enterprise.objects.filter(name__in=chunk).values_list(
                "pk", "name", "credit_code"
            ):
                self.by_name.setdefault(name, []).append((pk, code))
        # Existing enterprises the importer may attach projects to (`referenceable_enterprises`);
        # None: the command line without --user, acting for the system.
        self.allowed: set[int] | None = None
        if user is not None:
            known = sorted(self.known_ids())
            self.allowed = {
                pk
                for chunk in _chunks(known)
                for pk in referenceable_enterprises(user)
                .filter(pk__in=chunk)
                .values_list("pk", flat=True)
            }
        self.whitelisted = set(CreditCodeWhitelist.objects.values_list("code", flat=True))
        self._problems: dict[str, list[str]] = {}
        self.new: list[dict[str, Any]] = []  # {"name", "credit_code"}
        self._new_by_code: dict[str, int] = {}
        self._new_by_name: dict[str, int] = {}

    def known_ids(self) -> set[int]:
        ids = {pk for pk, _name in self.by_code.values()}
        for found in self.by_name.values():
            ids.update(pk for pk, _code in found)
        return ids

    def resolve(self, name: str, code: str | None) -> tuple[str, int]:
        """('id', pk) for an enterprise in the ledger, ('new', n) for one this file adds.

        Matched by credit code, else by exact name (an existing enterprise with another code is
        a different legal person), else new. An existing enterprise the importer may not
        reference (another area's) is refused: the project would make it theirs to read.
        """
        kind, ref = self._resolve(name, code)
        if kind == "id" and self.allowed is not None and ref not in self.allowed:
            raise CellError(
                _(
                    "“%(name)s” is registered outside your area: you may not add projects "
                    "for it; ask the city's bureau"
                )
                % {"name": name}
            )
        return kind, ref

    def _resolve(self, name: str, code: str | None) -> tuple[str, int]:
        if code:
            if code in self.by_code:
                return "id", self.by_code[code][0]
            without_code = [pk for pk, c in self.by_name.get(name, []) if not c]
            if len(without_code) == 1:
                return "id", without_code[0]
            if code not in self._new_by_code:
                self._new_by_code[code] = self._add(name, code)
            return "new", self._new_by_code[code]
        found = self.by_name.get(name, [])
        if len(found) > 1:
            raise CellError(
                _("%(n)d enterprises are called “%(name)s”; add the credit code to say which")
                % {"n": len(found), "name": name}
            )
        if found:
            return "id", found[0][0]
        if name not in self._new_by_name:
            self._new_by_name[name] = self._add(name, None)
        return "new", self._new_by_name[name]

    def _add(self, name: str, code: str | None) -> int:
        self.new.append({"name": name, "credit_code": code})
        self._new_by_name.setdefault(name, len(self.new) - 1)
        return len(self.new) - 1

    def code_problems(self, code: str) -> list[str]:
        """What is wrong with a code (checked once per code: a file repeats them)."""
        if code not in self._problems:
            self._problems[code] = [] if code in self.whitelisted else creditcode.problems(code)
        return self._problems[code]


def _chunks(items: list[Any], size: int = 900) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _project_name_key(name: str) -> str:
    return " ".join(name.split())


# --- The importer ----------------------------------------------------------------------------


def _left_to_right(error: RowError) -> tuple[int, str]:
    """Errors of one row in the order of its columns, as the user reads them."""
    return len(error.column), error.column


def _raw(columns: dict[str, "MappedColumn"]) -> Callable[[list[Cell], str], Cell]:
    """A function giving a row's cell for a column key ("" when absent)."""

    def raw(row: list[Cell], key: str) -> Cell:
        column = columns.get(key)
        if column is None or column.index >= len(row):
            return ""
        return row[column.index]

    return raw


class _Body:
    """The rows under the header that have anything in them, and what a first look finds."""

    PRESCAN = ("credit_code", "enterprise", "steward", "leader")

    def __init__(self, rows: SheetRows, header_row: int, columns: dict[str, MappedColumn]) -> None:
        self._rows = rows
        self._header_row = header_row
        raw = _raw(columns)
        self.count = 0
        self.texts: dict[str, set[str]] = {key: set() for key in self.PRESCAN}
        self.unnamed_with_values: set[int] = set()  # values under an empty header
        named: set[int] = set()
        for number, cells in rows:
            if number == header_row:
                named = {i for i, v in enumerate(cells) if _text(v)}
            if number <= header_row or not any(_text(v) for v in cells):
                continue
            self.count += 1
            for key in self.PRESCAN:
                value = _text(raw(cells, key))
                if value:
                    self.texts[key].add(value)
            for index in range(len(cells)):
                if index not in named and _text(cells[index]):
                    self.unnamed_with_values.add(index)

    def __iter__(self) -> Iterator[tuple[int, list[Cell]]]:
        for number, cells in self._rows:
            if number > self._header_row and any(_text(v) for v in cells):
                yield number, cells


@dataclass
class _Row:
    """A checked row, ready to write."""

    row: int
    enterprise: tuple[str, int]
    enterprise_name: str
    fields: dict[str, Any]
    stage: str
    stage_on: dt.date


class ProjectImporter:
    """Validate a ledger file, then commit it all or nothing. See the module docstring."""

    def __init__(
        self,
        user: User | None = None,
        *,
        filename: str = "",
        progress: Progress | None = None,
        today: dt.date | None = None,
    ) -> None:
        self.user = user
        self.filename = filename
        self.progress = progress
        self.today = today or timezone.localdate()
        self._rows: list[_Row] = []
        self._enterprises: Enterprises | None = None

    # 1. Validate ------------------------------------------------------------------------------

    def validate(self, source: Source, sheet: str = "") -> ImportResult:
        """Read and check the whole file; nothing is written."""
        result = ImportResult()
        self._rows = []
        try:
            rows = read_sheet(source, sheet, self.filename)
        except FileError as exc:
            result.file_errors.append(str(exc))
            return result
        result.sheet = rows.name
        header = self._find_header(rows)
        if header is None:
            result.file_errors.append(
                _(
                    "no header row found: none of the first %(n)d rows has two recognised column "
                    "names such as 项目名称, 企业名称 or 所属县区"
                )
                % {"n": HEADER_SEARCH_ROWS}
            )
            return result
        result.header_row, header_cells = header
        columns = self._map_columns(header_cells, result)
        if result.file_errors:
            return result
        body = _Body(rows, result.header_row, columns)
        result.unknown_columns.extend(
            UnknownColumn(index, "") for index in sorted(body.unnamed_with_values)
        )
        if not body.count:
            result.file_errors.append(_("there are no rows under the header"))
            return result
        self._check_rows(body, columns, result)
        return result

    def _find_header(self, rows: SheetRows) -> tuple[int, list[Cell]] | None:
        for number, cells in rows:
            if number > HEADER_SEARCH_ROWS:
                break
            if len({header_key(v) for v in cells} - {None}) >= 2:
                return number, cells
        return None

    def _map_columns(self, header: list[Cell], result: ImportResult) -> dict[str, MappedColumn]:
        columns: dict[str, MappedColumn] = {}
        for index, value in enumerate(header):
            shown = re.sub(r"\s+", " ", _text(value))
            base, unit = normalise_header(value)
            key = _ALIAS_TO_KEY.get(base)
            if key is None:
                if base in IGNORED_HEADERS:
                    result.mapping.append(MappedColumn(index, shown, ""))
                elif base:
                    result.unknown_columns.append(UnknownColumn(index, shown))
                continue
            column = BY_KEY[key]
            if column.amount:
                if unit and unit not in HEADER_UNITS:
                    result.file_errors.append(
                        _(
                            "column %(col)s “%(header)s”: the unit “%(unit)s” is not understood; "
                            "use 元, 万元 or 亿元"
                        )
                        % {"col": column_letter(index), "header": shown, "unit": unit}
                    )
                    continue
                unit = HEADER_UNITS.get(unit, "万元")
            else:
                unit = ""
            if key in columns:
                first = columns[key]
                result.file_errors.append(
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
                continue
            columns[key] = MappedColumn(index, shown, key, unit)
            result.mapping.append(columns[key])
        for column in REQUIRED:
            if column.key not in columns:
                names = "、".join((column.header, *column.aliases[:3]))
                result.file_errors.append(
                    _("the required column “%(label)s” is missing (a header such as %(names)s)")
                    % {"label": column.label, "names": names}
                )
        return columns

    def _check_rows(
        self, body: "_Body", columns: dict[str, MappedColumn], result: ImportResult
    ) -> None:
        raw = _raw(columns)
        codes = {creditcode.normalise(c) for c in body.texts["credit_code"]}
        enterprises = Enterprises(codes, body.texts["enterprise"], self.user)
        self._enterprises = enterprises
        lookups = Lookups(self.user)
        lookups.load_people(body.texts["steward"] | body.texts["leader"])
        existing: dict[tuple[int, str], int] = {}
        for chunk in _chunks(sorted(enterprises.known_ids())):
            for pk, enterprise_id, name in Project.objects.filter(
                enterprise_id__in=chunk
            ).values_list("pk", "enterprise_id", "name"):
                existing.setdefault((enterprise_id, _project_name_key(name)), pk)
        seen: dict[tuple[tuple[str, int], str], int] = {}

        total = body.count
        if self.progress:
            self.progress(0, total)
        for done, (number, row) in enumerate(body, start=1):
            if self.progress and done % PROGRESS_EVERY == 0:
                self.progress(done, total)
            name = _text(raw(row, "name"))
            if re.sub(r"[\s:：]", "", name) in TOTAL_ROW_WORDS:
                result.skipped.append(
                    _("row %(row)d is a total row (“%(name)s”); skipped")
                    % {"row": number, "name": name}
                )
                continue
            result.rows += 1
            checked = self._check_row(
                number, row, raw, columns, lookups, enterprises, existing, seen, result
            )
            if checked is not None:
                self._rows.append(checked)
        if self.progress:
            self.progress(total, total)
        result.to_create = len(self._rows)
        used = {r.enterprise[1] for r in self._rows if r.enterprise[0] == "new"}
        result.new_enterprises = len(used)
        result.preview = [self._preview(r) for r in self._rows[:PREVIEW_ROWS]]

    def _check_row(
        self,
        number: int,
        row: list[Cell],
        raw: Callable[[list[Cell], str], Cell],
        columns: dict[str, MappedColumn],
        lookups: Lookups,
        enterprises: Enterprises,
        existing: dict[tuple[int, str], int],
        seen: dict[tuple[tuple[str, int], str], int],
        result: ImportResult,
    ) -> _Row | None:
        errors: list[RowError] = []

        def fail(key: str, reason: str) -> None:
            column = columns[key]
            errors.append(RowError(number, column.letter, column.header, reason))

        def text(key: str, required: bool = False, max_length: int = 0, name: bool = False) -> str:
            value = _text(raw(row, key))
            if required and not value:
                fail(key, _("this cell is required but empty"))
            elif max_length and len(value) > max_length:
                fail(
                    key,
                    _("too long: at most %(n)d characters, this has %(m)d")
                    % {"n": max_length, "m": len(value)},
                )
                return ""
            elif name and (problem := name_problem(value)):
                fail(key, problem)
                return ""
            return value

        # Who and what: enough to tell a duplicate.
        name = text("name", required=True, max_length=text_limit(Project, "name"), name=True)
        enterprise_name = text(
            "enterprise", required=True, max_length=text_limit(Enterprise, "name"), name=True
        )
        code = creditcode.normalise(text("credit_code")) if "credit_code" in columns else ""
        if code:
            for problem in enterprises.code_problems(code):
                fail("credit_code", problem)
        enterprise: tuple[str, int] | None = None
        if name and enterprise_name and not errors:
            try:
                enterprise = enterprises.resolve(enterprise_name, code or None)
            except CellError as exc:
                fail("enterprise", str(exc))
        if enterprise is not None:
            identity = (enterprise, _project_name_key(name))
            project_id = (
                existing.get((enterprise[1], identity[1])) if enterprise[0] == "id" else None
            )
            if project_id or identity in seen:
                result.duplicates.append(
                    Duplicate(
                        number,
                        name,
                        enterprise_name,
                        project_id=project_id,
                        first_row=None if project_id else seen[identity],
                    )
                )
                return None
            seen[identity] = number

        fields: dict[str, Any] = {"name": name}
        region_text = text("region", required=True)
        if region_text:
            try:
                region = lookups.region(region_text)
            except CellError as exc:
                fail("region", str(exc))
            else:
                if lookups.may_create_in(region):
                    fields["region"] = region
                else:
                    fail(
                        "region",
                        _("you may not add projects in %(region)s") % {"region": region.name},
                    )
        for key, parse in (
            ("industry", lookups.industry),
            ("level", lookups.level),
            ("steward", lookups.person),
            ("leader", lookups.person),
        ):
            value = text(key) if key in columns else ""
            if value:
                try:
                    fields[key if key in ("industry", "level") else f"{key}_id"] = parse(value)
                except CellError as exc:
                    fail(key, str(exc))
        for key in AMOUNT_KEYS:
            if key in columns:
                try:
                    fields[key] = parse_amount(raw(row, key), columns[key].unit)
                except CellError as exc:
                    fail(key, str(exc))
        if "plan_year" in columns and text("plan_year"):
            year = text("plan_year").removesuffix("年")
            if year.isdigit() and YEAR_MIN <= int(year) <= YEAR_MAX:
                fields["plan_year"] = int(year)
            else:
                fail(
                    "plan_year",
                    _("“%(value)s” is not a year from %(min)d to %(max)d")
                    % {"value": text("plan_year"), "min": YEAR_MIN, "max": YEAR_MAX},
                )
        elif fields.get("planned_investment_year_wan") or fields.get(
            "completed_investment_year_wan"
        ):
            fields["plan_year"] = self.today.year  # "本年": the year it is imported in
        if "task_force" in columns:
            fields["task_force"] = text(
                "task_force", max_length=text_limit(Project, "task_force"), name=True
            )
        else:
            fields["task_force"] = ""
        if "construction_content" in columns:
            fields["construction_content"] = text(
                "construction_content", max_length=text_limit(Project, "construction_content")
            )
        reason = (
            text("withdrawn_reason", max_length=text_limit(Project, "withdrawn_reason"))
            if "withdrawn_reason" in columns
            else ""
        )

        dates: dict[str, dt.date] = {}
        for key in DATE_KEYS:
            if key in columns:
                try:
                    on = parse_date(raw(row, key))
                except CellError as exc:
                    fail(key, str(exc))
                    continue
                if on and on > self.today:
                    fail(
                        key,
                        _("%(date)s is in the future; give the date it happened")
                        % {"date": on.isoformat()},
                    )
                elif on:
                    dates[key] = on
        found_stage = self._stage(row, raw, columns, lookups, dates, fail)
        if found_stage is None:  # reported; its dates cannot be checked against it
            result.errors.extend(sorted(errors, key=_left_to_right))
            return None
        stage = found_stage
        if stage == Stage.WITHDRAWN and not reason:
            fail(
                "stage" if "stage" in columns else "name",
                _("a withdrawn project needs its reason in a 终止原因 column"),
            )
        fields["withdrawn_reason"] = reason if stage == Stage.WITHDRAWN else ""
        reached = set(stages.reached(stage)) if stage != Stage.WITHDRAWN else set(Stage.values)
        previous: tuple[str, dt.date] | None = None
        for key, date_stage in DATE_KEYS.items():
            if key not in dates:
                continue
            if date_stage not in reached:
                fail(
                    key,
                    _(
                        "the project is at “%(stage)s”, which comes before “%(date_stage)s”; "
                        "clear this date or correct the stage"
                    )
                    % {"stage": stage_name(stage), "date_stage": stage_name(date_stage)},
                )
            elif previous and dates[key] < previous[1]:
                fail(
                    key,
                    _("%(date)s is before %(header)s (%(previous)s)")
                    % {
                        "date": dates[key].isoformat(),
                        "header": columns[previous[0]].header,
                        "previous": previous[1].isoformat(),
                    },
                )
            previous = (key, dates[key])
        if errors or enterprise is None:
            result.errors.extend(sorted(errors, key=_left_to_right))
            return None
        # The current stage's date: its own column, else the latest date the row gives, else today.
        stage_on = dates.get(stages.DATE_FIELD[stage]) or max(dates.values(), default=self.today)
        for key, on in dates.items():
            fields[key] = on
        fields[stages.DATE_FIELD[stage]] = stage_on
        return _Row(number, enterprise, enterprise_name, fields, stage, stage_on)

    def _stage(
        self,
        row: list[Cell],
        raw: Callable[[list[Cell], str], Cell],
        columns: dict[str, MappedColumn],
        lookups: Lookups,
        dates: dict[str, dt.date],
        fail: Callable[[str, str], None],
    ) -> str | None:
        """The row's stage; None when the cell names none (the error is reported)."""
        value = _text(raw(row, "stage")) if "stage" in columns else ""
        if value:
            try:
                return lookups.stage(value)
            except CellError as exc:
                fail("stage", str(exc))
                return None
        # No stage given: the furthest stage the row has a date for, else a lead.
        for key in reversed(DATE_KEYS):
            if key in dates:
                return DATE_KEYS[key]
        return Stage.LEAD

    def _preview(self, row: _Row) -> dict[str, Any]:
        f = row.fields
        return {
            "row": row.row,
            "name": f["name"],
            "enterprise": row.enterprise_name,
            "new_enterprise": row.enterprise[0] == "new",
            "region": f["region"].name,
            "industry": f["industry"].name if f.get("industry") else "",
            "stage": stage_name(row.stage),
            "stage_on": row.stage_on.isoformat(),
            "level": LEVEL_NAMES[f.get("level", Level.GENERAL)],
            "total_investment_wan": str(f.get("total_investment_wan", Decimal(0))),
        }

    # 2. Commit --------------------------------------------------------------------------------

    def commit(self, source: Source, sheet: str = "") -> ImportResult:
        """Validate again, then write everything in one transaction, or nothing at all."""
        result = self.validate(source, sheet)
        if not result.ok:
            return result
        if not self._rows:
            result.committed = True  # every row was already there: nothing to write
            return result
        with transaction.atomic():
            conflict = self._conflict()
            if conflict:
                result.file_errors.append(conflict)
                return result
            result.created = self._write()
            many_facts_changed()  # the bulk insert bypasses the services' per-row hooks
        result.committed = True
        return result

    def _conflict(self) -> str:
        """Re-check, under the transaction, what another import may have added since."""
        assert self._enterprises is not None
        new = self._enterprises.new
        codes = [e["credit_code"] for e in new if e["credit_code"]]
        names = [e["name"] for e in new if not e["credit_code"]]
        added = any(
            Enterprise.objects.filter(credit_code__in=chunk).exists() for chunk in _chunks(codes)
        ) or any(Enterprise.objects.filter(name__in=chunk).exists() for chunk in _chunks(names))
        pairs = {
            (r.enterprise[1], _project_name_key(r.fields["name"]))
            for r in self._rows
            if r.enterprise[0] == "id"
        }
        ids = sorted({p[0] for p in pairs})
        doubled = any(
            (eid, _project_name_key(name)) in pairs
            for chunk in _chunks(ids)
            for eid, name in Project.objects.filter(enterprise_id__in=chunk).values_list(
                "enterprise_id", "name"
            )
        )
        if added or doubled:
            return _(
                "the ledger changed while this file was being checked (another import?); "
                "check the file again"
            )
        return ""

    def _write(self) -> int:
        """Insert enterprises, projects, their first stage change and one audit entry each."""
        assert self._enterprises is not None
        actor_id = self.user.pk if self.user is not None and self.user.pk else None
        note = (
            (_("imported from %(file)s") % {"file": self.filename})
            if self.filename
            else _("imported")
        )
        wanted = sorted({r.enterprise[1] for r in self._rows if r.enterprise[0] == "new"})
        enterprises = [self._enterprises.new[i] for i in wanted]
        new_ids = dict(zip(wanted, insert_rows(Enterprise, enterprises), strict=True))
        projects = []
        for r in self._rows:
            fields = {k: v.pk if k in ("region", "industry") else v for k, v in r.fields.items()}
            for key in ("region", "industry"):
                if key in fields:
                    fields[f"{key}_id"] = fields.pop(key)
            kind, ref = r.enterprise
            fields["enterprise_id"] = new_ids[ref] if kind == "new" else ref
            fields["stage"] = r.stage
            projects.append(fields)
        insert_rows(Project, projects)
        insert_rows(
            StageChange,
            [
                {
                    "project_id": p["id"],
                    "from_stage": "",
                    "to_stage": r.stage,
                    "effective_on": r.stage_on,
                    "actor_id": actor_id,
                    "evidence": note[:300],
                }
                for p, r in zip(projects, self._rows, strict=True)
            ],
        )
        insert_rows(
            AuditEntry,
            [
                {
                    "actor_id": actor_id,
                    "action": AuditAction.IMPORT,
                    "object_type": label,
                    "object_id": str(row["id"]),
                    "object_repr": row["name"][:300],
                    "after": after,
                    "note": note,
                }
                for label, model, rows in (
                    ("enterprises.enterprise", Enterprise, enterprises),
                    ("projects.project", Project, projects),
                )
                for row, after in zip(rows, row_snapshots(model, rows), strict=True)
            ],
        )
        return len(projects)


# --- Bulk inserts ----------------------------------------------------------------------------
#
# The rows are plain dicts, never model instances: bulk_create spends ~0.1 ms of Python per
# row on a model like Project (an instance, a conversion per value, and on PostgreSQL arrays
# quoted in Python for its UNNEST insert), and 10,000 projects with their stage changes and
# audit entries took 4.7 s of CPU against a 5 s budget for the whole import. On PostgreSQL the
# rows stream through COPY, which psycopg formats in C, with ids reserved from the table's
# sequence first; elsewhere they go through bulk_create. Either way it happens inside the
# caller's transaction, so an import stays all or nothing, and the database checks its
# constraints as for any insert.


def _defaults(model: type[Any], now: dt.datetime) -> dict[str, Any]:
    """Every concrete field but the id, with the value a new instance would get."""
    values: dict[str, Any] = {}
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        auto = getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        values[f.attname] = now if auto else f.get_default()
    return values


def insert_rows(model: type[Any], rows: list[dict[str, Any]]) -> list[int]:
    """Insert rows of {attname: value}; fill in defaults and the new ids, and return the ids."""
    if not rows:
        return []
    defaults = _defaults(model, timezone.now())
    for i, row in enumerate(rows):
        rows[i] = row = {**defaults, **row}
    meta = model._meta
    if connection.vendor != "postgresql":
        objs = model.objects.bulk_create([model(**row) for row in rows], batch_size=BATCH)
        ids = [obj.pk for obj in objs]
        stamped = [name for name, value in defaults.items() if isinstance(value, dt.datetime)]
        for row, obj in zip(rows, objs, strict=True):  # bulk_create stamped its own now()
            row.update({name: getattr(obj, name) for name in stamped})
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(rows)],
            )
            ids = [pk for (pk,) in cursor.fetchall()]
        _copy(model, ids, rows)
    for row, pk in zip(rows, ids, strict=True):
        row[meta.pk.attname] = pk
    return ids


def _copy(model: type[Any], ids: list[int], rows: list[dict[str, Any]]) -> None:
    """COPY rows, with their reserved ids, into the model's table (PostgreSQL only)."""
    quote = connection.ops.quote_name
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    names = [f.attname for f in fields]
    json_at = [i for i, f in enumerate(fields) if f.get_internal_type() == "JSONField"]
    columns = ", ".join(quote(f.column) for f in [meta.pk, *fields])
    sql = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for pk, row in zip(ids, rows, strict=True):
            values = [row[n] for n in names]
            for i in json_at:
                values[i] = _jsonb(values[i])
            copy.write_row([pk, *values])


def _jsonb(value: Any) -> Any:
    from psycopg.types.json import Jsonb  # only reached on PostgreSQL

    return None if value is None else Jsonb(value)


def row_snapshots(model: type[Any], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What core.audit.snapshot records for an instance with these values, for plain rows.

    Decimals are shown with their field's places, as they come back from the database.
    """
    fields = [
        f
        for f in model._meta.concrete_fields
        if not getattr(f, "audit_exclude", False) and f.name != "password"
    ]
    places = {
        f.attname: Decimal(1).scaleb(-f.decimal_places)
        for f in fields
        if isinstance(f, DecimalField)
    }
    snapshots = []
    for row in rows:
        values = {f.attname: row[f.attname] for f in fields}
        for name, exp in places.items():
            if values[name] is not None:
                values[name] = Decimal(values[name]).quantize(exp)
        snapshots.append({name: _jsonable(value) for name, value in values.items()})
    return snapshots


def run_import(
    source: Source,
    user: User | None = None,
    *,
    commit: bool = True,
    sheet: str = "",
    filename: str = "",
    progress: Progress | None = None,
) -> ImportResult:
    """Validate a file and, with commit=True and nothing wrong, write it all in one transaction."""
    importer = ProjectImporter(user, filename=filename or _name(source), progress=progress)
    return importer.commit(source, sheet) if commit else importer.validate(source, sheet)


def _name(source: Source) -> str:
    if isinstance(source, str | os.PathLike):
        return Path(source).name
    return Path(getattr(source, "name", "") or "").name
