"""The request ledger to .xlsx (constant memory), as the bureau's 诉求台账."""

from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.http import FileResponse
from django.utils.translation import gettext as _

from guanjia.accounts.models import User
from guanjia.core import sheets
from guanjia.core.xlsx import stamp

from .access import is_enterprise_contact
from .models import Priority, Rating, RequestEvent, ServiceRequest, Status

MAX_ROWS = 200_000


def export_requests(qs: QuerySet[ServiceRequest], user: User) -> FileResponse:
    statuses, priorities, ratings = (
        dict(Status.choices),
        dict(Priority.choices),
        dict(Rating.choices),
    )

    def person(prefix: str) -> Any:
        return lambda r: r[f"{prefix}__display_name"] or r[f"{prefix}__username"] or ""

    def on_time(r: dict[str, Any]) -> str:
        return "" if r["on_time"] is None else (_("Yes") if r["on_time"] else _("No"))

    def column(key: str, header: str, width: float, get: Any, kind: str = "text") -> Any:
        # The header in the user's language: the importer reads it back in any of them
        # (importers._table takes every language's export headers as aliases).
        return sheets.Column(key, header, header, width=width, kind=kind, get=get)

    def field(name: str) -> Any:
        return lambda r: r[name]

    columns = [
        column("number", _("Number"), 16, field("number")),
        column("submitted", _("Submitted"), 17, field("submitted_at"), "time"),
        column("enterprise", _("Enterprise"), 30, field("enterprise__name")),
        column("area", _("Area"), 12, field("region__name")),
        column("category", _("Category"), 14, field("category__name")),
        column(
            "priority", _("Priority"), 8, lambda r: priorities.get(r["priority"], r["priority"])
        ),
        column("title", _("Title"), 36, field("title")),
        column("status", _("Status"), 10, lambda r: statuses.get(r["status"], r["status"])),
        column("steward", _("Steward"), 10, person("steward")),
        column("assignee", _("Assigned to"), 10, person("assignee")),
        column("department", _("Department"), 14, field("department__name")),
        column("dispatched", _("Dispatched"), 17, field("dispatched_at"), "time"),
        column("resolve_by", _("Resolve by"), 17, field("resolve_due_at"), "time"),
        column("replied", _("Answered"), 17, field("replied_at"), "time"),
        column("on_time", _("On time"), 8, on_time),
        column("escalation", _("Escalation level"), 8, field("escalation_level"), "int"),
        column("rating", _("Rating"), 10, lambda r: ratings.get(r["rating"], r["rating"])),
        column("reopened", _("Times reopened"), 8, field("reopen_count"), "int"),
        # The latest progress note the exporting user may read (models.TIMELINE): staff see
        # their internal notes here, an enterprise contact only what the city wrote for it.
        column("progress", _("Latest progress"), 40, lambda r: r["latest_progress"] or ""),
    ]
    fields = [
        "number", "submitted_at", "enterprise__name", "region__name", "category__name", "priority",
        "title", "status", "steward__display_name", "steward__username", "assignee__display_name",
        "assignee__username", "department__name", "dispatched_at", "resolve_due_at", "replied_at",
        "on_time", "escalation_level", "rating", "reopen_count", "latest_progress",
    ]  # fmt: skip
    if is_enterprise_contact(user):  # the bureau's handling is not theirs to see
        columns = [c for c in columns if c.field != "escalation"]
    latest = (
        RequestEvent.objects.filter(request=OuterRef("pk"))
        .progress_for(user)
        .order_by("-at", "-id")
        .values("note")[:1]
    )
    qs = qs.annotate(latest_progress=Subquery(latest))
    rows = qs.values(*fields)[:MAX_ROWS].iterator(chunk_size=2000)
    return sheets.download(f"{_('requests')}-{stamp()}.xlsx", _("Requests"), columns, rows)
