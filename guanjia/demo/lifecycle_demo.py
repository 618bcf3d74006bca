"""Demo of full-lifecycle service: task force meetings, action items (some late) and
一事一议 decisions on the city's stalled and major projects."""

import datetime as dt
import random

from django.db.models import Q

from guanjia.accounts.models import Role, User
from guanjia.projects.models import Level, Project, StallKind
from guanjia.projects.stages import Stage
from guanjia.taskforces.models import ActionItem, Decision, Meeting

ITEMS = [
    "协调自然资源局完成土地组卷报批",
    "督促企业完成公司注册和银行开户",
    "对接供电公司确定接入方案",
    "完成环评报告书技术评审",
    "落实能耗指标来源",
    "协调金融机构授信",
]
DECISIONS = [
    ("用地指标", "由市级统筹解决新增建设用地指标", "市政府常务会议"),
    ("配套道路", "园区配套道路纳入年度城建计划，年内开工", "项目专班"),
    ("能耗指标", "通过存量项目节能改造腾出指标，优先保障", "市发展改革委"),
]


def build_taskforce_records(*, seed: int, today: dt.date) -> int:
    """Meetings with action items for the major projects and the stalled ones; returns count."""
    rng = random.Random(seed + 11)
    major = (
        Project.objects.filter(
            Q(level__in=[Level.PROVINCIAL, Level.MUNICIPAL])
            | Q(pk__in=Project.objects.stalled(today, StallKind.SIGNED_NOT_REGISTERED).values("pk"))
        )
        .exclude(stage=Stage.WITHDRAWN)
        .select_related("region", "steward")[:40]
    )
    made = 0
    for project in major:
        if not project.task_force:
            project.task_force = f"{project.name[:30]}专班"
            project.save(update_fields=["task_force"])
        owners = list(
            User.objects.filter(
                region=project.region, role__in=[Role.STEWARD, Role.AREA_OFFICIAL], is_active=True
            )[:5]
        ) or ([project.steward] if project.steward else [])
        if not owners:
            continue
        held = today - dt.timedelta(days=rng.randint(10, 60))
        meeting = Meeting.objects.create(
            project=project, held_on=held, title=f"{project.name[:40]}推进会",
            attendees="项目专班、属地政府、相关部门、企业代表",
            minutes="听取项目进展汇报，梳理要素保障和审批手续问题，明确责任单位和完成时限。",
        )  # fmt: skip
        for text in rng.sample(ITEMS, 2):
            due = held + dt.timedelta(days=rng.randint(7, 40))
            done = due - dt.timedelta(days=2) if rng.random() < 0.6 and due < today else None
            ActionItem.objects.create(
                project=project, meeting=meeting, text=text, owner=rng.choice(owners),
                due_on=due, done_on=done,
            )  # fmt: skip
        if rng.random() < 0.4:
            subject, decision, by = rng.choice(DECISIONS)
            Decision.objects.create(
                project=project, meeting=meeting, decided_on=held, subject=subject,
                decision=decision, decided_by=by,
            )  # fmt: skip
        made += 1
    return made


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def build_approvals(*, seed: int, today: dt.date) -> int:
    """Approval items on projects going through their approvals (手续办理): most complete,
    one accepted with a non-core material missing against a commitment due within days, so
    `guanjia sweep_approvals --at …` shows the reminder, the suspension and the return."""
    from guanjia.approvals import services as approvals
    from guanjia.approvals.loading import load_approval_kinds
    from guanjia.approvals.models import ApprovalKind
    from guanjia.requests.attachments import from_bytes
    from guanjia.worktime.clock import WorkCalendar

    load_approval_kinds()
    rng = random.Random(seed + 13)
    admin = User.objects.filter(role=Role.CITY_ADMIN, is_active=True).order_by("pk").first()
    if admin is None:
        return 0
    kinds = list(ApprovalKind.objects.prefetch_related("materials").order_by("order", "pk"))
    projects = list(Project.objects.filter(stage=Stage.APPROVALS).order_by("pk")[:12])
    cal = WorkCalendar.load()
    made = 0
    tolerated = False
    for project in projects:
        for kind in rng.sample(kinds, min(3, len(kinds))):
            item = approvals.add_item(project, kind, admin)
            materials = list(kind.materials.all())
            non_core = [m for m in materials if not m.core]
            if not tolerated and non_core:
                approvals.submit(item, admin, [m for m in materials if m != non_core[0]])
                promised = cal.add_days(dt.datetime.combine(today, dt.time(9), cal.tz), 5).date()
                approvals.accept_tolerated(
                    item, admin, from_bytes("容缺受理承诺书.pdf", PDF), promised
                )
                tolerated = True
            else:
                approvals.submit(item, admin, materials)
                approvals.accept(item, admin)
                if rng.random() < 0.5:
                    approvals.approve(item, admin)
            made += 1
    return made


