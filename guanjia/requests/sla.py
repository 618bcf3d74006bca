"""The service clock of one request: SLA windows, deadlines and the marks the sweep acts on.

Two clocks run in working time (guanjia.worktime). The intake clock (受理时限) runs from
submission until the request is accepted (or dispatched, or withdrawn): its limit is in
working hours (`intake_for`). The service clock starts at dispatch; it pauses only while the
request waits on the enterprise: paused working minutes push every deadline back.
Each phase has marks at fractions of its window: reminders at 50% and 80%; at 100% of
intake and of signing-for the area's officials are told; at 100% of resolution the leader in
charge (包保领导); one more window late, the city leader. A 不满意 reopening starts a fresh
resolution window (`reopen_days`) and owes a revisit (回访) by its own deadline.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Q

from guanjia.worktime.clock import WorkCalendar

from . import refcache
from .models import Category, IntakeLimit, Priority, ServiceRequest, SlaPolicy, Status


@dataclass(frozen=True)
class Sla:
    sign_days: Decimal
    reply_days: Decimal
    resolve_days: Decimal
    max_resolve_days: Decimal


# DOMAIN.md's defaults: sign for within 1 working day, first reply within 3, resolve within
# 5 (general) or 15 (complex), 30 at most with extensions. Urgent is ours: half of general.
DEFAULT_SLA = {
    Priority.URGENT: Sla(Decimal("0.5"), Decimal(1), Decimal(3), Decimal(30)),
    Priority.GENERAL: Sla(Decimal(1), Decimal(3), Decimal(5), Decimal(30)),
    Priority.COMPLEX: Sla(Decimal(1), Decimal(3), Decimal(15), Decimal(30)),
}


def sla_for(category: Category | None, priority: str) -> Sla:
    """The category's own policy for the priority, else the default policy, else built-in."""
    scope = Q(category__isnull=True) | (Q(category=category) if category else Q(pk__in=[]))
    policies = {p.category_id: p for p in SlaPolicy.objects.filter(scope, priority=priority)}
    policy = policies.get(category.pk if category else None) or policies.get(None)
    if policy is None:
        return DEFAULT_SLA[Priority(priority)]
    return Sla(policy.sign_days, policy.reply_days, policy.resolve_days, policy.max_resolve_days)


def _decimal_setting(name: str) -> Decimal | None:
    text = str(getattr(settings, name, "") or "").strip()
    return Decimal(text) if text else None


def _intake_limits() -> dict[int, dict[str, Decimal]]:
    """Every category's intake limits by channel (a few rows; kept in `refcache`)."""

    def load() -> dict[int, dict[str, Decimal]]:
        limits: dict[int, dict[str, Decimal]] = {}
        for row in IntakeLimit.objects.all():
            limits.setdefault(row.category_id, {})[row.source] = row.hours
        return limits

    return refcache.cached("intake", load)


def intake_for(category: Category | None, source: str) -> Decimal:
    """The intake limit in working hours for a request of `category` from channel `source`:
    the category's limit for that channel, else its limit for every channel, else the
    setting (GUANJIA_INTAKE_HOURS). 0: no intake limit."""
    if category is not None and category.pk is not None:
        limits = _intake_limits().get(category.pk, {})
        if source in limits:
            return limits[source]
        if "" in limits:
            return limits[""]
    return _decimal_setting("GUANJIA_INTAKE_HOURS") or Decimal(0)


def reopen_days(sr: ServiceRequest) -> Decimal:
    """The fresh resolution window of a 不满意 reopening (GUANJIA_REOPEN_RESOLVE_DAYS; blank:
    the request's own resolution limit)."""
    return _decimal_setting("GUANJIA_REOPEN_RESOLVE_DAYS") or sr.resolve_days


def revisit_days() -> Decimal:
    """Working days after the reopened request's new answer (or its closing by the
    enterprise's rating) by which its revisit is due."""
    return _decimal_setting("GUANJIA_REVISIT_DAYS") or Decimal(2)


@dataclass(frozen=True)
class Mark:
    code: str
    fraction: float
    level: int  # 0 reminder, 1 area lead, 2 leader in charge, 3 city leader


INTAKE_MARKS = (Mark("intake50", 0.5, 0), Mark("intake80", 0.8, 0), Mark("intake100", 1.0, 1))
SIGN_MARKS = (Mark("sign50", 0.5, 0), Mark("sign80", 0.8, 0), Mark("sign100", 1.0, 1))
RESOLVE_MARKS = (
    Mark("resolve50", 0.5, 0),
    Mark("resolve80", 0.8, 0),
    Mark("resolve100", 1.0, 2),
    Mark("resolve200", 2.0, 3),
)
MARKS = {m.code: m for m in INTAKE_MARKS + SIGN_MARKS + RESOLVE_MARKS}


def phase(sr: ServiceRequest) -> str | None:
    """'intake' until accepted (when the request has an intake limit); 'sign' from dispatch
    until signed for, then 'resolve'; None when no clock runs."""
    if sr.status == Status.SUBMITTED:
        return "intake" if sr.intake_hours and sr.intake_hours > 0 else None
    if sr.status not in (Status.DISPATCHED, Status.HANDLING, Status.BOUNCED):
        return None
    return "sign" if sr.signed_at is None else "resolve"


def mark_key(sr: ServiceRequest, mark: Mark) -> str:
    """Intake marks fall once; sign marks restart with each dispatch round, resolution
    marks with each reopening."""
    if mark.code.startswith("intake"):
        return f"{mark.code}:0"
    if mark.code.startswith("sign"):
        return f"{mark.code}:{sr.dispatch_round}"
    return f"{mark.code}:{sr.reopen_count}"


