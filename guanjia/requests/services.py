"""Every step of a request: one function each, taken through the step engine
(`core.steps.run`), which checks who may take it and from which status, records it on the
timeline, audits it, reschedules the clock and tells people.

The table of steps is `STEPS` at the end: status side, people side (rules in `access`),
fields, label and timeline entry of each step.
"""

import datetime as dt
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanjia.accounts.models import Department, Role, User
from guanjia.accounts.scope import ReferenceOutOfScope
from guanjia.core import steps
from guanjia.core.audit import entry, snapshot
from guanjia.core.bounds import text_limit
from guanjia.core.models import AuditAction, AuditEntry
from guanjia.core.steps import Change, Step, StepTable, adopt, record_move, run
from guanjia.core.steps import Field as F
from guanjia.enterprises.models import Enterprise
from guanjia.enterprises.services import steward_of
from guanjia.projects.models import Project
from guanjia.regions.models import Region
from guanjia.worktime.clock import WorkCalendar

from . import access, refcache, sla
from .models import (
    OPEN_STATUSES,
    TIMELINE,
    Audience,
    Category,
    Escalation,
    EventKind,
    Extension,
    ExtensionStatus,
    PartStatus,
    Rating,
    RequestEvent,
    RequestPart,
    Revisit,
    RevisitChannel,
    RevisitOutcome,
    ServiceRequest,
    Source,
    Status,
    audiences,
)


class RequestError(ValidationError):
    """A step that is not allowed now, or bad input for it; the message says why."""


def now() -> dt.datetime:
    """The moment a step takes place: the real time, or the clock of the batch of steps
    being taken (`core.steps.batch(at=…)`: a loader replaying history)."""
    return steps.now()


def calendar() -> WorkCalendar:
    """The working calendar (loaded once per batch of steps)."""
    # Kept with the settings it is built from (the working hours, the time zone) in its key.
    key = f"calendar:{settings.GUANJIA_WORK_HOURS}:{settings.TIME_ZONE}"
    return steps.memo("requests.calendar", lambda: refcache.cached(key, WorkCalendar.load))


def active_category(code: str) -> Category | None:
    """The category in use under `code`, None if there is none (kept in `refcache`)."""
    return next((c for c in refcache.active_categories().values() if c.code == code), None)


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


# ----------------------------------------------------------------------------- the engine's hooks


def step_label(step: str) -> str:
    return str(STEPS[step].label) if step in STEPS else step


def done_keys(sr: ServiceRequest) -> set[str]:
    """The escalation marks acted on for this request, read once per instance (the sweep adds
    those it acts on to an instance it holds)."""
    keys = sr.__dict__.get("_done_keys")
    if keys is None:
        keys = sr.__dict__["_done_keys"] = set(
            Escalation.objects.filter(request=sr).values_list("key", flat=True)
        )
    return keys


def _lock(sr: ServiceRequest) -> ServiceRequest:
    return (
        ServiceRequest.objects.select_for_update(of=("self",))
        .select_related("region", "enterprise", "project", "category")
        .get(pk=sr.pk)
    )


def _refused(sr: ServiceRequest, step: Step) -> str:
    return _("This request is “%(status)s”: it cannot be “%(step)s” now.") % {
        "status": sr.get_status_display(),
        "step": step.label,
    }


def _kind(change: Change) -> str:
    return change.opts.get("kind") or change.step.kind


def _save(change: Change) -> None:
    """Reschedule the clock (unless the step leaves it alone); the engine writes the row."""
    sr = change.obj
    if change.opts.get("reschedule", True):
        sla.reschedule(sr, change.opts.get("cal") or calendar(), change.at, done=done_keys(sr))


def _audit_note(change: Change) -> str:
    kind = _kind(change)
    if change.opts.get("audit_as"):  # one step of two moves (accept_reply): named as such
        kind = f"{change.opts['audit_as']} ({kind})"
    if kind == EventKind.REVISIT and change.data.get("channel"):  # the revisit's own record
        kind = f"{kind} ({change.data['channel']}, {change.data['outcome']})"
    return f"{kind}: {change.note}"[:500] if change.note else kind


def _timeline(change: Change) -> RequestEvent:
    """The request's own history row: one line of its timeline (the engine writes it)."""
    from .models import INTERNAL_EVENTS

    kind = _kind(change)
    return RequestEvent(
        request=change.obj,
        kind=kind,
        from_status=change.from_status,
        to_status=change.obj.status,
        actor=change.by if getattr(change.by, "pk", None) else None,
        at=change.at,
        note=change.note,
        data=change.data,
        internal=kind in INTERNAL_EVENTS,
    )


def _notice(change: Change, recipients: Any, kind: str, title: Any, **options: Any) -> None:
    """Tell people once the step is recorded, in the installation's language. `recipients`
    and `title` may be callables, read then (the clock's new deadlines are set by then)."""

    def tell() -> None:
        with _in_default_language():
            _tell(
                recipients() if callable(recipients) else recipients,
                kind,
                title() if callable(title) else title,
                change.obj,
                **options,
            )

    change.tell(tell)


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

    if not steps.telling():
        return  # a quiet batch of steps: history being replayed is nobody's news
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


# ----------------------------------------------------------------------------- submitting


def _default_region(enterprise: Enterprise, project: Project | None) -> Region:
    if project is not None:
        if project.region_id == enterprise.region_id and Enterprise.region.is_cached(enterprise):
            same = enterprise.region  # the same area, already loaded with the enterprise
            if same is not None:
                return same
        return project.region
    if enterprise.region_id and enterprise.region:
        return enterprise.region
    return steps.memo(
        "requests.city_region", lambda: Region.objects.get(code=settings.GUANJIA_CITY_CODE)
    )


SUBMIT_REFERENCES = (
    "enterprise",
    "project",
    "region",
    "category",
    "submitted_by",
    "steward",
    "assignee",
)


@transaction.atomic
def record_history(
    actor: User, items: Iterable[tuple[ServiceRequest, list[RequestEvent]]]
) -> list[ServiceRequest]:
    """Past requests, already finished, with their timelines (the Excel import of 诉求台账):
    numbered as `submit` numbers them, audited as created by `actor`, in one transaction.
    Nobody is notified: history tells nobody, and no clock runs for a finished request."""
    pairs = list(items)
    requests = [sr for sr, _events in pairs]
    for sr in requests:
        if sr.status in OPEN_STATUSES:
            raise RequestError({"status": _("Only finished requests can be recorded as history.")})
        sr.number = f"tmp{uuid.uuid4().hex[:16]}"  # replaced once the row has its id
    ServiceRequest.objects.bulk_create(requests, batch_size=500)
    for sr in requests:
        sr.number = f"ZT{timezone.localtime(sr.submitted_at).year}{sr.pk:07d}"
    ServiceRequest.objects.bulk_update(requests, ["number"], batch_size=500)
    RequestEvent.objects.bulk_create(
        [event for _sr, events in pairs for event in events], batch_size=1000
    )
    AuditEntry.objects.bulk_create(
        [entry(actor, AuditAction.CREATE, sr, note="import") for sr in requests],
        batch_size=1000,
    )
    return requests


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
    intake_clock: bool = True,
    then: Callable[[ServiceRequest], object] | None = None,
) -> ServiceRequest:
    """An enterprise's new request: it goes to the enterprise's steward to accept (受理)
    within the intake limit (`sla.intake_for`), the clock from submission. `intake_clock`
    False: no intake limit (history replayed from before there was one). `then(request)`:
    what else is written with it, in its transaction (the page's files)."""
    with steps.atomic():
        sr = _submit(
            actor, enterprise=enterprise, category=category, title=title, text=text,
            project=project, priority=priority, source=source, at=at, intake_clock=intake_clock,
        )  # fmt: skip
        if then is not None:
            then(sr)
        return sr


