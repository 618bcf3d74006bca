"""Recording changes in the audit log. Every mutation calls `record` inside its transaction."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models.fields.files import FieldFile

from .models import AuditAction, AuditEntry


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, FieldFile):
        return value.name  # the stored path, not the file
    return value


def snapshot(obj: models.Model) -> dict[str, Any]:
    """The concrete field values of a model instance, JSON-safe (foreign keys as ids)."""
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if getattr(field, "audit_exclude", False) or field.name in ("password",):
            continue
        data[field.attname] = _jsonable(getattr(obj, field.attname))
    return data


def record(
    actor: Any,
    action: str,
    obj: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
) -> AuditEntry:
    """Append one entry; `actor` may be None for the system (demo loader, scheduled jobs)."""
    entry_ = entry(actor, action, obj, before, after, note)
    entry_.save()
    return entry_


def entry(
    actor: Any,
    action: str,
    obj: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
) -> AuditEntry:
    """An unsaved entry, for writers that append many at once with bulk_create."""
    if action == AuditAction.CREATE and after is None:
        after = snapshot(obj)
    if action == AuditAction.DELETE and before is None:
        before = snapshot(obj)
    return AuditEntry(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
        before=before,
        after=after,
        note=note,
    )


def history(obj: models.Model) -> models.QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).select_related("actor")


def audited_save(obj: models.Model, actor: Any, note: str = "") -> models.Model:
    """Validate, save and audit a new or changed instance (call inside a transaction)."""
    obj.full_clean()
    if obj.pk is None:
        obj.save()
        record(actor, AuditAction.CREATE, obj, note=note)
        return obj
    before = snapshot(type(obj)._default_manager.get(pk=obj.pk))
    obj.save()
    after = snapshot(obj)
    changed = {k for k in after if before.get(k) != after.get(k)} - {"updated_at"}
    if changed:
        record(
            actor,
            AuditAction.UPDATE,
            obj,
            before={k: before.get(k) for k in changed},
            after={k: after[k] for k in changed},
            note=note,
        )
    return obj


def audited_delete(obj: models.Model, actor: Any, note: str = "") -> None:
    record(actor, AuditAction.DELETE, obj, note=note)
    obj.delete()
