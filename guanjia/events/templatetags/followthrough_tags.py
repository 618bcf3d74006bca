"""The follow-through panel of an event's page (履约: registered, started, in operation, funds)."""

from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.events import access, followthrough
from guanjia.events.models import Event
from guanjia.events.templatetags.signings_tags import ANY_ID, ANY_TEXT
from guanjia.projects import access as project_access

register = template.Library()


@register.filter
def rate(value: float | None) -> str:
    """A share as a percentage with one decimal, or — when there is nothing to divide."""
    return "—" if value is None else f"{value * 100:.1f}%"


def lag_months(value: Any) -> int:
    text = str(value or "")
    return int(text) if text.isdigit() and 1 <= int(text) <= 60 else followthrough.LAG_MONTHS


def chart_labels() -> dict[str, str]:
    """The words the chart draws (translated here; the script has no catalogue)."""
    return {
        "registered": _("Registered"),
        "started": _("Started"),
        "operating": _("In operation"),
        "signed": _("Projects signed"),
        "after": _("%(n)s months after"),
    }


@register.inclusion_tag("events/_followthrough_panel.html", takes_context=True)
def followthrough_panel(context: Any, event: Event) -> dict[str, Any]:
    """The event's follow-through for the user: nothing for those who may not read it."""
    request = context["request"]
    scope = access.followthrough_scope(request.user)
    if scope is None:
        return {"shown": False}
    data = followthrough.event_followthrough(
        event,
        timezone.localdate(),
        scope,
        visible_projects=project_access.projects_for(request.user),
        lag_months=lag_months(request.GET.get("lag")),
    )
    link = reverse("projects:project_detail", args=[ANY_ID])  # once, not once a row
    for late in data["laggards"]:
        late.url = link.replace(ANY_TEXT, str(late.project_id))
    chart = [
        {k: p[k] for k in ("months", "registered", "started", "operating", "signed")}
        for p in data["over_time"]
    ]
    return {"shown": True, "event": event, "ft": data, "chart": chart, "labels": chart_labels()}