def build_guarantees(*, seed: int, today: dt.date) -> int:
    """Element guarantees for projects not yet under construction: land, environmental
    approval, energy quota and power. Projects stalled between registration and construction
    mostly wait on land or the environmental approval, which the stalled list then shows."""
    from decimal import Decimal

    from guanjia.accounts.models import Department
    from guanjia.guarantees.services import set_guarantee

    rng = random.Random(seed + 17)
    admin = User.objects.filter(role=Role.CITY_ADMIN, is_active=True).order_by("pk").first()
    if admin is None:
        return 0
    departments = {d.name: d for d in Department.objects.all()}
    stalled = set(
        Project.objects.stalled(today, StallKind.REGISTERED_NOT_STARTED).values_list(
            "pk", flat=True
        )
    )
    projects = Project.objects.filter(
        stage__in=[Stage.SIGNED, Stage.REGISTERED, Stage.APPROVALS]
    ).order_by("pk")[:80]
    made = 0
    for project in projects:
        waiting = project.pk in stalled
        land = (
            "transferred"
            if waiting and rng.random() < 0.7
            else rng.choice(["listed", "transferred", "delivered"])
        )
        env = (
            "submitted"
            if waiting and land == "delivered"
            else rng.choice(["submitted", "approved"])
        )
        due = today + dt.timedelta(days=rng.randint(-20, 60))
        plan: list[tuple[str, str, str, dict[str, object]]] = [
            ("land", land, "自然资源局", {"land_mu": Decimal(rng.randint(50, 800))}),
            ("environment", env, "生态环境局", {"env_level": "报告书"}),
            ("energy", rng.choice(["needed", "allocated"]), "发展和改革委员会",
             {"energy_tce": Decimal(rng.randint(2, 60) * 1000)}),
            ("power", rng.choice(["needed", "applied"]), "国网锦州供电公司", {}),
        ]  # fmt: skip
        for kind, status, department, extra in plan:
            set_guarantee(
                admin, project, kind, status=status, department=departments.get(department),
                due_on=due, **extra,
            )  # fmt: skip
            made += 1
    return made


POLICIES = [
    ("锦州市支持新能源产业发展若干政策", "锦州市人民政府", "锦政发〔2023〕5号",
     "新建风电、光伏、储能项目按设备投资额给予最高500万元补助。", False,
     {"all": [{"fact": "industry", "op": "in", "value": ["P2"]},
              {"fact": "investment_wan", "op": "gte", "value": 50000}]}),
    ("高新技术企业认定奖励", "锦州市科学技术局", "锦科发〔2023〕12号",
     "首次认定的高新技术企业一次性奖励30万元，免申即享。", True,
     {"all": [{"fact": "high_tech", "op": "eq", "value": True}]}),
    ("生物医药产业创新发展扶持办法", "锦州市工业和信息化局", "锦工信发〔2023〕8号",
     "新取得药品注册证书的给予最高200万元奖励；原料药技改项目按投资额10%补助。", False,
     {"all": [{"fact": "industry", "op": "in", "value": ["P5"]}]}),
    ("稳岗扩岗补贴", "锦州市人力资源和社会保障局", "锦人社发〔2023〕3号",
     "用工100人以上且不裁员或少裁员的企业，按上年度缴纳失业保险费的60%返还。", False,
     {"all": [{"fact": "headcount", "op": "gte", "value": 100}]}),
    ("专精特新企业梯度培育奖励", "锦州市工业和信息化局", "锦工信发〔2023〕15号",
     "新认定的省级专精特新中小企业奖励20万元。", False,
     {"any": [{"fact": "tag", "op": "in", "value": ["专精特新"]},
              {"all": [{"fact": "industry", "op": "in", "value": ["E1", "P3"]},
                       {"fact": "high_tech", "op": "eq", "value": True}]}]}),
    ("滨海新区临港产业招商引资优惠政策", "锦州经济技术开发区管委会", "锦开发〔2023〕2号",
     "落户开发区的临港产业项目，前三年按地方留成部分全额奖励。", False,
     {"all": [{"fact": "region", "op": "within", "value": "210700Z1"},
              {"fact": "industry", "op": "in", "value": ["F1", "P1"]}]}),
]  # fmt: skip


def build_policies(*, seed: int, today: dt.date) -> dict[str, int]:
    """Enterprise facts (headcount, high-tech, tags), six of the city's policies with their
    rules, and one full match (no notifications: the demo's deliveries are history)."""
    from guanjia.enterprises.models import Enterprise
    from guanjia.policies.models import EnterpriseProfile, Policy, normalise_tags
    from guanjia.policies.services import match_all

    rng = random.Random(seed + 19)
    profiles = []
    for pk, industry in Enterprise.objects.values_list("pk", "industry__code"):
        tags = ["专精特新"] if rng.random() < 0.12 else []
        profiles.append(
            EnterpriseProfile(
                enterprise_id=pk,
                headcount=rng.choice([30, 80, 150, 300, 800, 2000]),
                high_tech=industry in ("P2", "P3", "P5", "E1") and rng.random() < 0.35,
                tags=normalise_tags(",".join(tags)),  # bulk_create skips save()
            )
        )
    EnterpriseProfile.objects.bulk_create(profiles, ignore_conflicts=True, batch_size=1000)
    for title, issuer, number, benefit, automatic, rule in POLICIES:
        Policy.objects.get_or_create(
            title=title,
            defaults={
                "issuer": issuer, "doc_number": number, "benefit": benefit,
                "automatic": automatic, "rule": rule,
                "valid_from": dt.date(today.year, 1, 1), "valid_to": dt.date(today.year + 2, 12, 31),
                "apply_from": dt.date(today.year, 1, 1), "apply_to": dt.date(today.year, 12, 31),
            },
        )  # fmt: skip
    added, _removed = match_all(send=False)
    return {"profiles": len(profiles), "policies": len(POLICIES), "deliveries": added}
