"""Recording events and signings, and applying the counting rule."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from guanjia.core.audit import audited_save
from guanjia.enterprises.models import Enterprise
from guanjia.projects import services as project_services
from guanjia.projects.models import Project
from guanjia.projects.stages import Stage

from .models import Event, Signing


@transaction.atomic
def create_event(actor: Any, participants: list[Any] | None = None, **fields: Any) -> Event:
    event = Event(**fields)
    audited_save(event, actor)
    if participants:
        event.participants.set(participants)
    return event


def recount(project: Project) -> None:
    """Apply the counting rule to all of a project's signings, in date order.

    A project counts once, at its first signing, with its full amount; each later signing
    (re-signing, expansion) counts only the increase over the highest amount before it.
    """
    signings = list(Signing.objects.filter(project=project).order_by("signed_on", "id"))
    Signing.objects.filter(project=project).update(is_first=False)
    highest = Decimal(0)
    for i, signing in enumerate(signings):
        counted = signing.amount_wan if i == 0 else max(Decimal(0), signing.amount_wan - highest)
        highest = max(highest, signing.amount_wan)
        Signing.objects.filter(pk=signing.pk).update(is_first=(i == 0), counted_amount_wan=counted)


@transaction.atomic
def record_signing(
    actor: Any,
    *,
    project: Project,
    government: Any,
    signed_on: dt.date,
    amount_wan: Decimal,
    event: Event | None = None,
    enterprises: list[Any] | None = None,
    note: str = "",
) -> Signing:
    """Record a signing; a project not yet signed moves to the signed stage.

    A re-signing or expansion of a project already under way leaves its stage alone.
    """
    if amount_wan is None or amount_wan < 0:
        raise ValidationError({"amount_wan": _("the contracted amount must be zero or more")})
    signing = Signing(
        project=project,
        event=event,
        government=government,
        signed_on=signed_on,
        amount_wan=amount_wan,
        note=note,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audited_save(signing, actor)
    signing.enterprises.set(enterprises or [project.enterprise])
    recount(project)
    project.refresh_from_db()
    if project.stage in (Stage.LEAD, Stage.NEGOTIATING):
        project_services.transition(
            project,
            Stage.SIGNED,
            actor,
            on=signed_on,
            evidence=_("signing at %(event)s") % {"event": event} if event else _("signing"),
        )
    signing.refresh_from_db()
    return signing


def merge_enterprise(keep: Enterprise, duplicate: Enterprise) -> None:
    """An enterprise merge (`enterprises.services.on_merge`): the kept enterprise takes the
    duplicate's place in signings and among events' participants."""
    for signing in Signing.objects.filter(enterprises=duplicate):
        signing.enterprises.remove(duplicate)
        signing.enterprises.add(keep)
    for event in Event.objects.filter(participants=duplicate):
        event.participants.remove(duplicate)
        event.participants.add(keep)