def _submit(
    actor: User | None,
    *,
    enterprise: Enterprise,
    category: Category,
    title: str,
    text: str,
    project: Project | None,
    priority: str,
    source: str,
    at: dt.datetime | None,
    intake_clock: bool = True,
) -> ServiceRequest:
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
    # The enterprise's one steward, as its company page names it — not the project's (which
    # may be another county's): the enterprise talks to one person.
    steward = steward_of(enterprise)
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
    if intake_clock:
        sr.intake_hours = steps.memo(
            f"requests.intake:{category.pk}:{source}", lambda: sla.intake_for(category, source)
        )
        sla.reschedule(sr, calendar(), moment, done=set())  # the intake deadline and marks
    # The related records are instances the caller read: no query each to check they exist;
    # the one constraint (a known status) holds for a new request and the database checks it.
    sr.full_clean(exclude=["number", *SUBMIT_REFERENCES], validate_constraints=False)
    batch = steps.current_batch()
    if batch is None:
        sr.save()
    else:  # written with the batch; its steps name it by the id reserved now
        sr.pk = batch.new_id(ServiceRequest)
    sr.number = f"ZT{timezone.localtime(moment).year}{sr.pk:07d}"
    if batch is None:
        sr.save(update_fields=["number"])
    else:
        batch.insert(sr)
    steps.insert(entry(actor, AuditAction.CREATE, sr))
    event = RequestEvent(
        request=sr, kind=EventKind.SUBMIT, to_status=sr.status, actor=actor, at=moment
    )
    steps.insert(event)
    sr.__dict__["_done_keys"] = set()  # a new request has no escalation (`done_keys`)
    sr.__dict__["_new_events"] = [event]  # its timeline, for an answer built without a re-read
    if batch is not None:
        batch.hold([sr])  # its next steps in the batch work on this instance
    if not steps.telling():
        return sr
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


def _assign_to(sr: ServiceRequest, to: User) -> None:
    if not to.is_active or to.role not in (Role.STEWARD, Role.HANDLER, Role.AREA_OFFICIAL):
        raise RequestError(
            {"to": _("Requests go to a steward, an area official or a department handler.")}
        )
    if not access.is_assignable(to, sr):
        # Another county's person would read the request: refused as if there were no such
        # person (every path checks this first; this is the last line).
        raise ReferenceOutOfScope("to", to.pk)
    sr.assignee = to
    sr.department = to.department if to.department_id else None


def _assign_to_department(sr: ServiceRequest, department: Department) -> None:
    """Into a department's queue (派单到部门): nobody holds it until one of its handlers
    claims it (认领)."""
    if not access.is_assignable_department(department, sr):
        raise ReferenceOutOfScope("department", department.pk)
    sr.assignee = None
    sr.department = department


def _route(sr: ServiceRequest, to: User | None, department: Department | None) -> dict[str, Any]:
    """Send the request to a person or to a department's queue; what the timeline records."""
    if to is None and department is None:
        raise RequestError({"to": _("Choose a person or a department.")})
    if to is not None and department is not None:
        raise RequestError({"to": _("Choose a person or a department, not both.")})
    if to is not None:
        _assign_to(sr, to)
        return _who(to)
    assert department is not None
    _assign_to_department(sr, department)
    return {"to": department.name, "department": department.name, "department_id": department.pk}


def department_handlers(department: Department | None) -> list[User]:
    """Who works a department's queue: its active handlers."""
    if department is None:
        return []
    return list(User.objects.filter(department=department, role=Role.HANDLER, is_active=True))


def _routed_to(sr: ServiceRequest) -> list[User]:
    """Who hears that a request came to them: its holder, else its department's handlers."""
    return [sr.assignee] if sr.assignee else department_handlers(sr.department)


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


# ----------------------------------------------------------------------------- the steps
# Each step is a function `_name(change, **fields)` that changes `change.obj` in memory; the
# engine (`core.steps.run`) checks it may be taken, then saves, audits and records it. The
# public functions below keep the signatures the rest of the code calls.


def _accept(change: Change, note: str = "") -> None:
    """受理: the steward (or area staff) takes the request in; the intake clock stops."""
    change.obj.status = Status.ACCEPTED
    change.at, change.note = now(), note
    change.obj.accepted_at = change.at


def accept(sr: ServiceRequest, actor: User | None, note: str = "") -> ServiceRequest:
    """受理: the steward (or area staff) takes the request in."""
    return run(STEPS, "accept", sr, actor, note=note).obj


def _dispatch(
    change: Change,
    to: User | None = None,
    note: str = "",
    at: dt.datetime | None = None,
    department: Department | None = None,
) -> None:
    sr, actor = change.obj, change.actor
    moment = at or now()
    data = _route(sr, to, department)
    policy = steps.memo(
        f"requests.sla:{sr.category_id}:{sr.priority}",
        lambda: sla.sla_for(sr.category, sr.priority),
    )
    sr.sign_days, sr.reply_days = policy.sign_days, policy.reply_days
    sr.resolve_days, sr.max_resolve_days = policy.resolve_days, policy.max_resolve_days
    sr.status = Status.DISPATCHED
    sr.accepted_at = sr.accepted_at or moment  # dispatched straight away: accepted with it
    sr.dispatched_by = actor
    sr.dispatched_at = sr.dispatched_at or moment
    sr.clock_started_at = sr.clock_started_at or moment  # a department's queue too
    sr.sign_started_at = moment
    sr.dispatch_round += 1
    change.at, change.note, change.data = moment, note, data
    _notice(
        change,
        lambda: _routed_to(sr),
        "dispatched",
        lambda: (
            (
                _("Request %(number)s is yours: sign for it by %(due)s")
                if sr.assignee
                else _("Request %(number)s is in your department's queue: claim it by %(due)s")
            )
            % {"number": sr.number, "due": _fmt(sr.sign_due_at)}
        ),
        body=note,
        about=EventKind.DISPATCH,
        quotes_note=True,
    )


def dispatch(
    sr: ServiceRequest,
    actor: User | None,
    to: User | None = None,
    note: str = "",
    at: dt.datetime | None = None,
    *,
    department: Department | None = None,
) -> ServiceRequest:
    """派单: sent to the one who will handle it, or to a department's queue, where one of
    its handlers claims it (认领). The service clock starts here."""
    return run(STEPS, "dispatch", sr, actor, to=to, note=note, at=at, department=department).obj


def _who(user: User) -> dict[str, Any]:
    return {"to_id": user.pk, "to": str(user), "department": str(user.department or "")}


