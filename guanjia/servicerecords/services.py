"""Entering, correcting and deleting service records: atomic, checked and audited.

`prepare_record` holds every rule, so the web form, the Excel import and any later API check
a record the same way; `log_service` and `update_service` save what it built.
"""

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.accounts.models import Role, User
from guanjia.core.audit import audited_delete, audited_save
from guanjia.enterprises.access import enterprises_for, seen_by_its_row
from guanjia.enterprises.models import Enterprise
from guanjia.projects.access import projects_for
from guanjia.projects.models import Project
from guanjia.requests.models import ServiceRequest

from . import access
from .models import ServiceRecord

EDITABLE_FIELDS = (
    "steward",
    "enterprise",
    "project",
    "kind",
    "date",
    "summary",
    "problems_solved",
    "request",
)


# A record's references: `prepare_record` sets them from objects in hand.
REFERENCE_FIELDS = ["steward", "enterprise", "project", "region", "request", "created_by"]


def _steward_in_reach(
    actor: User, steward: User, enterprise: Enterprise, project: Project | None
) -> bool:
    """An admin or official logs for a steward of their area, or for the enterprise's own."""
    if access.in_area(actor, steward.region):
        return True
    if enterprise.steward_id == steward.pk:
        return True
    return project is not None and project.steward_id == steward.pk


def prepare_record(
    actor: User,
    record: ServiceRecord,
    *,
    steward: User | None = None,
    enterprise: Enterprise,
    project: Project | None = None,
    kind: str,
    date: dt.date,
    summary: str,
    problems_solved: int = 0,
    request: ServiceRequest | None = None,
) -> ServiceRecord:
    """Check the facts against the rules and put them on `record` (not saved).

    Raises PermissionDenied for a user who may not enter services at all, and ValidationError
    naming the field (steward, enterprise, project, date, request, ...) for everything else.
    """
    if not access.can_log(actor):
        raise PermissionDenied("this role does not enter services")
    errors: dict[str, list[str]] = {}

    def fail(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if steward is None:
        steward = record.steward if record.steward_id else actor
    # A correction may keep the steward it has, even one who has since left.
    unchanged = record.pk is not None and steward.pk == record.steward_id
    if not access.logs_for_others(actor):
        if steward.pk != actor.pk:
            fail("steward", _("A steward logs their own services only."))
    elif unchanged:
        pass
    elif steward.role != Role.STEWARD or not steward.is_active:
        fail("steward", _("%(name)s is not an active steward.") % {"name": steward})
    elif not _steward_in_reach(actor, steward, enterprise, project):
        fail("steward", _("%(name)s does not work in your area.") % {"name": steward})

    # Its own row decides most (its area, its steward) with no query; else the scope's query.
    seen = seen_by_its_row(actor, enterprise)
    if not seen and not enterprises_for(actor).filter(pk=enterprise.pk).exists():
        fail("enterprise", _("You do not serve this enterprise."))
    if project is not None:
        belongs = project.enterprise_id == enterprise.pk or (
            project.partners.filter(pk=enterprise.pk).exists()
        )
        if not belongs:
            fail(
                "project",
                _("The project “%(project)s” is not a project of %(enterprise)s.")
                % {"project": project, "enterprise": enterprise},
            )
        elif not projects_for(actor).filter(pk=project.pk).exists():
            fail("project", _("You do not serve this project."))
    if date > timezone.localdate():
        fail("date", _("A service cannot be logged in the future."))
    if request is not None and request.enterprise_id != enterprise.pk:
        fail(
            "request",
            _("Request %(number)s is from another enterprise.") % {"number": request.number},
        )

    region = (project.region if project is not None else None) or enterprise.region
    region = region or steward.region
    if region is None:
        fail(
            "enterprise",
            _("Neither the project, the enterprise nor the steward has an area to count it in."),
        )
    elif access.logs_for_others(actor) and not access.in_area(actor, region):
        fail(
            "enterprise",
            _("This service counts for %(area)s, outside your area.") % {"area": region},
        )
    if errors:
        raise ValidationError(errors)

    record.steward = steward
    record.enterprise = enterprise
    record.project = project
    assert region is not None
    record.region = region
    record.kind = kind
    record.date = date
    record.summary = summary.strip()
    record.problems_solved = problems_solved
    record.request = request
    if record.pk is None:
        record.created_by = actor
    # Its references are objects in hand, read through the scoped checks above (and the
    # database's foreign keys hold them): not looked up again, one query each. Its one
    # constraint repeats the kind's choices, which the field's own check enforces.
    record.full_clean(exclude=REFERENCE_FIELDS, validate_constraints=False)
    return record


@transaction.atomic
def log_service(
    actor: User,
    *,
    steward: User | None = None,
    enterprise: Enterprise,
    project: Project | None = None,
    kind: str,
    date: dt.date,
    summary: str,
    problems_solved: int = 0,
    request: ServiceRequest | None = None,
) -> ServiceRecord:
    """Enter one service. A steward logs for themselves; an admin or official may name one."""
    record = prepare_record(
        actor,
        ServiceRecord(),
        steward=steward,
        enterprise=enterprise,
        project=project,
        kind=kind,
        date=date,
        summary=summary,
        problems_solved=problems_solved,
        request=request,
    )
    audited_save(record, actor, clean=False)  # prepare_record has validated it
    return record


@transaction.atomic
def update_service(record: ServiceRecord, actor: User, **fields: Any) -> ServiceRecord:
    """Correct a record; the same rules as logging apply to the result."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(
            _("These cannot be changed: %(f)s") % {"f": ", ".join(sorted(unknown))}
        )
    current = ServiceRecord.objects.select_for_update().select_related("region").get(pk=record.pk)
    if not access.can_edit(actor, current):
        raise PermissionDenied("you may not change this record")
    values = {name: getattr(current, name) for name in EDITABLE_FIELDS}
    values.update(fields)
    prepare_record(actor, record, **values)
    audited_save(record, actor, clean=False)  # prepare_record has validated it
    return record


@transaction.atomic
def delete_service(record: ServiceRecord, actor: User, reason: str) -> None:
    """Delete a record entered by mistake; the reason goes into the audit row."""
    current = ServiceRecord.objects.select_for_update().select_related("region").get(pk=record.pk)
    if not access.can_edit(actor, current):
        raise PermissionDenied("you may not delete this record")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("say why the record is deleted")})
    audited_delete(current, actor, note=reason)
