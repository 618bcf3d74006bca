"""Importing the bureau's past requests (诉求台账) from Excel, all or nothing.

Columns are found by header, in any order, the header row among the first ten: the Chinese
headers below with the aliases other offices write, and the headers our own export writes
(`exporters.export_requests`, in any of the site's languages), so an export reads back in.

Imported requests are history: only 已答复, 已办结 and 已撤回 are taken. An open request is
refused, since it must be entered through the web so that its service clock runs. Whether a
request was answered on time, when the file does not say, is computed from the SLA as the
clock would have: the resolution window from the submission, in working time.

Every row is checked first, with the same reader and date parser as the ledger import
(`guanjia.core.sheets`); if any row is wrong nothing is written and each problem is
reported as "row N, column X “header”: reason". A row whose 编号 is already a request here
(or was imported under that 编号 for the same enterprise), or that repeats another row, is
skipped and reported as such, never doubled. Imported requests notify nobody.

On the sheet kit's two passes (`RequestImporter`): the page (`views.import_pages`, the one
import flow of guanjia.core.sheets.pages) checks the file as a background job and shows the
preview; confirming commits it, and `services.record_history` writes every row or none.
"""

import datetime as dt
import functools
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

import xlsxwriter
from django.conf import settings
from django.db.models import Q
from django.http import FileResponse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from guanjia.accounts.models import Role, User
from guanjia.accounts.scope import referenceable_people, region_path
from guanjia.core import sheets
from guanjia.core.bounds import name_problem, text_limit
from guanjia.core.sheets import (
    CellError,
    RowError,
    column_letter,
    parse_date,
)
from guanjia.enterprises import creditcode
from guanjia.enterprises.access import referenceable_enterprises
from guanjia.enterprises.models import Enterprise
from guanjia.projects.access import referenceable_projects
from guanjia.projects.models import Project
from guanjia.regions.models import Region
from guanjia.worktime.clock import WorkCalendar

from . import services, sla
from .models import (
    INTERNAL_EVENTS,
    OPEN_STATUSES,
    Category,
    EventKind,
    Priority,
    Rating,
    RequestEvent,
    ServiceRequest,
    Source,
    Status,
)

EXTENSIONS = (".xlsx", ".xls", ".ods")  # never .xlsm: macros are not imported
HEADER_SEARCH_ROWS = 10
MAX_ROWS = 5000  # bigger files are split (the check names each row)
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
TEXT_LIMIT = text_limit(ServiceRequest, "text")  # the answer's limit is the same
TITLE_LIMIT = text_limit(ServiceRequest, "title")
TEMPLATE_NAME = "诉求台账-导入模板.xlsx"


# --- Columns ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the header we write (in the template) and the first one we read
    aliases: tuple[str, ...] = ()
    export_label: Promise | None = None  # the header our export writes, in each language
    required: bool = False
    help: Promise | str = ""


COLUMNS: tuple[Column, ...] = (
    Column(
        "number",
        "编号",
        ("诉求编号", "工单编号", "工单号", "诉求单号", "单号"),
        gettext_lazy("Number"),
        help=gettext_lazy("Optional. A row whose number is already a request here is skipped."),
    ),
    Column(
        "submitted",
        "提交时间",
        ("提交日期", "诉求时间", "反映时间", "登记时间", "受理时间", "受理日期"),
        gettext_lazy("Submitted"),
        required=True,
        help=gettext_lazy("A date, or a date and time: 2023-03-23 or 2023-03-23 09:30."),
    ),
    Column(
        "enterprise",
        "企业",
        ("企业名称", "诉求企业", "反映企业", "企业全称", "诉求主体"),
        gettext_lazy("Enterprise"),
        required=True,
        help=gettext_lazy("The name or 18-character credit code of an enterprise you serve."),
    ),
    Column(
        "credit_code",
        "统一社会信用代码",
        ("信用代码", "社会信用代码"),
        help=gettext_lazy("Optional; when given it identifies the enterprise."),
    ),
    Column(
        "category",
        "类别",
        ("诉求类别", "诉求类型", "诉求分类", "问题类别", "类型"),
        gettext_lazy("Category"),
        required=True,
        help=gettext_lazy("A request category, by name or code."),
    ),
    Column(
        "priority",
        "优先级",
        ("紧急程度", "缓急程度"),
        gettext_lazy("Priority"),
        help=gettext_lazy("紧急, 一般 or 复杂; the category's usual priority when blank."),
    ),
    Column(
        "title",
        "标题",
        ("诉求标题", "诉求事项", "事项", "主题"),
        gettext_lazy("Title"),
        required=True,
    ),
    Column(
        "text",
        "内容",
        ("诉求内容", "具体内容", "详细内容", "问题描述", "诉求描述"),
        help=gettext_lazy("Optional; the title when blank."),
    ),
    Column(
        "status",
        "状态",
        ("办理状态", "诉求状态", "处理状态", "办结状态"),
        gettext_lazy("Status"),
        required=True,
        help=gettext_lazy(
            "已答复, 已办结 or 已撤回: only finished requests are imported. Enter open ones "
            "through the web so that their clock runs."
        ),
    ),
    Column(
        "replied",
        "答复时间",
        ("答复日期", "回复时间", "回复日期"),
        gettext_lazy("Answered"),
        help=gettext_lazy("Required for 已答复 and 已办结; empty for 已撤回."),
    ),
    Column(
        "answer",
        "答复内容",
        ("答复意见", "回复内容", "办理结果", "处理结果", "办理情况"),
        help=gettext_lazy("Optional."),
    ),
    Column(
        "closed",
        "办结时间",
        ("办结日期", "撤回时间", "撤回日期"),
        help=gettext_lazy(
            "Optional: when it was closed or withdrawn (the answer, or the submission, if blank)."
        ),
    ),
    Column(
        "on_time",
        "是否按时",
        ("是否按期", "按期办结", "是否按时办结", "按时"),
        gettext_lazy("On time"),
        help=gettext_lazy("是 or 否; computed from the service level when blank."),
    ),
    Column(
        "rating",
        "评价",
        ("满意度", "企业评价", "评价结果", "满意度评价"),
        gettext_lazy("Rating"),
        help=gettext_lazy("Optional: 满意, 基本满意 or 不满意."),
    ),
    Column(
        "steward",
        "项目管家",
        ("管家", "服务管家", "管家姓名"),
        gettext_lazy("Steward"),
        help=gettext_lazy(
            "Optional: a steward's username or name; the project's or the enterprise's steward "
            "when blank."
        ),
    ),
    Column(
        "project",
        "项目",
        ("项目名称", "所属项目", "涉及项目"),
        help=gettext_lazy("Optional: one of the enterprise's projects, by name."),
    ),
)
BY_KEY = {c.key: c for c in COLUMNS}

