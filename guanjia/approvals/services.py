"""The steps of an approval item, declared in `STEPS` and taken through the step engine
(`core.steps.run`): each checks who may take it and from which status, runs in one
transaction, is audited and adds a line to the project's timeline (ApprovalEvent). The
sweep's steps (remind, suspend, return) are in the same table and only the system takes them."""

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanjia.accounts.models import Role, User
from guanjia.core import files
from guanjia.core.audit import audited_save, record
from guanjia.core.models import AuditAction
from guanjia.core.steps import Change, Field, StepTable, run, system_only
from guanjia.core.steps import Step as EngineStep
from guanjia.core.steps import now as steps_now
from guanjia.projects.models import Project
from guanjia.worktime.clock import WorkCalendar

from .models import (
    ApprovalEvent,
    ApprovalItem,
    ApprovalKind,
    EnterpriseFlag,
    EventKind,
    FlagKind,
    Material,
    Status,
    Step,
)


class ApprovalError(ValidationError):
    """A step that is not allowed now, or bad input for it; the message says why."""


def _event(item: ApprovalItem, kind: str, actor: Any, at: dt.datetime, note: str = "") -> None:
    ApprovalEvent.objects.create(
        item=item,
        kind=kind,
        at=at,
        actor=actor if getattr(actor, "pk", None) else None,
        note=note[:300],
    )


def _locked(item: ApprovalItem) -> ApprovalItem:
    """A fresh, locked copy (another user may have moved the item on)."""
    return (
        ApprovalItem.objects.select_for_update().select_related("kind", "project").get(pk=item.pk)
    )


def _materials(item: ApprovalItem, materials: Iterable[Material]) -> list[Material]:
    chosen = list(materials)
    if any(m.kind_id != item.kind_id for m in chosen):
        raise ApprovalError(_("A material does not belong to this approval."))
    return chosen


def is_flagged(project: Project) -> bool:
    """Whether the project's enterprise is barred from tolerance (broken promise, bad credit)."""
    return EnterpriseFlag.objects.filter(enterprise_id=project.enterprise_id, active=True).exists()


def recipients(item: ApprovalItem) -> list[User]:
    """Who hears of reminders, suspension and return: the enterprise's contacts, the
    project's steward and the handlers of the kind's department."""
    people: list[User] = list(User.objects.filter(enterprise_id=item.project.enterprise_id))
    if item.project.steward_id:
        people.append(item.project.steward)  # type: ignore[arg-type]
    if item.kind.department_id:
        people += list(
            User.objects.filter(role=Role.HANDLER, department_id=item.kind.department_id)
        )
    return people


def add_item(project: Project, kind: ApprovalKind, actor: User) -> ApprovalItem:
    """Put an approval item on the project (pending)."""
    with transaction.atomic():
        if ApprovalItem.objects.filter(project=project, kind=kind).exists():
            raise ApprovalError(_("The project already has this approval item."))
        item = ApprovalItem(project=project, kind=kind)
        audited_save(item, actor)
        _event(item, EventKind.CREATED, actor, timezone.now())
        return item


def _submit(change: Change, materials: Iterable[Material] = ()) -> None:
    item, actor = change.obj, change.actor
    chosen = _materials(item, materials)
    before = sorted(item.provided.values_list("pk", flat=True))
    item.submitted_at = timezone.now()
    item.provided.set(chosen)
    after = sorted(m.pk for m in chosen)
    if before != after:
        record(
            actor,
            AuditAction.UPDATE,
            item,
            before={"provided": before},
            after={"provided": after},
        )
    change.at, change.note = item.submitted_at, ", ".join(m.name for m in chosen)


def submit(item: ApprovalItem, actor: User, materials: Iterable[Material]) -> ApprovalItem:
    """Record which materials the enterprise has handed in (while pending)."""
    return run(STEPS, "submit", item, actor, materials=materials).obj


def _deadline(item: ApprovalItem, at: dt.datetime, cal: WorkCalendar) -> dt.date:
    return cal.add_days(at, item.kind.deadline_days).astimezone(cal.tz).date()


def _accept(change: Change) -> None:
    item = change.obj
    missing = item.missing()
    if missing:
        raise ApprovalError(
            _("Materials are missing: %(names)s.") % {"names": ", ".join(m.name for m in missing)}
        )
    now = timezone.now()
    item.status = Status.ACCEPTED
    item.accepted_at = now
    item.deadline_on = _deadline(item, now, WorkCalendar.load())
    change.at = now


