"""Importing another office's project ledger from .xlsx, .xls or .ods, on the sheet kit.

Two passes (guanjia.core.sheets.SheetImporter):

1. `ProjectImporter.validate` reads the sheet, finds the header row, maps every header (Chinese
   aliases, units in the header), checks every cell and collects errors named by the row and
   column Excel shows. Rows already in the ledger, or repeated in the file, are duplicates:
   flagged and skipped, never doubled and never errors.
2. `ProjectImporter.commit` validates again and, only when nothing at all is wrong, writes every
   enterprise, project, stage change and audit entry in one transaction with bulk inserts.

Headers we do not recognise are reported, never guessed (an explicit mapping may name them).
"""

import datetime as dt
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import DecimalField, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

from guanjia.accounts.models import User
from guanjia.accounts.scope import referenceable_people
from guanjia.core.audit import _jsonable
from guanjia.core.bounds import YEAR_MAX, YEAR_MIN, name_problem, text_limit
from guanjia.core.models import AuditAction, AuditEntry
from guanjia.core.sheets import (
    EXTENSIONS,
    HEADER_SEARCH_ROWS,
    NOTHING_MARKS,
    Amount,
    Body,
    CellError,
    Column,
    FileError,
    Mapped,
    Progress,
    Row,
    RowError,
    SheetImporter,
    SheetResult,
    SheetRows,
    Source,
    Table,
    Unknown,
    column_letter,
    parse_amount,
    parse_date,
    read_sheet,
    source_name,
    text_of,
)
from guanjia.core.sheets.cells import HEADER_UNITS
from guanjia.core.sheets.headers import EXTRA_ALIASES
from guanjia.core.sheets.results import MAX_STORED
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

__all__ = [
    "COLUMNS",
    "EXTENSIONS",
    "HEADER_UNITS",
    "NOTHING_MARKS",
    "CellError",
    "FileError",
    "ImportResult",
    "MappedColumn",
    "ProjectImporter",
    "RowError",
    "SheetRows",
    "UnknownColumn",
    "column_letter",
    "insert_rows",
    "parse_amount",
    "parse_date",
    "read_sheet",
    "row_snapshots",
    "run_import",
]

BATCH = 1000
PREVIEW_ROWS = 20

_text = text_of
MappedColumn = Mapped
UnknownColumn = Unknown


# --- Columns ---------------------------------------------------------------------------------

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
        parser=Amount(),
    ),
    Column("plan_year", gettext_lazy("Plan year"), "计划年度", ("年度",)),
    Column(
        "planned_investment_year_wan",
        gettext_lazy("Planned investment this year"),
        "本年计划投资",
        ("年度计划投资", "本年度计划投资", "年计划投资"),
        parser=Amount(),
    ),
    Column(
        "completed_investment_year_wan",
        gettext_lazy("Completed investment this year"),
        "本年完成投资",
        ("年度完成投资", "本年度完成投资", "本年已完成投资"),
        parser=Amount(),
    ),
    Column(
        "funds_in_place_wan",
        gettext_lazy("Funds in place"),
        "到位资金",
        ("资金到位", "实际到位资金", "到位资金额", "累计到位资金"),
        parser=Amount(),
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
# Headers that carry nothing to import (a row counter); shown in the mapping as ignored.
IGNORED_HEADERS = {"序号", "编号", "序"}
TABLE = Table(COLUMNS, ignored=IGNORED_HEADERS, extra=EXTRA_ALIASES)
BY_KEY = TABLE.by_field
REQUIRED = [c for c in COLUMNS if c.required]
AMOUNT_KEYS = [c.key for c in COLUMNS if c.amount]
# Stage dates a file can carry, in lifecycle order.
DATE_KEYS = {
    "signed_on": Stage.SIGNED,
    "construction_on": Stage.CONSTRUCTION,
    "operation_on": Stage.OPERATION,
}


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


def stage_name(stage: str) -> str:
    """The Chinese word a ledger file uses for a stage (the first of its aliases)."""
    return stages.ALIASES[stage][0]


normalise_header = TABLE.normalise
header_key = TABLE.field_for


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
class ImportResult(SheetResult):
    """What a pass found (and, after a commit, what it wrote): the kit's, with duplicates."""

    new_enterprises: int = 0
    duplicates: list[Duplicate] = field(default_factory=list)
    saved_mapping: str = ""  # the name of the saved mapping the file was mapped by
    review: dict[str, Any] | None = None  # the mapping screen's questions (projects.sheet_review)

    @property
    def needs_mapping(self) -> bool:
        """The user must confirm the columns before the file can be imported."""
        return bool(self.review and self.review.get("needs_answer"))

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
            **super().as_json(limit),
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
            "saved_mapping": self.saved_mapping,
            "review": self.review,
        }


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


@dataclass
class _Row:
    """A checked row, ready to write."""

    row: int
    enterprise: tuple[str, int]
    enterprise_name: str
    fields: dict[str, Any]
    stage: str
    stage_on: dt.date


