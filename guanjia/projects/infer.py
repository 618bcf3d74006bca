"""Proposing a field for a column whose header nobody knows, from what its cells hold.

A ledger from another office heads its region column 建设地点; every cell is one of the city's
area names, so the column is the region, and the user is told why: "37 of 38 cells are area
names". This module is pure: it reads no database and writes nothing. The caller (the sheet
kit) gives it

- the columns it could not map by header (`SheetColumn`: index, header text, cell values as
  openpyxl/xlrd/calamine give them: str, int, float, datetime, date or None),
- the fields still to fill (`Candidate`: field name, label, kind, header words; fields already
  mapped by a known header are simply left out, or named in `mapped`),
- the names the city uses (`Vocabulary`: areas, industries, people, stage and level words;
  `Vocabulary.from_db()` builds it, `Vocabulary.from_files()` without a database),

and gets one `Proposal` per column: a field or None, with the evidence in the active language.
A field is proposed only when at least 80% of the column's non-empty cells fit its kind, never
for a field another column already gives, and never for two columns at once (the better
evidence wins). Which date is which (signing, construction start, operation) is decided by the
header's words (签约/开工/投产, 计划 means a plan, not a fact), else by the stage column,
else by the order of the dates.
"""

import datetime as dt
import json
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanjia.core.sheets.cells import column_letter, text_of
from guanjia.core.sheets.headers import (
    EXTRA_ALIASES,
    IGNORABLE_HEADERS,
    PLANNED_DATE_HEADERS,
    normalise_header,
)

FIT_SHARE = 0.8  # a kind fits a column when this share of its non-empty cells fit
SAMPLE_ROWS = 1000  # longer columns are judged on this many rows spread over the sheet


class Kind:
    """What a column's cells hold. Candidates use these; the last three are detected only."""

    REGION = "region"
    CREDIT_CODE = "credit_code"
    DATE = "date"
    YEAR = "year"
    AMOUNT = "amount"
    STAGE = "stage"
    LEVEL = "level"
    INDUSTRY = "industry"
    ENUM = "enumeration"
    PERSON = "person"
    DEPARTMENT = "department"
    ENTERPRISE = "enterprise"
    PROJECT_NAME = "project_name"
    TEXT = "text"
    PHONE = "phone"
    NUMBER = "number"
    EMPTY = "empty"


@dataclass(frozen=True)
class Candidate:
    """A field a column may be mapped to."""

    field: str
    label: Any  # str or lazy translation
    kind: str
    words: tuple[str, ...] = ()  # headers and header words that name it
    values: tuple[str, ...] = ()  # Kind.ENUM: the values a cell may take
    stage: str = ""  # Kind.DATE: the stage the date stamps (projects.stages.Stage value)


@dataclass(frozen=True)
class SheetColumn:
    """An unknown column: where it is, its header, and its cells below the header."""

    index: int
    header: str
    cells: Sequence[Any]


@dataclass(frozen=True)
class Proposal:
    """What the column looks like and the field proposed for it (None: the user chooses)."""

    index: int
    header: str
    field: str | None
    kind: str  # what the cells look like; "" when no kind fits
    fit: int  # non-empty cells that fit `kind`
    total: int  # non-empty cells
    evidence: str  # in the active language
    ignore: bool = False  # nothing the ledger keeps: offer "ignore" first

    @property
    def letter(self) -> str:
        return column_letter(self.index)


# --- Vocabulary ------------------------------------------------------------------------------

LEVEL_WORDS = frozenset(
    {
        "省重点",
        "省级重点",
        "省重点项目",
        "省级",
        "省级重点项目",
        "市重点",
        "市级重点",
        "市重点项目",
        "市级",
        "市级重点项目",
        "一般",
        "一般项目",
        "县重点",
        "县级重点",
        "区重点",
    }
)


def _stage_words() -> frozenset[str]:
    from guanjia.projects.stages import ALIASES

    return frozenset(w for words in ALIASES.values() for w in words)


@dataclass(frozen=True)
class Vocabulary:
    """The names a city's sheets use, for the detectors."""

    areas: frozenset[str]  # counties, districts, zones: full and short names
    prefixes: tuple[str, ...] = ()  # the city and province names a cell may start with
    industries: frozenset[str] = frozenset()  # names and aliases
    people: frozenset[str] = frozenset()  # user names and display names
    stage_words: frozenset[str] = dc_field(default_factory=_stage_words)
    level_words: frozenset[str] = LEVEL_WORDS

    @classmethod
    def from_db(cls) -> "Vocabulary":
        """The city's regions, active industries and active users, from the database."""
        from guanjia.accounts.models import User
        from guanjia.industries.models import Industry
        from guanjia.regions.models import Region, RegionKind

        rows = [
            {"name": r.name, "short_name": r.short_name, "kind": r.kind}
            for r in Region.objects.all()
        ]
        areas, prefixes = _areas(rows, (RegionKind.PROVINCE, RegionKind.CITY))
        industries = {
            n for i in Industry.objects.filter(active=True) for n in (i.name, *i.alias_list())
        }
        people = {
            n
            for pair in User.objects.filter(is_active=True).values_list("username", "display_name")
            for n in pair
            if n
        }
        return cls(areas, prefixes, frozenset(industries), frozenset(people))

    @classmethod
    def from_files(
        cls, regions: Path | None = None, industries: Path | None = None
    ) -> "Vocabulary":
        """The city's regions and taxonomy from the data files the loaders read (no database)."""
        from guanjia.industries.loading import DEFAULT_FILE as INDUSTRY_FILE
        from guanjia.regions.loading import DEFAULT_FILE as REGION_FILE

        rows = json.loads(Path(regions or REGION_FILE).read_text(encoding="utf-8"))["regions"]
        areas, prefixes = _areas(rows, ("province", "city"))
        taxonomy = json.loads(Path(industries or INDUSTRY_FILE).read_text(encoding="utf-8"))
        names = {
            n.strip()
            for row in taxonomy["industries"]
            for n in (row["name"], *row.get("aliases", "").split(","))
            if n.strip()
        }
        return cls(areas, prefixes, frozenset(names))


