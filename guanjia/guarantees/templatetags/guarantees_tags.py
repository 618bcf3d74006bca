from typing import Any

from django import template

from guanjia.accounts.models import Department
from guanjia.accounts.scope import region_q
from guanjia.projects.models import Project
from guanjia.projects.stages import Stage

from .. import access, services
from ..forms import OverrideForm
from ..models import STATUSES, Guarantee, Kind, Status

register = template.Library()


@register.inclusion_tag("guarantees/_panel.html", takes_context=True)
def guarantees_panel(context: template.Context, project: Project) -> dict[str, Any]:
    """The project's guarantees, a quick update form for writers and what blocks the next
    stage (the page has already checked that the user may see the project)."""
    user = context.get("user")
    rows = list(Guarantee.objects.filter(project=project).select_related("department"))
    writable = access.may_update(user, project)
    labels = dict(Status.choices)
    items = [{"g": g, "statuses": [(s, labels[s]) for s in STATUSES[g.kind]]} for g in rows]
    present = {g.kind for g in rows}
    next_stage = services.next_stage(project)
    blocked = services.blocking_message(project, next_stage) if next_stage else ""
    admin = access.may_override(user)
    return {
        "project": project,
        "items": items,
        "writable": writable,
        "missing_kinds": [(k, label) for k, label in Kind.choices if k not in present],
        "departments": Department.objects.filter(region_q(user, "region"))
        if user and writable
        else [],
        "blocked": blocked,
        "next_stage": next_stage,
        "override_form": OverrideForm(initial={"stage": next_stage}) if admin else None,
        "overrides": project.guarantee_overrides.select_related("by")[:5],
        "stages": Stage.choices,
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }
