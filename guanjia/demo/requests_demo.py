"""The demo's project stewards and a year of enterprise requests (诉求), taken through the
real steps.

Each request is planned here: who asks what and when, and when each step is taken by whom
(accept, dispatch, transfer, sign for, ask and give information, note, answer, rate, close,
revisit, withdraw, bounce). The plan reads only the SLA policy's windows and the working
calendar to place its moments. Then every request is submitted and its steps taken, in time
order, through `guanjia.requests.services` (`submit`, `take`, the table `STEPS`), with the
escalation sweep's own work (`escalation.act_on`) a minute after each mark falls: the status
changes, the timeline, the clock, the escalations and the audit entries are the rules' own.

Speed: all of it runs in one quiet batch of steps (`guanjia.core.steps.batch`): the rows are
held in memory, each step writes nothing until the batch ends, then every row, timeline
entry and audit entry is written in bulk; nobody is notified of a year-old step.

One `random.Random` seeded from the demo's seed drives every choice: the demo is reproducible
up to "now", which the open requests are placed against so the sweep has real work on its
first run (a few requests are just past a deadline nobody has acted on yet).
"""

import datetime as dt
import itertools
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from guanjia.accounts.models import Department, Role, User
from guanjia.core import steps
from guanjia.core.audit import audited_save
from guanjia.core.models import AuditAction, AuditEntry
from guanjia.enterprises.models import Enterprise
from guanjia.enterprises.services import steward_of
from guanjia.projects.models import Project
from guanjia.projects.stages import Stage
from guanjia.regions.models import Region
from guanjia.requests import escalation, services, sla
from guanjia.requests.models import (
    OPEN_STATUSES,
    Category,
    Escalation,
    EventKind,
    Priority,
    Rating,
    RequestEvent,
    ServiceRequest,
    Source,
    Status,
)
from guanjia.worktime.clock import WorkCalendar

from . import data

STEWARDS_TOTAL = 687  # the city's project stewards (项目管家), the demo's own included
REQUESTS_TOTAL = 2500

# ---------------------------------------------------------------------------- what is asked