def _areas(rows: Iterable[dict[str, Any]], upper: Iterable[str]) -> tuple[frozenset, tuple]:
    upper = set(upper)
    areas: set[str] = set()
    prefixes: set[str] = set()
    for row in rows:
        names = {row["name"], row.get("short_name") or ""} - {""}
        (prefixes if row["kind"] in upper else areas).update(names)
    # Longest first, so 锦州市 is stripped before 锦州.
    return frozenset(areas), tuple(sorted(prefixes, key=len, reverse=True))


# --- The ledger's fields as candidates --------------------------------------------------------


def _words(field_name: str, *words: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*words, *EXTRA_ALIASES.get(field_name, ()))))


def ledger_candidates() -> tuple[Candidate, ...]:
    """Every ledger field with its kind and header words (labels as the ledger's columns)."""
    c = Candidate
    return (
        c("name", gettext_lazy("Project name"), Kind.PROJECT_NAME, _words("name", "项目名称")),
        c(
            "enterprise",
            gettext_lazy("Enterprise"),
            Kind.ENTERPRISE,
            _words("enterprise", "企业", "单位", "投资方", "法人", "业主"),
        ),
        c(
            "credit_code",
            gettext_lazy("Credit code"),
            Kind.CREDIT_CODE,
            _words("credit_code", "信用代码"),
        ),
        c(
            "region",
            gettext_lazy("Region"),
            Kind.REGION,
            _words("region", "县区", "地区", "地点", "区域", "所在地", "属地"),
        ),
        c("industry", gettext_lazy("Industry"), Kind.INDUSTRY, _words("industry", "产业", "行业")),
        c("level", gettext_lazy("Level"), Kind.LEVEL, _words("level", "级别", "层级")),
        c(
            "stage",
            gettext_lazy("Stage"),
            Kind.STAGE,
            _words("stage", "阶段", "进度", "进展", "状态"),
        ),
        c(
            "total_investment_wan",
            gettext_lazy("Total investment"),
            Kind.AMOUNT,
            _words("total_investment_wan", "总投资", "投资总额", "投资额"),
        ),
        c("plan_year", gettext_lazy("Plan year"), Kind.YEAR, _words("plan_year", "年度", "年份")),
        c(
            "planned_investment_year_wan",
            gettext_lazy("Planned investment this year"),
            Kind.AMOUNT,
            _words("planned_investment_year_wan", "计划投资"),
        ),
        c(
            "completed_investment_year_wan",
            gettext_lazy("Completed investment this year"),
            Kind.AMOUNT,
            _words("completed_investment_year_wan", "完成投资"),
        ),
        c(
            "funds_in_place_wan",
            gettext_lazy("Funds in place"),
            Kind.AMOUNT,
            _words("funds_in_place_wan", "到位"),
        ),
        c(
            "signed_on",
            gettext_lazy("Signed on"),
            Kind.DATE,
            _words("signed_on", "签约"),
            stage="signed",
        ),
        c(
            "construction_on",
            gettext_lazy("Construction started"),
            Kind.DATE,
            _words("construction_on", "开工"),
            stage="construction",
        ),
        c(
            "operation_on",
            gettext_lazy("In operation from"),
            Kind.DATE,
            _words("operation_on", "投产", "并网"),
            stage="operation",
        ),
        c("steward", gettext_lazy("Steward"), Kind.PERSON, _words("steward", "管家", "专员")),
        c(
            "leader",
            gettext_lazy("Leader in charge"),
            Kind.PERSON,
            _words("leader", "领导", "包保", "包联"),
        ),
        c(
            "task_force",
            gettext_lazy("Task force"),
            Kind.DEPARTMENT,
            _words("task_force", "专班", "责任单位", "牵头单位"),
        ),
        c(
            "construction_content",
            gettext_lazy("Construction content"),
            Kind.TEXT,
            _words("construction_content", "内容", "规模", "概况", "简介"),
        ),
        c(
            "withdrawn_reason",
            gettext_lazy("Reason for withdrawal"),
            Kind.TEXT,
            _words("withdrawn_reason", "原因"),
        ),
    )


