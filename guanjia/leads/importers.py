"""Importing another office's lead list (招商线索台账) from Excel, on the sheet kit.

The headers are found by their many names (项目名称/拟建项目, 投资方/客商/企业名称, 拟投资额(亿元)
with its unit, 进展情况 with 在谈/已签约/初步接触…), under title rows, past blank rows; digits
may be full-width, dates Excel serials or 2023.3.5 / 2023年3月5日. Each row is checked with the
rules of the lead form (`services.prepare_lead`) before anything is written; if any row is
wrong nothing is written and each problem is named by row, column and reason.

An investor named in the sheet is the enterprise with its credit code, else the one the
caller may see with that name or a look-alike one (`enterprises.services.similar_enterprises`),
else a new investor. A row may name only what its importer may name (regions, teams, owners,
projects, investors: `accounts.scope.REFERENCES`). The status is reached through the lead's
steps (`services.STEPS`), so a signed lead is a ledger project and a signing as if signed on
the page. The export (`exporters.TABLE`) writes headers this importer reads back.
"""

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanjia.accounts.models import User
from guanjia.accounts.scope import referenceable
from guanjia.core import sheets
from guanjia.core.audit import audited_save
from guanjia.core.bounds import HEADCOUNT_MAX, TEXT_MAX
from guanjia.core.sheets import CellError, text_of
from guanjia.enterprises import creditcode
from guanjia.enterprises.models import ContactSource, Enterprise, Ownership
from guanjia.industries.models import Industry
from guanjia.projects.models import Project

from . import access, services
from .models import Lead, Status

MAX_ROWS = 5000  # bigger files are split

# The words offices write for a status (domain vocabulary, not UI text); the labels in Chinese
# and English and the codes are understood as well (`sheets.Choice`).
STATUS_WORDS: dict[str, str] = {
    "线索": Status.LEAD, "新线索": Status.LEAD, "储备": Status.LEAD, "信息收集": Status.LEAD,
    "初步接洽": Status.CONTACT, "初步接触": Status.CONTACT, "接洽": Status.CONTACT,
    "已接洽": Status.CONTACT, "初步对接": Status.CONTACT, "对接中": Status.CONTACT,
    "实质性洽谈": Status.NEGOTIATING, "在谈": Status.NEGOTIATING, "洽谈中": Status.NEGOTIATING,
    "正在洽谈": Status.NEGOTIATING, "深度洽谈": Status.NEGOTIATING, "在谈项目": Status.NEGOTIATING,
    "签约": Status.SIGNED, "已签约": Status.SIGNED, "签约项目": Status.SIGNED,
    "暂缓": Status.PAUSED, "搁置": Status.PAUSED, "暂停": Status.PAUSED, "暂缓推进": Status.PAUSED,
    "放弃": Status.DROPPED, "已放弃": Status.DROPPED, "终止": Status.DROPPED,
    "终止洽谈": Status.DROPPED,
}  # fmt: skip
SOURCE_WORDS: dict[str, str] = {
    "央企对接": ContactSource.CENTRAL_SOE, "央企": ContactSource.CENTRAL_SOE,
    "以商招商": ContactSource.BY_BUSINESS, "企业推介": ContactSource.BY_BUSINESS,
    "展会": ContactSource.EXPO, "展会招商": ContactSource.EXPO, "博览会": ContactSource.EXPO,
    "中介/商会": ContactSource.AGENCY, "中介": ContactSource.AGENCY,
    "商会": ContactSource.AGENCY, "中介招商": ContactSource.AGENCY,
    "驻外招商": ContactSource.RESIDENT, "驻外": ContactSource.RESIDENT,
    "驻外办事处": ContactSource.RESIDENT,
    "网络": ContactSource.ONLINE, "网络招商": ContactSource.ONLINE, "线上": ContactSource.ONLINE,
    "上门": ContactSource.WALK_IN, "客商上门": ContactSource.WALK_IN,
    "自主上门": ContactSource.WALK_IN,
}  # fmt: skip


def _nfkc(value: Any) -> Any:
    """Full-width digits, letters and punctuation as half-width (１２.５ → 12.5)."""
    return unicodedata.normalize("NFKC", value) if isinstance(value, str) else value