# Per category: (title, text, answer). `{subject}` is the project's name, or 我公司.
TOPICS: dict[str, list[tuple[str, str, str]]] = {
    "land": [
        ("项目用地规划条件出具慢",
         "{subject}已完成立项备案，但规划条件至今未出具，土地无法进入招拍挂程序，请协调自然资源部门加快办理。",
         "已协调市自然资源局，规划条件已出具并送达企业，土地出让方案同步启动编制。"),
        ("新增建设用地指标落实",
         "{subject}拟用地约120亩，所在片区年度用地指标紧张，恳请协调落实新增建设用地指标。",
         "经市自然资源局统筹，已从年度计划中调剂安排用地指标，企业可按程序申请供地。"),
        ("不动产权证书办理",
         "{subject}土地已摘牌并缴清出让金，不动产权证书尚未办理，影响后续规划许可，请协助催办。",
         "已对接不动产登记中心开通绿色通道，权证已办结，企业已领取。"),
        ("施工临时用地审批",
         "{subject}施工需临时占用相邻地块堆放材料约15亩，请协助办理临时用地审批。",
         "临时用地申请已受理，经现场踏勘符合要求，批复已下达，使用期限两年。"),
        ("红线内地上附着物清理进度慢",
         "{subject}红线内仍有部分地上附着物未清理，影响场地平整，请协调属地加快征收清表。",
         "已召开专题调度会，属地政府明确清表时间节点，地上附着物已全部清理完毕。"),
    ],
    "approval": [
        ("项目备案信息变更未通过",
         "{subject}建设内容调整需变更备案信息，线上系统提交后一直未通过，请帮助查明原因。",
         "经核查为填报字段与原备案不一致，已指导企业重新提交，备案变更已办结。"),
        ("建设工程规划许可证办理",
         "{subject}设计方案已通过审查，申请办理建设工程规划许可证，希望并联审批、压缩时限。",
         "已纳入并联审批，规划许可证已核发，较承诺时限提前三个工作日。"),
        ("消防设计审查进度",
         "{subject}消防设计文件已提交审查，请协助跟进审查进度。",
         "已协调审查机构优先审查，审查意见已出具，企业按意见修改后通过。"),
        ("施工图审查容缺受理",
         "{subject}部分前置材料正在办理中，申请对施工图审查实行容缺受理，先行开展后续工作。",
         "经审批部门研究同意容缺受理，企业需在30日内补齐材料。"),
        ("生产许可证变更登记",
         "{subject}新增生产线需办理生产许可证变更，请协助对接省级主管部门。",
         "已与省级主管部门沟通，现场核查已安排，企业按清单准备材料即可。"),
    ],
    "energy": [
        ("项目节能审查",
         "{subject}节能报告已编制完成，请协调尽快组织节能审查。",
         "市发展改革委已组织专家评审，节能审查意见已出具。"),
        ("能耗指标不足",
         "{subject}年综合能耗约3万吨标准煤，区域能耗指标紧张，请协调解决能耗指标。",
         "经市级统筹，通过存量项目腾退置换解决部分指标，余量已纳入省级统筹申请。"),
        ("参与绿色电力交易",
         "{subject}希望参与绿色电力交易以降低能耗强度，请提供政策指导。",
         "已组织供电公司和电力交易中心专题对接，企业已完成市场注册。"),
        ("煤炭消费减量替代方案审核",
         "{subject}需编制煤炭消费减量替代方案，请明确审核要求和办理流程。",
         "已指导企业编制替代方案，经审核通过并出具确认意见。"),
    ],
    "environment": [
        ("环评审批进度",
         "{subject}环境影响报告书已报送，请协调加快技术评估和审批。",
         "已协调生态环境部门提前介入，技术评估已完成，环评批复已下达。"),
        ("排污许可证申领",
         "{subject}即将投产，需申领排污许可证，请协助指导填报。",
         "已安排专人上门指导填报，排污许可证已核发。"),
        ("污染物排放总量指标",
         "{subject}需申请挥发性有机物和氮氧化物排放总量指标，请协调落实。",
         "总量指标已通过区域削减替代落实，确认文件已出具。"),
        ("危险废物处置渠道",
         "{subject}生产中产生的危险废物本地处置能力不足，请协助对接有资质的处置单位。",
         "已协调市内两家持证单位与企业对接，处置协议已签订。"),
    ],
    "utilities": [
        ("厂区双回路供电接入",
         "{subject}生产工艺要求双回路供电，目前仅有单回路，请协调供电公司加快建设第二回路。",
         "供电公司已完成方案设计，第二回路工程已开工，预计两个月内投运。"),
        ("施工临时用电报装",
         "{subject}已进场施工，临时用电报装申请已提交，请协助加快接电。",
         "供电公司已现场勘查并完成接电，施工用电已保障。"),
        ("天然气管网接入",
         "{subject}需接入中压天然气管道，请协调燃气公司明确接入方案和时间。",
         "燃气公司已出具接入方案，管线工程已纳入本月施工计划。"),
        ("工业用水及蒸汽供应",
         "{subject}投产后日用水量约2000吨，并需配套工业蒸汽，请协调供水和热源。",
         "已协调园区水务公司和热电厂，供水管线和蒸汽管廊接入方案已确定。"),
        ("冬季集中供暖入网",
         "{subject}办公楼及宿舍需接入集中供暖，请协助办理入网手续。",
         "供热公司已受理入网申请，管网接驳已完成，可按时供暖。"),
    ],
    "construction": [
        ("施工许可证办理",
         "{subject}施工图审查已通过，申请办理施工许可证，希望尽快开工。",
         "施工许可证已核发，企业可正式开工建设。"),
        ("厂外道路及雨污管网未配套",
         "{subject}厂区外道路和雨污管网尚未建成，影响施工车辆通行和排水，请协调园区加快配套建设。",
         "园区已将配套道路纳入本年度建设计划，临时便道已先行修通。"),
        ("竣工联合验收",
         "{subject}主体工程已完工，申请组织规划、消防、人防等联合验收。",
         "已组织联合验收，一次性通过，验收意见已出具。"),
        ("施工受周边群众阻挠",
         "{subject}施工中周边个别村民以噪音为由阻工，请协调属地妥善处理。",
         "属地乡镇已入户做工作，调整了夜间施工时段，施工已恢复正常。"),
    ],
    "finance": [
        ("项目贷款对接",
         "{subject}建设资金缺口约2亿元，希望对接银行项目贷款。",
         "已组织三家银行开展银企对接，一家银行已完成授信审批。"),
        ("流动资金贷款续贷",
         "我公司流动资金贷款即将到期，请协助对接银行办理无还本续贷。",
         "已协调合作银行办理无还本续贷，企业资金周转保持稳定。"),
        ("政府性融资担保支持",
         "我公司申请政府性融资担保支持，希望降低担保费率。",
         "市融资担保公司已受理，担保费率按政策降至1%以下。"),
        ("设备融资租赁对接",
         "{subject}需购置生产设备约8000万元，希望对接融资租赁机构。",
         "已推荐两家融资租赁公司，企业已选定合作方并完成签约。"),
    ],
    "policy": [
        ("招商引资奖励兑现",
         "{subject}已按协议完成固定资产投资，申请兑现招商引资奖励资金。",
         "经审核符合兑现条件，奖励资金已拨付至企业账户。"),
        ("技术改造专项资金申报",
         "我公司申请省级技术改造专项资金补助，请指导申报材料准备。",
         "已指导企业完成申报材料，项目已通过市级初审并推荐至省级。"),
        ("高新技术企业认定辅导",
         "我公司拟申报高新技术企业认定，请提供政策辅导。",
         "已安排科技部门专人辅导，企业已完成申报。"),
        ("稳岗返还资金未到账",
         "我公司符合稳岗返还条件，但资金至今未到账，请帮助查询。",
         "经人社部门核查，资金已于本月拨付，企业已确认到账。"),
        ("节能环保设备税收抵免咨询",
         "我公司购置节能环保专用设备，咨询企业所得税抵免政策如何享受。",
         "已协调税务部门一对一辅导，企业已按规定享受抵免。"),
    ],
    "talent": [
        ("技术工人招聘难",
         "{subject}投产需招聘操作工约200人，本地招工困难，请协助组织专场招聘。",
         "已举办专场招聘会，现场达成就业意向180余人。"),
        ("人才公寓入住申请",
         "我公司引进的研发人员需要住房，申请入住人才公寓。",
         "已安排人才公寓20套，引进人员已入住。"),
        ("引进人才子女入学",
         "我公司引进的高层次人才子女需在锦州就读，请协助安排学校。",
         "教育部门已协调安排就近入学。"),
        ("校企合作订单培养",
         "我公司希望与本地职业院校合作开展订单式培养。",
         "已促成企业与本地职业技术学院签订校企合作协议。"),
    ],
    "market": [
        ("本地配套企业对接",
         "{subject}需要在本地采购零部件及包装材料，请协助对接本地配套企业。",
         "已组织产销对接会，企业与5家本地供应商达成合作意向。"),
        ("参加展会补贴咨询",
         "我公司拟参加中国进出口商品交易会，咨询展位补贴政策。",
         "商务部门已将企业纳入支持名单，展位费按50%给予补贴。"),
        ("港口物流费用优惠",
         "我公司产品经锦州港出口，希望协调给予集装箱物流费用优惠。",
         "已与港口协商，给予企业阶段性物流费用优惠。"),
        ("产品进入本地应用场景",
         "我公司新产品希望在本地重点工程中示范应用，请协助对接使用单位。",
         "已向相关单位推介企业产品，两家单位已开展试用。"),
    ],
    "rights": [
        ("涉企检查过于频繁",
         "近一个月内多个部门先后入企检查，影响正常生产，请协调合并检查。",
         "已协调相关部门实行联合检查、无事不扰，本季度不再单独入企。"),
        ("工程款项被拖欠",
         "我公司承建的工程款逾期未付，请协助协调。",
         "已约谈欠款单位，双方签订还款计划，首笔款项已支付。"),
        ("商标被仿冒使用",
         "我公司商标被他人仿冒使用，请求市场监管部门依法查处。",
         "市场监管部门已立案查处，涉案产品已下架。"),
        ("行政处罚裁量异议",
         "我公司对一项轻微违法的处罚裁量有异议，请求复核。",
         "已复核处罚依据，按首违不罚规定予以免罚。"),
    ],
    "other": [
        ("公交线路延伸至园区",
         "园区员工通勤不便，希望开通或延伸公交线路。",
         "交通部门已调整线路，新增园区站点。"),
        ("厂区周边道路照明",
         "企业门前道路没有路灯，夜间通行存在安全隐患，请协调安装。",
         "路灯已安装完毕并亮灯。"),
        ("外籍专家工作许可办理",
         "我公司外籍技术专家需办理工作许可和居留，请协助。",
         "已开通绿色通道，工作许可和居留证件已办结。"),
        ("企业更名后资质证照变更",
         "我公司名称变更后，多项资质证照需同步变更，请协助一次办好。",
         "已通过一窗通办完成全部证照变更。"),
    ],
}  # fmt: skip

# What an enterprise asks about depends on where its project stands.
CATEGORY_WEIGHTS: dict[str, dict[str, int]] = {
    "none": {"policy": 3, "finance": 3, "talent": 2, "market": 2, "rights": 1, "other": 1,
             "approval": 1},
    "early": {"land": 3, "approval": 2, "policy": 2, "energy": 1, "environment": 1, "other": 1},
    "approvals": {"land": 4, "approval": 4, "energy": 2, "environment": 3, "utilities": 2,
                  "construction": 1, "finance": 1, "policy": 1},
    "construction": {"construction": 4, "utilities": 4, "land": 1, "approval": 1, "finance": 2,
                     "talent": 1, "environment": 1, "rights": 1},
    "operation": {"policy": 3, "finance": 3, "talent": 3, "market": 3, "utilities": 2,
                  "environment": 1, "rights": 2, "other": 1},
}  # fmt: skip
STAGE_GROUP: dict[str, str] = {
    Stage.LEAD: "early", Stage.NEGOTIATING: "early", Stage.SIGNED: "approvals",
    Stage.REGISTERED: "approvals", Stage.APPROVALS: "approvals",
    Stage.CONSTRUCTION: "construction", Stage.OPERATION: "operation",
    Stage.FULL_CAPACITY: "operation",
}  # fmt: skip
STAGE_DATES = [
    (Stage.LEAD, "lead_on"), (Stage.NEGOTIATING, "negotiating_on"), (Stage.SIGNED, "signed_on"),
    (Stage.REGISTERED, "registered_on"), (Stage.APPROVALS, "approvals_on"),
    (Stage.CONSTRUCTION, "construction_on"), (Stage.OPERATION, "operation_on"),
    (Stage.FULL_CAPACITY, "full_capacity_on"),
]  # fmt: skip
# Busier in the building season, quiet around the Spring Festival.
MONTH_WEIGHT = [0.55, 0.45, 1.05, 1.2, 1.2, 1.15, 1.0, 1.0, 1.1, 0.85, 1.0, 0.8]