# --- Cells -----------------------------------------------------------------------------------

NOTHING_MARKS = {"-", "—", "——", "/", "无", "暂无", "、"}
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_DATE_TEXT = re.compile(
    r"(\d{4})\s*(?:[-/.]\s*(\d{1,2})(?:\s*[-/.]\s*(\d{1,2}))?"
    r"|年\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*日?|\s*[上中下]旬|份|底|初)?)"
    r"(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?"
)
_COMPACT_DATE = re.compile(r"(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])")
_YEAR_TEXT = re.compile(r"((?:19|20)\d{2})\s*年?(?:度)?")
_NUMBER_TEXT = re.compile(r"[-+]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?")
_MONEY_TEXT = re.compile(r"(约|近|超|逾)?[-+]?[\d,]+(\.\d+)?\s*(万元|亿元|元|万|亿)(左右|以上|余)?")
_PHONE = re.compile(r"(\+?86-?)?1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,4})?")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_NAME_SPLIT = re.compile(r"[、,，;；/\s]+")
_PARENS = re.compile(r"[(（][^()（）]*[)）]")

SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾"
    "毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关"
    "兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻"
    "祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿"
    "桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐")
TITLES = (
    "常务副市长",
    "副市长",
    "市长",
    "副书记",
    "书记",
    "副县长",
    "县长",
    "副区长",
    "区长",
    "副主任",
    "主任",
    "副局长",
    "局长",
    "副部长",
    "部长",
    "常委",
    "秘书长",
    "主席",
    "副主席",
    "同志",
)
ENTERPRISE_ENDS = ("公司", "集团", "厂", "合作社", "商行", "店", "企业", "股份", "有限合伙)")
DEPARTMENT_ENDS = (
    "局",
    "委",
    "办",
    "办公室",
    "委员会",
    "政府",
    "管委会",
    "中心",
    "专班",
    "部",
    "厅",
    "街道",
    "镇",
    "乡",
    "工作组",
    "指挥部",
)
PROJECT_ENDS = ("项目", "工程", "基地", "产业园", "园区", "生产线", "厂房", "示范区", "中心")
PROJECT_WORDS = ("年产", "新建", "扩建", "改扩建", "技改", "技术改造", "建设", "一期", "二期")
ADDRESS_WORDS = ("街道", "镇", "乡", "村", "路", "街", "园", "号", "屯", "农场", "开发区", "新区")
NOT_ADDRESS_WORDS = ("项目", "工程", "公司", "有限", "集团", "厂房", "建设", "局", "政府")
MONEY_HEADER_WORDS = ("投资", "金额", "资金", "万元", "亿元", "额", "产值", "营收")
DATE_HEADER_WORDS = ("时间", "日期", "年月", "签约", "开工", "投产", "竣工", "并网", "完成时限")
STAGE_DATE_WORDS = {
    "signed": ("签约", "签订", "协议"),
    "construction": ("开工", "开复工"),
    "operation": ("投产", "并网", "运营"),
}
NO_FIELD_DATE_WORDS = ("竣工", "完工", "建成", "达产", "达效", "完成时限", "入库")
PLAN_WORDS = ("计划", "预计", "拟")
ACTUAL_WORDS = ("实际",)


def _non_empty(cells: Iterable[Any]) -> list[Any]:
    return [c for c in cells if text_of(c) not in ("", *NOTHING_MARKS)]


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float | Decimal):
        return True
    return bool(_NUMBER_TEXT.fullmatch(text_of(value)))


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        return float(value)
    text = text_of(value).replace(",", "")
    try:
        return float(Decimal(text))
    except (InvalidOperation, ValueError):
        return None


def as_date(value: Any, serials: bool = False) -> dt.date | None:
    """The date a cell holds in any office form, or None. Serial numbers only when asked."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        if number.is_integer() and _COMPACT_DATE.fullmatch(str(int(number))):
            return _safe_date(int(number) // 10000, int(number) // 100 % 100, int(number) % 100)
        if serials and number.is_integer() and 18264 <= number <= 73415:  # 1950 … 2100
            return _EXCEL_EPOCH + dt.timedelta(days=int(number))
        return None
    text = text_of(value)
    if _COMPACT_DATE.fullmatch(text):
        return _safe_date(int(text[:4]), int(text[4:6]), int(text[6:]))
    match = _DATE_TEXT.fullmatch(text)
    if not match:
        return None
    year = int(match.group(1))
    month = match.group(2) or match.group(4)
    day = match.group(3) or match.group(5)
    if month is None:
        return None
    return _safe_date(year, int(month), int(day or 1))


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    if not 1950 <= year <= 2100:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _is_year(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return float(value).is_integer() and 1990 <= value <= 2100
    match = _YEAR_TEXT.fullmatch(text_of(value))
    return match is not None and 1990 <= int(match.group(1)) <= 2100


def _is_money_text(value: Any) -> bool:
    return isinstance(value, str) and bool(_MONEY_TEXT.fullmatch(re.sub(r"\s+", "", value)))


def _strip_city(text: str, vocab: Vocabulary) -> str:
    for prefix in vocab.prefixes:
        if text.startswith(prefix) and len(text) > len(prefix):
            return text[len(prefix) :]
    return text


def _is_area(value: Any, vocab: Vocabulary) -> bool:
    """An area name (凌海市, 凌海), optionally after the city's name, or an address inside one."""
    text = re.sub(r"\s+", "", text_of(value))
    if text in vocab.areas:  # 锦州高新技术产业开发区 before 锦州 is taken for the city
        return True
    text = _strip_city(text, vocab)
    if text in vocab.areas:
        return True
    if any(word in text for word in NOT_ADDRESS_WORDS):
        return False
    return any(
        text.startswith(area) and any(w in text[len(area) :] for w in ADDRESS_WORDS)
        for area in vocab.areas
        if len(area) >= 2
    )


