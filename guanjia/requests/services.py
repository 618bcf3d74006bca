"""Every step of a request: one function each, which checks who may take it and from which
status, records it on the timeline, audits it, reschedules the clock and tells people.

The transition table is `TRANSITIONS` (status side) with `access.ACTIONS` (people side).
"""

import datetime as dt
import uuid
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guanjia.accounts.models import Role, User
from guanjia.accounts.scope import ReferenceOutOfScope
from guanjia.core.audit import record, snapshot
from guanjia.core.models import AuditAction
from guanjia.enterprises.models import Enterprise
from guanjia.projects.models import Project
from guanjia.regions.models import Region
from guanjia.worktime.clock import WorkCalendar

from . import access, sla
from .models import (
    OPEN_STATUSES,
    TIMELINE,
    Audience,
    Category,
    Escalation,
    EventKind,
    Extension,
    ExtensionStatus,
    Rating,
    RequestEvent,
    ServiceRequest,
    Source,
    Status,
    audiences,
)


class RequestError(ValidationError):
    """A step that is not allowed now, or bad input for it; the message says why."""


S = Status
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    # step: (from statuses, to status; None = stays, or decided by the step)
    "accept": (frozenset({S.SUBMITTED}), S.ACCEPTED),
    "dispatch": (frozenset({S.SUBMITTED, S.ACCEPTED}), S.DISPATCHED),
    "sign": (frozenset({S.DISPATCHED}), S.HANDLING),
    "transfer": (frozenset({S.DISPATCHED, S.HANDLING}), S.DISPATCHED),
    "bounce": (frozenset({S.DISPATCHED, S.HANDLING}), S.BOUNCED),
    "arbitrate": (frozenset({S.BOUNCED}), None),  # reassigned, or back to where it was
    "ask_info": (frozenset({S.HANDLING}), S.AWAITING_INFO),
    "give_info": (frozenset({S.AWAITING_INFO}), S.HANDLING),
    "note": (frozenset({*OPEN_STATUSES, S.REPLIED}), None),
    "internal_note": (frozenset({*OPEN_STATUSES, S.REPLIED, S.CLOSED}), None),
    "reply": (frozenset({S.HANDLING}), S.REPLIED),
    "close": (frozenset({S.REPLIED}), S.CLOSED),
    "rate": (frozenset({S.REPLIED, S.CLOSED}), None),  # closed, or reopened when unsatisfied
    "revisit": (frozenset({S.CLOSED}), None),
    "withdraw": (frozenset(OPEN_STATUSES), S.WITHDRAWN),
    "ask_extension": (frozenset({S.HANDLING, S.BOUNCED}), None),
    "decide_extension": (frozenset({S.HANDLING, S.AWAITING_INFO, S.BOUNCED}), None),
    "supervise": (frozenset(OPEN_STATUSES), None),
}


def allowed_steps(user: User, sr: ServiceRequest) -> list[str]:
    """The steps this user may take on this request now (the buttons the page shows)."""
    return [
        step
        for step, (sources, _to) in TRANSITIONS.items()
        if sr.status in sources and access.can(user, step, sr)
    ]


def now() -> dt.datetime:
    return timezone.now()


def calendar() -> WorkCalendar:
    return WorkCalendar.load()


def _text(value: str, field: str, *, required: bool = True, limit: int = 5000) -> str:
    value = (value or "").strip()
    if required and not value:
        raise RequestError({field: _("This field is required.")})
    if len(value) > limit:
        raise RequestError({field: _("At most %(n)s characters.") % {"n": limit}})
    return value


def _days(value: Any, field: str) -> Decimal:
    try:
        days = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise RequestError({field: _("Enter a number of working days.")}) from None
    if not days.is_finite() or days <= 0 or days != days.quantize(Decimal("0.01")):
        raise RequestError({field: _("Enter a positive number of working days.")})
    return days


# ----------------------------------------------------------------------------- the engine