QUESTIONS = [
    ("请补充提供项目备案文件及用地红线图。", "已上传备案文件和红线图。"),
    ("请提供近三年经审计的财务报表。", "财务报表已补充上传。"),
    ("请补充设备清单及主要技术参数。", "设备清单已补充。"),
    ("请明确用电负荷及预计接电时间。", "已补充用电负荷测算表，计划下月接电。"),
    ("请提供相关合同及往来凭证复印件。", "合同及凭证复印件已上传。"),
]
SATISFIED = ["办理及时，非常满意", "管家服务热情周到", "问题已解决，感谢", "响应很快", "", "", ""]
BASICALLY = ["基本解决，后续还需跟进", "答复稍慢", "问题部分解决", ""]
UNSATISFIED = [
    "问题没有实质解决，只是转交了事",
    "答复与实际情况不符",
    "承诺的时间节点没有落实",
]
REVISITS = [
    "电话回访，企业对办理结果表示认可",
    "上门回访，企业反映问题已解决",
    "电话回访，企业满意",
    "回访确认后续事项已落实",
]
SECOND_ANSWERS = [
    "已再次协调主管部门现场办公，问题已解决，并明确了后续时间节点。",
    "经专题会议研究，已形成书面解决方案并送达企业。",
]
BOUNCE_REASONS = [
    "该事项不属于本部门职责，建议转交属地政府办理",
    "诉求涉及多个部门，需由营商环境建设局统筹协调",
]
NOTES = ["已电话联系企业了解具体情况", "已与主管部门对接，正在办理中", "已现场踏勘，正在协调"]

# The requests still open now: (status, owner, how far into the current window, flags).
# owner: "demo" = the demo steward's enterprises, "firm" = the demo enterprise, else others.
# Flags: "handler" (sent to a department), "overdue" (a deadline just passed that the sweep
# has not acted on yet: it will on its first run), "escalated" (acted on before),
# "reopened" (rated unsatisfied earlier), "land" (a land request: the demo handler's).
OPEN_SPECS: list[tuple[str, str, float, frozenset[str]]] = [
    *[(Status.SUBMITTED, owner, 0.0, frozenset()) for owner in ("demo", "x", "x", "x")],
    *[(Status.ACCEPTED, owner, 0.0, frozenset()) for owner in ("demo", "x", "x", "x")],
    (Status.DISPATCHED, "demo", 0.35, frozenset()),
    (Status.DISPATCHED, "x", 0.2, frozenset({"handler", "land"})),
    (Status.DISPATCHED, "x", 0.6, frozenset()),
    (Status.DISPATCHED, "x", 0.85, frozenset({"handler"})),
    (Status.DISPATCHED, "x", 0.1, frozenset()),
    (Status.DISPATCHED, "x", 0.5, frozenset({"handler"})),
    (Status.DISPATCHED, "x", 1.3, frozenset({"handler", "overdue"})),
    (Status.HANDLING, "demo", 0.4, frozenset()),
    (Status.HANDLING, "demo", 0.85, frozenset()),
    (Status.HANDLING, "firm", 0.3, frozenset()),
    *[(Status.HANDLING, "x", f, frozenset()) for f in (0.1, 0.2, 0.3, 0.45, 0.55, 0.6, 0.7, 0.9)],
    (Status.HANDLING, "x", 0.25, frozenset({"handler", "land"})),
    (Status.HANDLING, "x", 0.65, frozenset({"handler"})),
    (Status.HANDLING, "x", 1.05, frozenset({"overdue"})),
    (Status.HANDLING, "x", 1.1, frozenset({"overdue", "handler"})),
    (Status.HANDLING, "x", 1.25, frozenset({"overdue"})),
    (Status.HANDLING, "x", 1.5, frozenset({"escalated"})),
    (Status.HANDLING, "x", 0.3, frozenset({"reopened"})),
    (Status.AWAITING_INFO, "firm", 0.3, frozenset()),
    *[(Status.AWAITING_INFO, "x", f, frozenset()) for f in (0.2, 0.4, 0.5, 0.7)],
    (Status.BOUNCED, "x", 0.4, frozenset({"handler"})),
    (Status.BOUNCED, "x", 0.6, frozenset({"handler"})),
]  # fmt: skip
REPLIED_WAITING = ("firm", "x", "x", "x")  # answered in the last days, not rated yet
WITHDRAWN = 8
# The demo enterprise's closed requests: outcome per request.
FIRM_CLOSED = ("satisfied", "satisfied", "basically", "reopened")


# ---------------------------------------------------------------------------- people


def _name(rng: random.Random) -> str:
    given = "".join(rng.sample(data.GIVEN, rng.choice([1, 2, 2])))
    return rng.choice(data.SURNAMES) + given


def _new_user(rng: random.Random, username: str, role: str, region: Region, **extra: Any) -> User:
    name = _name(rng)
    return User(
        username=username, role=role, display_name=name, last_name=name[:1], first_name=name[1:],
        region=region, password=make_password(None),
        phone=rng.choice(data.MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}", **extra,
    )  # fmt: skip


def _audit_created(users: Sequence[User]) -> None:
    AuditEntry.objects.bulk_create(
        AuditEntry(
            action=AuditAction.CREATE, object_type=User._meta.label_lower, object_id=str(u.pk),
            object_repr=str(u)[:300],
            after={"username": u.username, "role": u.role, "region_id": u.region_id,
                   "department_id": u.department_id},
            note="demo",
        )
        for u in users
    )  # fmt: skip


def _audit_steward(objs: Sequence[Enterprise | Project]) -> None:
    AuditEntry.objects.bulk_create(
        AuditEntry(
            action=AuditAction.UPDATE, object_type=o._meta.label_lower, object_id=str(o.pk),
            object_repr=str(o)[:300], before={"steward_id": None},
            after={"steward_id": o.steward_id}, note="demo: steward assigned",
        )
        for o in objs
    )  # fmt: skip


@dataclass
class People:
    city: Region
    areas: dict[str, Region]
    stewards_by_area: dict[int, list[User]]  # area id → stewards working there
    city_stewards: list[User]
    officials: dict[int, list[User]]  # region id → area officials
    leaders: dict[int, list[User]]  # region id → leaders
    admins: list[User]
    handlers: dict[int, list[User]]  # department id → handlers
    contacts: dict[int, User]  # enterprise id → its contact account
    demo_steward: User | None
    created: dict[str, int] = field(default_factory=dict)