def _is_credit_code(value: Any) -> bool:
    from guanjia.enterprises import creditcode

    text = text_of(value)
    return len(creditcode.normalise(text)) == 18 and not creditcode.problems(text)


def _name_piece(piece: str, vocab: Vocabulary) -> bool:
    if piece in vocab.people:
        return True
    for title in TITLES:
        if piece.endswith(title) and len(piece) > len(title):
            piece = piece[: -len(title)]
            break
    if not (2 <= len(piece) <= 4) or not all(_HAN.fullmatch(ch) for ch in piece):
        return False
    if piece.endswith(
        ("区", "县", "市", "局", "委", "办", "司", "目", "程", "厂", "镇", "乡", "村")
    ):
        return False
    return piece[0] in SURNAMES or piece.startswith(COMPOUND_SURNAMES) or piece in vocab.people


def _people(value: Any, vocab: Vocabulary) -> list[str] | None:
    """The names in a cell ('王明（副市长）、李强'), or None when it is not a list of names."""
    text = _PARENS.sub("", text_of(value))
    pieces = [p for p in _NAME_SPLIT.split(text) if p and p not in TITLES]
    if not pieces or not all(_name_piece(p, vocab) for p in pieces):
        return None
    return pieces


def _has_title(value: Any) -> bool:
    text = text_of(value)
    return any(title in text for title in TITLES[:-1])


def _ends(value: Any, ends: tuple[str, ...]) -> bool:
    text = _PARENS.sub("", text_of(value)).rstrip("）)")
    return text.endswith(ends)


def _is_project_name(value: Any) -> bool:
    text = text_of(value)
    if not 4 <= len(text) <= 50 or re.search(r"[，。；;,]", text):
        return False  # a sentence, not a name
    return _ends(text, PROJECT_ENDS) or any(w in text for w in PROJECT_WORDS)


def _is_phone(value: Any) -> bool:
    text = re.sub(r"[\s()（）]", "", text_of(value))
    return bool(text) and all(_PHONE.fullmatch(p) for p in re.split(r"[、,，;；/]+", text) if p)


# --- Detection -------------------------------------------------------------------------------


@dataclass
class Detection:
    """How well each kind fits one column's cells."""

    total: int
    fits: dict[str, int]
    enum_fits: dict[str, int]  # candidate field → cells among its values
    dates: list[dt.date | None]  # per cell (aligned with the column), for the date kind
    distinct: list[str] = dc_field(default_factory=list)  # the first different texts, in order
    known_people: int = 0
    titled: int = 0
    money_units: int = 0
    average_length: int = 0

    def share(self, kind: str) -> float:
        return self.fits.get(kind, 0) / self.total if self.total else 0.0


def detect(column: SheetColumn, vocab: Vocabulary, candidates: Sequence[Candidate]) -> Detection:
    """Count, for every kind, the non-empty cells of the column that fit it."""
    header = normalise_header(column.header)
    cells = _non_empty(column.cells)
    serials = any(w in header for w in DATE_HEADER_WORDS)
    dates = [
        as_date(c, serials) if text_of(c) not in ("", *NOTHING_MARKS) else None
        for c in column.cells
    ]
    fits: dict[str, int] = {}

    def count(kind: str, test: Any) -> None:
        fits[kind] = sum(1 for c in cells if test(c))

    count(Kind.CREDIT_CODE, _is_credit_code)
    count(Kind.PHONE, _is_phone)
    fits[Kind.DATE] = sum(1 for d in dates if d is not None)
    count(Kind.YEAR, _is_year)
    count(Kind.REGION, lambda c: _is_area(c, vocab))
    count(Kind.STAGE, lambda c: re.sub(r"\s+", "", text_of(c)) in vocab.stage_words)
    count(Kind.LEVEL, lambda c: re.sub(r"\s+", "", text_of(c)) in vocab.level_words)
    count(Kind.INDUSTRY, lambda c: re.sub(r"\s+", "", text_of(c)) in vocab.industries)
    people = [_people(c, vocab) for c in cells]
    fits[Kind.PERSON] = sum(1 for p in people if p)
    money_units = sum(1 for c in cells if _is_money_text(c))
    count(Kind.NUMBER, _is_number)
    fits[Kind.AMOUNT] = sum(1 for c in cells if _is_number(c) or _is_money_text(c))
    count(Kind.ENTERPRISE, lambda c: _ends(c, ENTERPRISE_ENDS))
    count(Kind.DEPARTMENT, lambda c: _ends(c, DEPARTMENT_ENDS) and not _ends(c, ENTERPRISE_ENDS))
    count(Kind.PROJECT_NAME, _is_project_name)
    texts = [text_of(c) for c in cells]
    count(Kind.TEXT, lambda c: isinstance(c, str) and bool(_HAN.search(c)))
    enum_fits = {
        cand.field: sum(1 for t in texts if t in cand.values)
        for cand in candidates
        if cand.kind == Kind.ENUM
    }
    return Detection(
        total=len(cells),
        fits=fits,
        enum_fits=enum_fits,
        dates=dates,
        known_people=sum(1 for p in people if p and all(n in vocab.people for n in p)),
        titled=sum(1 for c in cells if _has_title(c)),
        money_units=money_units,
        average_length=round(statistics.mean(len(t) for t in texts)) if texts else 0,
        distinct=list(dict.fromkeys(texts))[:6],
    )