@dataclass(frozen=True)
class Quantity:
    """A non-negative number (land, power, energy, water), its unit optionally written after
    it (12.5亩); blank is None."""

    maximum: Decimal
    suffixes: tuple[str, ...] = ()

    def __call__(self, value: Any) -> Decimal | None:
        if sheets.is_blank(value):
            return None
        text = text_of(_nfkc(value)).replace(",", "").replace(" ", "")
        for suffix in self.suffixes:
            text = text.removesuffix(suffix)
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise CellError(_("“%(value)s” is not a number") % {"value": text_of(value)}) from None
        if not number.is_finite() or number < 0 or number > self.maximum:
            raise CellError(
                _("“%(value)s” is not a number from 0 to %(max)s")
                % {"value": text_of(value), "max": self.maximum}
            )
        return number.quantize(Decimal("0.0001"))


def _column(
    key: str,
    label: Any,
    header: str,
    aliases: tuple[str, ...] = (),
    parser: Any = None,
    required: bool = False,
) -> sheets.Column:
    return sheets.Column(
        key, label, header, aliases, parser=parser or sheets.Text(), required=required
    )


COLUMNS: tuple[sheets.Column, ...] = (
    _column("name", gettext_lazy("Intended project"), "意向项目",
            ("项目名称", "拟建项目", "项目", "意向项目名称", "项目名", "拟投资项目", "招商项目"),
            sheets.Text(200, name=True), required=True),
    _column("investor", gettext_lazy("Investor"), "客商",
            ("投资方", "客商名称", "企业名称", "投资主体", "投资企业", "投资方名称", "企业",
             "意向投资方", "客商企业")),
    _column("credit_code", gettext_lazy("Credit code"), "统一社会信用代码",
            ("信用代码", "社会信用代码", "投资方信用代码")),
    _column("group", gettext_lazy("Group"), "所属集团", ("集团", "母公司"), sheets.Text(120)),
    _column("home_city", gettext_lazy("Home city"), "客商所在地",
            ("投资方所在地", "企业所在地", "客商来源地", "来源地"), sheets.Text(40)),
    _column("industry", gettext_lazy("Industry"), "产业",
            ("行业", "产业类别", "所属产业", "行业类别", "产业分类", "所属行业", "产业领域")),
    _column("investment_wan", gettext_lazy("Intended investment"), "意向投资额",
            ("拟投资额", "投资额", "计划投资额", "总投资", "意向投资", "投资规模", "拟投资",
             "计划总投资"), sheets.Amount("万元")),
    _column("land_mu", gettext_lazy("Land (mu)"), "用地(亩)",
            ("用地", "用地面积", "用地需求", "占地", "占地面积", "用地亩数"),
            Quantity(Decimal(10) ** 6, ("亩",))),
    _column("power_kva", gettext_lazy("Power (kVA)"), "用电(kVA)",
            ("用电负荷", "用电", "用电需求", "用电容量", "用电负荷需求"),
            Quantity(Decimal(10) ** 9, ("kVA", "KVA", "kva", "千伏安"))),
    _column("energy_tce", gettext_lazy("Energy (tce a year)"), "能耗(吨标煤/年)",
            ("能耗", "年综合能耗", "综合能耗", "能耗需求"),
            Quantity(Decimal(10) ** 9, ("吨标煤/年", "吨标煤", "tce"))),
    _column("water_tons", gettext_lazy("Water (tonnes a day)"), "用水(吨/日)",
            ("用水", "用水量", "用水需求", "日用水量"), Quantity(Decimal(10) ** 9, ("吨/日", "吨"))),
    _column("workers", gettext_lazy("Workers"), "用工(人)",
            ("用工人数", "用工", "用工需求", "就业人数", "带动就业", "用工数"),
            sheets.Integer(0, HEADCOUNT_MAX, suffix="人")),
    _column("source", gettext_lazy("Source"), "线索来源",
            ("来源", "信息来源", "线索渠道", "来源渠道", "获取渠道"),
            sheets.Choice(ContactSource, SOURCE_WORDS)),
    _column("region", gettext_lazy("Area"), "所属地区",
            ("所属区县", "区县", "地区", "属地", "拟落地区域", "落地区域", "拟落户地", "所在区县")),
    _column("department", gettext_lazy("Team"), "招商小分队",
            ("小分队", "责任单位", "招商分队", "责任部门", "牵头单位", "跟踪单位")),
    _column("owner", gettext_lazy("Owner"), "负责人",
            ("跟踪人", "责任人", "跟进人", "对接人", "项目跟踪人", "包保责任人")),
    _column("status", gettext_lazy("Status"), "状态",
            ("进展情况", "进展", "项目状态", "当前状态", "推进情况", "洽谈进展", "项目进展",
             "洽谈状态"), sheets.Choice(Status, STATUS_WORDS)),
    _column("status_reason", gettext_lazy("Reason"), "原因",
            ("暂缓原因", "放弃原因", "暂缓或放弃原因"), sheets.Text(300)),
    _column("lead_on", gettext_lazy("Lead since"), "线索日期",
            ("获取日期", "线索获取时间", "登记日期", "录入日期", "获取时间", "线索时间"),
            sheets.Date()),
    _column("last_contact_on", gettext_lazy("Last contact"), "最近洽谈",
            ("最近洽谈日期", "最近对接时间", "最近对接日期", "最近洽谈时间", "最后对接时间"),
            sheets.Date()),
    _column("next_follow_up_on", gettext_lazy("Next follow-up"), "下次跟进",
            ("下次跟进日期", "下次跟进时间", "计划跟进日期", "下次对接时间"), sheets.Date()),
    _column("signed_on", gettext_lazy("Signed on"), "签约日期", ("签约时间",), sheets.Date()),
    _column("project", gettext_lazy("Ledger project"), "台账项目", ("关联项目", "台账项目名称")),
    _column("notes", gettext_lazy("Notes"), "备注", ("说明", "情况说明", "备注说明"),
            sheets.Text(TEXT_MAX)),
)  # fmt: skip
# Headers the export writes that carry nothing to import, and row counters.
IGNORED_HEADERS = ("序号", "编号", "序")
TABLE = sheets.Table(COLUMNS, ignored=IGNORED_HEADERS, best=True)
# Cells read after their full-width characters are made half-width: numbers and dates.
NUMERIC = {
    "investment_wan", "land_mu", "power_kva", "energy_tce", "water_tons", "workers", "lead_on",
    "last_contact_on", "next_follow_up_on", "signed_on", "credit_code",
}  # fmt: skip
# Which column a service's ValidationError field is about.
FIELD_COLUMN = {
    "investor": "investor", "name": "name", "region": "region", "department": "department",
    "owner": "owner", "project": "project", "industry": "industry",
    "investment_wan": "investment_wan", "land_mu": "land_mu", "power_kva": "power_kva",
    "energy_tce": "energy_tce", "water_tons": "water_tons", "workers": "workers",
    "source": "source", "notes": "notes", "on": "lead_on", "reason": "status_reason",
    "credit_code": "credit_code", "group": "group", "home_city": "home_city",
}  # fmt: skip