def _name_department_heads(departments: Iterable[Department]) -> None:
    """Each demo department without a head (负责人) gets its first handler, who hears when its
    queue is not worked (only where none is named: a head chosen by the admins stays)."""
    for department in departments:
        if department.head_id is not None:
            continue
        first = (
            User.objects.filter(role=Role.HANDLER, is_active=True, department=department)
            .order_by("pk")
            .first()
        )
        if first is not None:
            department.head = first
            audited_save(department, None, note="demo")


def ensure_people(rng: random.Random) -> People:
    """Stewards up to STEWARDS_TOTAL across the 9 areas; an official and a leader in each area,
    a city leader, a handler in each demo department (only where missing)."""
    city = Region.objects.get(code=data.CITY)
    areas = {r.code: r for r in Region.objects.filter(code__in=data.AREAS).order_by("sort_order")}
    taken = set(User.objects.values_list("username", flat=True))
    created: dict[str, int] = {}

    def username(prefix: str) -> str:
        n = 1
        while f"{prefix}_{n:04d}" in taken:
            n += 1
        taken.add(f"{prefix}_{n:04d}")
        return f"{prefix}_{n:04d}"

    new: list[User] = []
    missing = STEWARDS_TOTAL - User.objects.filter(role=Role.STEWARD).count()
    if missing > 0:
        codes = list(data.AREA_WEIGHTS)
        weights = [data.AREA_WEIGHTS[c] for c in codes]
        # Largest remainder, so the shares add up exactly.
        raw = [missing * w / sum(weights) for w in weights]
        counts = [int(r) for r in raw]
        for i in sorted(range(len(raw)), key=lambda i: counts[i] - raw[i])[: missing - sum(counts)]:
            counts[i] += 1
        for code, count in zip(codes, counts, strict=True):
            new += [
                _new_user(rng, username("gj_steward"), Role.STEWARD, areas[code])
                for _ in range(count)
            ]
        created["stewards"] = missing
    for role, prefix, key in ((Role.AREA_OFFICIAL, "gj_official", "officials"),
                              (Role.LEADER, "gj_leader", "leaders")):  # fmt: skip
        have = set(
            User.objects.filter(role=role, is_active=True, region__in=areas.values()).values_list(
                "region_id", flat=True
            )
        )
        made = [
            _new_user(rng, username(prefix), role, a) for a in areas.values() if a.pk not in have
        ]
        created[key] = len(made)
        new += made
    if not User.objects.filter(role=Role.LEADER, is_active=True, region=city).exists():
        new.append(_new_user(rng, username("gj_leader"), Role.LEADER, city))
        created["leaders"] += 1
    staffed = set(
        User.objects.filter(role=Role.HANDLER, is_active=True, department__isnull=False)
        .values_list("department_id", flat=True)
    )  # fmt: skip
    departments = Department.objects.filter(region=city, name__in=data.DEPARTMENTS).order_by("pk")
    handlers = [
        _new_user(rng, username("gj_handler"), Role.HANDLER, city, department=d)
        for d in departments
        if d.pk not in staffed
    ]
    created["handlers"] = len(handlers)
    new += handlers
    User.objects.bulk_create(new, batch_size=500)
    _audit_created(new)
    _name_department_heads(departments)

    people = People(
        city=city, areas=areas, stewards_by_area={}, city_stewards=[], officials={}, leaders={},
        admins=[], handlers={}, contacts={}, demo_steward=None, created=created,
    )  # fmt: skip
    for user in User.objects.filter(is_active=True).order_by("pk"):
        if user.role == Role.STEWARD:
            if user.region_id == city.pk or user.region_id is None:
                people.city_stewards.append(user)
            else:
                people.stewards_by_area.setdefault(user.region_id, []).append(user)  # type: ignore[arg-type]
            if user.username == "steward":
                people.demo_steward = user
        elif user.role == Role.AREA_OFFICIAL and user.region_id:
            people.officials.setdefault(user.region_id, []).append(user)
        elif user.role == Role.LEADER and user.region_id:
            people.leaders.setdefault(user.region_id, []).append(user)
        elif user.role == Role.CITY_ADMIN:
            people.admins.append(user)
        elif user.role == Role.HANDLER and user.department_id:
            people.handlers.setdefault(user.department_id, []).append(user)
        elif user.role == Role.ENTERPRISE and user.enterprise_id:
            people.contacts.setdefault(user.enterprise_id, user)
    return people


def assign_stewards(rng: random.Random, people: People) -> tuple[int, int]:
    """Every enterprise and project without a steward gets one from its area."""
    projects = list(Project.objects.order_by("pk"))
    area_of_enterprise: dict[int, int] = {}
    for p in projects:
        area_of_enterprise.setdefault(p.enterprise_id, p.region_id)
    area_ids = {a.pk for a in people.areas.values()}
    users = {u.pk: u for group in people.stewards_by_area.values() for u in group}
    users.update({u.pk: u for u in people.city_stewards})

    def pick(area_id: int | None) -> User:
        pool = people.stewards_by_area.get(area_id or 0) or people.city_stewards
        return rng.choice(pool)

    enterprises = []
    for e in Enterprise.objects.filter(steward__isnull=True).order_by("pk"):
        area = e.region_id if e.region_id in area_ids else area_of_enterprise.get(e.pk)
        e.steward = pick(area)
        enterprises.append(e)
    Enterprise.objects.bulk_update(enterprises, ["steward"], batch_size=500)
    stewards = dict(Enterprise.objects.values_list("pk", "steward_id"))
    orphans = [p for p in projects if p.steward_id is None]
    for p in orphans:
        own = users.get(stewards.get(p.enterprise_id) or 0)
        p.steward = own if own and own.region_id == p.region_id else pick(p.region_id)
    Project.objects.bulk_update(orphans, ["steward"], batch_size=500)
    _audit_steward([*enterprises, *orphans])
    return len(enterprises), len(orphans)


# ---------------------------------------------------------------------------- the stories


@dataclass
class Story:
    """One request as planned: its row before it is submitted and the steps taken on it."""

    sr: ServiceRequest
    handler: User | None = None  # the department handler it goes to, if any
    events: list[tuple[dt.datetime, str, User | None, str, dict[str, Any]]] = field(
        default_factory=list
    )
    overdue: bool = False  # its last escalation is due and left for the first real sweep

    def add(
        self,
        at: dt.datetime,
        kind: str,
        actor: User | None = None,
        note: str = "",
        data: dict[str, Any] | None = None,
    ) -> None:
        """A step to take at `at` (by `actor`, with its text and fields), named by the
        timeline entry it makes."""
        self.events.append((at, kind, actor, note, data or {}))

    @property
    def last(self) -> dt.datetime:
        return max(e[0] for e in self.events)


@dataclass
class Target:
    enterprise: Enterprise
    project: Project | None
    group: str  # which CATEGORY_WEIGHTS row