def _fmt(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "—"


def _start_handling(change: Change, note: str, at: dt.datetime | None, about: str) -> None:
    """The holder takes it up (签收, or 认领 from a department's queue): handling begins and
    the enterprise is told who handles it."""
    sr = change.obj
    moment = at or now()
    sr.status = Status.HANDLING
    sr.signed_at = moment
    sr.first_response_at = sr.first_response_at or moment
    change.at, change.note = moment, note
    _notice(
        change,
        lambda: enterprise_contacts(sr),
        "signed",
        lambda: (
            _("Your request %(number)s is being handled by %(who)s")
            % {"number": sr.number, "who": sr.assignee}
        ),
        about=about,
    )


def _sign(change: Change, note: str = "", at: dt.datetime | None = None) -> None:
    _start_handling(change, note, at, EventKind.SIGN)


def sign(
    sr: ServiceRequest, actor: User | None, note: str = "", at: dt.datetime | None = None
) -> ServiceRequest:
    """签收: the assignee acknowledges; handling (办理) begins."""
    return run(STEPS, "sign", sr, actor, note=note, at=at).obj


def _claim(change: Change, note: str = "", at: dt.datetime | None = None) -> None:
    """认领: a handler takes a request from their department's queue; it is a sign-for."""
    change.obj.assignee = change.actor
    _start_handling(change, note, at, EventKind.CLAIM)
    change.data = _who(change.actor)


def claim(
    sr: ServiceRequest, actor: User | None, note: str = "", at: dt.datetime | None = None
) -> ServiceRequest:
    """认领: from the department's queue; the claimer holds it and handles it (签收)."""
    return run(STEPS, "claim", sr, actor, note=note, at=at).obj


def _part_of(change: Change) -> RequestPart:
    """The actor's open part (协办) of the request, locked."""
    part = access.open_part(change.actor, change.obj) if change.actor else None
    if part is None:
        raise RequestError(_("You have no open part of this request."))
    return RequestPart.objects.select_for_update().get(pk=part.pk)


def _save_part(change: Change, part: RequestPart, before: dict[str, Any]) -> None:
    part.full_clean()
    part.save()
    steps.insert(entry(change.actor, AuditAction.UPDATE, part, before=before, after=snapshot(part)))
    change.data = {"part_id": part.pk, "to": str(part.handler), "ask": part.ask}
    change.opts["reschedule"] = False


def _assist(change: Change, to: User, part: str = "") -> RequestPart:
    sr, actor = change.obj, change.actor
    ask = _text(part, "part", limit=500)
    if to.pk == sr.assignee_id:
        raise RequestError({"to": _("The lead handler cannot assist on their own request.")})
    if not to.is_active or to.role not in access.ASSIGNABLE_ROLES:
        raise RequestError(
            {"to": _("Requests go to a steward, an area official or a department handler.")}
        )
    if not access.is_assignable(to, sr):
        raise ReferenceOutOfScope("to", to.pk)
    if access.open_part(to, sr) is not None:
        raise RequestError({"to": _("%(who)s already has an open part of it.") % {"who": to}})
    moment = now()
    item = RequestPart(
        request=sr,
        handler=to,
        department=to.department if to.department_id else None,
        ask=ask,
        asked_by=actor,
        asked_at=moment,
    )
    item.full_clean()
    item.save()
    steps.insert(entry(actor, AuditAction.CREATE, item))
    change.at, change.note = moment, ask
    change.data = {"part_id": item.pk, **_who(to)}
    change.opts["reschedule"] = False
    _notice(
        change,
        [to],
        "assist",
        lambda: (
            _("Request %(number)s: %(who)s asks for your assistance (协办): %(part)s")
            % {"number": sr.number, "who": actor or sr.assignee, "part": ask}
        ),
        about=EventKind.ASSIST,
        quotes_note=True,
    )
    return item


def assist(sr: ServiceRequest, actor: User | None, to: User, part: str) -> RequestPart:
    """协办: the lead handler (主办) or a dispatcher asks another handler for a part of the
    work; the assistant signs for it and answers it to the lead, who answers the enterprise."""
    return run(STEPS, "assist", sr, actor, to=to, part=part).result


def _sign_part(change: Change, note: str = "") -> RequestPart:
    part = _part_of(change)
    if part.signed_at is not None:
        raise RequestError(_("You have already signed for your part."))
    before = snapshot(part)
    moment = now()
    part.status, part.signed_at = PartStatus.SIGNED, moment
    _save_part(change, part, before)
    change.at, change.note = moment, note
    return part


def sign_part(sr: ServiceRequest, actor: User | None, note: str = "") -> RequestPart:
    """An assistant's sign-for of their part (协办签收)."""
    return run(STEPS, "sign_part", sr, actor, note=note).result


def _lead_hears(change: Change, title: Any) -> None:
    sr, actor = change.obj, change.actor
    _notice(
        change,
        lambda: {sr.assignee, *[p for p in [change.opts.get("asker")] if p]} - {actor},
        "part",
        title,
        body=change.note,
        about=change.opts.get("kind") or change.step.kind,
        quotes_note=True,
    )


def _reply_part(change: Change, answer: str = "") -> RequestPart:
    sr = change.obj
    part = _part_of(change)
    if part.signed_at is None:
        raise RequestError(_("Sign for your part before you answer it."))
    text = _text(answer, "answer")
    before = snapshot(part)
    moment = now()
    part.status, part.answer, part.answered_at = PartStatus.ANSWERED, text, moment
    _save_part(change, part, before)
    change.at, change.note = moment, text
    _lead_hears(
        change,
        lambda: (
            _("Request %(number)s: %(who)s answered their part")
            % {"number": sr.number, "who": part.handler}
        ),
    )
    return part


def reply_part(sr: ServiceRequest, actor: User | None, answer: str) -> RequestPart:
    """An assistant's answer to their part (协办答复), for the lead handler."""
    return run(STEPS, "reply_part", sr, actor, answer=answer).result


def _decline_part(change: Change, reason: str = "") -> RequestPart:
    sr = change.obj
    part = _part_of(change)
    reason = _text(reason, "reason", limit=500)
    before = snapshot(part)
    moment = now()
    part.status, part.decline_reason = PartStatus.DECLINED, reason
    _save_part(change, part, before)
    change.at, change.note = moment, reason
    change.opts["asker"] = part.asked_by
    _lead_hears(
        change,
        lambda: (
            _("Request %(number)s: %(who)s declined their part: %(reason)s")
            % {"number": sr.number, "who": part.handler, "reason": reason}
        ),
    )
    return part


def decline_part(sr: ServiceRequest, actor: User | None, reason: str) -> RequestPart:
    """An assistant bounces their part back to the lead, saying why (协办退回)."""
    return run(STEPS, "decline_part", sr, actor, reason=reason).result


def _transfer(
    change: Change, to: User | None = None, note: str = "", department: Department | None = None
) -> None:
    sr = change.obj
    note = _text(note, "note", limit=500)
    if to is not None and to.pk == sr.assignee_id:
        raise RequestError({"to": _("The request is already with this person.")})
    if department is not None and sr.assignee_id is None and department.pk == sr.department_id:
        raise RequestError({"to": _("The request is already in this department's queue.")})
    moment = now()
    data = _route(sr, to, department)
    sr.status = Status.DISPATCHED
    sr.signed_at = None
    sr.sign_started_at = moment
    sr.dispatch_round += 1
    change.at, change.note, change.data = moment, note, data
    _notice(
        change,
        lambda: _routed_to(sr),
        "dispatched",
        lambda: (
            (
                _("Request %(number)s was transferred to you: sign for it by %(due)s")
                if sr.assignee
                else _("Request %(number)s is in your department's queue: claim it by %(due)s")
            )
            % {"number": sr.number, "due": _fmt(sr.sign_due_at)}
        ),
        body=note,
        about=EventKind.TRANSFER,
        quotes_note=True,
    )


def transfer(
    sr: ServiceRequest,
    actor: User | None,
    to: User | None,
    note: str,
    *,
    department: Department | None = None,
) -> ServiceRequest:
    """转办: to another handler, or a department's queue, who must sign for (claim) it anew.

    The resolution clock keeps running from the first dispatch; signing-for starts afresh.
    """
    return run(STEPS, "transfer", sr, actor, to=to, note=note, department=department).obj


def _bounce(change: Change, reason: str = "") -> None:
    sr, actor = change.obj, change.actor
    sr.bounce_reason = _text(reason, "reason", limit=500)
    sr.status_before_bounce = sr.status
    sr.status = Status.BOUNCED
    change.at, change.note = now(), sr.bounce_reason
    dispatcher = sr.dispatched_by or sr.steward
    _notice(
        change,
        lambda: [dispatcher] if dispatcher else area_leads(sr),
        "bounced",
        lambda: (
            _("Request %(number)s was bounced by %(who)s: %(reason)s")
            % {"number": sr.number, "who": actor, "reason": sr.bounce_reason}
        ),
        about=EventKind.BOUNCE,
        quotes_note=True,
    )


def bounce(sr: ServiceRequest, actor: User | None, reason: str) -> ServiceRequest:
    """退单: the assignee says it is not theirs, with a reason; the dispatcher arbitrates.

    The clock keeps running: a bounce is the city's time, not the enterprise's.
    """
    return run(STEPS, "bounce", sr, actor, reason=reason).obj


def _arbitrate(
    change: Change,
    upheld: bool = False,
    note: str = "",
    to: User | None = None,
    department: Department | None = None,
) -> None:
    sr = change.obj
    note = _text(note, "note", limit=500)
    moment = now()
    data: dict[str, Any] = {"upheld": upheld}
    if upheld:
        if to is None and department is None:
            raise RequestError({"to": _("Say who takes the request instead.")})
        data.update(_route(sr, to, department))
        sr.status = Status.DISPATCHED
        sr.signed_at = None
        sr.sign_started_at = moment
        sr.dispatch_round += 1
    else:
        sr.status = sr.status_before_bounce or Status.DISPATCHED
    sr.status_before_bounce = ""
    change.at, change.note, change.data = moment, note, data

    def title() -> str:
        if upheld:
            return _("Request %(number)s is yours: sign for it by %(due)s") % {
                "number": sr.number,
                "due": _fmt(sr.sign_due_at),
            }
        return _("Your bounce of request %(number)s was refused: %(note)s") % {
            "number": sr.number,
            "note": note,
        }

    _notice(
        change,
        lambda: _routed_to(sr),
        "arbitrated",
        title,
        about=EventKind.ARBITRATE,
        quotes_note=True,
    )


def arbitrate(
    sr: ServiceRequest,
    actor: User | None,
    *,
    upheld: bool,
    note: str,
    to: User | None = None,
) -> ServiceRequest:
    """The dispatcher decides a bounce: upheld → sent to `to`; refused → back to the assignee."""
    return run(STEPS, "arbitrate", sr, actor, upheld=upheld, note=note, to=to).obj


def _ask_info(change: Change, question: str = "") -> None:
    sr = change.obj
    question = _text(question, "question")
    moment = now()
    sr.status = Status.AWAITING_INFO
    sr.paused_at = moment
    sr.first_response_at = sr.first_response_at or moment
    change.at, change.note = moment, question
    _notice(
        change,
        lambda: enterprise_contacts(sr),
        "info_asked",
        lambda: (
            _("Request %(number)s: the steward needs information from you") % {"number": sr.number}
        ),
        body=question,
        about=EventKind.ASK_INFO,
        quotes_note=True,
    )


def ask_info(sr: ServiceRequest, actor: User | None, question: str) -> ServiceRequest:
    """Ask the enterprise for information: the one thing that pauses the clock."""
    return run(STEPS, "ask_info", sr, actor, question=question).obj


def _give_info(change: Change, answer: str = "", at: dt.datetime | None = None) -> None:
    sr = change.obj
    answer = _text(answer, "answer")
    moment = at or now()
    cal = calendar()
    if sr.paused_at:
        sr.paused_minutes += cal.between(sr.paused_at, moment)
    sr.paused_at = None
    sr.status = Status.HANDLING
    change.at, change.note, change.opts["cal"] = moment, answer, cal
    _notice(
        change,
        lambda: [sr.assignee],
        "info_given",
        lambda: (
            _("Request %(number)s: the enterprise answered your question") % {"number": sr.number}
        ),
        body=answer,
        about=EventKind.GIVE_INFO,
        quotes_note=True,
    )


def give_info(
    sr: ServiceRequest, actor: User | None, answer: str, at: dt.datetime | None = None
) -> ServiceRequest:
    """The enterprise answers; the clock resumes with every deadline pushed back by the pause."""
    change = run(STEPS, "give_info", sr, actor, answer=answer, at=at)
    change.obj._last_event = change.record  # type: ignore[attr-defined]
    return change.obj


def _note(change: Change, note: str = "") -> None:
    sr = change.obj
    note = _text(note, "note")
    moment = now()
    sr.first_response_at = sr.first_response_at or moment
    change.at, change.note, change.opts["reschedule"] = moment, note, False


def add_note(sr: ServiceRequest, actor: User | None, note: str) -> RequestEvent:
    """A progress note on the timeline (the enterprise sees it; `add_internal_note` for staff)."""
    return run(STEPS, "note", sr, actor, note=note).record


def _internal_note(change: Change, note: str = "") -> None:
    sr, actor = change.obj, change.actor
    note = _text(note, "note")
    change.at, change.note, change.opts["reschedule"] = now(), note, False
    _notice(
        change,
        lambda: {sr.assignee, sr.steward} - {actor},
        "internal_note",
        lambda: (
            _("Request %(number)s: internal note from %(who)s")
            % {"number": sr.number, "who": actor}
        ),
        body=note,
        about=EventKind.INTERNAL_NOTE,
        quotes_note=True,
    )


def add_internal_note(sr: ServiceRequest, actor: User | None, note: str) -> RequestEvent:
    """内部备注: a note for staff only. The enterprise never sees it (`models.TIMELINE`), on
    any channel; the request's steward and its holder are told of it."""
    return run(STEPS, "internal_note", sr, actor, note=note).record


def _restaff(
    change: Change, steward: User | None = None, previous: int | None = None, by: Any = None
) -> None:
    """The enterprise's new steward takes over: the request's owner, and its holder where the
    old steward held it (the status and the clock stay as they are)."""
    sr = change.obj
    old = sr.steward
    sr.steward = steward
    holder_moves = previous is not None and sr.assignee_id == previous
    if holder_moves:
        sr.assignee = steward
    note = _("The enterprise's steward changed from %(old)s to %(new)s (by %(who)s).") % {
        "old": old or "—",
        "new": steward or _("the area's officials"),
        "who": by or _("the system"),
    }
    change.at, change.note, change.opts["reschedule"] = now(), note, False
    _notice(
        change,
        lambda: [steward] if steward is not None else area_leads(sr),
        "dispatched" if holder_moves else "internal_note",
        lambda: (
            _("Request %(number)s of %(enterprise)s is now yours: you are its new steward")
            % {"number": sr.number, "enterprise": sr.enterprise}
        ),
        body=note,
        about=EventKind.INTERNAL_NOTE,
    )


def follow_new_steward(enterprise: Enterprise, previous: int | None, actor: Any) -> int:
    """An enterprise was given another steward (`enterprises.services.on_steward_changed`):
    each of its open requests that the old steward owned now belongs to the new one, and
    those the old steward held move to the new steward's hands, each with a staff-only note
    on its timeline, audited, and the new steward told. Returns how many moved."""
    steward = steward_of(enterprise)
    moved = 0
    owned = ServiceRequest.objects.filter(
        enterprise=enterprise, status__in=OPEN_STATUSES, steward_id=previous
    ).order_by("pk")
    for sr in owned:
        run(STEPS, "restaff", sr, None, steward=steward, previous=previous, by=actor)
        moved += 1
    return moved


def _reply(change: Change, answer: str = "", at: dt.datetime | None = None) -> None:
    sr = change.obj
    moment = at or now()
    sr.answer = _text(answer, "answer")
    sr.status = Status.REPLIED
    sr.replied_at = moment
    sr.first_response_at = sr.first_response_at or moment
    sr.on_time = sr.resolve_due_at is None or moment <= sr.resolve_due_at
    sr.supervised = False
    change.at, change.note = moment, sr.answer
    _notice(
        change,
        lambda: enterprise_contacts(sr),
        "replied",
        lambda: (
            _("Request %(number)s has been answered: please rate the answer")
            % {"number": sr.number}
        ),
        body=sr.answer,
        about=EventKind.REPLY,
        quotes_note=True,
    )


def reply(
    sr: ServiceRequest, actor: User | None, answer: str, at: dt.datetime | None = None
) -> ServiceRequest:
    """答复: the answer to the enterprise. Whether it was on time is settled here."""
    return run(STEPS, "reply", sr, actor, answer=answer, at=at).obj


def _close(change: Change, note: str = "", at: dt.datetime | None = None) -> None:
    if change.obj.revisit_required:
        raise RequestError(
            _(
                "The enterprise rated this request unsatisfied: record a revisit (回访) with "
                "it before closing the request."
            )
        )
    moment = at or now()
    change.obj.status = Status.CLOSED
    change.obj.closed_at = moment
    change.at, change.note = moment, note


def close(
    sr: ServiceRequest, actor: User | None, note: str = "", at: dt.datetime | None = None
) -> ServiceRequest:
    """办结."""
    return run(STEPS, "close", sr, actor, note=note, at=at).obj


def _accept_reply(change: Change, answer: str = "") -> None:
    """受理并答复: accepted and answered in one step, with no department (the two moves are
    two lines of the timeline, each audited as this step)."""
    sr = change.obj
    answer = _text(answer, "answer")
    moment = now()
    change.at, change.data = moment, {"step": "accept_reply"}
    change.opts["audit_as"] = "accept_reply"
    if sr.status == Status.SUBMITTED:  # 受理 first: the intake clock stops here
        sr.status = Status.ACCEPTED
        sr.accepted_at = moment
        change.opts["kind"] = EventKind.ACCEPT
        record_move(change)
        change.at, change.data = moment, {"step": "accept_reply"}
    # 答复 at once: no department, so no service clock ever ran; answered within it.
    sr.accepted_at = sr.accepted_at or moment
    sr.answer = answer
    sr.status = Status.REPLIED
    sr.replied_at = moment
    sr.first_response_at = sr.first_response_at or moment
    sr.on_time = sr.resolve_due_at is None or moment <= sr.resolve_due_at
    sr.supervised = False
    change.opts["kind"], change.note = EventKind.REPLY, answer
    _notice(
        change,
        lambda: enterprise_contacts(sr),
        "replied",
        lambda: (
            _("Request %(number)s has been answered: please rate the answer")
            % {"number": sr.number}
        ),
        body=answer,
        about=EventKind.REPLY,
        quotes_note=True,
    )


def accept_reply(sr: ServiceRequest, actor: User | None, answer: str) -> ServiceRequest:
    """受理并答复: the request's own steward accepts and answers it in one step, when no
    department is needed."""
    return run(STEPS, "accept_reply", sr, actor, answer=answer).obj


def _merge(change: Change, into: ServiceRequest | None = None, note: str = "") -> None:
    """Close a duplicate into another request of the same enterprise: both timelines stay,
    each names the other."""
    sr, actor = change.obj, change.actor
    note = _text(note, "note", required=False, limit=500)
    if into is None:
        raise RequestError({"into": _("Say which request this one duplicates.")})
    if into.pk == sr.pk:
        raise RequestError({"into": _("A request cannot be merged into itself.")})
    target = (
        ServiceRequest.objects.select_for_update(of=("self",))
        .select_related("enterprise")
        .get(pk=into.pk)
    )
    if target.enterprise_id != sr.enterprise_id:
        raise RequestError(
            {"into": _("Only a request of the same enterprise can take this one in.")}
        )
    if target.status == Status.MERGED:
        raise RequestError(
            {
                "into": _("Request %(number)s is itself merged into another: merge into that one.")
                % {"number": target.number}
            }
        )
    moment = now()
    sr.status = Status.MERGED
    sr.merged_into = target
    sr.closed_at = moment
    sr.paused_at = None
    sr.supervised = False
    change.at, change.note = moment, note
    change.data = {"into_id": target.pk, "into": target.number}
    steps.insert(
        RequestEvent(
            request=target,
            kind=EventKind.MERGED_IN,
            from_status=target.status,
            to_status=target.status,
            actor=actor if getattr(actor, "pk", None) else None,
            at=moment,
            note=note,
            data={"from_id": sr.pk, "from": sr.number},
        )
    )
    steps.insert(entry(actor, AuditAction.MERGE, target, note=f"merged_in: {sr.number}"[:500]))
    _notice(
        change,
        lambda: enterprise_contacts(sr),
        "merged",
        lambda: (
            _("Your request %(number)s is merged into %(into)s: it is answered there")
            % {"number": sr.number, "into": target.number}
        ),
        body=note,
        about=EventKind.MERGE,
        quotes_note=True,
    )

    def tell_holder() -> None:
        with _in_default_language():
            _tell(
                {target.assignee, target.steward} - {actor},
                "merged_in",
                _("Request %(number)s was merged into %(into)s, which you hold")
                % {"number": sr.number, "into": target.number},
                target,
                about=EventKind.MERGED_IN,
            )

    change.tell(tell_holder)


def merge(
    sr: ServiceRequest, actor: User | None, into: ServiceRequest, note: str = ""
) -> ServiceRequest:
    """合并重复诉求: `sr` is closed as merged into `into` (the same enterprise's)."""
    return run(STEPS, "merge", sr, actor, into=into, note=note).obj


def _rate(
    change: Change, rating: str = "", comment: str = "", at: dt.datetime | None = None
) -> None:
    sr = change.obj
    if rating not in Rating.values:
        raise RequestError({"rating": _("Choose satisfied, basically satisfied or unsatisfied.")})
    comment = _text(comment, "comment", required=rating == Rating.UNSATISFIED, limit=500)
    moment = at or now()
    sr.rating, sr.rating_comment, sr.rated_at = rating, comment, moment
    change.at, change.note, change.data = moment, comment, {"rating": rating}
    if rating != Rating.UNSATISFIED:
        if sr.status == Status.REPLIED:
            sr.status = Status.CLOSED
            sr.closed_at = moment
        return
    record_move(change)  # the rating, on the timeline; then the reopening
    # 不满意: reopened with a fresh resolution window (its length: `sla.reopen_days`), and a
    # revisit is owed, due a set time after the request is closed again.
    sr.status = Status.HANDLING
    sr.reopen_count += 1
    sr.revisit_required = True
    sr.revisit_due_at = None
    sr.resolve_days = sla.reopen_days(sr)
    sr.closed_at = None
    sr.replied_at = None
    sr.on_time = None
    sr.clock_started_at = moment
    sr.paused_minutes = 0
    sr.extension_days = Decimal(0)
    sr.signed_at = sr.signed_at or moment
    change.opts["kind"], change.recorded_by, change.note = EventKind.REOPEN, None, comment
    _notice(
        change,
        lambda: {sr.assignee, sr.steward, *area_leads(sr)},
        "reopened",
        lambda: (
            _("Request %(number)s was rated unsatisfied and is reopened: %(comment)s")
            % {"number": sr.number, "comment": comment}
        ),
        about=EventKind.REOPEN,
        quotes_note=True,
    )


def rate(
    sr: ServiceRequest,
    actor: User | None,
    rating: str,
    comment: str = "",
    at: dt.datetime | None = None,
) -> ServiceRequest:
    """评价. Satisfied (or basically) closes it; unsatisfied reopens it and asks for a revisit."""
    return run(STEPS, "rate", sr, actor, rating=rating, comment=comment, at=at).obj


def _revisit(
    change: Change,
    note: str = "",
    channel: str = "",
    outcome: str = "",
    at: dt.datetime | None = None,
) -> Revisit:
    sr, actor = change.obj, change.actor
    if channel not in RevisitChannel.values:
        raise RequestError(
            {"channel": _("Choose how the enterprise was reached: phone, visit or message.")}
        )
    if outcome not in RevisitOutcome.values:
        raise RequestError(
            {"outcome": _("Choose the enterprise's answer: satisfied or unsatisfied.")}
        )
    note = _text(note, "note", limit=text_limit(Revisit, "answer"))
    moment = at or now()
    revisit = Revisit(
        request=sr,
        channel=channel,
        outcome=outcome,
        answer=note,
        by=actor if getattr(actor, "pk", None) else None,
        at=moment,
    )
    steps.insert(revisit)
    sr.revisited_at = moment
    sr.revisit_required = False  # the revisit owed after a 不满意 rating is made
    change.at, change.note, change.opts["reschedule"] = moment, note, False
    change.data = {"channel": channel, "outcome": outcome}
    if outcome == RevisitOutcome.UNSATISFIED:
        _notice(
            change,
            lambda: {sr.steward, sr.assignee, *area_leads(sr)} - {actor},
            "revisit_unsatisfied",
            lambda: (
                _(
                    "Request %(number)s: at the revisit the enterprise is still unsatisfied: %(note)s"
                )
                % {"number": sr.number, "note": note}
            ),
            about=EventKind.REVISIT,
            quotes_note=True,
        )
    return revisit


def revisit(
    sr: ServiceRequest,
    actor: User | None,
    note: str,
    *,
    channel: str,
    outcome: str,
    at: dt.datetime | None = None,
) -> Revisit:
    """回访: the steward's follow-up with the enterprise, by phone, visit or message, with its
    answer (satisfied or not, in its words). Owed before closing a request rated 不满意;
    recorded on the timeline and as a `Revisit`."""
    return run(
        STEPS, "revisit", sr, actor, note=note, channel=channel, outcome=outcome, at=at
    ).result


# 催办: the enterprise presses for an answer once a deadline is near (80% of the window used,
# the clock's warning: the holder's second reminder) or passed, at most once per
# GUANJIA_PRESS_INTERVAL_HOURS per request (from the stored last press, exact to the minute
# and kept through a cache flush); each contact at most GUANJIA_RATE_LIMITS["request_press"]
# presses over all requests (the shared rate-limit counter).
PRESS_FROM = 0.8


class PressTooSoon(RequestError):
    """A press refused for its rate: `retry_after` seconds until the next is taken."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)


def press_interval() -> dt.timedelta:
    return dt.timedelta(hours=int(getattr(settings, "GUANJIA_PRESS_INTERVAL_HOURS", 24)))


def press_refusal(sr: ServiceRequest, moment: dt.datetime | None = None) -> RequestError | None:
    """Why the enterprise cannot press for an answer on `sr` now (None: it can)."""
    moment = moment or now()
    if sr.status not in PRESSABLE:
        return RequestError(_refused(sr, STEPS["press"]))
    if sr.pressed_at is not None and moment < sr.pressed_at + press_interval():
        again = sr.pressed_at + press_interval()
        return PressTooSoon(
            _("You pressed for an answer at %(at)s; you can press again from %(again)s.")
            % {"at": _fmt(sr.pressed_at), "again": _fmt(again)},
            int((again - moment).total_seconds()) + 1,
        )
    cal = calendar()
    used = sla.elapsed_fraction(sr, cal, moment)
    if used is None or sr.due_at is None:
        return RequestError(
            _("No deadline runs on this request now: you can press for an answer when one is near.")
        )
    if used < PRESS_FROM:
        near = [at for mark, at in sla.mark_times(sr, cal) if mark.fraction == PRESS_FROM]
        return RequestError(
            _("The deadline is %(due)s: you can press for an answer from %(from)s.")
            % {"due": _fmt(sr.due_at), "from": _fmt(near[0] if near else sr.due_at)}
        )
    return None


def _press(change: Change, note: str = "") -> None:
    from guanjia.accounts import ratelimit

    sr, actor = change.obj, change.actor
    note = _text(note, "note", required=False, limit=500)
    moment = now()
    refusal = press_refusal(sr, moment)
    if refusal is not None:
        raise refusal
    if actor is not None:
        verdict = ratelimit.hit("request_press", f"user:{actor.pk}")
        if not verdict.allowed:
            raise PressTooSoon(ratelimit.message(verdict), verdict.retry_after)
    sr.press_count += 1
    sr.pressed_at = moment
    late = sr.due_at is not None and moment > sr.due_at
    change.at, change.note, change.opts["reschedule"] = moment, note, False
    change.data = {"count": sr.press_count, "late": late}
    _notice(
        change,
        lambda: {sr.assignee, sr.steward, *leaders_in_charge(sr)},
        "pressed",
        lambda: (
            _(
                "Request %(number)s: the enterprise presses for an answer (%(count)s times); due %(due)s"
            )
            % {"number": sr.number, "count": sr.press_count, "due": _fmt(sr.due_at)}
        ),
        body=note,
        about=EventKind.PRESS,
        quotes_note=True,
    )


def press(sr: ServiceRequest, actor: User | None, note: str = "") -> ServiceRequest:
    """催办: the enterprise presses for an answer on a late or nearly late request."""
    return run(STEPS, "press", sr, actor, note=note).obj


def _withdraw(change: Change, reason: str = "") -> None:
    sr = change.obj
    reason = _text(reason, "reason", limit=500)
    sr.status = Status.WITHDRAWN
    sr.closed_at = now()
    sr.paused_at = None
    change.at, change.note = sr.closed_at, reason


def withdraw(sr: ServiceRequest, actor: User | None, reason: str) -> ServiceRequest:
    """撤回: the enterprise takes its request back, saying why (the reason is on the timeline
    and in the audit row)."""
    _text(reason, "reason", limit=500)  # said before anything else is looked at
    return run(STEPS, "withdraw", sr, actor, reason=reason).obj


def _ask_extension(change: Change, days: Any = None, reason: str = "") -> Extension:
    sr, actor = change.obj, change.actor
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
    steps.insert(entry(actor, AuditAction.CREATE, extension))
    change.at, change.note, change.data = moment, reason, {"days": str(days)}
    change.opts["reschedule"] = False
    _notice(
        change,
        lambda: area_leads(sr),
        "extension_asked",
        lambda: (
            _("Request %(number)s: %(who)s asks for %(days)s more working days")
            % {"number": sr.number, "who": actor, "days": days}
        ),
        body=reason,
        about=EventKind.EXTENSION_ASKED,
        quotes_note=True,
    )
    return extension


def ask_extension(sr: ServiceRequest, actor: User | None, days: Any, reason: str) -> Extension:
    """Ask the area lead for more working days, before the resolution deadline."""
    return run(STEPS, "ask_extension", sr, actor, days=days, reason=reason).result


def _decide_extension(
    change: Change, extension: Extension, approve: bool = False, note: str = ""
) -> Extension:
    sr, actor = change.obj, change.actor
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
    steps.insert(
        entry(actor, AuditAction.UPDATE, extension, before=ext_before, after=snapshot(extension))
    )
    change.at, change.note = moment, note
    change.data = {"days": str(extension.days), "approved": approve}

    def title() -> str:
        return (
            _("Request %(number)s: %(days)s more working days approved; resolve by %(due)s")
            if approve
            else _("Request %(number)s: the extension of %(days)s working days was refused")
        ) % {"number": sr.number, "days": extension.days, "due": _fmt(sr.resolve_due_at)}

    _notice(
        change,
        lambda: [sr.assignee],
        "extension_decided",
        title,
        body=note,
        about=EventKind.EXTENSION_DECIDED,
        quotes_note=True,
    )
    return extension


def decide_extension(
    extension: Extension, actor: User | None, *, approve: bool, note: str = ""
) -> Extension:
    return run(
        STEPS,
        "decide_extension",
        extension.request,
        actor,
        extension=extension,
        approve=approve,
        note=note,
    ).result


def _supervise(change: Change, note: str = "") -> None:
    sr, actor = change.obj, change.actor
    note = _text(note, "note", limit=500)
    sr.supervised = True
    change.at, change.note, change.opts["reschedule"] = now(), note, False
    _notice(
        change,
        lambda: {sr.assignee, sr.steward},
        "supervised",
        lambda: (
            _("Request %(number)s is under supervision by %(who)s: %(note)s")
            % {"number": sr.number, "who": actor, "note": note}
        ),
        about=EventKind.SUPERVISE,
        quotes_note=True,
    )


def supervise(sr: ServiceRequest, actor: User | None, note: str) -> ServiceRequest:
    """督办: a leader or the bureau presses the holder of a late request."""
    return run(STEPS, "supervise", sr, actor, note=note).obj


# ----------------------------------------------------------------------------- the table
# Every step of a request, once: where it may start, where it leads, who may take it (the
# rules are in `access`), what it takes, its label, its timeline entry and the page's message.
# A new step is one entry here plus its function above.

S = Status
OPEN = frozenset(OPEN_STATUSES)
# Where the enterprise may press: open, and not waiting on the enterprise itself.
PRESSABLE = OPEN - {S.AWAITING_INFO}
NOTE = F("note")
# Where assisting parts (协办) are asked for and worked: while the request is in hand.
PART_STATUSES = frozenset({S.DISPATCHED, S.HANDLING, S.AWAITING_INFO, S.BOUNCED})
STEPS = StepTable(
    model=ServiceRequest,
    error=RequestError,
    refused=_refused,
    lock=_lock,
    save=_save,
    history=_timeline,
    audit_note=_audit_note,
    steps=[
        Step(
            "accept",
            gettext_lazy("accept"),
            frozenset({S.SUBMITTED}),
            S.ACCEPTED,
            _accept,
            may=access.is_dispatcher,
            fields=(NOTE,),
            done=gettext_lazy("Accepted."),
        ),
        Step(
            "accept_reply",  # 受理并答复: no department needed
            gettext_lazy("accept and answer"),
            frozenset({S.SUBMITTED, S.ACCEPTED}),
            S.REPLIED,
            _accept_reply,
            may=access.is_request_steward,
            fields=(F("answer", required=True),),
            event=EventKind.REPLY,
            done=gettext_lazy("Accepted and answered: the enterprise has been told."),
            files=True,
        ),
        Step(
            "dispatch",
            gettext_lazy("dispatch"),
            frozenset({S.SUBMITTED, S.ACCEPTED}),
            S.DISPATCHED,
            _dispatch,
            may=access.is_dispatcher,
            fields=(F("to", ref=True), F("department", ref=True), NOTE),
            done=gettext_lazy("Dispatched to %(who)s."),
        ),
        Step(
            "sign",
            gettext_lazy("sign for"),
            frozenset({S.DISPATCHED}),
            S.HANDLING,
            _sign,
            may=access.is_assignee,
            fields=(NOTE,),
            done=gettext_lazy("Signed for: the request is yours to handle."),
        ),
        Step(
            "claim",  # 认领: from a department's queue
            gettext_lazy("claim"),
            frozenset({S.DISPATCHED}),
            S.HANDLING,
            _claim,
            may=access.can_claim,
            fields=(NOTE,),
            done=gettext_lazy("Claimed: the request is yours to handle."),
        ),
        Step(
            "transfer",
            gettext_lazy("transfer"),
            frozenset({S.DISPATCHED, S.HANDLING}),
            S.DISPATCHED,
            _transfer,
            may=access.any_of(access.is_assignee, access.is_dispatcher),
            fields=(F("to", ref=True), F("department", ref=True), NOTE),
            done=gettext_lazy("Transferred to %(who)s."),
        ),
        Step(
            "bounce",
            gettext_lazy("bounce"),
            frozenset({S.DISPATCHED, S.HANDLING}),
            S.BOUNCED,
            _bounce,
            may=access.any_of(access.is_assignee, access.can_claim),  # a queue's handler too
            fields=(F("reason"),),
            done=gettext_lazy("Bounced; the dispatcher will decide."),
        ),
        Step(
            "arbitrate",  # reassigned, or back to where it was
            gettext_lazy("arbitrate the bounce"),
            frozenset({S.BOUNCED}),
            None,
            _arbitrate,
            outcomes=frozenset({S.DISPATCHED, S.HANDLING}),
            may=access.is_dispatcher,
            fields=(F("upheld", required=True), NOTE, F("to", ref=True), F("department", ref=True)),
            done=gettext_lazy("Bounce decided."),
        ),
        # Co-handling (主办 / 协办): the lead asks others for parts; each assistant signs for
        # and answers (or declines) their own part; the lead's answer closes the request.
        Step(
            "assist",
            gettext_lazy("ask for assistance"),
            PART_STATUSES,
            None,
            _assist,
            may=access.is_lead_or_dispatcher,
            fields=(F("to", required=True, ref=True), F("part", required=True)),
            done=gettext_lazy("Assistance asked of %(who)s."),
        ),
        Step(
            "sign_part",
            gettext_lazy("sign for my part"),
            PART_STATUSES,
            None,
            _sign_part,
            may=access.has_part_to_sign,
            fields=(NOTE,),
            event=EventKind.PART_SIGN,
            done=gettext_lazy("Signed for your part."),
        ),
        Step(
            "reply_part",
            gettext_lazy("answer my part"),
            PART_STATUSES,
            None,
            _reply_part,
            may=access.has_part_to_answer,
            fields=(F("answer", required=True),),
            event=EventKind.PART_REPLY,
            done=gettext_lazy("Your part is answered; the lead handler has been told."),
        ),
        Step(
            "decline_part",
            gettext_lazy("decline my part"),
            PART_STATUSES,
            None,
            _decline_part,
            may=access.has_open_part,
            fields=(F("reason", required=True),),
            event=EventKind.PART_DECLINE,
            done=gettext_lazy("Your part is declined; the lead handler has been told."),
        ),
        Step(
            "ask_info",
            gettext_lazy("ask the enterprise"),
            frozenset({S.HANDLING}),
            S.AWAITING_INFO,
            _ask_info,
            may=access.is_assignee,
            fields=(F("question"),),
            done=gettext_lazy("Question sent; the clock is paused until the enterprise answers."),
            files=True,
        ),
        Step(
            "give_info",
            gettext_lazy("give information"),
            frozenset({S.AWAITING_INFO}),
            S.HANDLING,
            _give_info,
            may=access.is_own_enterprise,
            fields=(F("answer"),),
            done=gettext_lazy("Thank you: your answer is with the steward."),
            files=True,
        ),
        Step(
            "note",
            gettext_lazy("add a note"),
            frozenset({*OPEN_STATUSES, S.REPLIED}),
            None,
            _note,
            may=access.any_of(access.is_assignee, access.is_dispatcher),
            fields=(NOTE,),
            done=gettext_lazy("Note added."),
            files=True,
        ),
        Step(
            "internal_note",
            gettext_lazy("add an internal note"),
            frozenset({*OPEN_STATUSES, S.REPLIED, S.CLOSED}),
            None,
            _internal_note,
            may=access.any_of(access.is_assignee, access.is_dispatcher),
            fields=(NOTE,),
            done=gettext_lazy("Internal note added: the enterprise does not see it."),
            files=True,
        ),
        Step(
            "restaff",
            gettext_lazy("hand over to the new steward"),
            frozenset(OPEN_STATUSES),
            None,
            _restaff,
            may=steps.system_only,
            event=EventKind.INTERNAL_NOTE,
        ),
        Step(
            "reply",
            gettext_lazy("answer"),
            frozenset({S.HANDLING}),
            S.REPLIED,
            _reply,
            may=access.is_assignee,
            fields=(F("answer"),),
            done=gettext_lazy("Answer sent to the enterprise."),
            files=True,
        ),
        Step(
            "close",
            gettext_lazy("close"),
            frozenset({S.REPLIED}),
            S.CLOSED,
            _close,
            may=access.any_of(access.is_assignee, access.is_dispatcher),
            fields=(NOTE,),
            done=gettext_lazy("Closed."),
        ),
        Step(
            "rate",  # closed, or reopened when unsatisfied
            gettext_lazy("rate"),
            frozenset({S.REPLIED, S.CLOSED}),
            None,
            _rate,
            outcomes=frozenset({S.CLOSED, S.HANDLING}),
            may=access.is_own_enterprise,
            fields=(F("rating", required=True), F("comment")),
            done=gettext_lazy("Thank you for rating the answer."),
        ),
        Step(
            "revisit",  # owed before closing when rated 不满意; any time after closing
            gettext_lazy("revisit"),
            frozenset({S.REPLIED, S.CLOSED}),
            None,
            _revisit,
            may=access.is_dispatcher,
            fields=(F("channel", required=True), F("outcome", required=True), NOTE),
            done=gettext_lazy("Revisit recorded."),
        ),
        Step(
            "withdraw",
            gettext_lazy("withdraw"),
            OPEN,
            S.WITHDRAWN,
            _withdraw,
            may=access.is_own_enterprise,
            fields=(F("reason", required=True),),
            done=gettext_lazy("Withdrawn."),
            confirm=True,
        ),
        Step(
            "ask_extension",
            gettext_lazy("ask for an extension"),
            frozenset({S.HANDLING, S.BOUNCED}),
            None,
            _ask_extension,
            may=access.is_assignee,
            fields=(F("days", required=True), F("reason")),
            event=EventKind.EXTENSION_ASKED,
            done=gettext_lazy("Extension asked for; the area lead will decide."),
        ),
        Step(
            "decide_extension",
            gettext_lazy("decide the extension"),
            frozenset({S.HANDLING, S.AWAITING_INFO, S.BOUNCED}),
            None,
            _decide_extension,
            may=access.is_area_lead,
            fields=(F("approve", required=True), F("extension", ref=True), NOTE),
            event=EventKind.EXTENSION_DECIDED,
            done=gettext_lazy("Extension decided."),
        ),
        Step(
            "merge",  # a duplicate, closed into another request of the same enterprise
            gettext_lazy("merge into another request"),
            OPEN,
            S.MERGED,
            _merge,
            may=access.is_dispatcher,
            fields=(F("into", required=True, ref=True), NOTE),
            done=gettext_lazy("Merged into %(into)s; the enterprise has been told."),
        ),
        Step(
            "supervise",
            gettext_lazy("supervise"),
            OPEN,
            None,
            _supervise,
            may=access.is_supervisor,
            fields=(NOTE,),
            done=gettext_lazy("Supervision recorded; the holder has been told."),
        ),
        Step(
            "press",  # 催办, when a deadline is near or passed (`press_refusal`)
            gettext_lazy("press for an answer"),
            PRESSABLE,
            None,
            _press,
            may=access.is_own_enterprise,
            fields=(NOTE,),
            done=gettext_lazy("Your steward and the handler have been pressed for an answer."),
        ),
    ],
)

# Read-only views of the table, under the names other code has used.
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    step.name: (step.sources, step.target) for step in STEPS
}
STEP_LABELS: dict[str, Any] = {step.name: step.label for step in STEPS}
STEP_EVENTS: dict[str, str] = {step.name: step.kind for step in STEPS if step.event}


def allowed_steps(user: User, sr: ServiceRequest) -> list[str]:
    """The steps this user may take on this request now (the buttons the page shows); 催办
    only once the deadline is near and not pressed within the interval."""
    return [
        step.name
        for step in STEPS.allowed(user, sr)
        if step.name != "press" or press_refusal(sr) is None
    ]


# What usually comes next at each status, best first: the page shows the first one or two
# of them the user may take as its main buttons, and the rest behind a menu.
NEXT: dict[str, tuple[str, ...]] = {
    S.SUBMITTED: ("accept_reply", "dispatch", "accept"),
    S.ACCEPTED: ("accept_reply", "dispatch"),
    S.DISPATCHED: ("sign", "claim"),
    # An assistant (协办) is led to their own part; the lead handler to the answer.
    S.HANDLING: ("reply", "ask_info", "sign_part", "reply_part"),
    S.AWAITING_INFO: ("give_info",),
    S.BOUNCED: ("arbitrate",),
    S.REPLIED: ("rate", "close"),
    S.CLOSED: ("revisit", "rate"),
}
MAIN_STEPS = 2


@dataclass(frozen=True)
class NextSteps:
    """The steps the request page offers: `main` as buttons, `more` behind a menu."""

    main: list[str]
    more: list[str]

    @property
    def all(self) -> list[str]:
        return [*self.main, *self.more]


def next_steps(sr: ServiceRequest, user: User, at: dt.datetime | None = None) -> NextSteps:
    """The one or two steps that make sense for `user` on `sr` now, and the others they may
    take. A revisit leads only when one is owed, a rating only while there is none, a
    decision on an extension whenever one waits, and supervision when the request is late
    and the user can do nothing else on it."""
    allowed = allowed_steps(user, sr)
    wanted = list(NEXT.get(sr.status, ()))
    if sr.status == S.CLOSED and not sr.revisit_required:
        wanted.remove("revisit")
    if sr.status == S.REPLIED and sr.revisit_required:  # closing waits for the revisit
        wanted.insert(wanted.index("close"), "revisit")
    wanted.append("press")  # the enterprise's 催办, when its deadline is near
    if sr.rating:
        wanted = [name for name in wanted if name != "rate"]
    if "decide_extension" in allowed:
        if sr.extensions.filter(status=ExtensionStatus.PENDING).exists():
            wanted.insert(0, "decide_extension")
        else:  # nothing to decide: not offered at all
            allowed.remove("decide_extension")
    main = [name for name in wanted if name in allowed][:MAIN_STEPS]
    late = sr.due_at is not None and sr.due_at < (at or timezone.now())
    if not main and "supervise" in allowed and late:
        main = ["supervise"]
    return NextSteps(main, [name for name in allowed if name not in main])


def take(step: str, sr: ServiceRequest, actor: User | None, **fields: Any) -> Any:
    """Take `step` with its fields as the table names them (the page and the API call this);
    returns what the step's public function returns."""
    return run(STEPS, step, sr, actor, **fields).result


def take_in_hand(step: str, sr: ServiceRequest, actor: User | None, **fields: Any) -> Any:
    """`take`, with `sr` brought up to the row the step wrote (`steps.adopt`): the caller
    answers from it, with the related objects it was read with, instead of reading it back."""
    change = run(STEPS, step, sr, actor, **fields)
    adopt(sr, change.obj)
    return change.result


# The steps the queue offers on many requests at once.
BULK_STEPS = ("dispatch", "claim", "close")
BULK_MAX = 100


def take_many(
    step: str, requests: Iterable[ServiceRequest], actor: User, **fields: Any
) -> tuple[list[ServiceRequest], list[tuple[ServiceRequest, str]]]:
    """A bulk action from the queue: `step` on each request in turn, each with its own checks
    and in its own transaction (all or nothing per request, not per batch). Returns the
    requests done and those refused with the reason the user reads."""
    from django.core.exceptions import PermissionDenied

    if step not in BULK_STEPS:
        raise RequestError({"action": _("Choose an action.")})
    done: list[ServiceRequest] = []
    refused: list[tuple[ServiceRequest, str]] = []
    for sr in requests:
        try:
            done.append(run(STEPS, step, sr, actor, **fields).obj)
        except ReferenceOutOfScope:
            refused.append((sr, _("It cannot go there: outside the request's area.")))
        except PermissionDenied:
            refused.append(
                (sr, _("You may not “%(step)s” this request.") % {"step": STEPS[step].label})
            )
        except ValidationError as exc:
            refused.append((sr, " ".join(str(m) for m in exc.messages)))
    return done, refused


def steps_with_internal_notes() -> set[str]:
    """The steps whose note only staff read (the page says so next to the field)."""
    return {step.name for step in STEPS if TIMELINE[step.kind].note == Audience.STAFF}
