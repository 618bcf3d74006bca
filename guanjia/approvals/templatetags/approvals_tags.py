from typing import Any

from django import template

from guanjia.approvals.access import can_act
from guanjia.approvals.models import ApprovalItem, ApprovalKind, Status
from guanjia.projects.models import Project

register = template.Library()


@register.inclusion_tag("approvals/_panel.html", takes_context=True)
def approvals_panel(context: Any, project: Project) -> dict[str, Any]:
    """The project's approval items, with the steps the user may take on each."""
    request = context.get("request")
    user = getattr(request, "user", None)
    items = list(
        ApprovalItem.objects.filter(project=project)
        .select_related("kind")
        .prefetch_related("provided", "kind__materials", "events__actor")
    )
    rows = []
    for item in items:
        missing = item.missing()
        rows.append(
            {
                "item": item,
                "missing": missing,
                "materials": list(item.kind.materials.all()),
                "provided": {m.pk for m in item.provided.all()},
                "can_act": user is not None and can_act(user, project, item.kind),
            }
        )
    taken = {i.kind_id for i in items}
    kinds = [
        k
        for k in ApprovalKind.objects.all()
        if k.pk not in taken and user is not None and can_act(user, project, k)
    ]
    events = sorted(
        (e for i in items for e in i.events.all()), key=lambda e: (e.at, e.pk), reverse=True
    )
    return {
        "project": project,
        "rows": rows,
        "kinds": kinds,
        "events": events,
        "S": Status,
        "csrf_token": context.get("csrf_token"),
        "request": request,
    }