class RequestsBuilder:
    def __init__(self, rng: random.Random, cal: WorkCalendar, now: dt.datetime) -> None:
        self.rng, self.cal, self.now = rng, cal, now
        self.mpd = cal.minutes_per_day
        self.start = now - dt.timedelta(days=365)
        self.people = ensure_people(rng)
        self.assigned = assign_stewards(rng, self.people)
        self.categories = {c.code: c for c in Category.objects.filter(active=True)}
        self.slas: dict[tuple[int, str], sla.Sla] = {}
        self.enterprises = list(
            Enterprise.objects.filter(steward__isnull=False).select_related("steward", "region")
            .order_by("pk")
        )  # fmt: skip
        self.projects: dict[int, list[Project]] = {}
        for p in Project.objects.select_related("steward", "leader", "region").order_by("pk"):
            self.projects.setdefault(p.enterprise_id, []).append(p)
        firm_name = next(a.enterprise for a in data.ACCOUNTS if a.role == Role.ENTERPRISE)
        self.firm = next((e for e in self.enterprises if e.name == firm_name), None)
        demo = self.people.demo_steward
        self.weights = [self._weight(e) for e in self.enterprises]
        self.cum_weights = list(itertools.accumulate(self.weights))
        self.demo_pool = [t for t in self._targets() if demo and self._steward(t) == demo]
        self.other_pool = [t for t in self._targets() if not demo or self._steward(t) != demo]

    # -- choosing -----------------------------------------------------------------------
    def _weight(self, e: Enterprise) -> float:
        if self.firm is not None and e.pk == self.firm.pk:
            return 0.0  # the demo enterprise gets a curated handful instead
        live = [p for p in self.projects.get(e.pk, []) if p.stage != Stage.WITHDRAWN]
        return 0.4 + sum(2.0 if p.signed_on else 0.7 for p in live)

    def _targets(self) -> list[Target]:
        """Every (enterprise, live project) pair now, for the open requests."""
        found = []
        for e, w in zip(self.enterprises, self.weights, strict=True):
            if not w:
                continue
            live = [p for p in self.projects.get(e.pk, []) if p.stage != Stage.WITHDRAWN]
            found += [Target(e, p, STAGE_GROUP.get(p.stage, "none")) for p in live]
            if not live:
                found.append(Target(e, None, "none"))
        return found

    def _target_on(self, day: dt.date) -> Target:
        """Who asks on `day`. The demo steward looks after a third of the demo's firms and
        projects; keeping only some of their requests leaves that page busy but realistic."""
        demo = self.people.demo_steward
        while True:
            enterprise = self.rng.choices(self.enterprises, cum_weights=self.cum_weights)[0]
            target = self._target_for(enterprise, day)
            if demo is None or self._steward(target) != demo or self.rng.random() < 0.3:
                return target

    def _target_for(self, enterprise: Enterprise, day: dt.date) -> Target:
        live = []
        for p in self.projects.get(enterprise.pk, []):
            stage = _stage_on(p, day)
            if stage is not None:
                live.append((p, stage))
        if live and self.rng.random() < 0.8:
            project, stage = self.rng.choice(live)
            return Target(enterprise, project, STAGE_GROUP.get(stage, "none"))
        return Target(enterprise, None, "none")

    def _steward(self, t: Target) -> User | None:
        return steward_of(t.enterprise)  # as `services.submit` names it

    def _category(self, group: str, *, need_handler: bool = False) -> Category:
        weights = {
            code: w
            for code, w in CATEGORY_WEIGHTS[group].items()
            if code in self.categories
            and (not need_handler or self.categories[code].department_id in self.people.handlers)
        }
        if not weights and need_handler:
            return self._category("approvals", need_handler=True)
        if not weights:
            return self.rng.choice(list(self.categories.values()))
        code = self.rng.choices(list(weights), weights=list(weights.values()))[0]
        return self.categories[code]

    def _sla(self, category: Category, priority: str) -> sla.Sla:
        key = (category.pk, priority)
        if key not in self.slas:
            self.slas[key] = sla.sla_for(category, priority)
        return self.slas[key]

    def _day(self) -> dt.date:
        """A day in the last year, weighted by season."""
        while True:
            day = (self.start + dt.timedelta(days=self.rng.random() * 365)).date()
            if self.rng.random() * 1.2 < MONTH_WEIGHT[day.month - 1]:
                return day

    def _submitted_on(self, day: dt.date) -> dt.datetime:
        """Mostly in office hours on a working day; some evenings and weekends."""
        tz = self.cal.tz
        if self.rng.random() < 0.8:
            while not self.cal.is_working_day(day):
                day += dt.timedelta(days=1)
            start = dt.datetime.combine(day, dt.time(0, 0), tz)
            return self.cal.add(start, self.rng.uniform(0, self.mpd - 1))
        return dt.datetime.combine(day, dt.time(7, 0), tz) + dt.timedelta(
            minutes=self.rng.uniform(0, 15 * 60)
        )

    def back(self, end: dt.datetime, minutes: float) -> dt.datetime:
        return working_back(self.cal, end, minutes)

    def add(self, start: dt.datetime, minutes: float) -> dt.datetime:
        return self.cal.add(start, max(minutes, 0))

    # -- a new request ------------------------------------------------------------------
    def _new(self, t: Target, *, handler: bool | None = None, code: str = "") -> Story:
        """The request's row before it is submitted. `handler`: sent to a department (None:
        as requests of its category usually go); `code`: its category, if not chosen here."""
        category = self.categories.get(code) or self._category(t.group, need_handler=bool(handler))
        priority = category.default_priority
        roll = self.rng.random()
        if roll < 0.05:
            priority = Priority.URGENT
        elif roll < 0.1 and priority == Priority.GENERAL:
            priority = Priority.COMPLEX
        title, text, answer = self.rng.choice(TOPICS.get(category.code) or TOPICS["other"])
        subject = t.project.name if t.project is not None else "我公司"
        steward = self._steward(t)
        contact = self.people.contacts.get(t.enterprise.pk)
        roll = self.rng.random()
        source = (
            Source.WEB if roll < 0.55 or contact else
            Source.OPEN311 if roll < 0.72 else Source.API if roll < 0.8 else Source.STAFF
        )  # fmt: skip
        policy = self._sla(category, priority)
        region = (
            t.project.region if t.project is not None else t.enterprise.region or self.people.city
        )
        sr = ServiceRequest(
            enterprise=t.enterprise, project=t.project, region=region, category=category,
            priority=priority, title=title, text=text.format(subject=subject), source=source,
            submitted_by=contact if source == Source.WEB else steward if source == Source.STAFF
            else None,
            steward=steward, assignee=steward,
            sign_days=policy.sign_days, reply_days=policy.reply_days,
            resolve_days=policy.resolve_days, max_resolve_days=policy.max_resolve_days,
        )  # fmt: skip
        sr.answer = answer  # kept only if it gets answered
        handlers = self.people.handlers.get(category.department_id or 0)
        if handler is None:
            handler = bool(handlers) and self.rng.random() < 0.6
        return Story(sr, handler=self.rng.choice(handlers) if handler and handlers else None)

    def _submit(self, story: Story, at: dt.datetime) -> None:
        story.sr.submitted_at = at
        story.add(at, EventKind.SUBMIT, story.sr.submitted_by)

    def _accept(self, story: Story, at: dt.datetime) -> None:
        story.add(at, EventKind.ACCEPT, story.sr.steward)

    def _dispatch(self, story: Story, at: dt.datetime, to: User | None) -> None:
        sr = story.sr
        to = to or self._local(sr)
        sr.assignee = to
        sr.clock_started_at = sr.sign_started_at = at
        story.add(at, EventKind.DISPATCH, sr.steward, data={"to": to})

    def _local(self, sr: ServiceRequest) -> User:
        """Who handles a request its steward keeps: the steward, when the request's area is
        theirs; else a steward of the request's area (a request goes only to people of its
        area: `access.assignable_people`), the same one for an enterprise's requests."""
        steward = sr.steward
        assert steward is not None
        lineage = sr.region.lineage
        if steward.region is None or steward.region.path in lineage:
            return steward
        if sr.region_id == self.people.city.pk:
            local = self.people.city_stewards
        else:
            local = self.people.stewards_by_area.get(sr.region_id) or self.people.officials.get(
                sr.region_id, []
            )
        assert local, f"nobody to handle a request in {sr.region}"
        return local[sr.enterprise_id % len(local)]

    def _transfer(self, story: Story, at: dt.datetime, to: User) -> None:
        sr = story.sr
        story.add(at, EventKind.TRANSFER, sr.assignee, f"转{to.department or to}办理", {"to": to})
        sr.assignee, sr.sign_started_at = to, at

    def _sign(self, story: Story, at: dt.datetime) -> None:
        story.add(at, EventKind.SIGN, story.sr.assignee)

    def _resolve_due(self, sr: ServiceRequest) -> dt.datetime:
        """When the answer is due, to tell the planned story an answer on time from a late
        one (the services settle `on_time` themselves when the answer is given)."""
        assert sr.clock_started_at is not None
        minutes = float(sr.resolve_days + sr.extension_days) * self.mpd + sr.paused_minutes
        return self.add(sr.clock_started_at, minutes)

    # -- a request from start to finish ---------------------------------------------------
    def closed(self, t: Target, submitted: dt.datetime, outcome: str) -> Story:
        """outcome: on_time, late, reopened, or a rating (satisfied/basically) for on time."""
        rng, mpd = self.rng, self.mpd
        story = self._new(t)
        self._submit(story, submitted)
        sr = story.sr
        self._accept(story, self.add(submitted, rng.uniform(10, 240)))
        handler = story.handler
        transfer = handler is not None and rng.random() < 0.2
        dispatched = self.add(story.last, rng.uniform(5, 150))
        self._dispatch(story, dispatched, None if transfer else handler)
        sign_window = float(sr.sign_days) * mpd
        if transfer and handler is not None:
            moved = self.add(dispatched, rng.uniform(0.1, 0.6) * sign_window)
            self._transfer(story, moved, handler)
        late = outcome == "late"
        sign_late = late and rng.random() < 0.3
        f = rng.uniform(1.05, 1.6) if sign_late else rng.uniform(0.03, 0.7) ** 1.5
        assert sr.sign_started_at is not None and sr.clock_started_at is not None
        signed = self.add(sr.sign_started_at, f * sign_window)
        self._sign(story, signed)
        window = float(sr.resolve_days) * mpd
        clock = sr.clock_started_at
        pause = None
        if rng.random() < 0.08:
            ask = self.add(max(signed, self.add(clock, rng.uniform(0.1, 0.4) * window)), 1)
            question, reply = rng.choice(QUESTIONS)
            given = self.add(ask, rng.uniform(0.3, 3) * mpd)
            sr.paused_minutes = self.cal.between(ask, given)
            pause = (ask, sr.paused_minutes)
            story.add(ask, EventKind.ASK_INFO, sr.assignee, question)
            story.add(given, EventKind.GIVE_INFO, self.people.contacts.get(t.enterprise.pk), reply)
        u = 1.02 + rng.random() ** 2 * 1.4 if late else 0.08 + 0.88 * rng.random() ** 1.3
        replied = self.add(clock, u * window + sr.paused_minutes)
        floor = max(signed, pause[0] if pause else signed, story.last)
        if replied <= floor:
            replied = self.add(floor, rng.uniform(20, 120))
        if pause is None and rng.random() < 0.2:
            noted = self.add(signed, self.cal.between(signed, replied) * rng.uniform(0.2, 0.8))
            story.add(noted, EventKind.NOTE, sr.assignee, rng.choice(NOTES))
        self._reply(story, replied)
        if outcome == "reopened":
            self._reopen_and_close(story)
        else:
            self._rate_or_close(story, outcome)
        return story

    def _reply(self, story: Story, at: dt.datetime) -> None:
        sr = story.sr
        sr.replied_at = at
        sr.on_time = at <= self._resolve_due(sr)
        story.add(at, EventKind.REPLY, sr.assignee, sr.answer)

    def _rate_or_close(self, story: Story, outcome: str) -> None:
        rng, sr = self.rng, story.sr
        assert sr.replied_at is not None
        if outcome in (Rating.SATISFIED, Rating.BASICALLY):
            rating = outcome
        elif rng.random() < 0.06:
            rating = ""  # never rated: the steward closes it after a week
        elif sr.on_time:
            rating = Rating.SATISFIED if rng.random() < 0.87 else Rating.BASICALLY
        else:
            rating = Rating.SATISFIED if rng.random() < 0.5 else Rating.BASICALLY
        contact = self.people.contacts.get(sr.enterprise_id)
        if rating:
            at = self.add(sr.replied_at, rng.uniform(15, 2 * self.mpd))
            comment = rng.choice(SATISFIED if rating == Rating.SATISFIED else BASICALLY)
            story.add(at, EventKind.RATE, contact, comment, {"rating": rating})
        else:
            at = self.add(sr.replied_at, 5 * self.mpd + rng.uniform(0, 60))
            story.add(at, EventKind.CLOSE, sr.steward)
        if rng.random() < 0.25:
            self._revisit(story, self.add(at, rng.uniform(0.5, 5) * self.mpd))

    def _revisit(self, story: Story, at: dt.datetime) -> None:
        text = self.rng.choice(REVISITS)
        channel = "visit" if "上门" in text else "phone" if "电话" in text else "message"
        story.add(at, EventKind.REVISIT, story.sr.steward, text,
                  {"channel": channel, "outcome": "satisfied"})  # fmt: skip

    def _unsatisfied(self, story: Story, at: dt.datetime | None = None) -> dt.datetime:
        """Rated unsatisfied (at `at`, else soon after the answer): reopened with a fresh
        window; returns when."""
        rng, sr = self.rng, story.sr
        assert sr.replied_at is not None
        at = at or self.add(sr.replied_at, rng.uniform(30, 2 * self.mpd))
        comment = rng.choice(UNSATISFIED)
        contact = self.people.contacts.get(sr.enterprise_id)
        story.add(at, EventKind.RATE, contact, comment, {"rating": Rating.UNSATISFIED})
        sr.clock_started_at, sr.paused_minutes = at, 0  # the rating reopens it: a new window
        return at

    def _reopen_and_close(self, story: Story) -> None:
        rng, sr = self.rng, story.sr
        reopened = self._unsatisfied(story)
        window = float(sr.resolve_days) * self.mpd
        replied = self.add(reopened, rng.uniform(0.2, 0.9) * window)
        sr.answer = rng.choice(SECOND_ANSWERS)
        self._reply(story, replied)
        # The revisit owed after the 不满意 comes before the closing (the close step refuses
        # without it).
        revisited = self.add(replied, rng.uniform(0.3, 1.5) * self.mpd)
        self._revisit(story, revisited)
        story.add(self.add(revisited, rng.uniform(10, 120)), EventKind.CLOSE, sr.steward)

    def withdrawn(self, t: Target, submitted: dt.datetime) -> Story:
        story = self._new(t)
        self._submit(story, submitted)
        at = self.add(submitted, self.rng.uniform(30, 600))
        if self.rng.random() < 0.5:
            self._accept(story, self.add(submitted, self.rng.uniform(10, 25)))
        story.add(at, EventKind.WITHDRAW, self.people.contacts.get(t.enterprise.pk),
                  "问题已自行解决，撤回诉求")  # fmt: skip
        return story

    # -- requests open now ------------------------------------------------------------------
    def open(self, t: Target, status: str, f: float, flags: frozenset[str]) -> Story:
        """A request in `status` now, `f` of the way through its current window."""
        rng, mpd, now = self.rng, self.mpd, self.now
        # "land" goes to the natural resources bureau: the demo handler's desk.
        story = self._new(t, handler="handler" in flags, code="land" if "land" in flags else "")
        story.overdue = "overdue" in flags
        sr = story.sr
        if status in (Status.SUBMITTED, Status.ACCEPTED):
            submitted = self.back(now, rng.uniform(15, 400))
            self._submit(story, submitted)
            if status == Status.ACCEPTED:
                self._accept(story, self.add(submitted, self.cal.between(submitted, now) / 3))
            return story
        # Work back from now to the dispatch that started the current window.
        sign_window, window = float(sr.sign_days) * mpd, float(sr.resolve_days) * mpd
        reopened = replied = None
        if status in (Status.DISPATCHED, Status.BOUNCED):
            dispatched = self.back(now, f * sign_window)
        elif "reopened" in flags:
            reopened = self.back(now, f * window)
            replied = self.back(reopened, rng.uniform(30, mpd))
            dispatched = self.back(replied, rng.uniform(0.3, 0.9) * window)
        elif status == Status.AWAITING_INFO:
            dispatched = self.back(now, f * window + rng.uniform(0.3, 2) * mpd)
        else:
            dispatched = self.back(now, f * window)
        accepted = self.back(dispatched, rng.uniform(5, 150))
        self._submit(story, self.back(accepted, rng.uniform(10, 240)))
        self._accept(story, accepted)
        self._dispatch(story, dispatched, story.handler)
        if status in (Status.DISPATCHED, Status.BOUNCED):
            if status == Status.BOUNCED:
                bounced = self.add(dispatched, f * rng.uniform(0.3, 0.9) * sign_window)
                story.add(bounced, EventKind.BOUNCE, sr.assignee, rng.choice(BOUNCE_REASONS))
            return story
        end = replied or now
        first = min(rng.uniform(0.05, 0.6) * sign_window, 0.5 * self.cal.between(dispatched, end))
        signed = self.add(dispatched, first)
        self._sign(story, signed)
        if reopened is not None and replied is not None:
            self._reply(story, replied)
            self._unsatisfied(story, reopened)
            return story
        if status == Status.AWAITING_INFO:
            ask = max(self.add(dispatched, f * window), self.add(signed, 30))
            question, _answer = rng.choice(QUESTIONS)
            story.add(ask, EventKind.ASK_INFO, sr.assignee, question)
            return story
        if f > 0.3 and rng.random() < 0.5:
            noted = self.add(signed, self.cal.between(signed, now) * rng.uniform(0.3, 0.9))
            story.add(noted, EventKind.NOTE, sr.assignee, rng.choice(NOTES))
        return story

    def replied_waiting(self, t: Target) -> Story:
        """Answered in the last working days; the enterprise has not rated it yet."""
        rng, mpd = self.rng, self.mpd
        replied = self.back(self.now, rng.uniform(0.1, 3) * mpd)
        for _attempt in range(20):
            story = self.closed(t, self.back(replied, rng.uniform(1, 4) * mpd), "on_time")
            if story.sr.replied_at and story.sr.replied_at < self.now:
                break
        # Drop what came after the answer.
        replied_at = story.sr.replied_at
        assert replied_at is not None
        story.events = [e for e in story.events if e[0] <= replied_at]
        return story


