"""Headers other offices really write, as data the sheet kit merges into its column tables.

`EXTRA_ALIASES` is keyed by the ledger's field names (guanjia/projects/importers.py COLUMNS):
every header in it is written as `normalise_header` leaves it, so the kit compares normalised
text with normalised text. `IGNORABLE_HEADERS` are headers offices use for things the ledger
does not keep (a contact's phone, remarks): the mapping screen can offer "ignore" for them
without asking. `PLANNED_DATE_HEADERS` are plans, not facts: the ledger's stage dates say when
a stage happened, so a planned date is never mapped onto one.
"""

import re
import unicodedata

EXTRA_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("项目名", "项目名称及编号", "建设项目名称", "项目建设名称", "招商项目名称"),
    "enterprise": (
        "建设单位",
        "项目法人",
        "项目法人单位",
        "项目单位",
        "业主单位",
        "项目业主单位",
        "实施主体",
        "投资单位",
        "建设主体",
        "签约单位",
        "企业名称(全称)",
    ),
    "credit_code": (
        "统一社会信用代码",
        "企业统一社会信用代码",
        "项目单位统一社会信用代码",
        "法人单位统一社会信用代码",
        "信用代码证号",
    ),
    "region": (
        "建设地点",
        "项目地点",
        "所在地",
        "所在区域",
        "所属区域",
        "项目建设地点",
        "建设地址",
        "项目地址",
        "所在县(市)区",
        "县(市、区)",
        "县市区",
        "所属县市区",
        "属地县区",
        "项目所在县区",
        "责任县区",
    ),
    "industry": (
        "所属行业",
        "产业类别",
        "行业分类",
        "产业类型",
        "行业领域",
        "所属领域",
        "所属产业类别",
        "产业方向",
    ),
    "level": ("项目层级", "项目等级", "重点项目类别"),
    "stage": (
        "形象进度",
        "建设进度",
        "项目进展",
        "目前进展",
        "当前进度",
        "项目现状",
        "推进情况",
        "所处阶段",
    ),
    "total_investment_wan": (
        "计划总投资",
        "总投资",
        "项目总投资额",
        "估算总投资",
        "概算总投资",
        "总投资规模",
        "投资规模",
        "协议投资额",
        "签约投资额",
    ),
    "plan_year": ("所属年度", "入库年度", "实施年度"),
    "planned_investment_year_wan": ("本年度计划完成投资", "年度投资计划", "本年投资计划"),
    "completed_investment_year_wan": (
        "本年累计完成投资",
        "今年完成投资",
        "年度累计完成投资",
        "本年度累计完成投资",
    ),
    "funds_in_place_wan": ("已到位资金", "到位资金额度", "累计到位资金额"),
    "signed_on": ("签约时间", "协议签订时间", "合同签订时间", "签订时间", "签约年月日"),
    "construction_on": (
        "开工时间",
        "实际开工时间",
        "开工时间(实际)",
        "实际开工日期",
        "开复工时间",
    ),
    "operation_on": ("实际投产时间", "建成投产时间", "投产运营时间", "实际投产日期"),
    "steward": ("项目管家", "服务管家", "项目服务专员", "服务专员"),
    "leader": (
        "包保领导",
        "包保责任人",
        "包保县级领导",
        "包保市级领导",
        "包保市领导",
        "责任领导",
        "牵头领导",
        "分管领导",
        "联系领导",
    ),
    "task_force": ("责任单位", "牵头单位", "责任部门", "推进专班", "工作专班(责任单位)"),
    "construction_content": (
        "建设规模及内容",
        "建设内容",
        "主要建设内容及规模",
        "建设内容及规模",
        "建设规模",
        "项目概况",
        "项目简介",
        "项目建设内容",
    ),
    "withdrawn_reason": ("停止原因", "终止(退出)原因"),
}

# Headers for things the ledger does not keep; the mapping screen may offer "ignore" at once.
IGNORABLE_HEADERS: frozenset[str] = frozenset(
    {
        "序号",
        "编号",
        "序",
        "备注",
        "说明",
        "联系人",
        "联系电话",
        "联系方式",
        "手机",
        "手机号码",
        "企业联系人",
        "项目联系人",
        "存在问题",
        "存在的问题及建议",
        "需协调解决的问题",
        "竣工时间",
        "计划竣工时间",
        "施工单位",
        "设计单位",
        "监理单位",
        "承建单位",
    }
)

# Planned dates: the ledger's stage dates are when a stage happened, so these stay unmapped.
PLANNED_DATE_HEADERS: frozenset[str] = frozenset(
    {"计划开工时间", "计划开工日期", "计划投产时间", "计划投产日期", "计划签约时间"}
)

_BRACKETS = re.compile(r"[(\[【{<《][^()\[\]【】{}<>《》]*[)\]】}>》]")
_UNIT_SUFFIX = re.compile(r"(万元|亿元)$")
_UNIT_IN = re.compile(r"(万元|亿元|元|万|亿)")


def _width(text: str) -> str:
    """Full-width letters, digits and brackets as half-width (NFKC), newlines and spaces gone."""
    text = unicodedata.normalize("NFKC", text)
    # NFKC keeps CJK brackets; these are the ones headers use for units.
    for a, b in (("【", "("), ("】", ")"), ("〔", "("), ("〕", ")")):
        text = text.replace(a, b)
    return re.sub(r"\s+", "", text)


def normalise_header(text: object) -> str:
    """A header as the alias tables write it: '总投资\\n（万元）*' → '总投资'.

    Spaces and line breaks go, full-width characters become half-width, a trailing * or colon
    (a required-field mark) goes, and bracketed remarks and units go: 开工时间(计划/实际) →
    开工时间, 总投资（万元）→ 总投资, 总投资亿元 → 总投资. The unit is `header_unit`'s job.
    """
    if text is None:
        return ""
    value = _width(str(text)).strip("*:")
    stripped = _BRACKETS.sub("", value)
    # 县(市、区) keeps its words when dropping the remark would leave less than two characters.
    value = stripped if len(stripped) >= 2 else re.sub(r"[()\[\]【】{}<>《》]", "", value)
    value = value.strip("*:")
    base = _UNIT_SUFFIX.sub("", value)
    return base if len(base) >= 2 else value


def header_unit(text: object) -> str:
    """The money unit a header names, in brackets or stuck on: '总投资(亿元)' → '亿元', else ''."""
    if text is None:
        return ""
    value = _width(str(text)).strip("*:")
    for bracket in re.findall(r"\(([^()]*)\)", value):
        found = _UNIT_IN.search(bracket)
        if found:
            return {"万": "万元", "亿": "亿元"}.get(found.group(1), found.group(1))
    found = _UNIT_SUFFIX.search(value)
    if found and len(value) > len(found.group(0)) + 1:
        return found.group(1)
    return ""


def alias_table(extra: dict[str, tuple[str, ...]] = EXTRA_ALIASES) -> dict[str, str]:
    """Normalised header → field, for every extra alias (the kit merges it with its own)."""
    table: dict[str, str] = {}
    for field, aliases in extra.items():
        for alias in aliases:
            table.setdefault(normalise_header(alias), field)
    return table