# Headers that carry nothing to import: a row counter, and the columns of our own export that
# the clock or the routing fills (in Chinese as the bureau writes them, and as msgids).
IGNORED_HEADERS = (
    "序号",
    "序",
    "所属地区",
    "地区",
    "当前承办人",
    "承办人",
    "承办部门",
    "部门",
    "派单时间",
    "办结期限",
    "升级级别",
    "升级层级",
    "重新办理次数",
)
IGNORED_LABELS = (
    gettext_lazy("Area"),
    gettext_lazy("Assigned to"),
    gettext_lazy("Department"),
    gettext_lazy("Dispatched"),
    gettext_lazy("Resolve by"),
    gettext_lazy("Escalation level"),
    gettext_lazy("Times reopened"),
    gettext_lazy("Latest progress"),
)

# --- The words a ledger writes (domain vocabulary, not UI text); the first is ours ----------

FINISHED: tuple[str, ...] = (Status.REPLIED, Status.CLOSED, Status.WITHDRAWN)
STATUS_WORDS: dict[str, tuple[str, ...]] = {
    Status.REPLIED: ("已答复", "答复", "已回复", "已反馈"),
    Status.CLOSED: ("已办结", "办结", "已完结", "完结", "已解决", "办理完毕", "已办理完毕"),
    Status.WITHDRAWN: ("已撤回", "撤回", "已撤销", "撤销"),
    # Open ones, recognised so that the refusal says why.
    Status.SUBMITTED: ("待受理", "已提交", "新提交", "未受理"),
    Status.ACCEPTED: ("已受理", "受理", "待派单"),
    Status.DISPATCHED: ("已派单", "派单", "待签收", "已转办"),
    Status.HANDLING: ("办理中", "处理中", "在办", "待办", "已签收", "未办结", "未答复", "未解决"),
    Status.AWAITING_INFO: ("待补充材料", "待补充"),
    Status.BOUNCED: ("已退单", "退单"),
}
RATING_WORDS: dict[str, tuple[str, ...]] = {
    Rating.SATISFIED: ("满意", "非常满意"),
    Rating.BASICALLY: ("基本满意", "比较满意", "较满意"),
    Rating.UNSATISFIED: ("不满意", "很不满意", "非常不满意"),
}
PRIORITY_WORDS: dict[str, tuple[str, ...]] = {
    Priority.URGENT: ("紧急", "急", "加急"),
    Priority.GENERAL: ("一般", "普通"),
    Priority.COMPLEX: ("复杂", "疑难"),
}
YES_WORDS = ("是", "按时", "按期", "yes", "y", "true", "√", "✓")
NO_WORDS = ("否", "超时", "逾期", "超期", "no", "n", "false", "×", "✗")
# What an optional cell says when it has nothing to say.
NOTHING = {"", "-", "—", "——", "/", "无", "暂无"}
UNRATED = {"未评价", "未评", "暂未评价"}


def _key(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def _header(value: Any) -> str:
    text = re.sub(r"\s+", "", _text(value))
    return text.replace("（", "(").replace("）", ")").strip("*＊:：")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, ".15g")
    if isinstance(value, dt.datetime):
        return (
            value.isoformat(" ", "minutes")
            if value.time() != dt.time()
            else value.date().isoformat()
        )
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _in_every_language(labels: Any) -> list[str]:
    """Each label as every language of the site writes it."""
    words: list[str] = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            words.extend(str(label) for label in labels)
    return words