def working_back(cal: WorkCalendar, end: dt.datetime, minutes: float) -> dt.datetime:
    """The moment `minutes` of working time before `end` (the calendar's `add`, backwards)."""
    left = dt.timedelta(minutes=minutes)
    day = end.astimezone(cal.tz).date()
    for _day in range(3660):
        if cal.is_working_day(day):
            for a, b in reversed(cal.hours):
                span_start = dt.datetime.combine(day, a, cal.tz)
                span_end = min(dt.datetime.combine(day, b, cal.tz), end)
                if span_end <= span_start:
                    continue
                if span_end - span_start >= left:
                    return span_end - left
                left -= span_end - span_start
        day -= dt.timedelta(days=1)
    raise ValueError("no working time in ten years: check the holiday calendar")


def _stage_on(p: Project, day: dt.date) -> str | None:
    """The project's stage on `day`; None before it existed or after it was withdrawn."""
    if p.withdrawn_on and p.withdrawn_on <= day:
        return None
    stage = None
    for s, attr in STAGE_DATES:
        on = getattr(p, attr)
        if on is not None and on <= day:
            stage = s
    return stage


# ---------------------------------------------------------------------------- the whole year


def _plan(b: RequestsBuilder) -> list[Story]:
    rng, stories = b.rng, []
    demo_targets = b.demo_pool or b.other_pool
    firm_targets = (
        [Target(b.firm, p, STAGE_GROUP.get(p.stage, "none"))
         for p in b.projects.get(b.firm.pk, []) if p.stage != Stage.WITHDRAWN]
        or [Target(b.firm, None, "none")]
        if b.firm is not None else demo_targets
    )  # fmt: skip
    pools = {"demo": demo_targets, "firm": firm_targets, "x": b.other_pool}
    for status, owner, f, flags in OPEN_SPECS:
        stories.append(b.open(rng.choice(pools[owner]), status, f, flags))
    for owner in REPLIED_WAITING:
        stories.append(b.replied_waiting(rng.choice(pools[owner])))
    curated = [(rng.choice(firm_targets), outcome) for outcome in FIRM_CLOSED]
    for _i in range(WITHDRAWN):
        day = b._day()
        stories.append(b.withdrawn(b._target_on(day), b._submitted_on(day)))
    closed = REQUESTS_TOTAL - len(stories)
    for i in range(closed):
        if i < len(curated):
            target, outcome = curated[i]
        else:
            target, outcome = None, ""
            roll = rng.random()
            outcome = "reopened" if roll < 0.042 else "late" if roll < 0.145 else "on_time"
        for attempt in range(50):  # a story must be over by now
            day = b._day()
            if attempt > 10:  # keep clear of the last weeks
                day = min(day, b.now.date() - dt.timedelta(days=40))
            t = target or b._target_on(day)
            story = b.closed(t, b._submitted_on(day), outcome)
            if story.last <= b.now:
                break
        else:
            raise AssertionError("no closed request fits before now")
        stories.append(story)
    return stories


