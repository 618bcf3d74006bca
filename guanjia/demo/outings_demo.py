"""Demo trips out (外出招商) and visits received (来访接待), entered through the leads'
services as the bureau would enter them: each meeting is a negotiation record on a demo lead
(`leads.services.add_meeting`), a lead met on the road is created there and then, and a few
leads move a step after a meeting. Dates are relative to the demo's today (as the leads'):
one trip is under way until today, so the workbench shows it as current.

Runs after `leads_demo.build_leads`, whose leads, teams and investors it meets again."""

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet

from guanjia.accounts.models import Department, User
from guanjia.enterprises.creditcode import make_code
from guanjia.enterprises.models import ContactSource, Ownership
from guanjia.industries.models import Industry
from guanjia.leads import access
from guanjia.leads import services as leads
from guanjia.leads.models import OPEN, Lead, Status, Trip, Visit
from guanjia.regions.models import Region

from . import data


@dataclass(frozen=True)
class TripPlan:
    start: int  # days before today
    days: int
    destinations: str
    cities: tuple[str, ...]  # where the investors met have their home
    team: str  # the promotion team (a department of the city) whose leads it works
    region: str  # region code
    owner: str  # username of the team's leader
    people: tuple[str, ...]  # usernames on the team
    purpose: str
    meetings: int


TRIPS = [
    TripPlan(150, 3, "北京市", ("北京市",), "驻京招商小分队", data.CITY, "admin",
             ("admin", "zhangwei", "wangfang"),
             "拜访央企总部和在京投资机构，对接新能源、石化和冷链物流项目。", 4),
    TripPlan(62, 3, "上海市、苏州市", ("上海市", "苏州市"), "驻沪招商小分队", data.CITY,
             "steward", ("steward", "huangmin"),
             "围绕生物医药和新材料产业链，拜访在沪企业总部和长三角产业园区。", 3),
    TripPlan(3, 4, "深圳市、广州市", ("深圳市", "广州市"), "驻深招商小分队", data.ZONE_DEV,
             "yangfan", ("yangfan", "zhaolei"),
             "参加深圳国际电池技术展，拜访新能源和电子信息企业。", 3),
]  # fmt: skip


@dataclass(frozen=True)
class VisitPlan:
    before: int  # days before today
    region: str
    actor: str  # who enters it (an official for their area, else the bureau)
    owner: str
    hosts: tuple[str, ...]
    host_names: str
    people: int  # how many came
    sites: str
    meetings: int
    advance: bool  # a lead in first contact moves to negotiation after the visit


VISITS = [
    VisitPlan(95, "210781", "official", "official", ("official", "liuyang"),
              "市政府副市长张国华，凌海市副市长陈志强", 6,
              "锦州港、凌海大有经济区化工园区及规划项目用地", 2, False),
    VisitPlan(40, data.ZONE_HITECH, "admin", "zhaolei", ("admin", "zhaolei"),
              "市投资促进局局长刘建国，高新区管委会主任", 5,
              "高新区生物医药产业园、标准厂房及九泰药业生产线", 2, False),
    VisitPlan(9, data.ZONE_DEV, "admin", "yangfan", ("admin", "yangfan"),
              "市委常委、副市长张国华，经开区管委会主任", 8,
              "滨海新区临港产业园、针状焦项目现场和可供地块", 1, True),
]  # fmt: skip

# (what they asked, what we offered, the outcome, the next step)
TALKS = [
    ("关注项目用地规模和取得方式", "介绍可供工业用地、标准厂房及出让流程",
     "企业认可选址条件，拟安排技术团队实地踏勘", "组织企业赴现场踏勘地块"),
    ("询问双回路供电和用能指标", "协调供电公司出具接入方案，能耗指标由市里统筹",
     "企业对要素保障表示满意", "提供供电接入和能评办理方案"),
    ("关心产业扶持和人才政策", "介绍招商引资奖励办法和人才引进政策",
     "企业将提交集团投资决策委员会论证", "跟进集团投资决策进度"),
    ("希望地方产业基金参与投资", "市产业投资基金可按比例参股",
     "双方同意组建工作专班推进", "起草投资框架协议"),
    ("了解上下游配套和原料供应", "介绍锦州石化针状焦和园区现有配套企业",
     "企业看好产业链协同，愿意加快推进", "安排与配套企业对接"),
]  # fmt: skip
THEIR_SIDE = ["企业投资发展部负责人", "企业副总经理", "集团战略投资部总经理", "企业董事长"]

# The investor met on the road, at the battery fair: created with its lead (nothing twice).
ROAD_INVESTOR = {
    "name": "深圳华锂新材料科技有限公司",
    "credit_code": make_code("91440300RD0000001"),
    "home_city": "深圳市",
    "ownership": Ownership.PRIVATE,
    "contact_source": ContactSource.EXPO,
    "description": "锂电池负极材料前驱体和硅碳材料生产企业，在深圳国际电池技术展上结识。",
}
ROAD_LEAD = {
    "name": "锂电池负极材料前驱体项目",
    "source": ContactSource.EXPO,
    "investment_wan": Decimal(60000),
    "land_mu": Decimal(150),
    "power_kva": Decimal(20000),
    "workers": 300,
    "notes": "企业看中锦州石化针状焦原料就近供应，拟在经开区布局前驱体产能。",
}


