"""Demo leads (招商线索): about 300 leads across the areas and promotion teams, at every stage,
with their negotiation records, so that the board, the conversion figures and the follow-up
reminders have something to show. Signed leads continue projects already in the demo ledger
(a signed lead is its project: nothing typed twice)."""

import datetime as dt
import random
from decimal import Decimal

from guanjia.accounts.models import Department, Role, User
from guanjia.enterprises.creditcode import make_code
from guanjia.enterprises.models import ContactSource, Enterprise, Ownership
from guanjia.industries.models import Industry
from guanjia.leads.models import OPEN, Kind, Lead, NegotiationRecord, Status
from guanjia.projects.models import Project
from guanjia.projects.stages import Stage
from guanjia.regions.models import Region

LEADS = 300
TEAMS = ["驻京招商小分队", "驻沪招商小分队", "驻深招商小分队", "商务局"]
# (name, group, home city, ownership): investors courted from outside the city.
INVESTORS = [
    ("国家电力投资集团有限公司", "国家电投", "北京市", Ownership.CENTRAL_SOE),
    ("国家电投集团东北电力有限公司", "国家电投", "沈阳市", Ownership.CENTRAL_SOE_SUB),
    ("中国华能集团有限公司", "华能", "北京市", Ownership.CENTRAL_SOE),
    ("中国大唐集团新能源股份有限公司", "大唐", "北京市", Ownership.CENTRAL_SOE_SUB),
    ("中国长江三峡集团有限公司", "三峡", "武汉市", Ownership.CENTRAL_SOE),
    ("中国核工业集团有限公司", "中核", "北京市", Ownership.CENTRAL_SOE),
    ("中国宝武钢铁集团有限公司", "宝武", "上海市", Ownership.CENTRAL_SOE),
    ("中国中化控股有限责任公司", "中化", "北京市", Ownership.CENTRAL_SOE),
    ("华润医药集团有限公司", "华润", "深圳市", Ownership.CENTRAL_SOE_SUB),
    ("国药控股股份有限公司", "国药", "上海市", Ownership.CENTRAL_SOE_SUB),
    ("宁德时代新能源科技股份有限公司", "", "宁德市", Ownership.PRIVATE),
    ("比亚迪股份有限公司", "", "深圳市", Ownership.PRIVATE),
    ("隆基绿能科技股份有限公司", "", "西安市", Ownership.PRIVATE),
    ("通威股份有限公司", "", "成都市", Ownership.PRIVATE),
    ("万华化学集团股份有限公司", "", "烟台市", Ownership.LOCAL_SOE),
    ("恒力石化股份有限公司", "恒力", "大连市", Ownership.PRIVATE),
    ("荣盛石化股份有限公司", "", "杭州市", Ownership.PRIVATE),
    ("复星医药（集团）股份有限公司", "复星", "上海市", Ownership.PRIVATE),
    ("正大集团（中国区）", "正大", "上海市", Ownership.FOREIGN),
    ("京东方科技集团股份有限公司", "", "北京市", Ownership.LOCAL_SOE),
    ("中粮集团有限公司", "中粮", "北京市", Ownership.CENTRAL_SOE),
    ("金风科技股份有限公司", "", "乌鲁木齐市", Ownership.PRIVATE),
    ("远景能源有限公司", "", "无锡市", Ownership.PRIVATE),
]
# Where each home city registers companies (GB/T 2260), for the investors' credit codes.
CITY_CODES = {
    "北京市": "110000", "沈阳市": "210100", "武汉市": "420100", "上海市": "310000",
    "深圳市": "440300", "宁德市": "350900", "西安市": "610100", "成都市": "510100",
    "烟台市": "370600", "大连市": "210200", "杭州市": "330100", "乌鲁木齐市": "650100",
    "无锡市": "320200",
}  # fmt: skip
PROJECTS = [
    "海上风电项目", "储能电站项目", "负极材料项目", "氢能产业园", "光伏组件项目", "精细化工项目",
    "原料药项目", "冷链物流基地", "汽车零部件项目", "电子元器件项目", "特种钢材项目",
    "农产品精深加工项目", "港口物流项目", "高端装备制造项目", "新材料产业园",
]  # fmt: skip
OUTCOMES = [
    ("用地约200亩，希望靠近港区", "可提供临港工业用地及标准厂房", "企业将安排考察组实地踏勘"),
    ("需要双回路供电和能耗指标", "协调供电公司出具接入方案", "双方同意成立工作专班"),
    ("关注产业扶持政策和税收优惠", "介绍招商引资奖励办法", "企业内部论证后再次洽谈"),
    ("希望地方配套基金参与", "市产业基金可参与投资", "拟于下月签署框架协议"),
]
# (status, share of the leads)
MIX = [
    (Status.LEAD, 30),
    (Status.CONTACT, 22),
    (Status.NEGOTIATING, 18),
    (Status.SIGNED, 14),
    (Status.PAUSED, 8),
    (Status.DROPPED, 8),
]


def _teams(city: Region) -> list[Department]:
    return [Department.objects.get_or_create(name=n, region=city)[0] for n in TEAMS]


def _investors(rng: random.Random, industries: list[Industry]) -> list[Enterprise]:
    found = []
    sources = list(ContactSource.values)
    for i, (name, group, home, ownership) in enumerate(INVESTORS):
        code = make_code(f"91{CITY_CODES[home]}LD{i:07d}")
        investor, created = Enterprise.objects.get_or_create(
            name=name,
            defaults={"group": group, "home_city": home, "ownership": ownership,
                      "contact_source": rng.choice(sources), "credit_code": code},
        )  # fmt: skip
        if not created and not investor.group:
            investor.group, investor.contact_source = group, rng.choice(sources)
            investor.save(update_fields=["group", "contact_source"])
        if created and industries:
            investor.interests.set(rng.sample(industries, k=min(2, len(industries))))
        found.append(investor)
    return found