def _begin(
    sr: ServiceRequest, actor: User | None, step: str
) -> tuple[ServiceRequest, dict[str, Any]]:
    """Lock the row, check the people side and the status side; returns it and its snapshot."""
    locked = (
        ServiceRequest.objects.select_for_update(of=("self",))
        .select_related("region", "enterprise", "project", "category")
        .get(pk=sr.pk)
    )
    if actor is not None:
        access.require(actor, step, locked)
    sources, _to = TRANSITIONS[step]
    if locked.status not in sources:
        raise RequestError(
            _("This request is “%(status)s”: it cannot be “%(step)s” now.")
            % {"status": locked.get_status_display(), "step": step_label(step)}
        )
    return locked, snapshot(locked)


def step_label(step: str) -> str:
    return str(STEP_LABELS.get(step, step))


def _done_keys(sr: ServiceRequest) -> set[str]:
    return set(Escalation.objects.filter(request=sr).values_list("key", flat=True))


def _finish(
    sr: ServiceRequest,
    before: dict[str, Any],
    actor: User | None,
    kind: str,
    *,
    at: dt.datetime,
    note: str = "",
    data: dict[str, Any] | None = None,
    cal: WorkCalendar | None = None,
    reschedule: bool = True,
) -> RequestEvent:
    if reschedule:
        sla.reschedule(sr, cal or calendar(), at, done=_done_keys(sr))
    sr.save()
    after = snapshot(sr)
    changed = {k for k in after if before.get(k) != after.get(k)} - {"updated_at"}
    record(
        actor,
        AuditAction.TRANSITION,
        sr,
        before={k: before.get(k) for k in changed},
        after={k: after[k] for k in changed},
        note=f"{kind}: {note}"[:500] if note else kind,
    )
    from .models import INTERNAL_EVENTS

    return RequestEvent.objects.create(
        request=sr,
        kind=kind,
        from_status=before.get("status", ""),
        to_status=sr.status,
        actor=actor if getattr(actor, "pk", None) else None,
        at=at,
        note=note,
        data=data or {},
        internal=kind in INTERNAL_EVENTS,
    )


# ----------------------------------------------------------------------------- who hears


def enterprise_contacts(sr: ServiceRequest) -> list[User]:
    return list(
        User.objects.filter(role=Role.ENTERPRISE, enterprise=sr.enterprise_id, is_active=True)
    )


def _nearest(region: Region, role: str, *, city_only: bool = False) -> list[User]:
    """Active users with `role` at the region, else at its nearest ancestor that has some."""
    regions = Region.objects.filter(path__in=region.lineage)
    if city_only:
        regions = regions.filter(kind="city")
    by_region: dict[int, list[User]] = {}
    for user in User.objects.filter(role=role, is_active=True, region__in=regions).select_related(
        "region"
    ):
        by_region.setdefault(user.region_id, []).append(user)  # type: ignore[arg-type]
    for ancestor in sorted(regions, key=lambda r: -len(r.path)):
        if ancestor.pk in by_region:
            return by_region[ancestor.pk]
    return []


def area_leads(sr: ServiceRequest) -> list[User]:
    """The area's officials; the city's bureau staff where an area has none."""
    return _nearest(sr.region, Role.AREA_OFFICIAL) or _nearest(sr.region, Role.CITY_ADMIN)


def leaders_in_charge(sr: ServiceRequest) -> list[User]:
    """The project's 包保领导, else the area's leaders."""
    if sr.project_id and sr.project and sr.project.leader_id and sr.project.leader:
        return [sr.project.leader]
    return _nearest(sr.region, Role.LEADER)


def city_leaders(sr: ServiceRequest) -> list[User]:
    return _nearest(sr.region, Role.LEADER, city_only=True)