# ---------------------------------------------------------------------------- taking the steps

# The planned timeline entry → the step that makes it, and the step's fields from the entry.
STEP_OF: dict[str, str] = {
    EventKind.ACCEPT: "accept", EventKind.DISPATCH: "dispatch", EventKind.TRANSFER: "transfer",
    EventKind.SIGN: "sign", EventKind.BOUNCE: "bounce", EventKind.ASK_INFO: "ask_info",
    EventKind.GIVE_INFO: "give_info", EventKind.NOTE: "note", EventKind.REPLY: "reply",
    EventKind.RATE: "rate", EventKind.CLOSE: "close", EventKind.REVISIT: "revisit",
    EventKind.WITHDRAW: "withdraw",
}  # fmt: skip
FIELDS: dict[str, Any] = {
    "accept": lambda note, d: {"note": note},
    "dispatch": lambda note, d: {"to": d["to"]},
    "transfer": lambda note, d: {"to": d["to"], "note": note},
    "sign": lambda note, d: {},
    "bounce": lambda note, d: {"reason": note},
    "ask_info": lambda note, d: {"question": note},
    "give_info": lambda note, d: {"answer": note},
    "note": lambda note, d: {"note": note},
    "reply": lambda note, d: {"answer": note},
    "rate": lambda note, d: {"rating": d["rating"], "comment": note},
    "close": lambda note, d: {"note": note},
    "revisit": lambda note, d: {"note": note, "channel": d["channel"], "outcome": d["outcome"]},
    "withdraw": lambda note, d: {"reason": note},
}
SWEEP_EVERY = dt.timedelta(minutes=1)  # the scheduler runs the escalation sweep every minute