@functools.cache
def _table() -> sheets.Table:
    """The columns as the sheet kit reads them: our headers and aliases, the headers our
    export writes in every language of the site, the headers ignored on purpose."""
    columns = []
    for column in COLUMNS:
        labels = [column.export_label] if column.export_label is not None else []
        aliases = (*column.aliases, *_in_every_language(labels))
        label = column.export_label or column.header
        columns.append(
            sheets.Column(column.key, label, column.header, aliases, required=column.required)
        )
    ignored = (*IGNORED_HEADERS, *_in_every_language(IGNORED_LABELS))
    return sheets.Table(
        columns, ignored=ignored, search_rows=HEADER_SEARCH_ROWS, minimum=1, best=True
    )


def _word_map(words: dict[str, tuple[str, ...]], choices: Any) -> dict[str, str]:
    """Every word, label (in every language) and code of a choice → the choice's value."""
    found: dict[str, str] = {}
    for value, group in words.items():
        for word in group:
            found.setdefault(_key(word), value)
    for value, label in choices:
        found.setdefault(_key(value), value)
        for text in _in_every_language([label]):
            found.setdefault(_key(text), value)
    return found


def _status_map() -> dict[str, str]:
    found = _word_map(STATUS_WORDS, Status.choices)
    for text in _in_every_language([pgettext("request status", "Withdrawn")]):
        found.setdefault(_key(text), Status.WITHDRAWN)
    return found


def finished_words() -> str:
    return "、".join(STATUS_WORDS[s][0] for s in FINISHED)


# --- Results ---------------------------------------------------------------------------------


@dataclass
class Planned:
    """A checked row, ready to write: the request and its timeline."""

    row: int
    request: ServiceRequest
    events: list[RequestEvent]
    source_number: str = ""


@dataclass
class ImportResult(sheets.SheetResult):
    """The kit's result, with what this import adds: notes on the columns, the checked rows."""

    notes: list[str] = field(default_factory=list)  # columns ignored
    planned: list[Planned] = field(default_factory=list)  # checked, not yet saved
    requests: list[ServiceRequest] = field(default_factory=list)  # written

    @property
    def messages(self) -> list[str]:
        return [*self.file_errors, *(str(e) for e in self.errors)]


# --- Cell parsers ----------------------------------------------------------------------------

_TIME_RE = re.compile(
    r"(?P<date>.+?)[\sT]+(?P<h>\d{1,2})\s*[:：时点]\s*(?P<m>\d{1,2})"
    r"(?:\s*[:：分]\s*(?P<s>\d{1,2})\s*秒?)?\s*分?"
)
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)  # noqa: DTZ001  (naive: local wall time)


@dataclass(frozen=True)
class Moment:
    at: dt.datetime  # aware
    has_time: bool  # False: the file gave a date only (kept as 00:00 local)

    @property
    def day(self) -> dt.date:
        return timezone.localtime(self.at).date()


def parse_moment(value: Any) -> Moment | None:
    """A date or date-time cell, a serial number, or text: 2023-03-23, 2023/3/23 14:30."""
    if value is None or _text(value) in NOTHING:
        return None
    naive: dt.datetime
    if isinstance(value, dt.datetime):
        naive, has_time = value.replace(tzinfo=None), value.time() != dt.time()
    elif isinstance(value, dt.date):
        naive, has_time = dt.datetime.combine(value, dt.time()), False
    elif isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        if not number.is_integer() and 18264 <= number <= 73415:
            # A date-time cell that lost its format: Excel's serial day and fraction of a day.
            naive = _EXCEL_EPOCH + dt.timedelta(minutes=round(number * 24 * 60))
            has_time = naive.time() != dt.time()
        else:
            day = parse_date(value)
            assert day is not None
            naive, has_time = dt.datetime.combine(day, dt.time()), False
    else:
        text = _text(value)
        match = _TIME_RE.fullmatch(text)
        if match:
            day = parse_date(match.group("date"))
            assert day is not None
            hour, minute = int(match.group("h")), int(match.group("m"))
            second = int(match.group("s") or 0)
            if hour > 23 or minute > 59 or second > 59:
                raise CellError(_("“%(value)s” is not a real time of day") % {"value": text})
            naive, has_time = dt.datetime.combine(day, dt.time(hour, minute, second)), True
        else:
            day = parse_date(text)
            assert day is not None
            naive, has_time = dt.datetime.combine(day, dt.time()), False
    return Moment(timezone.make_aware(naive), has_time)


def _choice(text: str, words: dict[str, str], reason: str) -> str:
    value = words.get(_key(text))
    if value is None:
        raise CellError(reason)
    return value


# --- Lookups ---------------------------------------------------------------------------------