def accept(item: ApprovalItem, actor: User) -> ApprovalItem:
    """Accept a complete application (every material provided)."""
    return run(STEPS, "accept", item, actor).obj


def _accept_tolerated(
    change: Change,
    commitment: File | None = None,  # type: ignore[type-arg]
    promised_on: dt.date | None = None,
    stored: list[str] | None = None,
) -> None:
    item = change.obj
    if is_flagged(item.project):
        raise ApprovalError(
            _(
                "This enterprise is flagged for a broken commitment or bad credit and "
                "cannot be accepted with tolerated gaps."
            )
        )
    missing = item.missing()
    if not missing:
        raise ApprovalError(_("Nothing is missing: accept the application as complete."))
    core = [m.name for m in missing if m.core]
    if core:
        raise ApprovalError(
            _("Core materials cannot be tolerated: %(names)s.") % {"names": ", ".join(core)}
        )
    if commitment is None:
        raise ApprovalError({"commitment": _("Upload the written commitment.")})
    try:
        file_kind = files.check(commitment)
    except files.FileRefused as exc:
        raise ApprovalError({"commitment": exc.messages}) from None
    now = timezone.now()
    cal = WorkCalendar.load()
    deadline = _deadline(item, now, cal)
    today = timezone.localdate(now)
    if promised_on is None:
        raise ApprovalError({"promised_on": _("Give the promised date.")})
    if promised_on < today:
        raise ApprovalError({"promised_on": _("The promised date is in the past.")})
    if promised_on > deadline:
        raise ApprovalError(
            {
                "promised_on": _(
                    "The promised date may be no later than the department's deadline, "
                    "%(deadline)s."
                )
                % {"deadline": deadline.isoformat()}
            }
        )
    files.store(item.commitment, file_kind, commitment)
    if stored is not None:
        stored.append(item.commitment.name or "")
    item.commitment_name = files.named_as(commitment.name or "", file_kind)
    item.status = Status.TOLERATED
    item.accepted_at = now
    item.deadline_on = deadline
    item.promised_on = promised_on
    item.next_step, item.next_check_at = _first_check(item, cal, now)
    change.at = now
    change.note = _("missing: %(names)s; promised by %(date)s") % {
        "names": ", ".join(m.name for m in missing),
        "date": promised_on.isoformat(),
    }


def accept_tolerated(
    item: ApprovalItem,
    actor: User,
    commitment: File | None,  # type: ignore[type-arg]
    promised_on: dt.date | None,
) -> ApprovalItem:
    """Accept with non-core materials missing (容缺受理), against a written commitment and a
    promised date no later than the department's deadline."""
    stored: list[str] = []
    try:
        return run(
            STEPS,
            "accept_tolerated",
            item,
            actor,
            commitment=commitment,
            promised_on=promised_on,
            stored=stored,
        ).obj
    except BaseException:
        for name in stored:
            if name:
                item.commitment.storage.delete(name)
        raise


def _supply(change: Change, materials: Iterable[Material] = ()) -> None:
    item, actor = change.obj, change.actor
    chosen = _materials(item, materials)
    if not chosen:
        raise ApprovalError(_("Choose the materials handed in."))
    item.provided.add(*chosen)
    record(actor, AuditAction.UPDATE, item, after={"supplied": [m.pk for m in chosen]})
    if not item.missing():
        item.status = Status.ACCEPTED
        item.next_step, item.next_check_at = "", None
        item.return_due_at = None
    change.at, change.note = timezone.now(), ", ".join(m.name for m in chosen)


def supply(item: ApprovalItem, actor: User, materials: Iterable[Material]) -> ApprovalItem:
    """The missing materials handed in; once none is missing the item is accepted in full
    (also from suspension) and the sweep leaves it alone."""
    return run(STEPS, "supply", item, actor, materials=materials).obj


def _approve(change: Change) -> None:
    item = change.obj
    now = timezone.now()
    item.status = Status.APPROVED
    item.approved_at = now
    item.next_step, item.next_check_at = "", None
    change.at = now


