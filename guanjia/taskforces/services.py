"""Recording what a task force does; every change atomic and audited, owners told."""

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guanjia.accounts.models import Role, User
from guanjia.core.audit import audited_save, record
from guanjia.core.models import AuditAction
from guanjia.notifications.services import batched, notify
from guanjia.projects.models import Project

from .access import may_record
from .models import ActionItem, Decision, Meeting


def owners_for(project: Project) -> QuerySet[User]:
    """Who can own an action item: staff of the project's area and the areas above it."""
    return (
        User.objects.filter(is_active=True, region__path__in=project.region.lineage)
        .exclude(role=Role.ENTERPRISE)
        .order_by("role", "username")
    )


def _require(user: User, project: Project) -> None:
    if not may_record(user, project):
        raise PermissionDenied("not on this project's task force")


def _url(project: Project) -> str:
    return reverse("projects:project_detail", args=[project.pk]) + "#taskforce"


def _tell_owners(items: Iterable[ActionItem], project: Project) -> None:
    with translation.override(settings.LANGUAGE_CODE), batched():
        for item in items:
            notify(
                [item.owner],
                kind="taskforce.action_item",
                title=_("%(project)s: action item for you, due %(due)s: %(text)s")
                % {"project": project.name, "due": item.due_on, "text": item.text},
                url=_url(project),
                target=item,
            )


@transaction.atomic
def record_meeting(
    actor: User,
    project: Project,
    *,
    held_on: dt.date,
    title: str,
    minutes: str,
    attendees: str = "",
    items: Iterable[dict[str, Any]] = (),
) -> Meeting:
    """A push meeting with its minutes and the action items it set (each with an owner)."""
    _require(actor, project)
    if held_on > timezone.localdate():
        raise ValidationError({"held_on": _("A meeting cannot be held in the future.")})
    meeting = Meeting(
        project=project, held_on=held_on, title=title.strip(), minutes=minutes.strip(),
        attendees=attendees.strip(), created_by=actor,
    )  # fmt: skip
    audited_save(meeting, actor)
    made = [add_action_item(actor, project, meeting=meeting, tell=False, **item) for item in items]
    _tell_owners(made, project)
    return meeting


@transaction.atomic
def add_action_item(
    actor: User,
    project: Project,
    *,
    text: str,
    owner: User,
    due_on: dt.date,
    meeting: Meeting | None = None,
    tell: bool = True,
) -> ActionItem:
    _require(actor, project)
    if not owners_for(project).filter(pk=owner.pk).exists():
        raise ValidationError({"owner": _("The owner must be staff of the project's area.")})
    item = ActionItem(
        project=project, meeting=meeting, text=text.strip(), owner=owner, due_on=due_on
    )
    audited_save(item, actor)
    if tell:
        _tell_owners([item], project)
    return item


@transaction.atomic
def complete_item(actor: User, item: ActionItem, on: dt.date | None = None) -> ActionItem:
    """Its owner, or whoever keeps the record, marks an item done."""
    item = ActionItem.objects.select_for_update().select_related("project").get(pk=item.pk)
    if item.owner_id != actor.pk:
        _require(actor, item.project)
    if item.done_on:
        raise ValidationError(_("This item is already done."))
    item.done_on = on or timezone.localdate()
    audited_save(item, actor)
    return item


@transaction.atomic
def record_decision(
    actor: User,
    project: Project,
    *,
    subject: str,
    decision: str,
    decided_by: str,
    decided_on: dt.date,
    meeting: Meeting | None = None,
) -> Decision:
    """一事一议: a decision taken for this project's particular problem."""
    _require(actor, project)
    entry = Decision(
        project=project, meeting=meeting, subject=subject.strip(), decision=decision.strip(),
        decided_by=decided_by.strip(), decided_on=decided_on, created_by=actor,
    )  # fmt: skip
    audited_save(entry, actor)
    return entry


def sweep(today: dt.date | None = None) -> int:
    """Supervise (督办) every action item past its due date, once: the owner, the project's
    leader in charge and its steward are told. Claimed by a conditional update."""
    today = today or timezone.localdate()
    now = timezone.now()
    late = list(
        ActionItem.objects.filter(
            done_on__isnull=True, supervised_at__isnull=True, due_on__lt=today
        ).select_related("project__leader", "project__steward", "owner")[:500]
    )
    acted = 0
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE), batched():
        for item in late:
            if not ActionItem.objects.filter(pk=item.pk, supervised_at__isnull=True).update(
                supervised_at=now
            ):
                continue  # another worker got there first
            record(None, AuditAction.UPDATE, item, before={"supervised_at": None},
                   after={"supervised_at": now.isoformat()}, note="supervise: late")  # fmt: skip
            project = item.project
            notify(
                [item.owner, project.leader, project.steward],
                kind="taskforce.supervised",
                title=_("%(project)s: action item late since %(due)s, under supervision: %(text)s")
                % {"project": project.name, "due": item.due_on, "text": item.text},
                url=_url(project),
                target=item,
            )
            acted += 1
    return acted


def holding(project: Project, today: dt.date | None = None) -> list[str]:
    """What the task force still owes: the project's overdue action items, as reasons."""
    return holding_many([project], today).get(project.pk, [])


def holding_many(projects: Sequence[Project], today: dt.date | None = None) -> dict[int, list[str]]:
    """`holding` for many projects in one query."""
    today = today or timezone.localdate()
    out: dict[int, list[str]] = {}
    late = (
        ActionItem.objects.filter(
            project_id__in=[p.pk for p in projects], done_on__isnull=True, due_on__lt=today
        )
        .select_related("owner")
        .order_by("project_id", "due_on", "pk")
    )
    for item in late:
        out.setdefault(item.project_id, []).append(
            _("action item “%(text)s” (%(owner)s) late since %(due)s")
            % {"text": item.text, "owner": item.owner, "due": item.due_on}
        )
    return out