# Most specific first: the first kind that fits 80% of the cells is what the column holds.
_ORDER = (
    Kind.CREDIT_CODE,
    Kind.DATE,
    Kind.REGION,
    Kind.STAGE,
    Kind.LEVEL,
    Kind.INDUSTRY,
    Kind.ENUM,
    Kind.PERSON,
    Kind.PHONE,
    Kind.YEAR,
    Kind.AMOUNT,
    Kind.ENTERPRISE,
    Kind.PROJECT_NAME,
    Kind.DEPARTMENT,
    Kind.TEXT,
)


def column_kind(
    header: str, found: Detection, candidates: Sequence[Candidate]
) -> tuple[str, int, str]:
    """(kind, cells that fit, enum field) the column holds; ("", best fit, "") when none fits."""
    if not found.total:
        return Kind.EMPTY, 0, ""
    money_header = any(w in header for w in MONEY_HEADER_WORDS)
    date_header = any(w in header for w in DATE_HEADER_WORDS)
    best = 0
    for kind in _ORDER:
        if kind == Kind.ENUM:
            for name, fit in found.enum_fits.items():
                if fit >= FIT_SHARE * found.total:
                    return Kind.ENUM, fit, name
            continue
        fit = found.fits.get(kind, 0)
        best = max(best, fit)
        if fit < FIT_SHARE * found.total:
            continue
        if kind == Kind.DATE and money_header and not date_header:
            continue  # 20260305 under 投资额 is an amount that looks like a date
        if kind in (Kind.PHONE, Kind.YEAR) and money_header:
            continue
        if kind == Kind.AMOUNT and not (money_header or found.money_units):
            # numbers, but nothing says money: a count, an area, a year…
            return Kind.NUMBER, found.fits[Kind.NUMBER], ""
        if kind == Kind.TEXT and found.fits.get(Kind.NUMBER, 0) >= FIT_SHARE * found.total:
            return Kind.NUMBER, found.fits[Kind.NUMBER], ""
        return kind, fit, ""
    if found.fits.get(Kind.NUMBER, 0) >= FIT_SHARE * found.total:
        return Kind.NUMBER, found.fits[Kind.NUMBER], ""
    return "", best, ""


# --- Choosing a field ------------------------------------------------------------------------


def header_score(header: str, candidate: Candidate) -> int:
    """3: the header is one of its words; 2: contains one or is contained; 1: shares a pair."""
    if not header:
        return 0
    best = 0
    for word in (str(candidate.label), *candidate.words):
        word = normalise_header(word)
        if not word:
            continue
        if word == header:
            return 3
        if word in header or (len(header) >= 2 and header in word):
            best = max(best, 2)
        elif any(header[i : i + 2] in word for i in range(len(header) - 1)):
            best = max(best, 1)
    return best


@dataclass
class _Choice:
    column: SheetColumn
    header: str
    found: Detection
    kind: str
    fit: int
    field: str | None = None
    reasons: list[str] = dc_field(default_factory=list)
    ignore: bool = False
    score: int = 0

    def strength(self) -> tuple[float, int, int]:
        share = self.fit / self.found.total if self.found.total else 0.0
        return (share, self.score, self.fit)


