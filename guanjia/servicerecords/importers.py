"""Importing a bureau's own Excel of services (服务台账).

Columns (by header, in any order; the header row is among the first ten):
日期, 管家 (username or name), 企业 (name or credit code), 项目 (optional), 方式, 内容,
解决问题数 (optional). Every row is checked with the same rules as the web form
(`services.prepare_record`) before anything is written; if any row is wrong nothing is
written and each problem is reported by row, column and reason, as the ledger import does.
Rows already recorded, or repeated in the file, are skipped, never doubled.
"""

import re
from dataclasses import dataclass, field
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanjia.accounts.models import User
from guanjia.core import sheets
from guanjia.core.audit import audited_save
from guanjia.core.sheets import CellError, parse_date
from guanjia.enterprises import creditcode
from guanjia.enterprises.access import referenceable_enterprises
from guanjia.enterprises.models import Enterprise
from guanjia.projects.access import referenceable_projects
from guanjia.projects.models import Project

from . import access
from .models import Kind, ServiceRecord
from .services import prepare_record

EXTENSIONS = (".xlsx", ".xls", ".ods")  # never .xlsm: macros are not imported
HEADER_SEARCH_ROWS = 10
MAX_ROWS = 5000  # bigger files are split

# The words bureaus write for each kind (domain vocabulary, not UI text); the first is ours.
KIND_WORDS: dict[str, tuple[str, ...]] = {
    Kind.VISIT: ("走访", "上门走访", "实地走访", "走访企业", "上门服务", "visit"),
    Kind.CALL: ("电话", "电话联系", "电话沟通", "电话服务", "call"),
    Kind.MEETING: ("座谈/会议", "座谈", "会议", "座谈会", "召开会议", "协调会", "meeting"),
    Kind.PROBLEM_SOLVED: ("解决问题", "协调解决问题", "帮办代办", "problem_solved"),
    Kind.POLICY: ("政策宣讲", "政策宣传", "送政策上门", "政策解读", "policy"),
    Kind.OTHER: ("其他", "其它", "other"),
}
_KIND_BY_WORD = {
    re.sub(r"\s+", "", word).lower(): kind for kind, words in KIND_WORDS.items() for word in words
}


def kind_word(kind: str) -> str:
    return KIND_WORDS.get(kind, (kind,))[0]


def _column(
    key: str, label: Any, header: str, aliases: tuple[str, ...] = (), required: bool = False
) -> sheets.Column:
    return sheets.Column(key, label, header, aliases, required=required)


COLUMNS: tuple[sheets.Column, ...] = (
    _column(
        "date",
        gettext_lazy("Date"),
        "日期",
        ("服务日期", "服务时间", "时间", "日期时间"),
        required=True,
    ),
    _column(
        "steward",
        gettext_lazy("Steward"),
        "管家",
        ("项目管家", "服务管家", "管家姓名", "服务人", "服务人员"),
    ),
    _column(
        "enterprise",
        gettext_lazy("Enterprise"),
        "企业",
        ("企业名称", "服务企业", "服务对象", "企业全称"),
        required=True,
    ),
    _column(
        "credit_code", gettext_lazy("Credit code"), "统一社会信用代码", ("信用代码", "社会信用代码")
    ),
    _column("project", gettext_lazy("Project"), "项目", ("项目名称", "服务项目")),
    _column(
        "kind",
        gettext_lazy("Kind"),
        "方式",
        ("服务方式", "服务类型", "类型", "方式类型"),
        required=True,
    ),
    _column(
        "summary",
        gettext_lazy("Summary"),
        "内容",
        ("服务内容", "工作内容", "内容摘要", "服务事项", "事项"),
        required=True,
    ),
    _column(
        "problems",
        gettext_lazy("Problems solved"),
        "解决问题数",
        ("解决问题", "解决问题个数", "解决问题数量", "解决数"),
    ),
)
# Headers our export writes that carry nothing to import, and row counters.
IGNORED_HEADERS = {"序号", "编号", "所属地区", "地区", "诉求编号", "录入人", "录入时间"}
TABLE = sheets.Table(COLUMNS, ignored=IGNORED_HEADERS, search_rows=HEADER_SEARCH_ROWS, best=True)
BY_KEY = TABLE.by_field
# Which column a service's ValidationError field is about.
FIELD_COLUMN = {
    "steward": "steward",
    "enterprise": "enterprise",
    "project": "project",
    "kind": "kind",
    "date": "date",
    "summary": "summary",
    "problems_solved": "problems",
}


_text = sheets.text_of


