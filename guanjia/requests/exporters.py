"""The request ledger to .xlsx (constant memory), as the bureau's 诉求台账."""

from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.http import FileResponse
from django.utils.translation import gettext as _

from guanjia.accounts.models import User
from guanjia.core.xlsx import Column, download, stamp, write_table

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

    columns = [
        Column(_("Number"), 16, lambda r: r["number"]),
        Column(_("Submitted"), 17, lambda r: r["submitted_at"], "time"),
        Column(_("Enterprise"), 30, lambda r: r["enterprise__name"]),
        Column(_("Area"), 12, lambda r: r["region__name"]),
        Column(_("Category"), 14, lambda r: r["category__name"]),
        Column(_("Priority"), 8, lambda r: priorities.get(r["priority"], r["priority"])),
        Column(_("Title"), 36, lambda r: r["title"]),
        Column(_("Status"), 10, lambda r: statuses.get(r["status"], r["status"])),
        Column(_("Steward"), 10, person("steward")),
        Column(_("Assigned to"), 10, person("assignee")),
        Column(_("Department"), 14, lambda r: r["department__name"]),
        Column(_("Dispatched"), 17, lambda r: r["dispatched_at"], "time"),
        Column(_("Resolve by"), 17, lambda r: r["resolve_due_at"], "time"),
        Column(_("Answered"), 17, lambda r: r["replied_at"], "time"),
        Column(_("On time"), 8, on_time),
        Column(_("Escalation level"), 8, lambda r: r["escalation_level"], "int"),
        Column(_("Rating"), 10, lambda r: ratings.get(r["rating"], r["rating"])),
        Column(_("Times reopened"), 8, lambda r: r["reopen_count"], "int"),
        # The latest progress note the exporting user may read (models.TIMELINE): staff see
        # their internal notes here, an enterprise contact only what the city wrote for it.
        Column(_("Latest progress"), 40, lambda r: r["latest_progress"] or ""),
    ]
    fields = [
        "number", "submitted_at", "enterprise__name", "region__name", "category__name", "priority",
        "title", "status", "steward__display_name", "steward__username", "assignee__display_name",
        "assignee__username", "department__name", "dispatched_at", "resolve_due_at", "replied_at",
        "on_time", "escalation_level", "rating", "reopen_count", "latest_progress",
    ]  # fmt: skip
    if is_enterprise_contact(user):  # the bureau's handling is not theirs to see
        columns = [c for c in columns if c.title != _("Escalation level")]
    latest = (
        RequestEvent.objects.filter(request=OuterRef("pk"))
        .progress_for(user)
        .order_by("-at", "-id")
        .values("note")[:1]
    )
    qs = qs.annotate(latest_progress=Subquery(latest))
    rows = qs.values(*fields)[:MAX_ROWS].iterator(chunk_size=2000)
    return download(
        f"{_('requests')}-{stamp()}.xlsx",
        lambda book: write_table(book, _("Requests"), columns, rows),
    )