class _Lookups:
    """Enterprises, categories, stewards and projects by the names a file uses, in few queries."""

    def __init__(self, actor: User, enterprises: set[str], codes: set[str], names: set[str]):
        self.actor = actor
        self.scope = region_path(actor)
        self.enterprises: dict[str, list[Enterprise]] = {}
        visible = referenceable_enterprises(actor).select_related("region", "steward")
        for enterprise in visible.filter(Q(name__in=enterprises) | Q(credit_code__in=codes)):
            for name in {enterprise.name, enterprise.credit_code or ""} - {""}:
                self.enterprises.setdefault(_key(name), []).append(enterprise)
        self.categories: dict[str, Category] = {}
        for category in Category.objects.all():
            self.categories.setdefault(_key(category.code), category)
        for category in Category.objects.all():
            self.categories.setdefault(_key(category.name), category)
        self.stewards: dict[str, list[User]] = {}
        # Only stewards the actor may name (their area and above): another area's steward
        # would read the request, and is "no steward …" exactly like a name nobody has.
        people = referenceable_people(actor, Role.STEWARD).filter(
            Q(username__in=names) | Q(display_name__in=names)
        )
        for user in people:
            for name in {user.username, user.display_name} - {""}:
                self.stewards.setdefault(_key(name), []).append(user)
        found = {e.pk for group in self.enterprises.values() for e in group}
        self.projects: dict[tuple[int, str], list[Project]] = {}
        # Projects the actor may name: another area's is "not a project of …" like a missing one.
        owned = referenceable_projects(actor).filter(
            Q(enterprise_id__in=found) | Q(partners__in=found)
        )
        for project in (
            owned.distinct().select_related("region", "steward").prefetch_related("partners")
        ):
            for owner in {project.enterprise_id, *(p.pk for p in project.partners.all())}:
                self.projects.setdefault((owner, _key(project.name)), []).append(project)
        self.calendar = WorkCalendar.load()
        self._slas: dict[tuple[int, str], sla.Sla] = {}
        self._city: Region | None = None

    def enterprise(self, text: str) -> Enterprise:
        code = creditcode.normalise(text)
        found = self.enterprises.get(_key(code), []) if len(code) == 18 else []
        found = found or self.enterprises.get(_key(text), [])
        if not found:
            raise CellError(
                _("“%(name)s” is not among the enterprises you serve (by name or credit code)")
                % {"name": text}
            )
        if len({e.pk for e in found}) > 1:
            raise CellError(
                _("%(n)d enterprises are called “%(name)s”: write the credit code")
                % {"n": len({e.pk for e in found}), "name": text}
            )
        return found[0]

    def category(self, text: str) -> Category:
        category = self.categories.get(_key(text))
        if category is None:
            raise CellError(
                _("“%(value)s” is not a request category; write one of %(names)s")
                % {
                    "value": text,
                    "names": "、".join(
                        c.name for c in Category.objects.filter(active=True).order_by("sort_order")
                    ),
                }
            )
        return category

    def steward(self, text: str) -> User:
        found = self.stewards.get(_key(text), [])
        if not found:
            raise CellError(_("no steward with the username or name “%(name)s”") % {"name": text})
        if len({u.pk for u in found}) > 1:
            raise CellError(
                _("%(n)d stewards are called “%(name)s”: write the username")
                % {"n": len({u.pk for u in found}), "name": text}
            )
        return found[0]

    def project(self, enterprise: Enterprise, text: str) -> Project:
        found = self.projects.get((enterprise.pk, _key(text)), [])
        if not found:
            raise CellError(
                _("“%(name)s” is not a project of %(enterprise)s")
                % {"name": text, "enterprise": enterprise}
            )
        if len(found) > 1:
            raise CellError(
                _("%(enterprise)s has %(n)d projects called “%(name)s”")
                % {"enterprise": enterprise, "n": len(found), "name": text}
            )
        return found[0]

    def region(self, enterprise: Enterprise, project: Project | None) -> Region:
        """The area that answers for the request: as `services.submit` decides it."""
        if project is not None:
            return project.region
        if enterprise.region_id and enterprise.region:
            return enterprise.region
        if self._city is None:
            self._city = Region.objects.get(code=settings.GUANJIA_CITY_CODE)
        return self._city

    def in_scope(self, region: Region) -> bool:
        return self.scope is None or region.path.startswith(self.scope)

    def sla(self, category: Category, priority: str) -> sla.Sla:
        key = (category.pk, priority)
        if key not in self._slas:
            self._slas[key] = sla.sla_for(category, priority)
        return self._slas[key]


# --- Checking --------------------------------------------------------------------------------


class _LazyTable:
    """The table, built on first use: its aliases are the export's headers in every language,
    which cannot be translated before the apps are loaded."""

    def __get__(self, obj: Any, owner: Any) -> sheets.Table:
        return _table()


