"""What the demo city publishes on its portal: a handful of its key projects (the largest
ones past signing) and the first policies of its library. Setting a flag is idempotent."""

import datetime as dt

from guanjia.policies.models import Policy
from guanjia.portal import access as portal_access
from guanjia.projects.models import Project
from guanjia.projects.stages import Stage

PUBLIC_PROJECTS = 8
PUBLIC_POLICIES = 3
PUBLISHED_STAGES = (
    Stage.SIGNED,
    Stage.REGISTERED,
    Stage.APPROVALS,
    Stage.CONSTRUCTION,
    Stage.OPERATION,
    Stage.FULL_CAPACITY,
)


def build_portal(*, today: dt.date) -> dict[str, int]:
    keys = list(
        Project.objects.filter(stage__in=PUBLISHED_STAGES)
        .order_by("-total_investment_wan", "pk")
        .values_list("pk", flat=True)[:PUBLIC_PROJECTS]
    )
    projects = Project.objects.filter(pk__in=keys).update(public=True)
    firsts = list(
        Policy.objects.filter(active=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:PUBLIC_POLICIES]
    )
    policies = Policy.objects.filter(pk__in=firsts).update(public=True)
    portal_access.forget()
    return {"projects": projects, "policies": policies}