def _open_leads(actor: User, on: dt.date, taken: set[int]) -> QuerySet[Lead]:
    """Open leads the actor may work that existed by `on`."""
    return (
        access.leads_for(actor)
        .filter(status__in=OPEN, lead_on__lte=on)
        .exclude(pk__in=taken)
        .select_related("investor", "owner")
        .order_by("pk")
    )


def _pick(
    rng: random.Random, groups: list[QuerySet[Lead]], count: int, taken: set[int]
) -> list[Lead]:
    """`count` leads, from the first group that has them, then the next."""
    chosen: list[Lead] = []
    for group in groups:
        pool = [lead for lead in group if lead.pk not in taken]
        for lead in rng.sample(pool, min(len(pool), count - len(chosen))):
            chosen.append(lead)
            taken.add(lead.pk)
        if len(chosen) == count:
            break
    return chosen


def _meeting(
    outing: Trip | Visit, actor: User, lead: Lead, on: dt.date, place: str, our_side: str,
    rng: random.Random,
) -> None:  # fmt: skip
    asked, offered, outcome, next_step = rng.choice(TALKS)
    leads.add_meeting(
        outing, actor, lead=lead, date=on, place=place, our_side=our_side,
        their_side=rng.choice(THEIR_SIDE), asked=asked, offered=offered, outcome=outcome,
        next_step=next_step, next_follow_up_on=on + dt.timedelta(days=rng.randint(10, 30)),
    )  # fmt: skip


def build_outings(*, seed: int, today: dt.date) -> tuple[int, int]:
    """Enter the demo's trips and visits; returns how many of each."""
    rng = random.Random(seed + 17)
    users = {
        u.username: u for u in User.objects.filter(username__in=[a.username for a in data.ACCOUNTS])
    }
    regions = {r.code: r for r in Region.objects.filter(code__in=[data.CITY, *data.AREAS])}
    teams = {d.name: d for d in Department.objects.filter(region=regions[data.CITY])}
    admin = users["admin"]
    taken: set[int] = set()
    trips = 0
    for plan in TRIPS:
        start = today - dt.timedelta(days=plan.start)
        end = start + dt.timedelta(days=plan.days - 1)
        owner = users[plan.owner]
        trip = leads.create_trip(
            admin, destinations=plan.destinations, start_on=start, end_on=end,
            region=regions[plan.region], owner=owner, team=[users[u] for u in plan.people],
            purpose=plan.purpose,
        )  # fmt: skip
        our_side = "、".join(str(users[u]) for u in plan.people)
        team = teams.get(plan.team)
        base = _open_leads(admin, start, taken)
        there = base.filter(investor__home_city__in=plan.cities)
        met = _pick(rng, [there.filter(department=team), there, base.filter(department=team)],
                    plan.meetings, taken)  # fmt: skip
        last = min(end, today)
        for n, lead in enumerate(met):
            on = min(last, start + dt.timedelta(days=n * plan.days // max(1, len(met))))
            place = f"{lead.investor.name}总部"
            _meeting(trip, admin, lead, on, place, our_side, rng)
            if lead.status == Status.LEAD:  # first contact made on the trip
                leads.take_step(lead, "contact", admin, on=on)
        if plan.start < plan.days:  # still on the road: a lead met at the fair today
            industry = Industry.objects.filter(code="P2").first()
            road = leads.create_lead(
                admin, new_investor=ROAD_INVESTOR, investor=None, region=regions[plan.region],
                owner=owner, department=team, industry=industry, **ROAD_LEAD,
            )  # fmt: skip
            _meeting(trip, admin, road, last, "深圳国际会展中心", our_side, rng)
            leads.take_step(road, "contact", admin, on=last)
        trips += 1
    visits = 0
    for vplan in VISITS:
        on = today - dt.timedelta(days=vplan.before)
        actor = users[vplan.actor]
        region = regions[vplan.region]
        pool = list(_open_leads(actor, on, taken).filter(region=region))
        # One investor's delegation: the lead that brought it, and its other leads here.
        seeds = [
            lead for lead in pool
            if not vplan.advance or (lead.status == Status.CONTACT and lead.contact_on
                                     and lead.contact_on <= on)
        ]  # fmt: skip
        if not seeds:
            continue
        first = rng.choice(seeds)
        others = [x for x in pool if x.investor_id == first.investor_id and x.pk != first.pk]
        met = [first, *others[: vplan.meetings - 1]]
        taken.update(lead.pk for lead in met)
        investor = first.investor
        visit = leads.create_visit(
            actor, date=on, region=region, owner=users[vplan.owner], investors=[investor],
            visitors=f"{investor.group or investor.name}考察团一行{vplan.people}人",
            hosts=[users[u] for u in vplan.hosts], host_names=vplan.host_names,
            sites=vplan.sites,
        )  # fmt: skip
        our_side = vplan.host_names.split("，")[0]
        for lead in met:
            _meeting(visit, actor, lead, on, f"{region.name}招商服务中心", our_side, rng)
            if vplan.advance and lead.status == Status.CONTACT:
                leads.take_step(lead, "negotiate", actor, on=on)
        visits += 1
    return trips, visits