def _tell(
    recipients: Iterable[User | None],
    kind: str,
    title: str,
    sr: ServiceRequest,
    body: str = "",
    *,
    about: str,
    quotes_note: bool = False,
) -> None:
    """Notify people of the timeline entry of kind `about`. Only those who may see that entry
    (`models.TIMELINE`) are told, and when the title or body quotes the entry's note, only
    those who may read the note: an enterprise contact never receives internal text."""
    from guanjia.notifications.services import notify

    shown = TIMELINE[about]
    needed = {shown.entry, shown.note} if quotes_note else {shown.entry}
    people = [u for u in recipients if u is not None and needed <= audiences(u)]
    if people:
        notify(
            people,
            kind=f"request.{kind}",
            title=title,
            body=body,
            url=reverse("requests:detail", args=[sr.pk]),
            target=sr,
        )


def _in_default_language() -> Any:
    """Notifications are written once, in the installation's language."""
    return translation.override(settings.LANGUAGE_CODE)


# ----------------------------------------------------------------------------- the steps


def _default_region(enterprise: Enterprise, project: Project | None) -> Region:
    if project is not None:
        return project.region
    if enterprise.region_id and enterprise.region:
        return enterprise.region
    return Region.objects.get(code=settings.GUANJIA_CITY_CODE)


@transaction.atomic
def submit(
    actor: User | None,
    *,
    enterprise: Enterprise,
    category: Category,
    title: str,
    text: str,
    project: Project | None = None,
    priority: str = "",
    source: str = Source.WEB,
    at: dt.datetime | None = None,
) -> ServiceRequest:
    """An enterprise's new request: it goes to the enterprise's steward to accept (受理)."""
    if actor is not None and actor.role == Role.ENTERPRISE and actor.enterprise_id != enterprise.pk:
        raise RequestError({"enterprise": _("You can submit requests only for your enterprise.")})
    if (
        project is not None
        and project.enterprise_id != enterprise.pk
        and not project.partners.filter(pk=enterprise.pk).exists()
    ):
        raise RequestError({"project": _("This project is not one of the enterprise's.")})
    if not category.active:
        raise RequestError({"category": _("This category is no longer in use.")})
    moment = at or now()
    steward = (project.steward if project is not None and project.steward_id else None) or (
        enterprise.steward
    )
    sr = ServiceRequest(
        number=f"tmp{uuid.uuid4().hex[:16]}",  # replaced once the row has its id
        enterprise=enterprise,
        project=project,
        region=_default_region(enterprise, project),
        category=category,
        priority=priority or category.default_priority,
        title=_text(title, "title", limit=200),
        text=_text(text, "text"),
        source=source,
        submitted_by=actor,
        submitted_at=moment,
        steward=steward,
        assignee=steward,
    )
    sr.full_clean(exclude=["number"])
    sr.save()
    sr.number = f"ZT{timezone.localtime(moment).year}{sr.pk:07d}"
    sr.save(update_fields=["number"])
    record(actor, AuditAction.CREATE, sr)
    RequestEvent.objects.create(
        request=sr, kind=EventKind.SUBMIT, to_status=sr.status, actor=actor, at=moment
    )
    with _in_default_language():
        _tell(
            [steward] if steward else area_leads(sr),
            "submitted",
            _("New request %(number)s from %(enterprise)s: %(title)s")
            % {"number": sr.number, "enterprise": enterprise.name, "title": sr.title},
            sr,
            about=EventKind.SUBMIT,
        )
    return sr


@transaction.atomic
def accept(sr: ServiceRequest, actor: User | None, note: str = "") -> ServiceRequest:
    """受理: the steward (or area staff) takes the request in."""
    sr, before = _begin(sr, actor, "accept")
    sr.status = Status.ACCEPTED
    _finish(sr, before, actor, EventKind.ACCEPT, at=now(), note=note)
    return sr