@dataclass
class NewInvestor:
    """An investor the file names that is not known yet: created once, on commit."""

    key: str
    fields: dict[str, Any]

    def __str__(self) -> str:
        return str(self.fields["name"])


@dataclass
class Checked:
    row: int
    investor: Enterprise | NewInvestor
    matched: str  # how the investor was found: code, name, alike, new
    values: dict[str, Any]
    lead_on: dt.date | None
    status: str
    step_on: dt.date | None
    reason: str
    signed_project: Project | None = None
    last_contact_on: dt.date | None = None
    next_follow_up_on: dt.date | None = None


@dataclass
class ImportResult(sheets.SheetResult):
    leads: list[Lead] = field(default_factory=list)
    investors_created: int = 0


class _Lookups:
    """What the rows may name, from what the importer may name (the references rule)."""

    def __init__(self, actor: User, body: sheets.Body) -> None:
        self.actor = actor
        self.regions = sheets.lookup_in(referenceable(actor, "region"), lambda r: r.name)
        self.departments = sheets.lookup_in(
            referenceable(actor, "department").select_related("region"),
            lambda d: d.name,
            lambda d: f"{d.region.name}{d.name}",
        )
        self.owners = sheets.lookup_in(
            access.referenceable_owners(actor),
            lambda u: u.username,
            lambda u: u.display_name,
            lambda u: str(u),
        )
        industries = list(Industry.objects.all())
        self.industries = sheets.lookup_in(industries, lambda i: i.name, lambda i: i.code)
        self.industries_alias: dict[str, Industry] = {
            sheets.word_key(alias): industry
            for industry in industries
            for alias in industry.alias_list()
        }
        self.enterprises = referenceable(actor, "enterprise")
        names = body.texts["investor"]
        codes = {creditcode.normalise(_nfkc(t)) for t in body.texts["credit_code"]} - {""}
        self.by_code: dict[str, Enterprise] = {
            e.credit_code: e for e in self.enterprises.filter(credit_code__in=codes)
        }
        self.by_name: dict[str, list[Enterprise]] = {}
        for e in self.enterprises.filter(name__in=names):
            self.by_name.setdefault(sheets.word_key(e.name), []).append(e)
        self.alike: dict[str, Enterprise | None] = {}
        # Enterprises of these names the importer may not name (another area's): refused, as
        # the ledger import refuses them, rather than entered a second time.
        self.elsewhere = set(
            Enterprise.objects.filter(name__in=names)
            .exclude(pk__in=self.enterprises.values("pk"))
            .values_list("name", flat=True)
        )
        projects = referenceable(actor, "project").filter(name__in=body.texts["project"])
        self.projects: dict[str, list[Project]] = {}
        for project in projects:
            self.projects.setdefault(sheets.word_key(project.name), []).append(project)
        leads = access.referenceable_leads(actor).filter(name__in=body.texts["name"])
        self.existing = {
            (lead.investor_id, sheets.word_key(lead.name)): lead.pk
            for lead in leads.only("pk", "investor_id", "name")
        }

    def industry(self, text: str) -> Industry:
        try:
            found: Industry = self.industries(text)
            return found
        except LookupError:
            alias = self.industries_alias.get(sheets.word_key(text))
            if alias is None:
                raise CellError(_("no industry is called “%(name)s”") % {"name": text}) from None
            return alias

    def investor(self, name: str, code: str) -> tuple[Enterprise | None, str]:
        """The enterprise the row names, and how it was found; (None, "") for a new one."""
        from guanjia.enterprises.services import similar_enterprises

        if code and code in self.by_code:
            return self.by_code[code], "code"
        if not name:
            return None, ""
        found = self.by_name.get(sheets.word_key(name), [])
        if len(found) == 1:
            return found[0], "name"
        key = sheets.word_key(name)
        if key not in self.alike:
            similar = similar_enterprises(name, self.enterprises, limit=2)
            best = similar[0] if similar else None
            # Two look-alikes scoring the same: which one is meant is for a person to say.
            clear = best is not None and (len(similar) == 1 or similar[1][1] < best[1])
            self.alike[key] = best[0] if clear and best is not None else None
        alike = self.alike[key]
        return (alike, "alike") if alike is not None else (None, "")


