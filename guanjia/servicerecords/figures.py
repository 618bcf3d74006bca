"""The direct line's figures, computed from the records: per steward, per area, in total.

Every function runs a fixed number of grouped queries (values().annotate()), whatever the
number of stewards, records or requests:

- services: service records dated in the period;
- problems solved: their sum of `problems_solved`;
- enterprises served: distinct enterprises among those records;
- requests handled: requests answered in the period (`replied_at`), counted for the request's
  steward and for its assignee (once when they are the same person);
- on-time rate: answered on time / answered, over the same requests;
- satisfaction rate: (satisfied + basically satisfied) / rated, over requests rated in the
  period (`rated_at`);
- active stewards: active users with the steward role (by the steward's own region).

Periods are whole days, `start` and `end` included, in the site's time zone.
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Sum, Value, When
from django.utils import timezone

from guanjia.accounts.models import Role, User
from guanjia.regions.models import Region
from guanjia.requests.models import Rating, ServiceRequest

from .models import ServiceRecord

GOOD_RATINGS = [Rating.SATISFIED, Rating.BASICALLY]


@dataclass
class Figures:
    services: int = 0
    problems_solved: int = 0
    enterprises: int = 0
    requests_handled: int = 0
    answered_on_time: int = 0
    rated: int = 0
    satisfied: int = 0  # satisfied or basically satisfied

    @property
    def on_time_rate(self) -> float | None:
        """Share of the answered requests answered on time, 0–1; None when none answered."""
        return self.answered_on_time / self.requests_handled if self.requests_handled else None

    @property
    def satisfaction_rate(self) -> float | None:
        """Share of the rated requests rated (basically) satisfied, 0–1; None when none rated."""
        return self.satisfied / self.rated if self.rated else None

    def add_requests(self, row: Mapping[str, Any]) -> None:
        self.requests_handled += row["handled"]
        self.answered_on_time += row["on_time"]
        self.rated += row["rated"]
        self.satisfied += row["satisfied"]


@dataclass(kw_only=True)
class StewardRow(Figures):
    steward: User


@dataclass(kw_only=True)
class AreaRow(Figures):
    region: Region
    active_stewards: int = 0
    direct: bool = False  # the root itself (services counted at the root's own level)


@dataclass
class Totals(Figures):
    active_stewards: int = 0
    stewards_serving: int = 0  # stewards with at least one service in the period


# --- Building blocks -------------------------------------------------------------------------


def day_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start 00:00, the day after end 00:00) in the site's time zone."""
    tz = timezone.get_current_timezone()
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    )


def _within(region: Region, field_name: str) -> Q:
    """`field_name` (a Region foreign key) in the region's subtree, as a subquery."""
    return Q(
        **{f"{field_name}__in": Region.objects.filter(path__startswith=region.path).values("pk")}
    )


def _records(start: dt.date, end: dt.date, region: Region | None) -> QuerySet[ServiceRecord]:
    qs = ServiceRecord.objects.filter(date__gte=start, date__lte=end)
    return qs.filter(_within(region, "region")) if region is not None else qs


def _requests(
    start: dt.date, end: dt.date, region: Region | None
) -> tuple[QuerySet[ServiceRequest], dict[str, Any]]:
    """Requests answered or rated in the period, and the conditional counts to annotate."""
    lo, hi = day_bounds(start, end)
    replied = Q(replied_at__gte=lo, replied_at__lt=hi)
    rated = Q(rated_at__gte=lo, rated_at__lt=hi) & ~Q(rating="")
    qs = ServiceRequest.objects.filter(replied | rated)
    if region is not None:
        qs = qs.filter(_within(region, "region"))
    counts = {
        "handled": Count("pk", filter=replied),
        "on_time": Count("pk", filter=replied & Q(on_time=True)),
        "rated": Count("pk", filter=rated),
        "satisfied": Count("pk", filter=rated & Q(rating__in=GOOD_RATINGS)),
    }
    return qs, counts


RECORD_COUNTS = {
    "services": Count("pk"),
    "problems": Sum("problems_solved"),
    "enterprises": Count("enterprise_id", distinct=True),
}


def _add_records(target: Figures, row: Mapping[str, Any]) -> None:
    target.services += row["services"]
    target.problems_solved += row["problems"] or 0
    target.enterprises += row["enterprises"]


def _active_stewards() -> QuerySet[User]:
    return User.objects.filter(role=Role.STEWARD, is_active=True)


# --- Per steward -----------------------------------------------------------------------------