def approve(item: ApprovalItem, actor: User) -> ApprovalItem:
    """The department's approval: the item is done."""
    return run(STEPS, "approve", item, actor).obj


# --- the sweep's moments -------------------------------------------------------------------


def remind_at(item: ApprovalItem, cal: WorkCalendar) -> dt.datetime | None:
    """The start of the working day `kind.remind_days` working days before the promised date."""
    assert item.promised_on is not None
    if not item.kind.remind_days:
        return None
    day, counted = item.promised_on, 0
    while counted < item.kind.remind_days:
        day -= dt.timedelta(days=1)
        if cal.is_working_day(day):
            counted += 1
    return dt.datetime.combine(day, cal.hours[0][0], cal.tz)


def lapse_at(item: ApprovalItem, cal: WorkCalendar) -> dt.datetime:
    """The promised date has passed: midnight at its end."""
    assert item.promised_on is not None
    return dt.datetime.combine(item.promised_on + dt.timedelta(days=1), dt.time(0), cal.tz)


def _first_check(
    item: ApprovalItem, cal: WorkCalendar, now: dt.datetime
) -> tuple[str, dt.datetime]:
    reminder = remind_at(item, cal)
    if reminder is not None and reminder > now:
        return Step.REMIND, reminder
    return Step.SUSPEND, lapse_at(item, cal)


# --- the sweep's steps (the system takes them: `sweep.sweep`) -------------------------------


def _tell(change: Change, kind: str, title: str, text: str) -> None:
    from django.urls import reverse

    from guanjia.notifications.services import notify

    item = change.obj
    url = reverse("projects:project_detail", args=[item.project_id]) + "#approvals"
    change.tell(
        lambda: notify(recipients(item), kind=kind, title=title, body=text, url=url, target=item)
    )


def _remind(change: Change, due: dt.datetime, moment: dt.datetime, cal: WorkCalendar) -> None:
    """Remind the enterprise of its promise some working days before the promised date."""
    item = change.obj
    item.next_step, item.next_check_at = Step.SUSPEND, lapse_at(item, cal)
    item.reminded_at = moment
    text = _("%(kind)s: the missing materials are promised by %(date)s.") % {
        "kind": item.kind.name,
        "date": item.promised_on.isoformat() if item.promised_on else "",
    }
    change.at, change.note, change.opts["audit_note"] = moment, text, "reminder"
    title = _("Approval reminder: %(project)s") % {"project": item.project.name}
    _tell(change, "approval.reminded", title, text)


def _suspend(change: Change, due: dt.datetime, moment: dt.datetime, cal: WorkCalendar) -> None:
    """The promised date passed with materials missing: suspend, and flag the enterprise."""
    item = change.obj
    item.status = Status.SUSPENDED
    item.suspended_at = due
    item.return_due_at = cal.add_days(due, item.kind.return_after_days)
    item.next_step, item.next_check_at = Step.RETURN, item.return_due_at
    text = _("%(kind)s: the promised date %(date)s passed with materials missing.") % {
        "kind": item.kind.name,
        "date": item.promised_on.isoformat() if item.promised_on else "",
    }
    change.at, change.note, change.opts["audit_note"] = moment, text, "commitment lapsed"
    flag = EnterpriseFlag(
        enterprise_id=item.project.enterprise_id,
        kind=FlagKind.BROKEN_COMMITMENT,
        reason=text[:300],
    )
    audited_save(flag, None)
    title = _("Approval suspended: %(project)s") % {"project": item.project.name}
    _tell(change, "approval.suspended", title, text)


def _return(change: Change, due: dt.datetime, moment: dt.datetime, cal: WorkCalendar) -> None:
    """Some working days of suspension later the application goes back to the enterprise."""
    item = change.obj
    item.status = Status.RETURNED
    item.returned_at = moment
    item.next_step, item.next_check_at = "", None
    text = _("%(kind)s: returned after %(days)s working days of suspension.") % {
        "kind": item.kind.name,
        "days": item.kind.return_after_days,
    }
    change.at, change.note = moment, text
    change.opts["audit_note"] = "returned after suspension"
    title = _("Approval returned: %(project)s") % {"project": item.project.name}
    _tell(change, "approval.returned", title, text)


# --- the table ------------------------------------------------------------------------------