def _key(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


@dataclass
class ImportResult(sheets.SheetResult):
    records: list[ServiceRecord] = field(default_factory=list)  # checked, not yet saved

    @property
    def messages(self) -> list[str]:
        return [*self.file_errors, *(str(e) for e in self.errors)]


class _Lookups:
    """Stewards, enterprises and projects by the names a file uses, in a few queries."""

    def __init__(self, actor: User, names: set[str], enterprises: set[str], codes: set[str]):
        self.actor = actor
        self.stewards: dict[str, list[User]] = {}
        # Only stewards the actor may name: another area's is "no steward" like a missing one.
        people = access.referenceable_stewards(actor).filter(
            Q(username__in=names) | Q(display_name__in=names)
        )
        for user in people:
            for name in {user.username, user.display_name} - {""}:
                self.stewards.setdefault(_key(name), []).append(user)
        served = referenceable_enterprises(actor).select_related("region")
        self.enterprises: dict[str, list[Enterprise]] = {}
        for enterprise in served.filter(Q(name__in=enterprises) | Q(credit_code__in=codes)):
            for name in {enterprise.name, enterprise.credit_code or ""} - {""}:
                self.enterprises.setdefault(_key(name), []).append(enterprise)
        self.projects: dict[tuple[int, str], list[Project]] = {}
        found = [e.pk for found in self.enterprises.values() for e in found]
        of = Q(enterprise_id__in=found) | Q(partners__in=found)
        serving = referenceable_projects(actor).filter(of).distinct()
        for project in serving.select_related("region").prefetch_related("partners"):
            for owner in {project.enterprise_id, *(p.pk for p in project.partners.all())}:
                self.projects.setdefault((owner, _key(project.name)), []).append(project)

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

    def enterprise(self, text: str) -> Enterprise:
        code = creditcode.normalise(text)
        found = self.enterprises.get(_key(code), []) if len(code) == 18 else []
        found = found or self.enterprises.get(_key(text), [])
        if not found:
            raise CellError(
                _("“%(name)s” is not among the enterprises you serve (by name or credit code)")
                % {"name": text}
            )
        return found[0]

    def project(self, enterprise: Enterprise, text: str) -> Project:
        found = self.projects.get((enterprise.pk, _key(text)), [])
        if not found:
            raise CellError(
                _("%(enterprise)s has no project called “%(name)s” that you serve")
                % {"enterprise": enterprise, "name": text}
            )
        if len(found) > 1:
            raise CellError(
                _("%(enterprise)s has %(n)d projects called “%(name)s”")
                % {"enterprise": enterprise, "n": len(found), "name": text}
            )
        return found[0]


def _kind(text: str) -> str:
    kind = _KIND_BY_WORD.get(_key(text))
    if kind is None:
        raise CellError(
            _("“%(value)s” is not a kind of service; write one of %(kinds)s")
            % {"value": text, "kinds": "、".join(words[0] for words in KIND_WORDS.values())}
        )
    return kind


def _problems(value: Any, kind: str | None) -> int:
    text = _text(value)
    if text in ("", "-", "—", "无"):
        return 1 if kind == Kind.PROBLEM_SOLVED else 0
    try:
        number = float(text)
    except ValueError:
        raise CellError(_("“%(value)s” is not a number") % {"value": text}) from None
    if not number.is_integer() or number < 0 or number > 999:
        raise CellError(_("write a whole number from 0 to 999, not “%(value)s”") % {"value": text})
    return int(number)


class ServiceImporter(sheets.SheetImporter):
    """The services of a file, checked like the web form's, written all or none."""

    table = TABLE
    prescan = ("steward", "enterprise", "credit_code")

    def new_result(self) -> ImportResult:
        return ImportResult()

    def check_header(self, header: sheets.HeaderMap, result: sheets.SheetResult) -> None:
        """Missing required columns are one error; unknown ones a note; a second column for
        one field is not read."""
        if header.missing:
            result.file_errors.append(
                _("the header row lacks the required columns: %(columns)s")
                % {"columns": "、".join(c.header for c in header.missing)}
            )
            return
        result.mapping.extend(header.mapping)
        for unknown in [*header.unknown, *header.doubled]:
            result.skipped.append(str(sheets.Unknown(unknown.index, unknown.header)))

    def no_header_message(self) -> str:
        return _("the header row lacks the required columns: %(columns)s") % {
            "columns": "、".join(c.header for c in TABLE.required)
        }

    def prepare(self, body: sheets.Body, result: sheets.SheetResult) -> None:
        if body.count > MAX_ROWS:
            result.file_errors.append(
                _("the file has %(n)d rows; import at most %(max)d at a time")
                % {"n": body.count, "max": MAX_ROWS}
            )
            return
        self.lookups = _Lookups(
            self.user,
            names=body.texts["steward"],
            enterprises=body.texts["enterprise"],
            codes={
                creditcode.normalise(text)
                for key in ("credit_code", "enterprise")
                for text in body.texts[key]
            }
            - {""},
        )
        self._seen: dict[tuple[Any, ...], int] = {}

    def check_row(self, row: sheets.Row, result: sheets.SheetResult) -> Any:
        record = self._check_row(row)
        if record is None:
            return None
        identity = _identity(record)
        if identity in self._seen:
            result.skipped.append(
                _("row %(row)d repeats row %(first)d; skipped")
                % {"row": row.number, "first": self._seen[identity]}
            )
            return None
        self._seen[identity] = row.number
        return (row.number, record)

    def finish(self, result: sheets.SheetResult) -> None:
        """Rows already recorded are skipped, never doubled."""
        assert isinstance(result, ImportResult)
        existing = _existing(record for _n, record in self.checked) if self.checked else {}
        new = []
        for number, record in self.checked:
            pk = existing.get(_identity(record))
            if pk is not None:
                result.skipped.append(
                    _("row %(row)d is already recorded as service no. %(pk)d; skipped")
                    % {"row": number, "pk": pk}
                )
            else:
                new.append((number, record))
        self.checked = new
        result.to_create = len(new)
        result.records = [record for _n, record in new]

    def preview(self, checked: Any) -> dict[str, Any]:
        number, record = checked
        return {
            "row": number,
            "date": record.date.isoformat(),
            "steward": str(record.steward),
            "enterprise": record.enterprise.name,
            "project": record.project.name if record.project_id else "",
            "kind": str(record.get_kind_display()),
            "summary": record.summary,
        }

    def write(self, checked: list[Any], result: sheets.SheetResult) -> int:
        for _number, record in checked:
            audited_save(record, self.user, note="import")
        return len(checked)

    def _check_row(self, row: sheets.Row) -> ServiceRecord | None:  # noqa: C901
        error = row.fail
        lookups, actor = self.lookups, self.user

        values: dict[str, Any] = {}
        try:
            date = parse_date(row.raw("date"))
            if date is None:
                raise CellError(_("the date is missing"))
            values["date"] = date
        except CellError as exc:
            error("date", str(exc))

        steward_text = _text(row.raw("steward"))
        try:
            if steward_text:
                values["steward"] = lookups.steward(steward_text)
            elif access.logs_for_others(actor):
                raise CellError(_("say which steward gave the service"))
            else:
                values["steward"] = actor
        except CellError as exc:
            error("steward", str(exc))

        enterprise_text = _text(row.raw("credit_code")) or _text(row.raw("enterprise"))
        enterprise_key = "credit_code" if _text(row.raw("credit_code")) else "enterprise"
        enterprise: Enterprise | None = None
        try:
            if not enterprise_text:
                raise CellError(_("the enterprise is missing"))
            enterprise = lookups.enterprise(enterprise_text)
            values["enterprise"] = enterprise
        except CellError as exc:
            error(enterprise_key, str(exc))

        project_text = _text(row.raw("project"))
        if project_text and enterprise is not None:
            try:
                values["project"] = lookups.project(enterprise, project_text)
            except CellError as exc:
                error("project", str(exc))

        kind: str | None = None
        try:
            text = _text(row.raw("kind"))
            if not text:
                raise CellError(_("the kind of service is missing"))
            kind = _kind(text)
            values["kind"] = kind
        except CellError as exc:
            error("kind", str(exc))

        summary = _text(row.raw("summary"))
        if summary:
            values["summary"] = summary
        else:
            error("summary", _("say what was done"))

        try:
            values["problems_solved"] = _problems(row.raw("problems"), kind)
        except CellError as exc:
            error("problems", str(exc))

        if not row.ok:
            return None
        try:
            return prepare_record(actor, ServiceRecord(), **values)
        except ValidationError as exc:
            for field_name, messages in exc.message_dict.items():
                key = FIELD_COLUMN.get(field_name, "")
                if key == "enterprise":
                    key = enterprise_key
                for message in messages:
                    error(key, message.rstrip("."))
            return None


def _identity(record: ServiceRecord) -> tuple[Any, ...]:
    return (record.steward_id, record.enterprise_id, record.date, record.kind, record.summary)


def _existing(records: Any) -> dict[tuple[Any, ...], int]:
    """Records already in the database with the same steward, enterprise, date, kind and text."""
    items = list(records)
    dates = [r.date for r in items]
    found = ServiceRecord.objects.filter(
        steward_id__in={r.steward_id for r in items},
        enterprise_id__in={r.enterprise_id for r in items},
        date__gte=min(dates),
        date__lte=max(dates),
    ).values_list("pk", "steward_id", "enterprise_id", "date", "kind", "summary")
    return {tuple(row[1:]): row[0] for row in found}


def check_file(source: str | IO[bytes], actor: User) -> ImportResult:
    """Read and check every row; the result holds the records to save, or the errors."""
    result = ServiceImporter(actor).validate(source)
    assert isinstance(result, ImportResult)
    if not result.ok:
        result.records = []
    return result


def import_services(source: str | IO[bytes], actor: User) -> ImportResult:
    """Check the whole file, then write every new row in one transaction, or nothing."""
    result = ServiceImporter(actor).commit(source)
    assert isinstance(result, ImportResult)
    if not result.ok:
        result.records = []
    return result


def job_importer(job: Any) -> ServiceImporter:
    """The importer of a background job (guanjia.core.sheets.jobs)."""
    return ServiceImporter(
        job.user, filename=job.original_name, progress=job.set_progress, mapping=job.mapping
    )