class LeadImporter(sheets.SheetImporter):
    """The leads of a file, checked like the lead form's, written all or none."""

    table = TABLE
    prescan = ("investor", "credit_code", "name", "project")

    def new_result(self) -> ImportResult:
        return ImportResult()

    def check_header(self, header: sheets.HeaderMap, result: sheets.SheetResult) -> None:
        if not ({"investor", "credit_code"} & set(header.columns)):
            result.file_errors.append(
                _("the header row lacks the investor column (a header such as %(names)s)")
                % {"names": "客商、投资方、企业名称、投资主体"}
            )
        result.file_errors.extend(header.errors)
        if result.file_errors:
            return
        self._header = header
        result.mapping.extend(header.mapping)
        for unknown in [*header.unknown, *header.doubled]:
            result.skipped.append(str(sheets.Unknown(unknown.index, unknown.header)))

    def no_header_message(self) -> str:
        return _(
            "no header row found: none of the first %(n)d rows names the project and the "
            "investor (项目名称, 投资方…)"
        ) % {"n": self.table.search_rows}

    def prepare(self, body: sheets.Body, result: sheets.SheetResult) -> None:
        if not access.can_create(self.user):
            raise PermissionDenied("this role does not enter leads")
        if body.count > MAX_ROWS:
            result.file_errors.append(
                _("the file has %(n)d rows; import at most %(max)d at a time")
                % {"n": body.count, "max": MAX_ROWS}
            )
            return
        self.lookups = _Lookups(self.user, body)
        self.new_investors: dict[str, NewInvestor] = {}
        self._seen: dict[tuple[Any, str], int] = {}

    # One cell ----------------------------------------------------------------------------------

    def _get(self, row: sheets.Row, key: str, required: bool = False) -> Any:
        mapped = row.header.columns.get(key)
        if mapped is None:
            return None
        value = row.raw(key)
        if key in NUMERIC:
            value = _nfkc(value)
        if required and not text_of(value):
            row.fail(key, _("this cell is required but empty"))
            return None
        try:
            return (mapped.parser or text_of)(value)
        except CellError as exc:
            row.fail(key, str(exc))
            return None

    def _ref(self, row: sheets.Row, key: str, lookup: Any) -> Any:
        text = row.text(key)
        if not text or sheets.is_blank(text):
            return None
        try:
            return lookup(text)
        except LookupError:
            row.fail(
                key,
                _("“%(value)s” is not among those you may name here") % {"value": text},
            )
        except CellError as exc:
            row.fail(key, str(exc))
        return None

    # One row -----------------------------------------------------------------------------------

    def check_row(self, row: sheets.Row, result: sheets.SheetResult) -> Any:  # noqa: C901
        actor, lookups = self.user, self.lookups
        v: dict[str, Any] = {}
        name = self._get(row, "name", required=True)
        code = creditcode.normalise(_nfkc(row.text("credit_code")))
        investor_name = self._get(row, "investor") or ""
        group = self._get(row, "group") or ""
        home_city = self._get(row, "home_city") or ""
        v["investment_wan"] = self._get(row, "investment_wan") or Decimal(0)
        for key in ("land_mu", "power_kva", "energy_tce", "water_tons", "workers"):
            v[key] = self._get(row, key)
        source = self._get(row, "source")
        if source is None and row.ok and not row.text("source"):
            row.fail("source", _("say where the lead came from (线索来源)"))
        v["source"] = source or ""
        if row.text("industry"):
            try:
                v["industry"] = lookups.industry(row.text("industry"))
            except CellError as exc:
                row.fail("industry", str(exc))
        # The team: 责任单位 may name a department or an area.
        department = None
        if row.text("department"):
            try:
                department = lookups.departments(row.text("department"))
            except LookupError:
                area = None
                if not row.text("region"):
                    try:
                        area = lookups.regions(row.text("department"))
                    except (LookupError, CellError):
                        area = None
                if area is None:
                    row.fail(
                        "department",
                        _("“%(value)s” is not among the teams or areas you may name")
                        % {"value": row.text("department")},
                    )
                else:
                    v["region"] = area
            except CellError as exc:
                row.fail("department", str(exc))
        v["department"] = department
        if "region" not in v:
            region = self._ref(row, "region", lookups.regions)
            if region is None and not row.text("region"):
                region = (
                    department.region if department is not None else getattr(actor, "region", None)
                )
                if region is None:
                    row.fail("region", _("say which area the lead belongs to"))
            v["region"] = region
        if row.text("owner"):
            v["owner"] = self._ref(row, "owner", lookups.owners)
        status = self._get(row, "status") or Status.LEAD
        reason = self._get(row, "status_reason") or ""
        lead_on = self._get(row, "lead_on")
        last_contact = self._get(row, "last_contact_on")
        follow_up = self._get(row, "next_follow_up_on")
        signed_on = self._get(row, "signed_on")
        v["notes"] = self._get(row, "notes") or ""
        today = self.today
        for key, date in (("lead_on", lead_on), ("last_contact_on", last_contact)):
            if date and date > today:
                row.fail(key, _("“%(date)s” is in the future") % {"date": date})
        # The step's date: the latest date the sheet knows (signing: its own date).
        step_on = max([d for d in (lead_on, last_contact) if d and d <= today], default=None)
        if status == Status.SIGNED:
            step_on = signed_on or today
            if signed_on and signed_on > today:
                row.fail("signed_on", _("“%(date)s” is in the future") % {"date": signed_on})
            elif lead_on and step_on < lead_on:
                row.fail("signed_on", _("the lead was signed before it was entered"))
            lead_on = lead_on or step_on
        if status in (Status.PAUSED, Status.DROPPED) and not reason:
            row.fail(
                "status_reason" if row.has("status_reason") else "status",
                _("a lead on hold or dropped needs its reason (原因)"),
            )

        # The investor: by credit code, by name, by a look-alike name, else a new one.
        investor: Enterprise | NewInvestor | None = None
        matched = ""
        if not investor_name and not code:
            row.fail("investor" if row.has("investor") else "credit_code", _("name the investor"))
        else:
            found, matched = lookups.investor(investor_name, code)
            if found is not None:
                investor = found
            elif code and Enterprise.objects.filter(credit_code=code).exists():
                from guanjia.enterprises.services import duplicate_message

                dupe = Enterprise.objects.get(credit_code=code)
                row.fail("credit_code", duplicate_message(actor, dupe))
            elif not investor_name:
                row.fail("investor", _("name the investor"))
            elif investor_name in lookups.elsewhere:
                row.fail(
                    "investor",
                    _(
                        "“%(name)s” is registered outside your area: you may not enter leads "
                        "for it; ask the city's bureau"
                    )
                    % {"name": investor_name},
                )
            else:
                investor, matched = self._new_investor(
                    row, investor_name, code, group, home_city, source
                )

        # The ledger project: one of the investor's that the importer may name.
        project = None
        signed_project = None
        if row.text("project") and isinstance(investor, Enterprise):
            candidates = [
                p
                for p in lookups.projects.get(sheets.word_key(row.text("project")), [])
                if p.enterprise_id == investor.pk
            ]
            if len(candidates) != 1:
                row.fail(
                    "project",
                    _("%(investor)s has no project called “%(name)s” that you may name")
                    % {"investor": investor, "name": row.text("project")},
                )
            elif status == Status.SIGNED and candidates[0].stage not in services.CONTINUABLE:
                signed_project = candidates[0]  # the lead of a project already signed
                if Lead.objects.filter(project=signed_project).exists():
                    row.fail("project", _("This project already has a lead."))
            else:
                project = candidates[0]
        elif row.text("project") and investor is not None:
            row.fail(
                "project",
                _("a new investor has no ledger project yet: leave the cell empty"),
            )
        v["project"] = project

        if not row.ok or investor is None or name is None:
            return None
        identity: tuple[Any, str]
        if isinstance(investor, Enterprise):
            identity = (investor.pk, sheets.word_key(name))
            pk = lookups.existing.get(identity)
            if pk is not None:
                result.skipped.append(
                    _("row %(row)d is already lead no. %(pk)d; skipped")
                    % {"row": row.number, "pk": pk}
                )
                return None
        else:
            identity = (investor.key, sheets.word_key(name))
        if identity in self._seen:
            result.skipped.append(
                _("row %(row)d repeats row %(first)d; skipped")
                % {"row": row.number, "first": self._seen[identity]}
            )
            return None
        self._seen[identity] = row.number

        # The lead form's rules, on an unsaved lead (a new investor is not saved yet: its
        # "missing" errors are not the row's).
        lead = Lead(lead_on=lead_on or step_on)
        try:
            services.prepare_lead(
                actor,
                lead,
                investor=investor if isinstance(investor, Enterprise) else None,
                trusted_investor=Enterprise(**investor.fields)
                if isinstance(investor, NewInvestor)
                else None,
                name=name,
                **v,
            )
        except PermissionDenied:
            raise
        except ValidationError as exc:
            new = isinstance(investor, NewInvestor)
            for field_name, messages in exc.message_dict.items():
                if new and field_name == "investor":
                    continue
                for message in messages:
                    row.fail(FIELD_COLUMN.get(field_name, ""), message.rstrip("."))
            if not row.ok:
                return None
        return Checked(
            row=row.number,
            investor=investor,
            matched=matched,
            values={"name": name, **v},
            lead_on=lead_on or step_on,
            status=status,
            step_on=step_on,
            reason=reason,
            signed_project=signed_project,
            last_contact_on=last_contact,
            next_follow_up_on=follow_up,
        )

    def _new_investor(
        self,
        row: sheets.Row,
        name: str,
        code: str,
        group: str,
        home_city: str,
        source: str | None,
    ) -> tuple[NewInvestor | None, str]:
        """A new investor, checked as the enterprises' form checks one; one per name."""
        from guanjia.enterprises.services import core_name

        key = sheets.word_key(core_name(name))
        known = self.new_investors.get(key)
        if known is not None:
            return known, "new"
        fields = {
            "name": name,
            "credit_code": code or None,
            "group": group,
            "home_city": home_city,
            "ownership": Ownership.PRIVATE,
            "contact_source": source or "",
        }
        try:
            Enterprise(**fields).clean()
        except ValidationError as exc:
            for field_name, messages in exc.message_dict.items():
                column = "credit_code" if field_name == "credit_code" else "investor"
                for message in messages:
                    row.fail(column if row.has(column) else "investor", message.rstrip("."))
            return None, ""
        investor = NewInvestor(key, fields)
        self.new_investors[key] = investor
        return investor, "new"

    def preview(self, checked: Any) -> dict[str, Any]:
        assert isinstance(checked, Checked)
        how = {
            "code": _("by credit code"),
            "name": _("by name"),
            "alike": _("a look-alike name"),
            "new": _("new investor"),
        }[checked.matched]
        values = checked.values
        return {
            "row": checked.row,
            "name": values["name"],
            "investor": f"{checked.investor}（{how}）",
            "investment": sheets.text_of(values["investment_wan"]),
            "region": str(values.get("region") or ""),
            "owner": str(values.get("owner") or self.user),
            "status": str(Status(checked.status).label),
        }

    # Commit ------------------------------------------------------------------------------------

    def write(self, checked: list[Any], result: sheets.SheetResult) -> int:
        from guanjia.enterprises.services import create_enterprise

        assert isinstance(result, ImportResult)
        created: dict[str, Enterprise] = {}
        for item in checked:
            try:
                self._write_one(item, created, create_enterprise, result)
            except ValidationError as exc:
                for field_name, messages in getattr(
                    exc, "message_dict", {"": exc.messages}
                ).items():
                    column = FIELD_COLUMN.get(field_name, "")
                    mapped = self._header.columns.get(column) if column else None
                    for message in messages:
                        result.errors.append(
                            sheets.RowError(
                                item.row,
                                mapped.letter if mapped else "",
                                mapped.header if mapped else "",
                                message.rstrip("."),
                            )
                        )
                return 0
        result.investors_created = len(created)
        return len(result.leads)

    def _write_one(
        self, item: Checked, created: dict[str, Enterprise], create: Any, result: ImportResult
    ) -> None:
        actor = self.user
        trusted = None
        if isinstance(item.investor, NewInvestor):
            trusted = created.get(item.investor.key)
            if trusted is None:
                trusted = create(actor, **item.investor.fields)
                created[item.investor.key] = trusted
            investor: Enterprise = trusted
        else:
            investor = item.investor
        lead = services.prepare_lead(
            actor,
            Lead(lead_on=item.lead_on),
            investor=investor,
            trusted_investor=trusted,
            **item.values,
        )
        if item.signed_project is not None:
            lead.project = item.signed_project
        lead.last_contact_on = item.last_contact_on
        lead.next_follow_up_on = item.next_follow_up_on
        audited_save(lead, actor, note=_("imported"))
        result.leads.append(lead)
        step = {
            Status.CONTACT: "contact",
            Status.NEGOTIATING: "negotiate",
            Status.SIGNED: "sign",
            Status.PAUSED: "pause",
            Status.DROPPED: "drop",
        }.get(Status(item.status))
        if step is not None:
            services.take_step(lead, step, actor, on=item.step_on, reason=item.reason)


def check_file(source: str | IO[bytes], actor: User) -> ImportResult:
    """Read and check every row; nothing is written."""
    result = LeadImporter(actor).validate(source)
    assert isinstance(result, ImportResult)
    return result


def import_leads(source: str | IO[bytes], actor: User) -> ImportResult:
    """Check the whole file, then write every new row in one transaction, or nothing."""
    result = LeadImporter(actor).commit(source)
    assert isinstance(result, ImportResult)
    if not result.ok:
        result.leads = []
    return result


def job_importer(job: Any) -> LeadImporter:
    """The importer of a background job (guanjia.core.sheets.jobs)."""
    return LeadImporter(
        job.user, filename=job.original_name, progress=job.set_progress, mapping=job.mapping
    )