def _assign_to(sr: ServiceRequest, to: User) -> None:
    if not to.is_active or to.role not in (Role.STEWARD, Role.HANDLER, Role.AREA_OFFICIAL):
        raise RequestError(
            {"to": _("Requests go to a steward, an area official or a department handler.")}
        )
    if not access.assignable_people(None, sr).filter(pk=to.pk).exists():
        # Another county's person would read the request: refused as if there were no such
        # person (every path checks this first; this is the last line).
        raise ReferenceOutOfScope("to", to.pk)
    sr.assignee = to
    sr.department = to.department if to.department_id else None


@transaction.atomic
def dispatch(
    sr: ServiceRequest, actor: User | None, to: User, note: str = "", at: dt.datetime | None = None
) -> ServiceRequest:
    """派单: sent to the one who will handle it. The service clock starts here."""
    sr, before = _begin(sr, actor, "dispatch")
    moment = at or now()
    _assign_to(sr, to)
    policy = sla.sla_for(sr.category, sr.priority)
    sr.sign_days, sr.reply_days = policy.sign_days, policy.reply_days
    sr.resolve_days, sr.max_resolve_days = policy.resolve_days, policy.max_resolve_days
    sr.status = Status.DISPATCHED
    sr.dispatched_by = actor
    sr.dispatched_at = sr.dispatched_at or moment
    sr.clock_started_at = sr.clock_started_at or moment
    sr.sign_started_at = moment
    sr.dispatch_round += 1
    _finish(sr, before, actor, EventKind.DISPATCH, at=moment, note=note, data=_who(to))
    with _in_default_language():
        _tell(
            [to],
            "dispatched",
            _("Request %(number)s is yours: sign for it by %(due)s")
            % {"number": sr.number, "due": _fmt(sr.sign_due_at)},
            sr,
            body=note,
            about=EventKind.DISPATCH,
            quotes_note=True,
        )
    return sr


def _who(user: User) -> dict[str, Any]:
    return {"to_id": user.pk, "to": str(user), "department": str(user.department or "")}


