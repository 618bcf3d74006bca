"""Reply templates (答复模板): which ones a request is offered, and their text filled in.

The placeholders are plain names in braces. They are replaced by a regular expression, never
by `str.format`: a template a city admin types cannot reach an attribute or an index
(`{enterprise.__class__}`, `{0[0]}`) — anything that is not one of the names stays as typed.
"""

import re
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import ReplyTemplate, ServiceRequest

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
NAMES = ("enterprise", "steward", "deadline", "request_no", "title", "category")


def unknown_placeholders(text: str) -> list[str]:
    """The names in braces in `text` that are not placeholders (in order, once each)."""
    seen: list[str] = []
    for name in PLACEHOLDER.findall(text or ""):
        if name not in NAMES and name not in seen:
            seen.append(name)
    return seen


def values(sr: ServiceRequest) -> dict[str, str]:
    """What each placeholder stands for on this request."""
    deadline = sr.resolve_due_at or sr.due_at or sr.intake_due_at
    return {
        "enterprise": sr.enterprise.name,
        "steward": str(sr.steward) if sr.steward_id and sr.steward else "",
        "deadline": timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M") if deadline else "",
        "request_no": sr.number,
        "title": sr.title,
        "category": sr.category.name,
    }


def fill(text: str, sr: ServiceRequest) -> str:
    """`text` with each known placeholder replaced by the request's value."""
    known = values(sr)

    def replace(match: re.Match[str]) -> str:
        return known.get(match.group(1), match.group(0))

    return PLACEHOLDER.sub(replace, text or "")


def templates_for(sr: ServiceRequest) -> QuerySet[ReplyTemplate]:
    """The active templates offered on `sr`: of its category (or of every category), kept
    by its area or an area above it."""
    return ReplyTemplate.objects.filter(
        Q(category=sr.category_id) | Q(category__isnull=True),
        active=True,
        region__path__in=sr.region.lineage,
    ).order_by("category", "sort_order", "name", "id")


def filled_for(sr: ServiceRequest) -> list[dict[str, Any]]:
    """The offered templates with their text filled in: what the answer's picker shows."""
    return [{"id": t.pk, "name": t.name, "text": fill(t.text, sr)} for t in templates_for(sr)]


def filled(sr: ServiceRequest, pk: Any) -> str | None:
    """The filled text of offered template `pk` (None: not one offered on `sr`)."""
    if not str(pk or "").isdigit():
        return None
    template = templates_for(sr).filter(pk=int(pk)).first()
    return None if template is None else fill(template.text, sr)
