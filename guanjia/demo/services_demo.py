"""Demo service records: a year of stewards' visits, calls, meetings and problems solved.

About 6,300 records across the city's stewards, so that "687 stewards on line, 6000+ services
delivered" is what `guanjia.servicerecords.figures.totals` answers, not a number typed in.
"""

import datetime as dt
import random
from collections import defaultdict

from django.db.models import Q

from guanjia.accounts.models import Role, User
from guanjia.enterprises.models import Enterprise
from guanjia.projects.models import Project
from guanjia.requests.models import ServiceRequest, Status
from guanjia.servicerecords.models import Kind, ServiceRecord

RECORDS = 6_318
KINDS = [
    (Kind.VISIT, 40),
    (Kind.CALL, 24),
    (Kind.MEETING, 10),
    (Kind.PROBLEM_SOLVED, 16),
    (Kind.POLICY, 8),
    (Kind.OTHER, 2),
]
SUMMARIES = {
    Kind.VISIT: [
        "上门走访，了解项目建设进度和用工需求",
        "走访企业生产车间，核实达产情况",
        "实地查看施工现场，协调临时用电",
        "走访企业负责人，收集用地和融资诉求",
    ],
    Kind.CALL: [
        "电话回访，确认审批材料已补齐",
        "电话沟通项目开工时间节点",
        "电话告知惠企政策申报截止日期",
        "电话了解企业一季度产值和用电情况",
    ],
    Kind.MEETING: [
        "组织自然资源、住建等部门召开项目推进会",
        "参加项目专班周例会，梳理问题清单",
        "组织银企对接座谈会",
    ],
    Kind.PROBLEM_SOLVED: [
        "协调供电公司完成双回路接入方案",
        "协调行政审批局容缺受理施工许可",
        "帮助企业办理环评批复",
        "协调解决项目周边道路施工问题",
        "协调金融机构发放流动资金贷款",
    ],
    Kind.POLICY: [
        "上门宣讲工业企业技术改造补助政策",
        "解读新能源项目用地支持政策",
        "送达稳岗补贴政策，指导企业申报",
    ],
    Kind.OTHER: ["协助企业对接高校招聘应届毕业生", "陪同企业考察配套供应商"],
}


def build_service_records(*, seed: int, today: dt.date, count: int = RECORDS) -> int:
    """Create `count` records dated over the year to `today`; returns how many were made."""
    rng = random.Random(seed + 7)
    stewards = list(User.objects.filter(role=Role.STEWARD, is_active=True).order_by("pk"))
    if not stewards:
        return 0
    served: dict[int, set[int]] = defaultdict(set)
    for steward_id, enterprise_id in Enterprise.objects.filter(steward__isnull=False).values_list(
        "steward_id", "pk"
    ):
        served[steward_id].add(enterprise_id)
    projects: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for pk, enterprise_id, project_region, steward_id in Project.objects.values_list(
        "pk", "enterprise_id", "region_id", "steward_id"
    ):
        projects[enterprise_id].append((pk, project_region))
        if steward_id:
            served[steward_id].add(enterprise_id)
    regions = dict(Enterprise.objects.values_list("pk", "region_id"))
    by_area: dict[int | None, list[int]] = defaultdict(list)
    for enterprise_id, region_id in regions.items():
        by_area[region_id].append(enterprise_id)
    everyone = sorted(regions)
    solved_requests = defaultdict(list)
    for pk, enterprise_id in ServiceRequest.objects.filter(
        Q(status=Status.CLOSED) | Q(status=Status.REPLIED)
    ).values_list("pk", "enterprise_id"):
        solved_requests[enterprise_id].append(pk)
    kinds, weights = zip(*KINDS, strict=True)
    # Stewards who serve enterprises do most of the work; the rest log a few visits each.
    busy = [s for s in stewards if served[s.pk]]
    rows = []
    for n in range(count):
        steward = rng.choice(busy) if busy and rng.random() < 0.7 else rng.choice(stewards)
        pool = sorted(served[steward.pk]) or by_area.get(steward.region_id) or everyone
        enterprise_id = rng.choice(pool)
        kind = rng.choices(kinds, weights)[0]
        project = rng.choice(projects[enterprise_id]) if projects[enterprise_id] else None
        record_region = project[1] if project else regions[enterprise_id] or steward.region_id
        if record_region is None:
            continue  # nowhere to count it
        request_id: int | None = None
        if kind == Kind.PROBLEM_SOLVED and solved_requests[enterprise_id] and rng.random() < 0.5:
            request_id = rng.choice(solved_requests[enterprise_id])
        day = today - dt.timedelta(days=int(365 * (n / count) ** 0.9))
        if day.weekday() >= 5:
            day -= dt.timedelta(days=day.weekday() - 4)
        rows.append(
            ServiceRecord(
                steward=steward,
                enterprise_id=enterprise_id,
                project_id=project[0] if project else None,
                region_id=record_region,
                kind=kind,
                date=min(day, today),
                summary=rng.choice(SUMMARIES[kind]),
                problems_solved=rng.choice([1, 1, 1, 2, 3]) if kind == Kind.PROBLEM_SOLVED else 0,
                request_id=request_id,
                created_by=steward,
            )
        )
    ServiceRecord.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
