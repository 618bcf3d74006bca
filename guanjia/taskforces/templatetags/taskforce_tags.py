from typing import Any

from django import template
from django.utils import timezone

from guanjia.taskforces import access

register = template.Library()


@register.inclusion_tag("taskforces/_panel.html", takes_context=True)
def taskforce_panel(context: dict[str, Any], project: Any) -> dict[str, Any]:
    """The project's task force, meetings, action items and 一事一议 decisions."""
    user = context["request"].user
    shown = access.may_see(user)
    writer = access.may_record(user, project) if shown else False
    today = timezone.localdate()
    items = list(project.action_items.select_related("owner").order_by("done_on", "due_on")[:30])
    return {
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
        "project": project,
        "hidden": not shown,
        "writer": writer,
        "today": today,
        "meetings": list(project.meetings.all()[:5]),
        "items": items,
        "late": [i for i in items if not i.done_on and i.due_on < today],
        "decisions": list(project.decisions.all()[:10]),
        "user": user,
    }
