"""The common approval kinds and their materials (idempotent; admins edit them afterwards)."""

from django.db import transaction

from guanjia.accounts.models import Department

from .models import ApprovalKind, Material

# The department that usually decides each kind (matched by name, the city's own first).
DEPARTMENTS = {
    "立项备案": "发展和改革委员会",
    "用地规划许可": "自然资源局",
    "工程规划许可": "自然资源局",
    "施工许可": "住房和城乡建设局",
    "环评批复": "生态环境局",
    "节能审查": "发展和改革委员会",
}

KINDS: list[tuple[str, int, list[tuple[str, bool]]]] = [
    # (name, department deadline in working days, [(material, core)])
    ("立项备案", 5, [("项目备案申请表", True), ("企业营业执照", True), ("项目建议书", False)]),
    (
        "用地规划许可",
        20,
        [
            ("用地申请", True),
            ("建设项目用地预审意见", True),
            ("地形图", False),
            ("授权委托书", False),
        ],
    ),
    (
        "工程规划许可",
        20,
        [("建设工程规划申请表", True), ("设计方案总平面图", True), ("日照分析报告", False)],
    ),
    (
        "施工许可",
        15,
        [
            ("施工许可申请表", True),
            ("施工合同", True),
            ("监理合同", False),
            ("资金到位证明", False),
        ],
    ),
    ("环评批复", 30, [("环境影响报告书", True), ("公众参与说明", False)]),
    ("节能审查", 20, [("节能报告", True), ("能源消费说明", False), ("专家评审意见", False)]),
]


def _department(name: str) -> Department | None:
    """The department of that name highest in the region tree (the city's over a county's)."""
    found = Department.objects.filter(name=name).select_related("region")
    return min(found, key=lambda d: (len(d.region.path), d.pk), default=None)


def load_approval_kinds() -> int:
    """Create the missing kinds and materials, and give a kind without a department the one
    that usually decides it, where it exists; returns how many rows were created."""
    created = 0
    with transaction.atomic():
        for order, (name, deadline, materials) in enumerate(KINDS):
            kind, new = ApprovalKind.objects.get_or_create(
                name=name, defaults={"deadline_days": deadline, "order": order}
            )
            created += new
            if kind.department_id is None and name in DEPARTMENTS:
                kind.department = _department(DEPARTMENTS[name])
                if kind.department is not None:
                    kind.save(update_fields=["department"])
            for material, core in materials:
                _, new = Material.objects.get_or_create(
                    kind=kind, name=material, defaults={"core": core}
                )
                created += new
    return created
