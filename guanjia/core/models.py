"""The append-only audit log: who changed what, when, before and after."""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .bounds import NOTE_MAX, bounded_text


class AuditAction(models.TextChoices):
    CREATE = "create", _("Create")
    UPDATE = "update", _("Update")
    DELETE = "delete", _("Delete")
    TRANSITION = "transition", _("Stage change")
    MERGE = "merge", _("Merge")
    IMPORT = "import", _("Import")
    LOGIN = "login", _("Log-in")
    UNMASK = "unmask", _("Reveal personal data")
    EXPORT = "export", _("Export")
    PURGE = "purge", _("Retention purge")


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("the audit log is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("the audit log is append-only")

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        objs = list(objs)
        for obj in objs:
            obj.clip()
        return super().bulk_create(objs, *args, **kwargs)


class AuditEntry(models.Model):
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        # A user who acted is never deleted (they are deactivated): the database refuses to
        # delete them on both engines rather than blank out who did what.
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=300)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    note = bounded_text(_("note"), NOTE_MAX, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("the audit log is append-only")
        self.clip()
        super().save(*args, **kwargs)

    def clip(self) -> None:
        """Bound every value (see `guanjia.core.audit.clip`), however the entry was made."""
        from .audit import clip

        self.before, self.after = clip(self.before), clip(self.after)
        self.note = clip(self.note, NOTE_MAX)
        self.object_repr = self.object_repr[:300]

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("the audit log is append-only")

    def changed_fields(self) -> list[tuple[str, Any, Any]]:
        """The (field, before, after) triples that differ."""
        before, after = self.before or {}, self.after or {}
        keys = sorted(set(before) | set(after))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


class ScheduledJob(models.Model):
    """When a periodic task is next due (see guanjia.core.scheduling)."""

    name = models.CharField(_("task"), max_length=200, unique=True)
    next_run_at = models.DateTimeField(_("next run"))
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)

    class Meta:
        verbose_name = _("scheduled job")
        verbose_name_plural = _("scheduled jobs")

    def __str__(self) -> str:
        return self.name


class StatusChange(models.Model):
    """One step taken on a record whose domain keeps no timeline of its own (`core.steps`):
    which step, from which status to which, by whom (null: the system) and when."""

    content_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.CASCADE, related_name="+"
    )
    object_id = models.CharField(max_length=64)
    step = models.CharField(_("step"), max_length=40)
    from_status = models.CharField(_("from"), max_length=40, blank=True)
    to_status = models.CharField(_("to"), max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("time"), auto_now_add=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="status_change_object")]

    def __str__(self) -> str:
        return f"{self.step}: {self.from_status} → {self.to_status}"