class RequestImporter(sheets.SheetImporter):
    """Past requests on the sheet kit's two passes: every row checked, then all written by
    `services.record_history` in one transaction, or none."""

    table = _LazyTable()  # type: ignore[assignment]
    prescan = ("number", "enterprise", "credit_code", "steward")

    def __init__(self, user: User, **kwargs: Any) -> None:
        super().__init__(user, **kwargs)
        self.actor = user
        self.now = timezone.now()
        self.statuses = _status_map()
        self.ratings = _word_map(RATING_WORDS, Rating.choices)
        self.priorities = _word_map(PRIORITY_WORDS, Priority.choices)
        self.on_time: dict[str, bool] = {_key(w): True for w in YES_WORDS}
        self.on_time.update({_key(w): False for w in NO_WORDS})
        for word in _in_every_language([gettext_lazy("Yes")]):
            self.on_time.setdefault(_key(word), True)
        for word in _in_every_language([gettext_lazy("No")]):
            self.on_time.setdefault(_key(word), False)

    def new_result(self) -> ImportResult:
        return ImportResult()

    def no_header_message(self) -> str:
        return _("the header row lacks the required columns: %(columns)s") % {
            "columns": "、".join(c.header for c in self.table.required)
        }

    def check_header(self, header: sheets.HeaderMap, result: sheets.SheetResult) -> None:
        """Missing required columns are one error; unknown or doubled columns are notes."""
        assert isinstance(result, ImportResult)
        if header.missing:
            result.file_errors.append(
                _("the header row lacks the required columns: %(columns)s")
                % {"columns": "、".join(c.header for c in header.missing)}
            )
            return
        result.mapping.extend(header.mapping)
        for unknown in sorted([*header.unknown, *header.doubled], key=lambda u: u.index):
            note = str(sheets.Unknown(unknown.index, _header(unknown.header)))
            result.notes.append(note)
            result.skipped.append(note)
        self.by_key = {key: m.index for key, m in header.columns.items()}
        self.headers = {key: _header(m.header) for key, m in header.columns.items()}

    def validate(self, source: sheets.Source, sheet: str = "") -> sheets.SheetResult:
        result = super().validate(source, sheet)
        empty = _("there are no rows under the header")
        if empty in result.file_errors:
            result.file_errors[result.file_errors.index(empty)] = _(
                "the file has no rows under its header"
            )
        assert isinstance(result, ImportResult)
        result.planned = list(self.checked) if result.ok else []
        return result

    def prepare(self, body: sheets.Body, result: sheets.SheetResult) -> None:
        """The numbers already taken or imported, and what the rows name, in a few queries."""
        if body.count > MAX_ROWS:
            result.file_errors.append(
                _("the file has %(n)d rows; import at most %(max)d at a time")
                % {"n": body.count, "max": MAX_ROWS}
            )
            return
        numbers = body.texts["number"]
        self.taken = set(
            ServiceRequest.objects.filter(number__in=numbers).values_list("number", flat=True)
        )
        # Numbers of earlier imports, with the enterprise they were imported for.
        self.imported: dict[tuple[str, int], str] = {}
        if numbers:
            events = RequestEvent.objects.filter(
                kind=EventKind.SUBMIT, data__source_number__in=sorted(numbers)
            ).values_list("data", "request__enterprise_id", "request__number")
            for data, enterprise_id, number in events:
                self.imported[(str(data.get("source_number", "")), enterprise_id)] = number
        self.lookups = _Lookups(
            self.actor,
            enterprises=body.texts["enterprise"],
            codes={
                creditcode.normalise(text)
                for key in ("credit_code", "enterprise")
                for text in body.texts[key]
            }
            - {""},
            names=body.texts["steward"],
        )
        self.first_with_number: dict[str, int] = {}
        self.first_with_identity: dict[tuple[Any, ...], int] = {}

    def cell(self, cells: list[Any], key: str) -> Any:
        index = self.by_key.get(key)
        return cells[index] if index is not None and index < len(cells) else None

    def text(self, cells: list[Any], key: str) -> str:
        return _text(self.cell(cells, key))

    def check_row(self, row: sheets.Row, result: sheets.SheetResult) -> Planned | None:
        """A row already recorded, or repeated in the file, is skipped and said so."""
        number = self.text(row.cells, "number")
        if number and number in self.taken:
            result.skipped.append(
                _("row %(row)d: request %(number)s is already recorded; skipped")
                % {"row": row.number, "number": number}
            )
            return None
        if number and number in self.first_with_number:
            result.skipped.append(
                _("row %(row)d repeats row %(first)d (number %(number)s); skipped")
                % {"row": row.number, "first": self.first_with_number[number], "number": number}
            )
            return None
        if number:
            self.first_with_number[number] = row.number
        planned = self._check(row.number, row.cells, number, result)
        if planned is None:
            return None
        sr = planned.request
        known = self.imported.get((number, sr.enterprise_id)) if number else None
        if known:
            result.skipped.append(
                _(
                    "row %(row)d: number %(number)s was imported before as request %(existing)s; skipped"
                )
                % {"row": row.number, "number": number, "existing": known}
            )
            return None
        identity = _identity(sr)
        if identity in self.first_with_identity:
            result.skipped.append(
                _("row %(row)d repeats row %(first)d; skipped")
                % {"row": row.number, "first": self.first_with_identity[identity]}
            )
            return None
        self.first_with_identity[identity] = row.number
        return planned

    def finish(self, result: sheets.SheetResult) -> None:
        """Rows already recorded here (same enterprise, title and moment) are skipped."""
        if not self.checked or not result.ok:
            return
        existing = _existing([p.request for p in self.checked])
        new = []
        for planned in self.checked:
            found = existing.get(_identity(planned.request))
            if found:
                result.skipped.append(
                    _("row %(row)d is already recorded as request %(number)s; skipped")
                    % {"row": planned.row, "number": found}
                )
            else:
                new.append(planned)
        self.checked = new
        result.to_create = len(new)

    def preview(self, checked: Planned) -> dict[str, Any]:
        sr = checked.request
        return {
            "row": checked.row,
            "number": checked.source_number,
            "submitted": timezone.localtime(sr.submitted_at).strftime("%Y-%m-%d %H:%M"),
            "enterprise": sr.enterprise.name,
            "category": sr.category.name,
            "title": sr.title,
            "status": str(sr.get_status_display()),
        }

    def write(self, checked: list[Planned], result: sheets.SheetResult) -> int:
        """Every row through the request service, in the commit's transaction."""
        assert isinstance(result, ImportResult)
        result.requests = services.record_history(
            self.actor, [(p.request, p.events) for p in checked]
        )
        return len(result.requests)

    def _check(
        self, row: int, cells: list[Any], number: str, result: sheets.SheetResult
    ) -> Planned | None:
        errors: list[RowError] = []
        lookups = self.lookups

        def error(key: str, reason: str) -> None:
            if key in self.by_key:
                letter = column_letter(self.by_key[key])
                errors.append(RowError(row, letter, self.headers[key], reason))
            else:
                header = BY_KEY[key].header if key in BY_KEY else ""
                errors.append(RowError(row, "", "", f"“{header}”: {reason}" if header else reason))

        def moment(key: str, *, required: str = "") -> Moment | None:
            try:
                found = parse_moment(self.cell(cells, key))
            except CellError as exc:
                error(key, str(exc))
                return None
            if found is None:
                if required:
                    error(key, required)
                return None
            if found.at > self.now:
                error(key, _("“%(value)s” is in the future") % {"value": self.text(cells, key)})
                return None
            return found

        # Who and what.
        enterprise_key = "credit_code" if self.text(cells, "credit_code") else "enterprise"
        enterprise: Enterprise | None = None
        try:
            text = self.text(cells, enterprise_key)
            if not text:
                raise CellError(_("the enterprise is missing"))
            enterprise = lookups.enterprise(text)
        except CellError as exc:
            error(enterprise_key, str(exc))

        project: Project | None = None
        project_text = self.text(cells, "project")
        if project_text and enterprise is not None:
            try:
                project = lookups.project(enterprise, project_text)
            except CellError as exc:
                error("project", str(exc))
        if enterprise is not None and not (project_text and project is None):
            region = lookups.region(enterprise, project)
            if not lookups.in_scope(region):
                error(
                    "project" if project is not None else enterprise_key,
                    _("the request would belong to %(area)s, outside your area")
                    % {"area": region.name},
                )

        category: Category | None = None
        try:
            text = self.text(cells, "category")
            if not text:
                raise CellError(_("the category is missing"))
            category = lookups.category(text)
        except CellError as exc:
            error("category", str(exc))

        priority = ""
        text = self.text(cells, "priority")
        if text not in NOTHING:
            try:
                priority = _choice(
                    text,
                    self.priorities,
                    _("“%(value)s” is not a priority; write 紧急, 一般 or 复杂") % {"value": text},
                )
            except CellError as exc:
                error("priority", str(exc))

        title = self.text(cells, "title")
        if not title:
            error("title", _("the title is missing"))
        elif len(title) > TITLE_LIMIT:
            error(
                "title",
                _("at most %(max)d characters, this has %(n)d")
                % {"max": TITLE_LIMIT, "n": len(title)},
            )
        elif problem := name_problem(title):
            error("title", problem)
        body = self.text(cells, "text") or title
        if len(body) > TEXT_LIMIT:
            error(
                "text",
                _("at most %(max)d characters, this has %(n)d")
                % {"max": TEXT_LIMIT, "n": len(body)},
            )
        answer = self.text(cells, "answer")
        if answer in NOTHING:
            answer = ""
        if len(answer) > TEXT_LIMIT:
            error(
                "answer",
                _("at most %(max)d characters, this has %(n)d")
                % {"max": TEXT_LIMIT, "n": len(answer)},
            )

        steward: User | None = None
        steward_text = self.text(cells, "steward")
        if steward_text:
            try:
                steward = lookups.steward(steward_text)
            except CellError as exc:
                error("steward", str(exc))

        # Where it ended.
        status = ""
        text = self.text(cells, "status")
        try:
            if not text:
                raise CellError(
                    _("the status is missing; write %(words)s") % {"words": finished_words()}
                )
            status = _choice(
                text,
                self.statuses,
                _("“%(value)s” is not a status; write %(words)s")
                % {"value": text, "words": finished_words()},
            )
            if status in OPEN_STATUSES:
                status = ""
                raise CellError(
                    _(
                        "“%(value)s” is an open request: only finished ones (%(words)s) are "
                        "imported; enter open requests through the web so that their clock runs"
                    )
                    % {"value": text, "words": finished_words()}
                )
        except CellError as exc:
            error("status", str(exc))

        rating = ""
        text = self.text(cells, "rating")
        if text not in NOTHING and text not in UNRATED:
            try:
                rating = _choice(
                    text,
                    self.ratings,
                    _("“%(value)s” is not a rating; write 满意, 基本满意 or 不满意")
                    % {"value": text},
                )
            except CellError as exc:
                error("rating", str(exc))

        on_time: bool | None = None
        text = self.text(cells, "on_time")
        if text not in NOTHING:
            found = self.on_time.get(_key(text))
            if found is None:
                error("on_time", _("“%(value)s” is neither 是 nor 否") % {"value": text})
            on_time = found

        submitted = moment("submitted", required=_("the date it was submitted is missing"))
        replied = moment("replied")
        closed = moment("closed")

        if status == Status.WITHDRAWN:
            for key, value in (("replied", replied), ("answer", answer), ("rating", rating)):
                if value:
                    error(key, _("a withdrawn request has no answer or rating; leave it empty"))
            if on_time is not None:
                error("on_time", _("a withdrawn request has no answer or rating; leave it empty"))
        elif status in (Status.REPLIED, Status.CLOSED):
            if replied is None and not self.text(cells, "replied"):
                error("replied", _("an answered or closed request needs the date it was answered"))
            if status == Status.REPLIED and rating == Rating.UNSATISFIED:
                error(
                    "rating",
                    _(
                        "an unsatisfied rating reopens the request: enter it through the web, "
                        "or write 已办结 if it was closed after the revisit"
                    ),
                )
            if status == Status.REPLIED and closed is not None and not rating:
                error(
                    "closed",
                    _("a request only answered is not closed: write 已办结 as its status"),
                )
        if submitted is not None and replied is not None and _before(replied, submitted):
            error("replied", _("it was answered before it was submitted"))
        if closed is not None and status == Status.WITHDRAWN and submitted is not None:
            if _before(closed, submitted):
                error("closed", _("it was withdrawn before it was submitted"))
        elif closed is not None and replied is not None and _before(closed, replied):
            error("closed", _("it was closed before it was answered"))

        if errors:
            result.errors.extend(sorted(errors, key=sheets.left_to_right))
            return None
        assert enterprise is not None and category is not None and submitted is not None
        return self.plan(
            row,
            number=number,
            enterprise=enterprise,
            project=project,
            category=category,
            priority=priority or category.default_priority,
            title=title,
            text=body,
            steward=steward,
            status=status,
            submitted=submitted,
            replied=replied,
            closed=closed,
            answer=answer,
            on_time=on_time,
            rating=rating,
        )

    def plan(
        self,
        row: int,
        *,
        number: str,
        enterprise: Enterprise,
        project: Project | None,
        category: Category,
        priority: str,
        title: str,
        text: str,
        steward: User | None,
        status: str,
        submitted: Moment,
        replied: Moment | None,
        closed: Moment | None,
        answer: str,
        on_time: bool | None,
        rating: str,
    ) -> Planned:
        """The request as the web flow would have left it, and its timeline."""
        lookups = self.lookups
        steward = (
            steward
            or (project.steward if project is not None and project.steward_id else None)
            or enterprise.steward
        )
        policy = lookups.sla(category, priority)
        cal = lookups.calendar
        submitted_at = submitted.at
        sr = ServiceRequest(
            enterprise=enterprise,
            project=project,
            region=lookups.region(enterprise, project),
            category=category,
            priority=priority,
            title=title,
            text=text,
            source=Source.STAFF,
            submitted_by=self.actor,
            submitted_at=submitted_at,
            status=status,
            steward=steward,
            assignee=steward,
            sign_days=policy.sign_days,
            reply_days=policy.reply_days,
            resolve_days=policy.resolve_days,
            max_resolve_days=policy.max_resolve_days,
            extension_days=Decimal(0),
            # The clock as it would have run had the request come in through the web.
            clock_started_at=submitted_at,
            reply_due_at=cal.add_days(submitted_at, float(policy.reply_days)),
            resolve_due_at=cal.add_days(submitted_at, float(policy.resolve_days)),
        )
        data: dict[str, Any] = {"imported": True}
        if number:
            data["source_number"] = number
        events = [self.event(sr, EventKind.SUBMIT, "", Status.SUBMITTED, submitted_at, data=data)]
        if status == Status.WITHDRAWN:
            sr.closed_at = _not_before(closed, submitted_at)
            events.append(
                self.event(sr, EventKind.WITHDRAW, Status.SUBMITTED, status, sr.closed_at)
            )
        else:
            assert replied is not None
            replied_at = _not_before(replied, submitted_at)
            assert sr.resolve_due_at is not None
            if on_time is None:
                if replied.has_time:
                    on_time = replied_at <= sr.resolve_due_at
                else:  # a date only: answered on the day it was due is on time
                    on_time = replied.day <= timezone.localtime(sr.resolve_due_at).date()
            sr.replied_at = sr.first_response_at = replied_at
            sr.answer = answer
            sr.on_time = on_time
            events.append(
                self.event(
                    sr, EventKind.REPLY, Status.SUBMITTED, Status.REPLIED, replied_at, note=answer
                )
            )
            if status == Status.CLOSED:
                sr.closed_at = _not_before(closed, replied_at)
                events.append(
                    self.event(sr, EventKind.CLOSE, Status.REPLIED, Status.CLOSED, sr.closed_at)
                )
            if rating:
                # As the web flow: a satisfied rating of an answered request closes it.
                sr.rating = rating
                sr.rated_at = sr.closed_at or _not_before(closed, replied_at)
                if sr.status == Status.REPLIED:
                    sr.status = Status.CLOSED
                    sr.closed_at = sr.rated_at
                events.append(
                    self.event(
                        sr,
                        EventKind.RATE,
                        Status.CLOSED if status == Status.CLOSED else Status.REPLIED,
                        Status.CLOSED,
                        sr.rated_at,
                        data={"rating": rating},
                    )
                )
        return Planned(row, sr, events, number)

    def event(
        self,
        sr: ServiceRequest,
        kind: str,
        from_status: str,
        to_status: str,
        at: dt.datetime,
        *,
        note: str = "",
        data: dict[str, Any] | None = None,
    ) -> RequestEvent:
        return RequestEvent(
            request=sr,
            kind=kind,
            from_status=from_status,
            to_status=to_status,
            # Who submitted is on record (the importer, as for any request staff enter);
            # who answered, years ago, is not.
            actor=self.actor if kind == EventKind.SUBMIT else None,
            at=at,
            note=note,
            data=data or {},
            internal=kind in INTERNAL_EVENTS,
        )