def steward_figures(
    stewards: QuerySet[User] | None = None,
    *,
    region: Region | None = None,
    start: dt.date,
    end: dt.date,
) -> list[StewardRow]:
    """One row per steward, most services first.

    `stewards` limits the rows to those users; None means every active steward (whose own
    region lies in `region`, when given) plus anyone with a service in the period. `region`
    limits the records and requests counted to that area's subtree. Five queries at most.
    """
    records = _records(start, end, region)
    if stewards is not None:
        records = records.filter(steward_id__in=stewards.values("pk"))
    by_steward = {
        row["steward_id"]: row
        for row in records.values("steward_id").annotate(**RECORD_COUNTS).order_by()
    }

    if stewards is not None:
        people = list(stewards.select_related("region"))
    else:
        base = _active_stewards()
        if region is not None:
            base = base.filter(_within(region, "region"))
        people = list(base.select_related("region"))
        missing = set(by_steward) - {u.pk for u in people}
        if missing:
            people += list(User.objects.filter(pk__in=missing).select_related("region"))
    rows = {u.pk: StewardRow(steward=u) for u in people}
    for pk, data in by_steward.items():
        if pk in rows:
            _add_records(rows[pk], data)

    requests, counts = _requests(start, end, region)
    # Each request counts for its steward, and for its assignee when that is someone else.
    owned = requests.filter(steward_id__isnull=False).values("steward_id").annotate(**counts)
    other = Q(steward_id__isnull=True) | Q(steward_id__lt=F("assignee_id"))
    other |= Q(steward_id__gt=F("assignee_id"))
    assigned = (
        requests.filter(other, assignee_id__isnull=False).values("assignee_id").annotate(**counts)
    )
    for row in owned.order_by():
        if row["steward_id"] in rows:
            rows[row["steward_id"]].add_requests(row)
    for item in assigned.order_by():
        if item["assignee_id"] in rows:
            rows[item["assignee_id"]].add_requests(item)
    return sort_rows(rows.values(), "-services")


STEWARD_SORTS = {
    "name": lambda r: (_person_key(r.steward),),
    "region": lambda r: (
        r.steward.region.path if r.steward.region else "~",
        _person_key(r.steward),
    ),
    "services": lambda r: (r.services, -r.steward.pk),
    "problems": lambda r: (r.problems_solved, -r.steward.pk),
    "enterprises": lambda r: (r.enterprises, -r.steward.pk),
    "requests": lambda r: (r.requests_handled, -r.steward.pk),
    "on_time": lambda r: (_rate(r.on_time_rate), r.requests_handled, -r.steward.pk),
    "satisfaction": lambda r: (_rate(r.satisfaction_rate), r.rated, -r.steward.pk),
}


def _person_key(user: User) -> str:
    return str(user).lower()


def _rate(value: float | None) -> float:
    return -1.0 if value is None else value


def sort_rows(rows: Iterable[StewardRow], sort: str) -> list[StewardRow]:
    """Rows sorted by a key of STEWARD_SORTS; "-services" is descending."""
    key = sort.lstrip("-")
    if key not in STEWARD_SORTS:
        key, sort = "services", "-services"
    return sorted(rows, key=STEWARD_SORTS[key], reverse=sort.startswith("-"))


# --- Per area --------------------------------------------------------------------------------


def _children_case(root: Region) -> tuple[list[Region], Case | Value, dict[int, Region]]:
    """The root's children and a CASE mapping a region id to the child whose subtree has it."""
    subtree = list(Region.objects.filter(path__startswith=root.path).order_by("path", "sort_order"))
    children = sorted(
        (r for r in subtree if r.parent_id == root.pk), key=lambda r: (r.sort_order, r.path)
    )
    members: dict[int, list[int]] = {c.pk: [] for c in children}
    for region in subtree:
        for child in children:
            if region.path.startswith(child.path):
                members[child.pk].append(region.pk)
                break
    whens = [
        When(region_id__in=ids, then=Value(child_pk)) for child_pk, ids in members.items() if ids
    ]
    case: Case | Value = (
        Case(*whens, default=Value(root.pk), output_field=IntegerField())
        if whens
        else Value(root.pk, output_field=IntegerField())
    )
    return children, case, {r.pk: r for r in subtree}


def area_figures(region_root: Region, start: dt.date, end: dt.date) -> list[AreaRow]:
    """One row per child region of `region_root` (its subtree included), in the tree's order.

    Services recorded at the root itself (e.g. a city-level steward with no project or
    enterprise area) come last in a row with `direct=True`, shown only when it has figures.
    Abolished children are shown only when they have figures. A root without children is
    one row (not `direct`). Four queries.
    """
    children, case, _subtree = _children_case(region_root)
    rows: dict[int, AreaRow] = {c.pk: AreaRow(region=c) for c in children}
    # A root without children (a county) is one row of its own, not "directly".
    direct = AreaRow(region=region_root, direct=bool(children))

    def row_for(pk: int) -> AreaRow:
        return rows.get(pk, direct)

    records = _records(start, end, region_root).annotate(area=case)
    for data in records.values("area").annotate(**RECORD_COUNTS).order_by():
        _add_records(row_for(data["area"]), data)
    requests, counts = _requests(start, end, region_root)
    for data in requests.annotate(area=case).values("area").annotate(**counts).order_by():
        row_for(data["area"]).add_requests(data)
    stewards = _active_stewards().filter(_within(region_root, "region")).annotate(area=case)
    for data in stewards.values("area").annotate(n=Count("pk")).order_by():
        row_for(data["area"]).active_stewards += data["n"]

    result = [row for row in rows.values() if row.region.abolished_on is None or _has_figures(row)]
    if not children or _has_figures(direct):
        result.append(direct)
    return result


