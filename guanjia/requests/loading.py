"""The starting list of request categories (the Open311 service list) and default SLAs."""

from django.db import transaction

from guanjia.accounts.models import Department
from guanjia.core.audit import record
from guanjia.core.models import AuditAction

from .models import Category, Priority, SlaPolicy
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
