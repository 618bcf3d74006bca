"""The signings panel of an event's page, as the approvals panel is of a project's."""

import itertools
from decimal import Decimal
from typing import Any

from django import template
from django.urls import reverse

from guanjia.events.models import Event, Signing
from guanjia.projects import access as project_access

register = template.Library()

ANY_ID = 987654321  # the id a link is reversed with once, then replaced per row
ANY_TEXT = str(ANY_ID)
PANEL_FIELDS = (
    "signed_on", "amount_wan", "counted_amount_wan", "is_first", "project__name",
    "project__enterprise__name", "government__name", "government__path", "government__sort_order",
)  # fmt: skip


@register.inclusion_tag("events/_signings_panel.html", takes_context=True)
def signings_panel(context: Any, event: Event) -> dict[str, Any]:
    """The event's signings the user may see, grouped by signing government with subtotals.

    The event's headline figures count every signing; the panel lists those of projects the
    user may see and says how many of all it shows."""
    request = context["request"]
    all_signings = Signing.objects.filter(event=event)
    visible = project_access.projects_for(request.user).values("pk")
    signings = list(
        all_signings.filter(project__in=visible)
        .select_related("project", "project__enterprise", "government")
        .only(*PANEL_FIELDS)  # what the panel shows, not the projects' fifty columns
        .order_by("government__path", "government__sort_order", "signed_on", "pk")
    )
    # The project links reversed once, the id put in per row (a number).
    link = reverse("projects:project_detail", args=[ANY_ID])
    for signing in signings:
        signing.url = link.replace(ANY_TEXT, str(signing.project_id))  # type: ignore[attr-defined]
    groups = []
    for government, rows_iter in itertools.groupby(signings, key=lambda s: s.government):
        rows = list(rows_iter)
        groups.append(
            {
                "government": government,
                "signings": rows,
                "amount_wan": sum((s.amount_wan for s in rows), Decimal(0)),
                "counted_wan": sum((s.counted_amount_wan for s in rows), Decimal(0)),
                "first_count": sum(1 for s in rows if s.is_first),
            }
        )
    return {
        "event": event,
        "groups": groups,
        "shown_count": len(signings),
        "total_count": all_signings.count(),
        "request": request,
    }