class ProjectImporter(SheetImporter):
    """Validate a ledger file, then commit it all or nothing. See the module docstring."""

    table = TABLE
    prescan = ("credit_code", "enterprise", "steward", "leader")
    preview_rows = PREVIEW_ROWS

    def new_result(self) -> ImportResult:
        return ImportResult()

    def no_header_message(self) -> str:
        return _(
            "no header row found: none of the first %(n)d rows has two recognised column "
            "names such as 项目名称, 企业名称 or 所属县区"
        ) % {"n": HEADER_SEARCH_ROWS}

    @property
    def _rows(self) -> list[_Row]:
        return self.checked

    # 1. Validate ------------------------------------------------------------------------------

    def prepare(self, body: Body, result: SheetResult) -> None:
        """Fetch once the enterprises, regions, industries and people the rows name."""
        codes = {creditcode.normalise(c) for c in body.texts["credit_code"]}
        self._enterprises = Enterprises(codes, body.texts["enterprise"], self.user)
        self._lookups = Lookups(self.user)
        self._lookups.load_people(body.texts["steward"] | body.texts["leader"])
        self._existing: dict[tuple[int, str], int] = {}
        for chunk in _chunks(sorted(self._enterprises.known_ids())):
            for pk, enterprise_id, name in Project.objects.filter(
                enterprise_id__in=chunk
            ).values_list("pk", "enterprise_id", "name"):
                self._existing.setdefault((enterprise_id, _project_name_key(name)), pk)
        self._seen: dict[tuple[tuple[str, int], str], int] = {}

    def skip(self, row: Row, result: SheetResult) -> bool:
        name = row.text("name")
        if re.sub(r"[\s:：]", "", name) in TOTAL_ROW_WORDS:
            result.skipped.append(
                _("row %(row)d is a total row (“%(name)s”); skipped")
                % {"row": row.number, "name": name}
            )
            return True
        return False

    def finish(self, result: SheetResult) -> None:
        assert isinstance(result, ImportResult)
        result.new_enterprises = len(
            {r.enterprise[1] for r in self.checked if r.enterprise[0] == "new"}
        )

    def check_row(self, row: Row, result: SheetResult) -> _Row | None:  # noqa: C901
        """A row checked cell by cell, or None (its errors are in row.errors, or it is a
        duplicate, listed in result.duplicates)."""
        assert isinstance(result, ImportResult)
        number = row.number
        columns = row.header.columns
        errors = row.errors
        fail = row.fail
        lookups, enterprises = self._lookups, self._enterprises
        existing, seen = self._existing, self._seen

        def text(key: str, required: bool = False, max_length: int = 0, name: bool = False) -> str:
            value = row.text(key)
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
                    fields[key] = parse_amount(row.raw(key), columns[key].unit)
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
                    on = parse_date(row.raw(key))
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
        found_stage = self._stage(row, dates)
        if found_stage is None:  # reported; its dates cannot be checked against it
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
            return None
        # The current stage's date: its own column, else the latest date the row gives, else today.
        stage_on = dates.get(stages.DATE_FIELD[stage]) or max(dates.values(), default=self.today)
        for key, on in dates.items():
            fields[key] = on
        fields[stages.DATE_FIELD[stage]] = stage_on
        return _Row(number, enterprise, enterprise_name, fields, stage, stage_on)

    def _stage(self, row: Row, dates: dict[str, dt.date]) -> str | None:
        """The row's stage; None when the cell names none (the error is reported)."""
        value = row.text("stage") if row.has("stage") else ""
        if value:
            try:
                return self._lookups.stage(value)
            except CellError as exc:
                row.fail("stage", str(exc))
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

    def preview(self, checked: _Row) -> dict[str, Any]:
        return self._preview(checked)

    # 2. Commit --------------------------------------------------------------------------------

    def write(self, checked: list[_Row], result: SheetResult) -> int:
        """Under the transaction: give up if another import got there first, else insert."""
        conflict = self._conflict(checked)
        if conflict:
            result.file_errors.append(conflict)
            return 0
        created = self._write(checked)
        many_facts_changed()  # the bulk insert bypasses the services' per-row hooks
        return created

    def _conflict(self, checked: list[_Row]) -> str:
        """Re-check, under the transaction, what another import may have added since."""
        new = self._enterprises.new
        codes = [e["credit_code"] for e in new if e["credit_code"]]
        names = [e["name"] for e in new if not e["credit_code"]]
        added = any(
            Enterprise.objects.filter(credit_code__in=chunk).exists() for chunk in _chunks(codes)
        ) or any(Enterprise.objects.filter(name__in=chunk).exists() for chunk in _chunks(names))
        pairs = {
            (r.enterprise[1], _project_name_key(r.fields["name"]))
            for r in checked
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

    def _write(self, checked: list[_Row]) -> int:
        """Insert enterprises, projects, their first stage change and one audit entry each."""
        actor_id = self.user.pk if self.user is not None and self.user.pk else None
        note = (
            (_("imported from %(file)s") % {"file": self.filename})
            if self.filename
            else _("imported")
        )
        wanted = sorted({r.enterprise[1] for r in checked if r.enterprise[0] == "new"})
        enterprises = [self._enterprises.new[i] for i in wanted]
        new_ids = dict(zip(wanted, insert_rows(Enterprise, enterprises), strict=True))
        projects = []
        for r in checked:
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
                for p, r in zip(projects, checked, strict=True)
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
    mapping: dict[str, str | None] | None = None,
) -> ImportResult:
    """Validate a file and, with commit=True and nothing wrong, write it all in one transaction.

    `mapping` {header text: field, or None to ignore} names headers the aliases do not know
    (what guanjia.projects.infer proposes for the unknown columns' samples)."""
    importer = ProjectImporter(
        user, filename=filename or source_name(source), progress=progress, mapping=mapping
    )
    result = importer.commit(source, sheet) if commit else importer.validate(source, sheet)
    assert isinstance(result, ImportResult)
    return result


def job_importer(job: Any) -> ProjectImporter:
    """The importer of a background ledger job (guanjia.core.sheets.jobs): it uses saved
    mappings and asks about unknown columns (guanjia.projects.mapping)."""
    from guanjia.projects.mapping import JobImporter

    return JobImporter(job)