def _has_figures(row: AreaRow) -> bool:
    return bool(row.services or row.requests_handled or row.rated or row.active_stewards)


# --- Totals ----------------------------------------------------------------------------------


def totals(start: dt.date, end: dt.date, region: Region | None = None) -> Totals:
    """The headline figures for the period ("687 stewards, 6000+ services"). Three queries."""
    result = Totals()
    data = _records(start, end, region).aggregate(
        **RECORD_COUNTS, stewards=Count("steward_id", distinct=True)
    )
    _add_records(result, data)
    result.stewards_serving = data["stewards"]
    requests, counts = _requests(start, end, region)
    result.add_requests(requests.aggregate(**counts))
    stewards = _active_stewards()
    if region is not None:
        stewards = stewards.filter(_within(region, "region"))
    result.active_stewards = stewards.count()
    return result


# --- Periods ---------------------------------------------------------------------------------

PERIODS = ("month", "quarter", "year", "custom")


def period_bounds(period: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """This month, quarter or year, from its first day to today."""
    if period == "year":
        return dt.date(today.year, 1, 1), today
    if period == "quarter":
        return dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), today
    return today.replace(day=1), today


# --- Intake and reply: the 12345-style rates by area, department and category ----------------
#
# Over the requests of the period's region (its subtree), each count on its own clock event
# falling in the period [start 00:00, end + 1 day 00:00) of the site's time zone:
#
# - intake time (受理时长): accepted_at − submitted_at, averaged over the requests accepted in
#   the period (calendar hours);
# - 及时受理率 (accepted in time): of the requests with an intake limit (intake_due_at set) that
#   were accepted in the period, or are still waiting for acceptance with their limit passed
#   in the period, the share accepted by intake_due_at;
# - first-reply time (首次响应时长): first_response_at − submitted_at, averaged over the requests
#   whose first response (the first answer, question or note to the enterprise) is in the period;
# - 按时办结率 (resolved on time): of the requests answered (答复, replied_at) in the period, the
#   share answered within their resolution deadline (on_time) — the on-time rate above;
# - 满意率 (satisfaction): of the requests rated in the period, the share rated 满意 or 基本满意;
# - 回访率 (revisited): of the requests closed (办结, closed_at) in the period, the share that
#   have a revisit (回访) recorded (revisited_at). Today a revisit is recorded only where one is
#   owed (after a 不满意 and the reopening), so the rate counts those.

BY_CHOICES = ("area", "department", "category")