def _before(later: Moment, earlier: Moment) -> bool:
    """Whether `later` is in fact earlier; a bare date is only compared by its day."""
    if later.day != earlier.day:
        return later.day < earlier.day
    return later.has_time and earlier.has_time and later.at < earlier.at


def _not_before(moment: Moment | None, floor: dt.datetime) -> dt.datetime:
    """The moment, or `floor` when it is missing or a bare date earlier on the same day."""
    if moment is None:
        return floor
    return max(moment.at, floor)


def _identity(sr: ServiceRequest) -> tuple[Any, ...]:
    return (sr.enterprise_id, sr.title, sr.submitted_at)


def _existing(requests: list[ServiceRequest]) -> dict[tuple[Any, ...], str]:
    """Requests already here for the same enterprise, with the same title, submitted then."""
    moments = [r.submitted_at for r in requests]
    found = ServiceRequest.objects.filter(
        enterprise_id__in={r.enterprise_id for r in requests},
        submitted_at__gte=min(moments),
        submitted_at__lte=max(moments),
    ).values_list("number", "enterprise_id", "title", "submitted_at")
    return {(e, t, s): number for number, e, t, s in found}


# --- Writing ---------------------------------------------------------------------------------


def check_file(source: str | IO[bytes], actor: User) -> ImportResult:
    """Read and check every row; the result holds the requests to write, or the errors."""
    result = RequestImporter(actor, filename=sheets.source_name(source)).validate(source)
    assert isinstance(result, ImportResult)
    return result