def build_leads(*, seed: int, today: dt.date, count: int = LEADS) -> int:
    """Create `count` leads (with records) dated over the year to `today`; returns how many."""
    rng = random.Random(seed + 11)
    city = Region.objects.filter(kind="city").order_by("pk").first()
    if city is None:
        return 0
    areas = list(Region.objects.active().filter(parent=city).order_by("code"))
    owners = list(
        User.objects.filter(
            role__in=[Role.STEWARD, Role.AREA_OFFICIAL, Role.CITY_ADMIN], is_active=True
        ).order_by("pk")
    )
    industries = list(Industry.objects.filter(active=True))
    if not areas or not owners:
        return 0
    teams = _teams(city)
    investors = _investors(rng, industries)
    signable = list(
        Project.objects.exclude(stage__in=[Stage.LEAD, Stage.NEGOTIATING, Stage.WITHDRAWN])
        .filter(lead__isnull=True, signed_on__isnull=False)
        .select_related("enterprise")
        .order_by("pk")[: count // 4]
    )
    statuses, weights = zip(*MIX, strict=True)
    leads: list[Lead] = []
    for _n in range(count):
        status = rng.choices(statuses, weights)[0]
        start = today - dt.timedelta(days=rng.randint(20, 360))
        owner = rng.choice(owners)
        area = owner.region if owner.region and owner.region.parent_id == city.pk else None
        lead = Lead(
            investor=rng.choice(investors),
            name=rng.choice(PROJECTS),
            industry=rng.choice(industries) if industries else None,
            investment_wan=Decimal(rng.choice([3000, 8000, 20000, 50000, 120000, 300000])),
            land_mu=Decimal(rng.choice([30, 80, 150, 300, 600])),
            power_kva=Decimal(rng.choice([2000, 8000, 20000, 50000])),
            energy_tce=Decimal(rng.choice([500, 3000, 10000])),
            water_tons=Decimal(rng.choice([50, 200, 1000])),
            workers=rng.choice([50, 120, 300, 800]),
            source=rng.choice(ContactSource.values),
            region=area or rng.choice(areas),
            department=rng.choice(teams) if rng.random() < 0.45 else None,
            owner=owner,
            status=status,
            lead_on=start,
            created_by=owner,
        )
        reached = [Status.LEAD]
        if status in (Status.CONTACT, Status.NEGOTIATING, Status.SIGNED) or rng.random() < 0.5:
            lead.contact_on = min(today, start + dt.timedelta(days=rng.randint(3, 40)))
            reached.append(Status.CONTACT)
        if status in (Status.NEGOTIATING, Status.SIGNED):
            lead.negotiating_on = min(
                today, (lead.contact_on or start) + dt.timedelta(days=rng.randint(10, 60))
            )
        if status == Status.SIGNED:
            lead.signed_on = min(
                today, (lead.negotiating_on or start) + dt.timedelta(days=rng.randint(15, 90))
            )
            if signable:
                project = signable.pop()
                lead.project, lead.investor = project, project.enterprise
                lead.name, lead.region = project.name, project.region
                lead.investment_wan = project.total_investment_wan
                # the lead's stages lead up to the project's signing
                assert project.signed_on is not None
                lead.signed_on = project.signed_on
                lead.negotiating_on = lead.signed_on - dt.timedelta(days=rng.randint(15, 90))
                lead.contact_on = lead.negotiating_on - dt.timedelta(days=rng.randint(10, 60))
                lead.lead_on = lead.contact_on - dt.timedelta(days=rng.randint(3, 40))
        if status == Status.PAUSED:
            lead.paused_from = Status.CONTACT if lead.contact_on else Status.LEAD
            lead.paused_on = today - dt.timedelta(days=rng.randint(1, 30))
            lead.status_reason = rng.choice(["企业投资计划调整", "等待集团决策", "项目选址未定"])
        if status == Status.DROPPED:
            lead.dropped_on = today - dt.timedelta(days=rng.randint(1, 60))
            lead.status_reason = rng.choice(["企业落户外地", "要素条件不满足", "企业资金链紧张"])
        leads.append(lead)
    Lead.objects.bulk_create(leads)
    records: list[NegotiationRecord] = []
    for lead in leads:
        last = lead.signed_on or lead.negotiating_on or lead.contact_on
        if last is None:
            continue
        day = lead.contact_on or last
        for _ in range(rng.randint(1, 4)):
            asked, offered, outcome = rng.choice(OUTCOMES)
            records.append(
                NegotiationRecord(
                    lead=lead,
                    kind=rng.choice(Kind.values),
                    date=day,
                    place=rng.choice(["市投资促进局", "企业总部", "项目现场", "北京锦州商会"]),
                    our_side=f"{lead.owner}等",
                    their_side="企业投资发展部负责人",
                    asked=asked,
                    offered=offered,
                    outcome=outcome,
                    next_step="跟进考察和方案对接",
                    created_by=lead.owner,
                )  # fmt: skip
            )
            day = min(last, day + dt.timedelta(days=rng.randint(5, 30)))
        lead.last_contact_on = records[-1].date
        if lead.status in OPEN:
            # some follow-ups are due soon, a few were missed (the sweep has work)
            lead.next_follow_up_on = today + dt.timedelta(days=rng.randint(-10, 20))
            records[-1].next_follow_up_on = lead.next_follow_up_on
    NegotiationRecord.objects.bulk_create(records)
    Lead.objects.bulk_update(leads, ["last_contact_on", "next_follow_up_on"])
    return len(leads)
