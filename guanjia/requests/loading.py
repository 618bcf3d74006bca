"""The starting list of request categories (the Open311 service list) and default SLAs."""

from typing import Any

from django.db import transaction

from guanjia.accounts.models import Department
from guanjia.core.audit import record
from guanjia.core.models import AuditAction

from .models import Category, Priority, ReplyTemplate, SlaPolicy
from .sla import DEFAULT_SLA

# code, name, group, usual department (matched by name in the city), default priority
CATEGORIES = [
    ("land", "用地保障", "要素保障", "自然资源局", Priority.GENERAL),
    ("approval", "审批手续办理", "审批服务", "营商环境建设局", Priority.GENERAL),
    ("energy", "能耗指标", "要素保障", "发展和改革委员会", Priority.COMPLEX),
    ("environment", "环评与环保", "审批服务", "生态环境局", Priority.COMPLEX),
    ("utilities", "水电气暖接入", "要素保障", "国网锦州供电公司", Priority.GENERAL),
    ("construction", "施工许可与建设", "审批服务", "住房和城乡建设局", Priority.GENERAL),
    ("finance", "融资信贷", "金融服务", "", Priority.GENERAL),
    ("policy", "政策兑现", "政策服务", "工业和信息化局", Priority.GENERAL),
    ("talent", "用工与人才", "人才服务", "", Priority.GENERAL),
    ("market", "市场开拓与产销对接", "市场服务", "商务局", Priority.GENERAL),
    ("rights", "权益保护与执法检查", "法治环境", "市场监督管理局", Priority.URGENT),
    ("other", "其他诉求", "其他", "营商环境建设局", Priority.GENERAL),
]


@transaction.atomic
def load_categories() -> int:
    """Create the categories and default SLA policies that are missing; returns how many."""
    departments = {d.name: d for d in Department.objects.all()}
    created = 0
    for order, (code, name, group, department, priority) in enumerate(CATEGORIES):
        category, made = Category.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "group": group,
                "department": departments.get(department),
                "default_priority": priority,
                "sort_order": order,
            },
        )
        if made:
            record(None, AuditAction.CREATE, category, note="initial categories")
            created += 1
    for priority, sla in DEFAULT_SLA.items():
        policy, made = SlaPolicy.objects.get_or_create(
            category=None,
            priority=priority,
            defaults={
                "sign_days": sla.sign_days,
                "reply_days": sla.reply_days,
                "resolve_days": sla.resolve_days,
                "max_resolve_days": sla.max_resolve_days,
            },
        )
        if made:
            record(None, AuditAction.CREATE, policy, note="initial service levels")
    return created


# name, category code ("" for every category), text: a bureau's starting reply templates.
REPLY_TEMPLATES = [
    (
        "政策咨询答复",
        "policy",
        "{enterprise}：您好！您的诉求 {request_no}（{title}）已收悉。相关政策的适用条件和申报"
        "材料已整理发送，如有疑问请联系项目管家 {steward}。",
    ),
    (
        "融资对接答复",
        "finance",
        "{enterprise}：您好！关于诉求 {request_no}，已为您对接合作银行，客户经理将于近日与您"
        "联系。项目管家：{steward}。",
    ),
    (
        "已办结通用答复",
        "",
        "{enterprise}：您好！您反映的“{title}”（{request_no}）已办理完毕。如仍有问题，请在"
        "评价中说明，我们将继续跟进。项目管家：{steward}。",
    ),
]


@transaction.atomic
def load_reply_templates(region: Any) -> int:
    """The starting reply templates of `region` (a city) that are missing; returns how many."""
    categories = {c.code: c for c in Category.objects.all()}
    created = 0
    for order, (name, code, text) in enumerate(REPLY_TEMPLATES):
        template, made = ReplyTemplate.objects.get_or_create(
            region=region,
            name=name,
            defaults={"category": categories.get(code), "text": text, "sort_order": order},
        )
        if made:
            record(None, AuditAction.CREATE, template, note="initial reply templates")
            created += 1
    return created