def _fmt(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "—"


@transaction.atomic
def sign(
    sr: ServiceRequest, actor: User | None, note: str = "", at: dt.datetime | None = None
) -> ServiceRequest:
    """签收: the assignee acknowledges; handling (办理) begins."""
    sr, before = _begin(sr, actor, "sign")
    moment = at or now()
    sr.status = Status.HANDLING
    sr.signed_at = moment
    sr.first_response_at = sr.first_response_at or moment
    _finish(sr, before, actor, EventKind.SIGN, at=moment, note=note)
    with _in_default_language():
        _tell(
            enterprise_contacts(sr),
            "signed",
            _("Your request %(number)s is being handled by %(who)s")
            % {"number": sr.number, "who": sr.assignee},
            sr,
            about=EventKind.SIGN,
        )
    return sr


@transaction.atomic
def transfer(sr: ServiceRequest, actor: User | None, to: User, note: str) -> ServiceRequest:
    """转办: to another handler (usually a department), who must sign for it anew.

    The resolution clock keeps running from the first dispatch; signing-for starts afresh.
    """
    sr, before = _begin(sr, actor, "transfer")
    note = _text(note, "note", limit=500)
    if to.pk == sr.assignee_id:
        raise RequestError({"to": _("The request is already with this person.")})
    moment = now()
    _assign_to(sr, to)
    sr.status = Status.DISPATCHED
    sr.signed_at = None
    sr.sign_started_at = moment
    sr.dispatch_round += 1
    _finish(sr, before, actor, EventKind.TRANSFER, at=moment, note=note, data=_who(to))
    with _in_default_language():
        _tell(
            [to],
            "dispatched",
            _("Request %(number)s was transferred to you: sign for it by %(due)s")
            % {"number": sr.number, "due": _fmt(sr.sign_due_at)},
            sr,
            body=note,
            about=EventKind.TRANSFER,
            quotes_note=True,
        )
    return sr


@transaction.atomic
def bounce(sr: ServiceRequest, actor: User | None, reason: str) -> ServiceRequest:
    """退单: the assignee says it is not theirs, with a reason; the dispatcher arbitrates.

    The clock keeps running: a bounce is the city's time, not the enterprise's.
    """
    sr, before = _begin(sr, actor, "bounce")
    sr.bounce_reason = _text(reason, "reason", limit=500)
    sr.status_before_bounce = sr.status
    sr.status = Status.BOUNCED
    _finish(sr, before, actor, EventKind.BOUNCE, at=now(), note=sr.bounce_reason)
    dispatcher = sr.dispatched_by or sr.steward
    with _in_default_language():
        _tell(
            [dispatcher] if dispatcher else area_leads(sr),
            "bounced",
            _("Request %(number)s was bounced by %(who)s: %(reason)s")
            % {"number": sr.number, "who": actor, "reason": sr.bounce_reason},
            sr,
            about=EventKind.BOUNCE,
            quotes_note=True,
        )
    return sr


@transaction.atomic
def arbitrate(
    sr: ServiceRequest,
    actor: User | None,
    *,
    upheld: bool,
    note: str,
    to: User | None = None,
) -> ServiceRequest:
    """The dispatcher decides a bounce: upheld → sent to `to`; refused → back to the assignee."""
    sr, before = _begin(sr, actor, "arbitrate")
    note = _text(note, "note", limit=500)
    moment = now()
    data: dict[str, Any] = {"upheld": upheld}
    if upheld:
        if to is None:
            raise RequestError({"to": _("Say who takes the request instead.")})
        _assign_to(sr, to)
        sr.status = Status.DISPATCHED
        sr.signed_at = None
        sr.sign_started_at = moment
        sr.dispatch_round += 1
        data.update(_who(to))
    else:
        sr.status = sr.status_before_bounce or Status.DISPATCHED
    sr.status_before_bounce = ""
    _finish(sr, before, actor, EventKind.ARBITRATE, at=moment, note=note, data=data)
    with _in_default_language():
        if upheld:
            title = _("Request %(number)s is yours: sign for it by %(due)s") % {
                "number": sr.number,
                "due": _fmt(sr.sign_due_at),
            }
        else:
            title = _("Your bounce of request %(number)s was refused: %(note)s") % {
                "number": sr.number,
                "note": note,
            }
        _tell([sr.assignee], "arbitrated", title, sr, about=EventKind.ARBITRATE, quotes_note=True)
    return sr


@transaction.atomic
def ask_info(sr: ServiceRequest, actor: User | None, question: str) -> ServiceRequest:
    """Ask the enterprise for information: the one thing that pauses the clock."""
    sr, before = _begin(sr, actor, "ask_info")
    question = _text(question, "question")
    moment = now()
    sr.status = Status.AWAITING_INFO
    sr.paused_at = moment
    sr.first_response_at = sr.first_response_at or moment
    _finish(sr, before, actor, EventKind.ASK_INFO, at=moment, note=question)
    with _in_default_language():
        _tell(
            enterprise_contacts(sr),
            "info_asked",
            _("Request %(number)s: the steward needs information from you") % {"number": sr.number},
            sr,
            body=question,
            about=EventKind.ASK_INFO,
            quotes_note=True,
        )
    return sr


@transaction.atomic
def give_info(
    sr: ServiceRequest, actor: User | None, answer: str, at: dt.datetime | None = None
) -> ServiceRequest:
    """The enterprise answers; the clock resumes with every deadline pushed back by the pause."""
    sr, before = _begin(sr, actor, "give_info")
    answer = _text(answer, "answer")
    moment = at or now()
    cal = calendar()
    if sr.paused_at:
        sr.paused_minutes += cal.between(sr.paused_at, moment)
    sr.paused_at = None
    sr.status = Status.HANDLING
    event = _finish(sr, before, actor, EventKind.GIVE_INFO, at=moment, note=answer, cal=cal)
    with _in_default_language():
        _tell(
            [sr.assignee],
            "info_given",
            _("Request %(number)s: the enterprise answered your question") % {"number": sr.number},
            sr,
            body=answer,
            about=EventKind.GIVE_INFO,
            quotes_note=True,
        )
    sr._last_event = event  # type: ignore[attr-defined]
    return sr


@transaction.atomic
def add_note(sr: ServiceRequest, actor: User | None, note: str) -> RequestEvent:
    """A progress note on the timeline (the enterprise sees it; `add_internal_note` for staff)."""
    sr, before = _begin(sr, actor, "note")
    note = _text(note, "note")
    moment = now()
    sr.first_response_at = sr.first_response_at or moment
    return _finish(sr, before, actor, EventKind.NOTE, at=moment, note=note, reschedule=False)


@transaction.atomic
def add_internal_note(sr: ServiceRequest, actor: User | None, note: str) -> RequestEvent:
    """内部备注: a note for staff only. The enterprise never sees it (`models.TIMELINE`), on
    any channel; the request's steward and its holder are told of it."""
    sr, before = _begin(sr, actor, "internal_note")
    note = _text(note, "note")
    moment = now()
    event = _finish(
        sr, before, actor, EventKind.INTERNAL_NOTE, at=moment, note=note, reschedule=False
    )
    with _in_default_language():
        _tell(
            {sr.assignee, sr.steward} - {actor},
            "internal_note",
            _("Request %(number)s: internal note from %(who)s")
            % {"number": sr.number, "who": actor},
            sr,
            body=note,
            about=EventKind.INTERNAL_NOTE,
            quotes_note=True,
        )
    return event


@transaction.atomic
def reply(
    sr: ServiceRequest, actor: User | None, answer: str, at: dt.datetime | None = None
) -> ServiceRequest:
    """答复: the answer to the enterprise. Whether it was on time is settled here."""
    sr, before = _begin(sr, actor, "reply")
    moment = at or now()
    sr.answer = _text(answer, "answer")
    sr.status = Status.REPLIED
    sr.replied_at = moment
    sr.first_response_at = sr.first_response_at or moment
    sr.on_time = sr.resolve_due_at is None or moment <= sr.resolve_due_at
    sr.supervised = False
    _finish(sr, before, actor, EventKind.REPLY, at=moment, note=sr.answer)
    with _in_default_language():
        _tell(
            enterprise_contacts(sr),
            "replied",
            _("Request %(number)s has been answered: please rate the answer")
            % {"number": sr.number},
            sr,
            body=sr.answer,
            about=EventKind.REPLY,
            quotes_note=True,
        )
    return sr


@transaction.atomic
def close(
    sr: ServiceRequest, actor: User | None, note: str = "", at: dt.datetime | None = None
) -> ServiceRequest:
    """办结."""
    sr, before = _begin(sr, actor, "close")
    moment = at or now()
    sr.status = Status.CLOSED
    sr.closed_at = moment
    _finish(sr, before, actor, EventKind.CLOSE, at=moment, note=note)
    return sr


@transaction.atomic
def rate(
    sr: ServiceRequest,
    actor: User | None,
    rating: str,
    comment: str = "",
    at: dt.datetime | None = None,
) -> ServiceRequest:
    """评价. Satisfied (or basically) closes it; unsatisfied reopens it and asks for a revisit."""
    sr, before = _begin(sr, actor, "rate")
    if rating not in Rating.values:
        raise RequestError({"rating": _("Choose satisfied, basically satisfied or unsatisfied.")})
    comment = _text(comment, "comment", required=rating == Rating.UNSATISFIED, limit=500)
    moment = at or now()
    sr.rating, sr.rating_comment, sr.rated_at = rating, comment, moment
    if rating != Rating.UNSATISFIED:
        if sr.status == Status.REPLIED:
            sr.status = Status.CLOSED
            sr.closed_at = moment
        _finish(sr, before, actor, EventKind.RATE, at=moment, note=comment, data={"rating": rating})
        return sr
    _finish(sr, before, actor, EventKind.RATE, at=moment, note=comment, data={"rating": rating})
    # 不满意: reopened with a fresh resolution window, and a revisit is owed.
    before = snapshot(sr)
    sr.status = Status.HANDLING
    sr.reopen_count += 1
    sr.revisit_required = True
    sr.closed_at = None
    sr.replied_at = None
    sr.on_time = None
    sr.clock_started_at = moment
    sr.paused_minutes = 0
    sr.extension_days = Decimal(0)
    sr.signed_at = sr.signed_at or moment
    _finish(sr, before, None, EventKind.REOPEN, at=moment, note=comment)
    with _in_default_language():
        _tell(
            {sr.assignee, sr.steward, *area_leads(sr)},
            "reopened",
            _("Request %(number)s was rated unsatisfied and is reopened: %(comment)s")
            % {"number": sr.number, "comment": comment},
            sr,
            about=EventKind.REOPEN,
            quotes_note=True,
        )
    return sr


@transaction.atomic
def revisit(
    sr: ServiceRequest, actor: User | None, note: str, at: dt.datetime | None = None
) -> ServiceRequest:
    """回访: the steward's follow-up with the enterprise after closing."""
    sr, before = _begin(sr, actor, "revisit")
    moment = at or now()
    note = _text(note, "note")
    sr.revisited_at = moment
    sr.revisit_required = False
    _finish(sr, before, actor, EventKind.REVISIT, at=moment, note=note, reschedule=False)
    return sr


@transaction.atomic
def withdraw(sr: ServiceRequest, actor: User | None, reason: str) -> ServiceRequest:
    """撤回: the enterprise takes its request back, saying why (the reason is on the timeline
    and in the audit row)."""
    reason = _text(reason, "reason", limit=500)
    sr, before = _begin(sr, actor, "withdraw")
    sr.status = Status.WITHDRAWN
    sr.closed_at = now()
    sr.paused_at = None
    _finish(sr, before, actor, EventKind.WITHDRAW, at=sr.closed_at, note=reason)
    return sr


@transaction.atomic
def ask_extension(sr: ServiceRequest, actor: User | None, days: Any, reason: str) -> Extension:
    """Ask the area lead for more working days, before the resolution deadline."""
    sr, before = _begin(sr, actor, "ask_extension")
    days = _days(days, "days")
    reason = _text(reason, "reason", limit=500)
    moment = now()
    if sr.resolve_due_at and moment > sr.resolve_due_at:
        raise RequestError({"days": _("An extension must be asked for before the deadline.")})
    _check_extension_room(sr, days)
    if sr.extensions.filter(status=ExtensionStatus.PENDING).exists():
        raise RequestError({"days": _("An extension is already waiting for a decision.")})
    extension = Extension.objects.create(
        request=sr, days=days, reason=reason, asked_by=actor, asked_at=moment
    )
    record(actor, AuditAction.CREATE, extension)
    _finish(
        sr,
        before,
        actor,
        EventKind.EXTENSION_ASKED,
        at=moment,
        note=reason,
        data={"days": str(days)},
        reschedule=False,
    )
    with _in_default_language():
        _tell(
            area_leads(sr),
            "extension_asked",
            _("Request %(number)s: %(who)s asks for %(days)s more working days")
            % {"number": sr.number, "who": actor, "days": days},
            sr,
            body=reason,
            about=EventKind.EXTENSION_ASKED,
            quotes_note=True,
        )
    return extension


def _check_extension_room(sr: ServiceRequest, days: Decimal) -> None:
    room = sr.max_resolve_days - sr.resolve_days - sr.extension_days
    if days > room:
        raise RequestError(
            {
                "days": _("At most %(max)s working days in all: %(room)s more can be granted.")
                % {
                    "max": sr.max_resolve_days.normalize(),
                    "room": max(room, Decimal(0)).normalize(),
                }
            }
        )


@transaction.atomic
def decide_extension(
    extension: Extension, actor: User | None, *, approve: bool, note: str = ""
) -> Extension:
    sr, before = _begin(extension.request, actor, "decide_extension")
    extension = Extension.objects.select_for_update().get(pk=extension.pk)
    if extension.status != ExtensionStatus.PENDING:
        raise RequestError(_("This extension has already been decided."))
    moment = now()
    if approve:
        _check_extension_room(sr, extension.days)
        sr.extension_days += extension.days
    ext_before = snapshot(extension)
    extension.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.REJECTED
    extension.decided_by, extension.decided_at = actor, moment
    extension.decision_note = note[:500]
    extension.save()
    record(actor, AuditAction.UPDATE, extension, before=ext_before, after=snapshot(extension))
    _finish(
        sr,
        before,
        actor,
        EventKind.EXTENSION_DECIDED,
        at=moment,
        note=note,
        data={"days": str(extension.days), "approved": approve},
    )
    with _in_default_language():
        title = (
            _("Request %(number)s: %(days)s more working days approved; resolve by %(due)s")
            if approve
            else _("Request %(number)s: the extension of %(days)s working days was refused")
        ) % {"number": sr.number, "days": extension.days, "due": _fmt(sr.resolve_due_at)}
        _tell(
            [sr.assignee],
            "extension_decided",
            title,
            sr,
            body=note,
            about=EventKind.EXTENSION_DECIDED,
            quotes_note=True,
        )
    return extension


@transaction.atomic
def supervise(sr: ServiceRequest, actor: User | None, note: str) -> ServiceRequest:
    """督办: a leader or the bureau presses the holder of a late request."""
    sr, before = _begin(sr, actor, "supervise")
    note = _text(note, "note", limit=500)
    sr.supervised = True
    _finish(sr, before, actor, EventKind.SUPERVISE, at=now(), note=note, reschedule=False)
    with _in_default_language():
        _tell(
            {sr.assignee, sr.steward},
            "supervised",
            _("Request %(number)s is under supervision by %(who)s: %(note)s")
            % {"number": sr.number, "who": actor, "note": note},
            sr,
            about=EventKind.SUPERVISE,
            quotes_note=True,
        )
    return sr


# The timeline entry each step writes (the others write the entry of their own name).
STEP_EVENTS: dict[str, str] = {
    "ask_extension": EventKind.EXTENSION_ASKED,
    "decide_extension": EventKind.EXTENSION_DECIDED,
}


def steps_with_internal_notes() -> set[str]:
    """The steps whose note only staff read (the page says so next to the field)."""
    return {
        step for step in TRANSITIONS if TIMELINE[STEP_EVENTS.get(step, step)].note == Audience.STAFF
    }


STEP_LABELS: dict[str, Any] = {}


def _labels() -> None:
    from django.utils.translation import gettext_lazy

    STEP_LABELS.update(
        {
            "accept": gettext_lazy("accept"),
            "dispatch": gettext_lazy("dispatch"),
            "sign": gettext_lazy("sign for"),
            "transfer": gettext_lazy("transfer"),
            "bounce": gettext_lazy("bounce"),
            "arbitrate": gettext_lazy("arbitrate the bounce"),
            "ask_info": gettext_lazy("ask the enterprise"),
            "give_info": gettext_lazy("give information"),
            "note": gettext_lazy("add a note"),
            "internal_note": gettext_lazy("add an internal note"),
            "reply": gettext_lazy("answer"),
            "close": gettext_lazy("close"),
            "rate": gettext_lazy("rate"),
            "revisit": gettext_lazy("revisit"),
            "withdraw": gettext_lazy("withdraw"),
            "ask_extension": gettext_lazy("ask for an extension"),
            "decide_extension": gettext_lazy("decide the extension"),
            "supervise": gettext_lazy("supervise"),
        }
    )


_labels()