def _resolve_minutes(sr: ServiceRequest, cal: WorkCalendar) -> float:
    return float(sr.resolve_days + sr.extension_days) * cal.minutes_per_day


def _intake_minutes(sr: ServiceRequest) -> float:
    return float(sr.intake_hours) * 60


def _phase_marks(
    sr: ServiceRequest, cal: WorkCalendar
) -> tuple[tuple[Mark, ...], Callable[[Mark], dt.datetime]]:
    """The current phase's marks, and when a mark of them falls (worked out on demand)."""
    which = phase(sr)
    if which == "intake":
        window = _intake_minutes(sr)
        start = sr.submitted_at
        return INTAKE_MARKS, lambda m: cal.add(start, window * m.fraction)
    if which == "sign":
        assert sr.sign_started_at is not None
        window = float(sr.sign_days) * cal.minutes_per_day
        start = sr.sign_started_at
        return SIGN_MARKS, lambda m: cal.add(start, window * m.fraction)
    if which == "resolve":
        assert sr.clock_started_at is not None
        window = _resolve_minutes(sr, cal)
        start, paused = sr.clock_started_at, sr.paused_minutes
        return RESOLVE_MARKS, lambda m: cal.add(start, window * m.fraction + paused)
    return (), lambda m: dt.datetime.max.replace(tzinfo=dt.UTC)  # no marks: never called


def mark_times(sr: ServiceRequest, cal: WorkCalendar) -> list[tuple[Mark, dt.datetime]]:
    """The current phase's marks and when each falls."""
    marks, time_of = _phase_marks(sr, cal)
    return [(m, time_of(m)) for m in marks]


def reschedule(
    sr: ServiceRequest, cal: WorkCalendar, now: dt.datetime, done: set[str] | None = None
) -> None:
    """Recompute the stored deadlines and the next mark (not saved; the caller saves).

    `done` holds the escalation keys already acted on: an escalation mark that has passed but
    was never acted on stays due (it must happen); a reminder that has passed is skipped.
    """
    done = done or set()
    if sr.intake_hours and sr.intake_hours > 0 and sr.submitted_at:
        sr.intake_due_at = cal.add(sr.submitted_at, _intake_minutes(sr))
    # The revisit owed after a 不满意 reopening: due a set time after the new answer (it must
    # come before closing), or after the closing when the enterprise's own rating closed it.
    owed_from = {str(Status.REPLIED): sr.replied_at, str(Status.CLOSED): sr.closed_at}.get(
        sr.status
    )
    if sr.revisit_required and owed_from:
        sr.revisit_due_at = cal.add_days(owed_from, float(revisit_days()))
    if sr.sign_started_at and sr.signed_at is None:
        sr.sign_due_at = cal.add_days(sr.sign_started_at, float(sr.sign_days))
    if sr.clock_started_at and sr.status != Status.AWAITING_INFO:
        mpd = cal.minutes_per_day
        sr.reply_due_at = cal.add(
            sr.clock_started_at, float(sr.reply_days) * mpd + sr.paused_minutes
        )
        sr.resolve_due_at = cal.add(
            sr.clock_started_at, _resolve_minutes(sr, cal) + sr.paused_minutes
        )
    which = phase(sr)
    sr.due_at = {
        "intake": sr.intake_due_at,
        "sign": sr.sign_due_at,
        "resolve": sr.resolve_due_at,
    }.get(which or "")
    sr.next_mark, sr.next_mark_at = "", None
    for mark, at in mark_times(sr, cal):
        if mark_key(sr, mark) in done:
            continue
        if at > now or mark.level > 0:
            sr.next_mark, sr.next_mark_at = mark.code, at
            break


def following_mark(
    sr: ServiceRequest, cal: WorkCalendar, after: str, now: dt.datetime
) -> tuple[str, dt.datetime | None]:
    """The mark after `after` in the current phase: what the sweep waits for next (only its
    time is worked out: the sweep calls this for every mark it acts on)."""
    marks, time_of = _phase_marks(sr, cal)
    codes = [m.code for m in marks]
    if after not in codes:
        return "", None
    following = marks[codes.index(after) + 1 :]
    if not following:
        return "", None
    return following[0].code, time_of(following[0])


def elapsed_fraction(sr: ServiceRequest, cal: WorkCalendar, now: dt.datetime) -> float | None:
    """How much of the current window is used (0.5 = half; above 1 = late)."""
    which = phase(sr)
    if which == "intake":
        return cal.between(sr.submitted_at, now) / _intake_minutes(sr)
    if which == "sign" and sr.sign_started_at:
        window = float(sr.sign_days) * cal.minutes_per_day
        return cal.between(sr.sign_started_at, now) / window
    if which == "resolve" and sr.clock_started_at:
        used = cal.between(sr.clock_started_at, now) - sr.paused_minutes
        return max(used, 0) / _resolve_minutes(sr, cal)
    if sr.status == Status.AWAITING_INFO and sr.clock_started_at and sr.paused_at:
        used = cal.between(sr.clock_started_at, sr.paused_at) - sr.paused_minutes
        return max(used, 0) / _resolve_minutes(sr, cal)
    return None


def minutes_left(sr: ServiceRequest, cal: WorkCalendar, now: dt.datetime) -> float | None:
    """Working minutes to the current deadline; negative when late."""
    if sr.due_at is None:
        return None
    if now <= sr.due_at:
        return cal.between(now, sr.due_at)
    return -cal.between(sr.due_at, now)