def propose(
    columns: Sequence[SheetColumn],
    candidates: Sequence[Candidate],
    vocab: Vocabulary,
    *,
    mapped: Iterable[str] = (),
    stage_cells: Sequence[Any] | None = None,
) -> list[Proposal]:
    """A proposal for every unknown column, in the order given. See the module docstring.

    `mapped` names fields already given by known headers (never proposed again);
    `stage_cells` are the stage column's cells, row-aligned with the columns' cells, when the
    sheet has one: they tell a signing date from a construction start.
    """
    taken = set(mapped)
    free = [c for c in candidates if c.field not in taken]
    by_field = {c.field: c for c in candidates}
    rows = max([len(c.cells) for c in columns] + [len(stage_cells or ())], default=0)
    sampled = rows > SAMPLE_ROWS
    if sampled:
        # The same rows of every column, so a date still lines up with its row's stage.
        picked = [i * rows // SAMPLE_ROWS for i in range(SAMPLE_ROWS)]
        columns = [
            SheetColumn(
                c.index, c.header, [c.cells[i] if i < len(c.cells) else None for i in picked]
            )
            for c in columns
        ]
        if stage_cells is not None:
            stage_cells = [stage_cells[i] if i < len(stage_cells) else None for i in picked]
    choices = []
    for column in columns:
        header = normalise_header(column.header)
        found = detect(column, vocab, free)
        kind, fit, enum_field = column_kind(header, found, free)
        choice = _Choice(column, header, found, kind, fit)
        _choose(choice, free, by_field, taken, enum_field)
        choices.append(choice)
    _dates_by_order(choices, free, stage_cells, vocab)
    _resolve_conflicts(choices, by_field)
    if sampled:
        for choice in choices:
            choice.reasons.append(
                _("counted on %(n)d of the %(rows)d rows, spread over the sheet")
                % {"n": SAMPLE_ROWS, "rows": rows}
            )
    return [_proposal(c, by_field) for c in choices]


# Kinds specific enough that the only free field of the kind is proposed whatever the header.
_SINGLE_OK = {
    Kind.PHONE,
    Kind.REGION,
    Kind.CREDIT_CODE,
    Kind.STAGE,
    Kind.LEVEL,
    Kind.INDUSTRY,
    Kind.YEAR,
    Kind.ENTERPRISE,
    Kind.PROJECT_NAME,
}


def _choose(
    choice: _Choice,
    free: Sequence[Candidate],
    by_field: dict[str, Candidate],
    taken: set[str],
    enum_field: str,
) -> None:
    """Pick the field for one column from its kind and its header's words."""
    header, kind = choice.header, choice.kind
    if kind == Kind.EMPTY:
        choice.reasons.append(_("the column is empty"))
        choice.ignore = True
        return
    if header in IGNORABLE_HEADERS:
        choice.reasons.append(_("“%(header)s” is not imported") % {"header": header})
        choice.ignore = True
        return
    if kind == Kind.PHONE and not any(c.kind == Kind.PHONE for c in free):
        choice.reasons.append(_("no field takes phone numbers"))
        choice.ignore = True
        return
    if not kind or kind == Kind.NUMBER:
        if kind == "":
            choice.reasons.append(
                _("no kind of value fits %(share)d%% of the cells") % {"share": FIT_SHARE * 100}
            )
        return
    if kind == Kind.ENUM:
        choice.field = enum_field
        return
    same = [c for c in free if c.kind == kind]
    taken_same = [by_field[f] for f in taken if f in by_field and by_field[f].kind == kind]
    if kind == Kind.DATE:
        _choose_date(choice, same)
    elif kind == Kind.AMOUNT:
        _choose_amount(choice, same)
    elif kind == Kind.PERSON:
        _choose_person(choice, same)
    elif kind == Kind.TEXT:
        _choose_text(choice, same)
    else:
        _choose_by_header(choice, same, single_ok=kind in _SINGLE_OK)
    if choice.field is None and not choice.reasons and not same and taken_same:
        choice.reasons.append(
            _("“%(label)s” is already read from another column")
            % {"label": "、".join(str(c.label) for c in taken_same)}
        )


def _choose_by_header(choice: _Choice, same: Sequence[Candidate], single_ok: bool) -> None:
    scored = sorted(((header_score(choice.header, c), c) for c in same), key=lambda p: -p[0])
    if scored and scored[0][0] > 0 and (len(scored) == 1 or scored[0][0] > scored[1][0]):
        choice.score, choice.field = scored[0][0], scored[0][1].field
    elif len(same) == 1 and single_ok:
        choice.field = same[0].field
    elif len(same) > 1:
        _ask(choice, same)


def _choose_text(choice: _Choice, same: Sequence[Candidate]) -> None:
    """Free text only under a header that names it (内容, 原因); a few repeated words are a list."""
    found = choice.found
    short = found.average_length < 10
    if short and len(found.distinct) < 6 and found.total >= 2 * len(found.distinct):
        choice.reasons.append(
            _("the cells repeat a few values: %(values)s") % {"values": "、".join(found.distinct)}
        )
        return
    scored = sorted(((header_score(choice.header, c), c) for c in same), key=lambda p: -p[0])
    if scored and scored[0][0] >= 2 and (len(scored) == 1 or scored[0][0] > scored[1][0]):
        choice.score, choice.field = scored[0][0], scored[0][1].field
    elif same:
        _ask(choice, same)


def _ask(choice: _Choice, same: Sequence[Candidate]) -> None:
    choice.reasons.append(
        _("say which: %(labels)s") % {"labels": "、".join(str(c.label) for c in same)}
    )


def _choose_amount(choice: _Choice, same: Sequence[Candidate]) -> None:
    """Which amount: 到位 → funds in place, 完成 → completed, 计划/年度 → planned, else total."""
    header = choice.header
    avoid = ""
    if "到位" in header:
        wanted = "到位"
    elif "完成" in header:
        wanted, avoid = "完成投资", "计划"
    elif re.search(r"计划投资|年度|本年|今年|当年|\d{4}年", header) and "总" not in header:
        wanted = "计划投资"
    elif re.search(r"总|投资|金额|额|规模", header) or choice.found.money_units:
        wanted = "总投资"
    else:
        wanted = ""
    for cand in same:
        words = (*cand.words, str(cand.label))
        if wanted and any(wanted in w and not (avoid and avoid in w) for w in words):
            choice.field, choice.score = cand.field, 2
            return
    if wanted and same:
        return  # the amount it names is already mapped (reported by the caller)
    _choose_by_header(choice, same, single_ok=False)


def _choose_person(choice: _Choice, same: Sequence[Candidate]) -> None:
    """Leader by header words or titles in the cells; steward by header; else only when sure."""
    header, found = choice.header, choice.found
    if "联系人" in header or ("负责人" in header and "包保" not in header):
        choice.reasons.append(_("these look like contacts, which are not imported"))
        choice.ignore = True
        return
    scored = sorted(((header_score(header, c), c) for c in same), key=lambda p: -p[0])
    if scored and scored[0][0] > 0 and (len(scored) == 1 or scored[0][0] > scored[1][0]):
        choice.score, choice.field = scored[0][0], scored[0][1].field
        return
    leaders = [c for c in same if "领导" in "".join(c.words)]
    if found.titled >= FIT_SHARE * found.total and leaders:
        choice.field = leaders[0].field
        choice.reasons.append(_("the cells give titles such as 副市长"))
    elif len(same) == 1 and found.known_people >= FIT_SHARE * found.total:
        choice.field = same[0].field
    elif same:
        _ask(choice, same)


def _date_stage(header: str) -> str | None:
    """The stage a date header names; "" when it names none; None when it is not a fact."""
    if any(w in header for w in NO_FIELD_DATE_WORDS) and not any(
        w in header for words in STAGE_DATE_WORDS.values() for w in words
    ):
        return None
    if header in PLANNED_DATE_HEADERS or (
        any(w in header for w in PLAN_WORDS) and not any(w in header for w in ACTUAL_WORDS)
    ):
        return None
    for stage, words in STAGE_DATE_WORDS.items():
        if any(w in header for w in words):
            return stage
    return ""


def _choose_date(choice: _Choice, same: Sequence[Candidate]) -> None:
    stage = _date_stage(choice.header)
    if stage is None:
        if any(w in choice.header for w in PLAN_WORDS):
            choice.reasons.append(_("planned dates: only the day a stage was reached is imported"))
        else:
            choice.reasons.append(_("no field takes these dates"))
        choice.ignore = True
        return
    if stage:
        for cand in same:
            if cand.stage == stage:
                choice.field, choice.score = cand.field, 2
                choice.reasons.append(_("the header says “%(word)s”") % {"word": choice.header})
                return
    # No stage word: left to _dates_by_order.


def _reached(stage_text: str, vocab: Vocabulary) -> int | None:
    """The stage a stage cell names, as its place on the line; None when it names none."""
    from guanjia.projects.stages import ALIASES, ORDER

    text = re.sub(r"\s+", "", text_of(stage_text))
    for stage, words in ALIASES.items():
        if text in words or text == stage:
            return ORDER.get(stage)
    return None


def _dates_by_order(
    choices: list[_Choice],
    free: Sequence[Candidate],
    stage_cells: Sequence[Any] | None,
    vocab: Vocabulary,
) -> None:
    """Date columns without a stage word: by the stage column, else by the order of the dates."""
    from guanjia.projects.stages import ORDER

    open_ = [
        c
        for c in choices
        if c.kind == Kind.DATE and c.field is None and not c.reasons and not c.ignore
    ]
    if not open_:
        return
    named = {c.field for c in choices if c.field}
    fields = [f for f in free if f.kind == Kind.DATE and f.field not in named and f.stage in ORDER]
    fields.sort(key=lambda f: ORDER[f.stage])
    if stage_cells is not None:
        for choice in open_:
            _date_by_stage_column(choice, fields, stage_cells, vocab)
        open_ = [c for c in open_ if c.field is None]
        fields = [f for f in fields if f.field not in {c.field for c in choices}]
    if not open_:
        return
    if len(open_) == len(fields) and len(open_) > 1:
        # As many unnamed date columns as stage dates: the earlier dates, the earlier stage.
        medians = sorted(
            open_, key=lambda c: statistics.median(d.toordinal() for d in c.found.dates if d)
        )
        for choice, cand in zip(medians, fields, strict=True):
            choice.field = cand.field
            choice.reasons.append(
                _("the dates come in the stages' order: “%(label)s”") % {"label": cand.label}
            )
        return
    for choice in open_:
        if fields:
            _ask(choice, fields)


def _date_by_stage_column(
    choice: _Choice, fields: Sequence[Candidate], stage_cells: Sequence[Any], vocab: Vocabulary
) -> None:
    """The stage date whose rows fit: dated rows have reached it, rows that reached it are dated."""
    from guanjia.projects.stages import ALIASES, ORDER

    rows = [
        (d, _reached(s, vocab))
        for d, s in zip(choice.found.dates, stage_cells, strict=False)
        if _reached(s, vocab) is not None
    ]
    scores = []
    for cand in fields:
        place = ORDER[cand.stage]
        dated = [r for d, r in rows if d is not None]
        reached = [d for d, r in rows if r is not None and r >= place]
        if not dated or not reached:
            continue
        consistent = sum(r is not None and r >= place for r in dated) / len(dated)
        covered = sum(1 for d in reached if d is not None) / len(reached)
        scores.append((consistent * covered, cand))
    scores.sort(key=lambda p: -p[0])
    if scores and scores[0][0] >= FIT_SHARE and (len(scores) == 1 or scores[1][0] < FIT_SHARE):
        cand = scores[0][1]
        choice.field = cand.field
        choice.reasons.append(
            _("the rows with a date are those at “%(stage)s” or later in the stage column")
            % {"stage": ALIASES[cand.stage][0]}
        )


def _resolve_conflicts(choices: list[_Choice], by_field: dict[str, Candidate]) -> None:
    """Two columns for one field: the better evidence keeps it, the other is left to the user."""
    claims: dict[str, list[_Choice]] = {}
    for choice in choices:
        if choice.field:
            claims.setdefault(choice.field, []).append(choice)
    for name, claimants in claims.items():
        if len(claimants) < 2:
            continue
        winner = max(claimants, key=_Choice.strength)
        for loser in claimants:
            if loser is winner:
                continue
            loser.field = None
            loser.score = 0
            loser.reasons = [
                _("column %(col)s fits “%(label)s” better")
                % {"col": column_letter(winner.column.index), "label": by_field[name].label}
            ]


_KIND_EVIDENCE = {
    Kind.REGION: gettext_lazy("%(fit)d of %(total)d cells are area names"),
    Kind.CREDIT_CODE: gettext_lazy("%(fit)d of %(total)d cells are valid credit codes"),
    Kind.DATE: gettext_lazy("%(fit)d of %(total)d cells are dates"),
    Kind.YEAR: gettext_lazy("%(fit)d of %(total)d cells are years"),
    Kind.AMOUNT: gettext_lazy("%(fit)d of %(total)d cells are amounts"),
    Kind.NUMBER: gettext_lazy(
        "%(fit)d of %(total)d cells are numbers, but the header does not say of what"
    ),
    Kind.STAGE: gettext_lazy("%(fit)d of %(total)d cells are stage words such as 签约 or 开工"),
    Kind.LEVEL: gettext_lazy("%(fit)d of %(total)d cells are project levels"),
    Kind.INDUSTRY: gettext_lazy("%(fit)d of %(total)d cells are industry names"),
    Kind.ENUM: gettext_lazy("%(fit)d of %(total)d cells are values of “%(label)s”"),
    Kind.PERSON: gettext_lazy("%(fit)d of %(total)d cells are people's names"),
    Kind.DEPARTMENT: gettext_lazy("%(fit)d of %(total)d cells are names of departments or units"),
    Kind.ENTERPRISE: gettext_lazy("%(fit)d of %(total)d cells are enterprise names"),
    Kind.PROJECT_NAME: gettext_lazy("%(fit)d of %(total)d cells are project names"),
    Kind.TEXT: gettext_lazy(
        "%(fit)d of %(total)d cells are text, %(length)d characters on average"
    ),
    Kind.PHONE: gettext_lazy("%(fit)d of %(total)d cells are phone numbers"),
}


def _proposal(choice: _Choice, by_field: dict[str, Candidate]) -> Proposal:
    found, kind = choice.found, choice.kind
    parts = []
    if kind and kind != Kind.EMPTY:
        label = by_field[choice.field].label if choice.field in by_field else ""
        parts.append(
            str(_KIND_EVIDENCE[kind])
            % {
                "fit": choice.fit,
                "total": found.total,
                "label": label,
                "length": found.average_length,
            }
        )
        if kind == Kind.PERSON and found.known_people:
            parts.append(_("%(n)d of them are users of Guanjia") % {"n": found.known_people})
    parts.extend(choice.reasons)
    if choice.field is None and not choice.ignore:
        parts.append(_("unknown — choose a field or ignore the column"))
    elif choice.field is None:
        parts.append(_("ignore the column"))
    return Proposal(
        index=choice.column.index,
        header=choice.column.header,
        field=choice.field,
        kind=kind if kind != Kind.EMPTY else "",
        fit=choice.fit,
        total=found.total,
        evidence=_("; ").join(parts),
        ignore=choice.ignore,
    )


def columns_from_rows(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> list[SheetColumn]:
    """Turn a header row and the rows under it into columns (helper for callers and tests)."""
    rows = [list(r) for r in rows]
    return [
        SheetColumn(i, text_of(h), [r[i] if i < len(r) else None for r in rows])
        for i, h in enumerate(header)
    ]