def _replay(story: Story, batch: steps.Batch, now: dt.datetime) -> ServiceRequest:
    """Submit the planned request and take its steps in time order through the services, the
    escalation sweep acting on each mark a minute after it falls, as the scheduler's would."""
    plan = story.sr
    submitted = story.events[0]
    assert submitted[1] == EventKind.SUBMIT
    batch.at = plan.submitted_at
    later = sorted(story.events[1:], key=lambda e: e[0])
    waiting = not later  # still waiting for acceptance now
    sr = services.submit(
        plan.submitted_by, enterprise=plan.enterprise, category=plan.category, title=plan.title,
        text=plan.text, project=plan.project, priority=plan.priority, source=plan.source,
        at=plan.submitted_at, intake_clock=waiting or _intake_fits(plan, later[0][0]),
    )  # fmt: skip
    if waiting:
        # The clock as of now: passed reminders skipped, an intake escalation left due for
        # the first real sweep (the demo's year predates the intake limit).
        sla.reschedule(sr, services.calendar(), now, done=set())
        return sr
    for at, kind, actor, note, said in later:
        if kind == EventKind.REOPEN:
            continue  # the unsatisfied rating reopens it (one step, two timeline entries)
        _sweep(sr, batch, before=at)
        batch.at = at
        step = STEP_OF[kind]
        services.take(step, sr, actor, **FIELDS[step](note, said))
    _sweep(sr, batch, until=now, hold=story.overdue)
    return sr


def _intake_fits(plan: ServiceRequest, first_step: dt.datetime) -> bool:
    """Whether the request's first step (accepted, dispatched or withdrawn) came before the
    intake clock's first mark acted on it. The demo's year of requests predates the intake
    limit (受理时限): its requests were accepted within up to four working hours, so the limit
    runs only for those it would have left alone, and the demo's figures (its escalations,
    timeline entries and on-time rate) stay those it publishes."""
    hours = steps.memo(
        f"requests.intake:{plan.category.pk}:{plan.source}",
        lambda: sla.intake_for(plan.category, plan.source),
    )
    if not hours:
        return True
    first_mark = services.calendar().add(
        plan.submitted_at, float(hours) * 60 * sla.INTAKE_MARKS[0].fraction
    )
    return first_step <= first_mark + SWEEP_EVERY


def _sweep(
    sr: ServiceRequest,
    batch: steps.Batch,
    *,
    before: dt.datetime | None = None,
    until: dt.datetime | None = None,
    hold: bool = False,
) -> None:
    """The sweep's runs on this request: each due mark, a minute after it falls, before the
    next step (`before`) or up to now (`until`). `hold`: the next escalation stays due."""
    while sr.next_mark_at is not None:
        moment = sr.next_mark_at + SWEEP_EVERY
        if before is not None and moment >= before:
            return
        if until is not None:
            if sr.next_mark_at > until:
                return
            moment = min(moment, until)
        if hold and sla.MARKS[sr.next_mark].level > 0:
            return
        batch.at = moment
        escalation.act_on([sr], moment)


def build_requests(*, seed: int, today: dt.date) -> dict[str, int]:
    """Stewards for the whole city and a year of requests up to `today`; returns counts.

    The requests are planned here (who asks what, when each step is taken); they are submitted
    and their steps taken through `guanjia.requests.services`, with the escalation sweep's
    own work (`escalation.act_on`), in one quiet batch of steps (`core.steps.batch`): the
    history, the clock, the escalations and the audit entries are the services' own, written
    in bulk, and nobody is notified of a year-old step.

    Needs the categories (guanjia.requests.loading.load_categories) and the holiday calendar
    (guanjia.worktime.loading.load_holidays) loaded first. When `today` is the real date the
    requests run up to this moment; otherwise up to the end of that day's office hours.
    """
    cal = WorkCalendar.load()
    if today == timezone.localdate():
        now = timezone.now()
    else:
        now = dt.datetime.combine(today, cal.hours[-1][1], cal.tz)
    rng = random.Random(f"requests-{seed}")
    events_before = RequestEvent.objects.count()
    escalations_before = Escalation.objects.count()
    with steps.batch(quiet=True) as batch:
        builder = RequestsBuilder(rng, cal, now)
        stories = sorted(_plan(builder), key=lambda s: s.sr.submitted_at)
        batch.memo("requests.calendar", lambda: cal)
        statuses = [_replay(story, batch, now).status for story in stories]
    return {
        "stewards": User.objects.filter(role=Role.STEWARD).count(),
        "stewards_created": builder.people.created.get("stewards", 0),
        "officials_created": builder.people.created.get("officials", 0),
        "leaders_created": builder.people.created.get("leaders", 0),
        "handlers_created": builder.people.created.get("handlers", 0),
        "enterprises_assigned": builder.assigned[0],
        "projects_assigned": builder.assigned[1],
        "requests": len(stories),
        "open": sum(1 for s in statuses if s in OPEN_STATUSES),
        "events": RequestEvent.objects.count() - events_before,
        "escalations": Escalation.objects.count() - escalations_before,
    }