def import_requests(source: str | IO[bytes], actor: User) -> ImportResult:
    """Check the whole file, then write every new row in one transaction, or nothing."""
    result = RequestImporter(actor, filename=sheets.source_name(source)).commit(source)
    assert isinstance(result, ImportResult)
    if not result.ok:
        result.planned = []
    return result


def job_importer(job: Any) -> RequestImporter:
    """The importer of a background job (guanjia.core.sheets.jobs)."""
    return RequestImporter(
        job.user, filename=job.original_name, progress=job.set_progress, mapping=job.mapping
    )


def summary(result: ImportResult) -> str:
    """The success message: how many were written, how many skipped."""
    text = ngettext("%(n)d request imported.", "%(n)d requests imported.", result.created) % {
        "n": result.created
    }
    if result.skipped:
        text += " " + ngettext(
            "%(n)d row skipped as already recorded.",
            "%(n)d rows skipped as already recorded.",
            len(result.skipped),
        ) % {"n": len(result.skipped)}
    return text


# --- The template file -------------------------------------------------------


TEMPLATE_WIDTHS = {"title": 30, "text": 40, "answer": 40, "enterprise": 30, "project": 24}


def template_response() -> FileResponse:
    """An empty file with our headers, and lists to pick the status, on-time and rating from."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1})
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    sheet = book.add_worksheet("诉求台账")
    choices = {
        "status": [STATUS_WORDS[s][0] for s in FINISHED],
        "on_time": ["是", "否"],
        "rating": [words[0] for words in RATING_WORDS.values()],
        "priority": [words[0] for words in PRIORITY_WORDS.values()],
    }
    for index, column in enumerate(COLUMNS):
        timed = column.key in ("submitted", "replied", "closed")
        width = TEMPLATE_WIDTHS.get(column.key, 17 if timed else 12)
        sheet.set_column(index, index, width, when if timed else None)
        sheet.write_string(0, index, column.header, bold)
        if column.key in choices:
            sheet.data_validation(
                1, index, MAX_ROWS, index, {"validate": "list", "source": choices[column.key]}
            )
    sheet.freeze_panes(1, 0)
    book.close()
    buffer.seek(0)
    return FileResponse(buffer, as_attachment=True, filename=TEMPLATE_NAME)