@dataclass
class RateRow:
    """One row of the intake and reply figures: an area, a department or a category."""

    key: int | None
    label: str
    accepted: int = 0
    intake_seconds: float = 0.0
    intake_limited: int = 0  # requests with an intake limit counted for 及时受理率
    accepted_in_time: int = 0
    first_replied: int = 0
    first_reply_seconds: float = 0.0
    answered: int = 0
    answered_on_time: int = 0
    rated: int = 0
    satisfied: int = 0
    closed: int = 0
    revisited: int = 0

    @staticmethod
    def _share(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def intake_hours(self) -> float | None:
        """Average hours from submission to acceptance; None when nothing was accepted."""
        return self.intake_seconds / self.accepted / 3600 if self.accepted else None

    @property
    def first_reply_hours(self) -> float | None:
        """Average hours from submission to the first response."""
        return self.first_reply_seconds / self.first_replied / 3600 if self.first_replied else None

    @property
    def intake_rate(self) -> float | None:
        """及时受理率."""
        return self._share(self.accepted_in_time, self.intake_limited)

    @property
    def on_time_rate(self) -> float | None:
        """按时办结率."""
        return self._share(self.answered_on_time, self.answered)

    @property
    def satisfaction_rate(self) -> float | None:
        """满意率."""
        return self._share(self.satisfied, self.rated)

    @property
    def revisit_rate(self) -> float | None:
        """回访率."""
        return self._share(self.revisited, self.closed)

    def add(self, other: "RateRow") -> None:
        for name in (
            "accepted",
            "intake_seconds",
            "intake_limited",
            "accepted_in_time",
            "first_replied",
            "first_reply_seconds",
            "answered",
            "answered_on_time",
            "rated",
            "satisfied",
            "closed",
            "revisited",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _seconds(value: Any) -> float:
    """A summed duration (a timedelta; SQLite may hand back microseconds) in seconds."""
    if value is None:
        return 0.0
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return float(value) / 1_000_000


def _rate_counts(lo: dt.datetime, hi: dt.datetime, now: dt.datetime) -> tuple[Q, dict[str, Any]]:
    from django.db.models import DurationField, ExpressionWrapper

    from guanjia.requests.models import Status

    def within(field: str) -> Q:
        return Q(**{f"{field}__gte": lo, f"{field}__lt": hi})

    accepted = within("accepted_at")
    overdue_waiting = (
        Q(status=Status.SUBMITTED, accepted_at__isnull=True)
        & within("intake_due_at")
        & Q(intake_due_at__lt=now)
    )
    limited = (accepted & Q(intake_due_at__isnull=False)) | overdue_waiting
    replied_first = within("first_response_at")
    answered = within("replied_at")
    rated = within("rated_at") & ~Q(rating="")
    closed = within("closed_at")

    def span(end: str) -> ExpressionWrapper:
        return ExpressionWrapper(F(end) - F("submitted_at"), output_field=DurationField())

    counts: dict[str, Any] = {
        "accepted": Count("pk", filter=accepted),
        "intake_seconds": Sum(span("accepted_at"), filter=accepted),
        "intake_limited": Count("pk", filter=limited),
        "accepted_in_time": Count(
            "pk",
            filter=accepted & Q(intake_due_at__isnull=False, accepted_at__lte=F("intake_due_at")),
        ),
        "first_replied": Count("pk", filter=replied_first),
        "first_reply_seconds": Sum(span("first_response_at"), filter=replied_first),
        "answered": Count("pk", filter=answered),
        "answered_on_time": Count("pk", filter=answered & Q(on_time=True)),
        "rated": Count("pk", filter=rated),
        "satisfied": Count("pk", filter=rated & Q(rating__in=GOOD_RATINGS)),
        "closed": Count("pk", filter=closed),
        "revisited": Count("pk", filter=closed & Q(revisited_at__isnull=False)),
    }
    return accepted | limited | replied_first | answered | rated | closed, counts


def _fill(row: RateRow, data: Mapping[str, Any]) -> None:
    for name in (
        "accepted",
        "intake_limited",
        "accepted_in_time",
        "first_replied",
        "answered",
        "answered_on_time",
        "rated",
        "satisfied",
        "closed",
        "revisited",
    ):
        setattr(row, name, getattr(row, name) + (data[name] or 0))
    row.intake_seconds += _seconds(data["intake_seconds"])
    row.first_reply_seconds += _seconds(data["first_reply_seconds"])


def rate_figures(
    by: str,
    start: dt.date,
    end: dt.date,
    region: Region | None = None,
    *,
    now: dt.datetime | None = None,
) -> tuple[list[RateRow], RateRow]:
    """The intake and reply figures of the period, one row per area (the children of
    `region`), department or category, and their total. Two queries (three by area).

    Rows without a figure are left out; requests with no department (handled by stewards) or
    no category are one row of their own, labelled "—"."""
    from guanjia.accounts.models import Department
    from guanjia.requests.models import Category

    if by not in BY_CHOICES:
        by = "area"
    lo, hi = day_bounds(start, end)
    any_in_period, counts = _rate_counts(lo, hi, now or timezone.now())
    qs = ServiceRequest.objects.filter(any_in_period)
    if region is not None:
        qs = qs.filter(_within(region, "region"))
    total = RateRow(key=None, label="")
    rows: dict[int | None, RateRow] = {}
    names: dict[int, str] = {}
    order: list[int] = []
    model: Any = Region
    if by == "area" and region is not None:
        children, case, _subtree = _children_case(region)
        names = {c.pk: c.name for c in children} | {region.pk: region.name}
        order = [c.pk for c in children] + [region.pk]
        grouped = qs.annotate(group=case).values("group")
    else:
        field, model = {
            "area": ("region_id", Region),
            "department": ("department_id", Department),
            "category": ("category_id", Category),
        }[by]
        grouped = qs.annotate(group=F(field)).values("group")
    data_rows = list(grouped.annotate(**counts).order_by())
    if not order:
        keys = [d["group"] for d in data_rows if d["group"] is not None]
        found = model.objects.filter(pk__in=keys).order_by("name")
        names = {obj.pk: str(obj) for obj in found}
        order = [obj.pk for obj in found]
    for data in data_rows:
        key = data["group"]
        label = names.get(key, "—") if key is not None else "—"
        row = rows.setdefault(key, RateRow(key=key, label=label))
        _fill(row, data)
        total.add(row)
    ordered = [rows[k] for k in order if k in rows]
    ordered += [r for k, r in rows.items() if k not in order]
    return ordered, total