def _may_act(user: User, item: ApprovalItem) -> bool:
    from .access import can_act

    return can_act(user, item.project, item.kind)


def _refused(item: ApprovalItem, step: Any) -> str:
    return _("This step is not possible while the item is “%(status)s”.") % {
        "status": item.get_status_display()
    }


def _save(change: Change) -> None:
    change.obj.full_clean()


def _timeline(change: Change) -> ApprovalEvent:
    """The approval's own history row, on the project's timeline (the engine writes it)."""
    return ApprovalEvent(
        item=change.obj,
        kind=change.step.kind,
        at=change.at or steps_now(),
        actor=change.by if getattr(change.by, "pk", None) else None,
        note=change.note[:300],
    )


S = Status
STEPS = StepTable(
    model=ApprovalItem,
    error=ApprovalError,
    refused=_refused,
    lock=_locked,
    save=_save,
    history=_timeline,
    audit_action=AuditAction.UPDATE,
    audit_unchanged=False,
    audit_note=lambda change: change.opts.get("audit_note", ""),
    steps=[
        EngineStep(
            "submit",
            gettext_lazy("record materials"),
            frozenset({S.PENDING}),
            None,
            _submit,
            may=_may_act,
            fields=(Field("materials", required=True),),
            event=EventKind.SUBMITTED,
        ),
        EngineStep(
            "accept",
            gettext_lazy("accept"),
            frozenset({S.PENDING}),
            S.ACCEPTED,
            _accept,
            may=_may_act,
            event=EventKind.ACCEPTED,
        ),
        EngineStep(
            "accept_tolerated",
            gettext_lazy("accept with tolerated gaps"),
            frozenset({S.PENDING}),
            S.TOLERATED,
            _accept_tolerated,
            may=_may_act,
            fields=(Field("commitment", required=True), Field("promised_on", required=True)),
            event=EventKind.TOLERATED,
        ),
        EngineStep(
            "supply",
            gettext_lazy("supply materials"),
            frozenset({S.TOLERATED, S.SUSPENDED}),
            None,  # accepted in full once nothing is missing
            _supply,
            outcomes=frozenset({S.ACCEPTED}),
            may=_may_act,
            fields=(Field("materials", required=True),),
            event=EventKind.SUPPLIED,
        ),
        EngineStep(
            "approve",
            gettext_lazy("approve"),
            frozenset({S.ACCEPTED, S.TOLERATED}),
            S.APPROVED,
            _approve,
            may=_may_act,
            event=EventKind.APPROVED,
        ),
        EngineStep(
            Step.REMIND,
            Step.REMIND.label,
            frozenset({S.TOLERATED}),
            None,
            _remind,
            may=system_only,
            event=EventKind.REMINDED,
        ),
        EngineStep(
            Step.SUSPEND,
            Step.SUSPEND.label,
            frozenset({S.TOLERATED}),
            S.SUSPENDED,
            _suspend,
            may=system_only,
            event=EventKind.SUSPENDED,
        ),
        EngineStep(
            Step.RETURN,
            Step.RETURN.label,
            frozenset({S.SUSPENDED}),
            S.RETURNED,
            _return,
            may=system_only,
            event=EventKind.RETURNED,
        ),
    ],
)


def holding(project: Project) -> list[str]:
    """Approvals that hold the project up: suspended or returned ones, and tolerated ones
    still owing materials (for the stalled lists and the project page)."""
    return holding_many([project]).get(project.pk, [])


def holding_many(projects: Sequence[Project]) -> dict[int, list[str]]:
    """`holding` for many projects in one query."""
    out: dict[int, list[str]] = {}
    items = (
        ApprovalItem.objects.filter(
            project_id__in=[p.pk for p in projects],
            status__in=[Status.SUSPENDED, Status.RETURNED, Status.TOLERATED, Status.PENDING],
        )
        .select_related("kind")
        .order_by("project_id", "pk")
    )
    for item in items:
        if item.status == Status.TOLERATED:
            text = _("approval “%(kind)s” accepted with gaps: materials promised by %(on)s") % {
                "kind": item.kind.name,
                "on": item.promised_on,
            }
        else:
            text = _("approval “%(kind)s” is %(status)s") % {
                "kind": item.kind.name,
                "status": item.get_status_display(),
            }
        out.setdefault(item.project_id, []).append(text)
    return out
