"""Recording changes in the audit log. Every mutation calls `record` inside its transaction."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models.fields.files import FieldFile

from .bounds import AUDIT_VALUE_MAX, NOTE_MAX
from .models import AuditAction, AuditEntry

AUDIT_LIST_MAX = 1_000  # items of one list value kept (partner ids, tags…)


def clip(value: Any, limit: int = AUDIT_VALUE_MAX) -> Any:
    """`value` with every text cut to `limit` characters and a marker saying how long it was.

    The last line of defence of the undeletable log: whatever a write path let through, no
    value of an entry holds more than a bounded amount. Dicts and lists are clipped inside.
    """
    if isinstance(value, str):
        if len(value) <= limit:
            return value
        marker = f"…[truncated: {len(value)} characters in all]"
        return value[: limit - len(marker)] + marker  # at most `limit`: clipping again keeps it
    if isinstance(value, dict):
        return {clip(k, 200): clip(v, limit) for k, v in value.items()}
    if isinstance(value, list | tuple):
        items = [clip(v, limit) for v in value[:AUDIT_LIST_MAX]]
        if len(value) > AUDIT_LIST_MAX:
            items.append(f"…[truncated: {len(value)} items in all]")
        return items
    return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, str):
        return clip(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, FieldFile):
        return value.name  # the stored path, not the file
    return value


_AUDITED: dict[type[models.Model], list[tuple[str, Any]]] = {}


def _audited(model: type[models.Model]) -> list[tuple[str, Any]]:
    """The fields the log keeps of a model, with their masks (read once per model, after the
    apps have marked their excluded and masked fields)."""
    if model not in _AUDITED:
        _AUDITED[model] = [
            (field.attname, getattr(field, "audit_mask", None))
            for field in model._meta.concrete_fields
            if not getattr(field, "audit_exclude", False) and field.name != "password"
        ]
    return _AUDITED[model]


def snapshot(
    obj: models.Model, *, only: set[str] | None = None, values: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The concrete field values of a model instance, JSON-safe (foreign keys as ids).
    `only`: just these attribute names; `values`: read them there instead of on `obj` (the
    row as it was before a change)."""
    data: dict[str, Any] = {}
    for attname, mask in _audited(type(obj)):
        if only is not None and attname not in only:
            continue
        value = getattr(obj, attname) if values is None else values.get(attname)
        if value is not None and not isinstance(value, int | float | bool):
            value = _jsonable(value)
        # Personal data kept out of the log in full (e.g. the ID number: masked + fingerprint).
        data[attname] = mask(value) if mask and value else value
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
        before=clip(before),
        after=clip(after),
        note=clip(note, NOTE_MAX),
    )


def history(obj: models.Model) -> models.QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).select_related("actor")


def audited_save(
    obj: models.Model, actor: Any, note: str = "", *, clean: bool = True
) -> models.Model:
    """Validate, save and audit a new or changed instance (call inside a transaction).
    `clean=False`: the caller has just validated it (not twice)."""
    if clean:
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


# ----------------------------------------------------------------------------- retention

# The audit log is kept at least this long, whatever the settings say (the PostgreSQL
# trigger enforces the same floor).
MIN_RETENTION_DAYS = 180


def retention_days() -> int:
    from django.conf import settings

    days = int(settings.GUANJIA_AUDIT_RETENTION_DAYS)
    if days < MIN_RETENTION_DAYS:
        raise ValueError(f"GUANJIA_AUDIT_RETENTION_DAYS must be at least {MIN_RETENTION_DAYS}")
    return days


def purge_expired(now: dt.datetime | None = None, days: int | None = None) -> int:
    """Delete the entries older than the retention period; returns how many went.

    The only deletion the log allows. On PostgreSQL the append-only trigger lets a DELETE
    through only inside a transaction that set `guanjia.audit_purge` to the retention in
    days, and only for rows older than that (and never younger than 180 days). The purge
    itself is recorded.
    """
    from django.db import connection, transaction
    from django.utils import timezone

    days = retention_days() if days is None else days
    if days < MIN_RETENTION_DAYS:
        raise ValueError(f"the audit log is kept at least {MIN_RETENTION_DAYS} days")
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    table = AuditEntry._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config('guanjia.audit_purge', %s, true)", [str(days)])
        cursor.execute(f"DELETE FROM {table} WHERE at < %s", [cutoff])  # noqa: S608
        purged = cursor.rowcount
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config('guanjia.audit_purge', '', true)")
        if purged:
            AuditEntry(
                action=AuditAction.PURGE,
                object_type=AuditEntry._meta.label_lower,
                object_id="-",
                object_repr="audit log",
                after={"purged": purged, "before": cutoff.isoformat(), "retention_days": days},
                note=f"retention purge: {purged} entries before {cutoff.isoformat()}",
            ).save()
    return purged


# ----------------------------------------------------------------------------- export


def export_queryset(
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    actor: str = "",
    object_type: str = "",
    object_id: str = "",
    action: str = "",
) -> models.QuerySet[AuditEntry]:
    """Entries in a date range (inclusive, local dates), by actor (user name or id) and
    object, oldest first."""
    from django.db.models import Q
    from django.utils import timezone

    qs = AuditEntry.objects.select_related("actor").order_by("at", "id")
    tz = timezone.get_current_timezone()
    if start:
        qs = qs.filter(at__gte=dt.datetime.combine(start, dt.time.min, tzinfo=tz))
    if end:
        qs = qs.filter(
            at__lt=dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        )
    if actor:
        who = Q(actor__username=actor)
        if actor.isdigit():
            who |= Q(actor_id=int(actor))
        qs = qs.filter(who)
    if object_type:
        qs = qs.filter(object_type=object_type.lower())
    if object_id:
        qs = qs.filter(object_id=object_id)
    if action:
        qs = qs.filter(action=action)
    return qs


EXPORT_HEADER = [
    "id",
    "time",
    "actor_id",
    "actor",
    "action",
    "object_type",
    "object_id",
    "object",
    "before",
    "after",
    "note",
]


def export_row(e: AuditEntry) -> list[Any]:
    import json

    from django.utils import timezone

    return [
        e.pk,
        timezone.localtime(e.at).isoformat(timespec="seconds"),
        e.actor_id or "",
        e.actor.username if e.actor else "",
        e.action,
        e.object_type,
        e.object_id,
        e.object_repr,
        json.dumps(e.before, ensure_ascii=False) if e.before is not None else "",
        json.dumps(e.after, ensure_ascii=False) if e.after is not None else "",
        e.note,
    ]


def write_csv(out: Any, entries: models.QuerySet[AuditEntry]) -> int:
    """CSV (UTF-8 with BOM so Excel reads Chinese) into a text stream; returns the row count."""
    import csv

    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(EXPORT_HEADER)
    n = 0
    for e in entries.iterator(chunk_size=2000):
        writer.writerow([_csv_safe(v) for v in export_row(e)])
        n += 1
    return n


def _csv_safe(value: Any) -> Any:
    """Text a spreadsheet would run as a formula (= + - @, tab, CR first) gets a leading
    apostrophe: the OWASP advice against CSV injection; the apostrophe shows what was done."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def xlsx_columns() -> list[Any]:
    from operator import itemgetter

    from .xlsx import Column

    return [
        Column(title, 40 if title in ("before", "after", "note") else 18, itemgetter(i))
        for i, title in enumerate(EXPORT_HEADER)
    ]
