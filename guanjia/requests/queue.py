"""Queues: a steward's, a department's and an area's requests, most urgent first.

Each row carries its clock: working time left to the current deadline and how much of the
window is used, drawn with the 50% / 80% / 100% marks. One query for the rows (foreign keys
joined) and one for the calendar, however long the queue.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from guanjia.accounts.models import Role, User
from guanjia.worktime.clock import WorkCalendar

from . import sla
from .access import requests_for
from .models import OPEN_STATUSES, ServiceRequest, Status

# Which queues a role has, first one the default.
QUEUES: dict[str, Any] = {
    "mine": _("Assigned to me"),
    "stewarded": _("My enterprises"),
    "department": _("My department"),
    "area": _("My area"),
    "late": _("Overdue"),
    "all": _("All requests"),
}


def queues_for(user: User) -> list[str]:
    if user.role == Role.ENTERPRISE:
        return ["all"]
    if user.role == Role.STEWARD:
        return ["mine", "stewarded", "late", "all"]
    if user.role == Role.HANDLER:
        return ["mine", "department", "late", "all"]
    if user.role == Role.LEADER:
        return ["area", "late", "all"]
    return ["mine", "area", "late", "all"]


SORTS: dict[str, list[Any]] = {
    "due": [F("due_at").asc(nulls_last=True), "-submitted_at"],
    "-due": [F("due_at").desc(nulls_last=True), "-submitted_at"],
    "submitted": ["submitted_at", "id"],
    "-submitted": ["-submitted_at", "-id"],
    "number": ["number"],
    "-number": ["-number"],
}


@dataclass
class QueueFilter:
    queue: str = ""
    status: str = ""
    category: str = ""
    priority: str = ""
    q: str = ""
    sort: str = "due"
    region: str = ""  # a region id: that area and everything under it (the cockpit's links)

    @classmethod
    def from_params(cls, user: User, params: Any) -> "QueueFilter":
        allowed = queues_for(user)
        queue = params.get("queue") or allowed[0]
        sort = params.get("sort") or "due"
        return cls(
            queue=queue if queue in allowed else allowed[0],
            status=params.get("status", "")
            if params.get("status") in {*Status.values, "open"}
            else "",
            category=params.get("category", "").strip()[:40],
            priority=params.get("priority", ""),
            q=params.get("q", "").strip()[:100],
            sort=sort if sort in SORTS else "due",
            region=params.get("region", "") if str(params.get("region", "")).isdigit() else "",
        )

    def apply(
        self, user: User, qs: QuerySet[ServiceRequest], now: dt.datetime
    ) -> QuerySet[ServiceRequest]:
        open_only = Q(status__in=OPEN_STATUSES)
        if self.queue == "mine":
            qs = qs.filter(open_only, assignee=user)
        elif self.queue == "stewarded":
            qs = qs.filter(open_only, steward=user)
        elif self.queue == "department":
            qs = qs.filter(open_only, department_id=user.department_id or 0)
        elif self.queue == "area":
            qs = qs.filter(open_only)
        elif self.queue == "late":
            qs = qs.filter(open_only, due_at__lt=now)
        if self.status == "open":
            qs = qs.filter(open_only)
        elif self.status:
            qs = qs.filter(status=self.status)
        if self.category:
            qs = qs.filter(category__code=self.category)
        if self.priority:
            qs = qs.filter(priority=self.priority)
        if self.region:
            from guanjia.regions.models import Region

            area = Region.objects.filter(pk=int(self.region)).first()
            qs = (
                qs.filter(region__in=Region.objects.within(area).values("pk"))
                if area
                else qs.none()
            )
        if self.q:
            qs = qs.filter(
                Q(number__icontains=self.q)
                | Q(title__icontains=self.q)
                | Q(enterprise__name__icontains=self.q)
            )
        return qs.order_by(*SORTS[self.sort])

    @property
    def filtered(self) -> bool:
        return bool(self.status or self.category or self.priority or self.q)


def queue(
    user: User, params: Any, now: dt.datetime
) -> tuple[QueueFilter, QuerySet[ServiceRequest]]:
    query = QueueFilter.from_params(user, params)
    # A steward's or handler's own queues lie inside what they may see: filtering by both
    # would only give the planner an OR to chew on.
    implied = (
        query.queue == "mine"
        or (query.queue == "stewarded" and user.role == Role.STEWARD)
        or (query.queue == "department" and user.role == Role.HANDLER)
    )
    base = ServiceRequest.objects.all() if implied and user.is_active else requests_for(user)
    qs = query.apply(user, base, now).select_related(
        "enterprise", "category", "assignee", "department", "region"
    )
    return query, qs


# What a queue row reads: loading only these halves the time to build the page's rows.
ROW_FIELDS = [
    "id", "number", "title", "priority", "status", "due_at", "escalation_level", "supervised",
    "reopen_count", "press_count", "submitted_at", "signed_at", "sign_started_at", "clock_started_at",
    "sign_days", "resolve_days", "extension_days", "paused_minutes", "paused_at",
    "intake_hours", "intake_due_at", "category__name", "enterprise__name", "department__name", "assignee__username",
    "assignee__display_name", "assignee__first_name", "assignee__last_name",
]  # fmt: skip


def page_rows(qs: QuerySet[ServiceRequest]) -> QuerySet[ServiceRequest]:
    return (
        qs.select_related(None)
        .select_related("enterprise", "category", "assignee", "department")
        .only(*ROW_FIELDS)
    )


@dataclass
class Clock:
    """What a row shows of the clock."""

    label: str  # "intake" or "sign" or "resolve" or "paused" or ""
    percent: float | None  # share of the window used, capped for drawing
    used: float | None  # the real share (may exceed 1)
    minutes_left: float | None
    state: str  # ok, half, warn, late, paused, done

    @property
    def hours_left(self) -> str:
        if self.minutes_left is None:
            return ""
        hours = abs(self.minutes_left) / 60
        return f"{hours:.1f}"


def clock_of(sr: ServiceRequest, cal: WorkCalendar, now: dt.datetime) -> Clock:
    if sr.status == Status.AWAITING_INFO:
        used = sla.elapsed_fraction(sr, cal, now)
        return Clock("paused", min(used or 0, 1) * 100, used, None, "paused")
    which = sla.phase(sr)
    if which is None:
        return Clock("", None, None, None, "done")
    used = sla.elapsed_fraction(sr, cal, now) or 0.0
    left = sla.minutes_left(sr, cal, now)
    state = "late" if used >= 1 else "warn" if used >= 0.8 else "half" if used >= 0.5 else "ok"
    return Clock(which, min(used, 1) * 100, used, left, state)


def with_clocks(
    rows: list[ServiceRequest], cal: WorkCalendar, now: dt.datetime
) -> list[tuple[ServiceRequest, Clock]]:
    return [(sr, clock_of(sr, cal, now)) for sr in rows]
