"""Queues: a steward's, a department's and an area's requests, most urgent first.

Each row carries its clock: working time left to the current deadline and how much of the
window is used, drawn with the 50% / 80% / 100% marks. One query for the rows (foreign keys
joined) and one for the calendar, however long the queue.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Count, F, Q, QuerySet
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from guanjia.accounts.models import Role, User
from guanjia.core.versioned import Versioned
from guanjia.worktime.clock import WorkCalendar

from . import sla
from .access import requests_for
from .models import OPEN_PARTS, OPEN_STATUSES, RequestPart, ServiceRequest, Status

# Which queues a role has, first one the default.
QUEUES: dict[str, Any] = {
    "mine": _("Assigned to me"),
    "stewarded": _("My enterprises"),
    "unclaimed": _("Department queue"),  # dispatched to my department, nobody claimed it yet
    "department": _("My department"),
    "assisting": _("Assisting"),  # my open parts (协办)
    "area": _("My area"),
    "late": _("Overdue"),
    "all": _("All requests"),
}


def queues_for(user: User) -> list[str]:
    if user.role == Role.ENTERPRISE:
        return ["all"]
    if user.role == Role.STEWARD:
        return ["mine", "stewarded", "assisting", "late", "all"]
    if user.role == Role.HANDLER:
        if user.department_id:
            return ["mine", "unclaimed", "department", "assisting", "late", "all"]
        return ["mine", "assisting", "late", "all"]
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


def unclaimed(qs: QuerySet[ServiceRequest], user: User) -> QuerySet[ServiceRequest]:
    """A department's queue: requests dispatched to the user's department that no handler
    has claimed yet (认领). Nobody but the department's members has one."""
    return qs.filter(
        status=Status.DISPATCHED,
        assignee__isnull=True,
        department_id=user.department_id or 0,
    )


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
        elif self.queue == "unclaimed":
            qs = unclaimed(qs, user)
        elif self.queue == "assisting":
            qs = qs.filter(
                open_only,
                pk__in=RequestPart.objects.filter(handler=user, status__in=OPEN_PARTS).values(
                    "request_id"
                ),
            )
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
        or (query.queue in ("department", "unclaimed") and user.role == Role.HANDLER)
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


# How far past the page asked for a queue counts its rows: a city-wide queue of 50,000 open
# requests says "more than 1,025" rather than reading every one of them for the exact figure.
COUNT_AHEAD = 1000


class QueuePaginator(Paginator):
    """Pages of a queue whose count stops `ahead` rows past the page asked for.

    Counting a scope's open requests reads each of them (an index entry and, for most scopes,
    its row); at a million requests that was the page's slowest query. This counts at most
    `ahead` rows beyond the requested page (one LIMITed subquery in the page's order, without
    its joins), so the first page costs the same whatever the queue's length. When there are
    more, `capped` is true and the page says "more than N"; the next pages stay reachable
    (each counts ahead from where it is), only the last page is not known. `ahead=0` counts
    exactly."""

    def __init__(
        self, object_list: QuerySet[Any], per_page: int, *, number: Any = 1, ahead: int = 0
    ) -> None:
        super().__init__(object_list, per_page)
        try:
            page = max(1, int(number))
        except (TypeError, ValueError):
            page = 1
        self.upto = page * per_page + ahead if ahead else 0

    @cached_property
    def count(self) -> int:
        if not self.upto:
            return super().count
        # In the page's order: the planner reads the same index as for the page's rows and
        # stops after `upto` of them. Without an order it may take a Seq Scan with a LIMIT,
        # which assumes the open requests are spread over the table; they are its newest
        # rows, at its end.
        return self.object_list.values("pk")[: self.upto + 1].count()  # type: ignore[attr-defined]

    @property
    def capped(self) -> bool:
        return bool(self.upto) and self.count > self.upto


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


# How far back the usual handler is looked for: the latest requests of one category and area.
USUAL_HANDLER_WINDOW = 200


def usual_handlers(sr: ServiceRequest, limit: int = 3) -> list[int]:
    """Who usually handles requests like this one: the people who signed for the most of the
    latest requests of the same category and area (ids, most frequent first). Two small
    queries on the area's index, however long the history."""
    recent = (
        ServiceRequest.objects.filter(region_id=sr.region_id, category_id=sr.category_id)
        .exclude(pk=sr.pk)
        .order_by("-submitted_at")
        .values_list("pk", flat=True)[:USUAL_HANDLER_WINDOW]
    )
    return list(
        ServiceRequest.objects.filter(
            pk__in=list(recent), assignee__isnull=False, signed_at__isnull=False
        )
        .values("assignee")
        .annotate(n=Count("id"))
        .order_by("-n", "assignee")
        .values_list("assignee", flat=True)[:limit]
    )


# The bulk dispatch's "send to" select, drawn once for everyone of the same reach: for bureau
# staff it lists every active person and department of the city (hundreds of options), which
# took half of a city admin's queue page to read and draw. Kept under a version that every
# save or delete of a user, a department or a region moves (`watch_picker`, in apps.ready).
PICKER = Versioned("bulkpicker", ttl=600)


def bulk_picker_html(user: User) -> str:
    """The bulk dispatch's select as HTML (its options escaped when drawn)."""
    from django.template.loader import render_to_string
    from django.utils.safestring import mark_safe
    from django.utils.translation import get_language

    # What `bulk_people` and `bulk_departments` depend on: the user's reach, and the language.
    key = f"{get_language()}:{int(user.is_superuser)}:{user.role}:{user.region_id}"
    html = PICKER.cached(
        key,
        lambda: render_to_string(
            "requests/_picker.html", {"picker_id": "bulk-to", "picker_groups": bulk_picker(user)}
        ),
    )
    return mark_safe(html)  # noqa: S308 (drawn by the template, every value escaped)


def watch_picker() -> None:
    """Connect the signals that move the picker's version (once; `apps.ready`)."""
    from guanjia.accounts.models import Department
    from guanjia.regions.models import Region

    PICKER.watch([User, Department, Region])


def bulk_picker(user: User) -> list[Any]:
    """The bulk dispatch's "send to" select, grouped as on the request page."""
    from .access import bulk_departments, bulk_people
    from .forms import picker_groups

    # Only what the picker shows: it lists every colleague the dispatcher may pick.
    people = bulk_people(user).only(*PICKER_FIELDS)
    return picker_groups(list(people), list(bulk_departments(user)))


# The user fields `forms.picker_groups` reads (str(user), the group's area and department).
PICKER_FIELDS = (
    "username",
    "display_name",
    "first_name",
    "last_name",
    "role",
    "region__name",
    "department__name",
)


def bulk_target(user: User, value: str) -> dict[str, Any] | None:
    """The person or department's queue a bulk dispatch names ("dept:<id>" or a user id),
    among those the dispatcher may pick; None when it names nobody they may."""
    from .access import bulk_departments, bulk_people
    from .forms import DEPARTMENT_PREFIX

    value = (value or "").strip()
    if value.startswith(DEPARTMENT_PREFIX):
        pk = value.removeprefix(DEPARTMENT_PREFIX)
        department = bulk_departments(user).filter(pk=pk).first() if pk.isdigit() else None
        return {"department": department} if department else None
    person = bulk_people(user).filter(pk=value).first() if value.isdigit() else None
    return {"to": person} if person else None
