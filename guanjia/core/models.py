"""The append-only audit log: who changed what, when, before and after."""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import files
from .bounds import NOTE_MAX, bounded_text, validate_name


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
    # Seconds the last run took, for the jobs that time themselves (scheduling.timed): the
    # SLA sweep. Read by /metrics.
    last_duration = models.FloatField(_("last run's duration (s)"), null=True, blank=True)

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


# --- Spreadsheet imports ---------------------------------------------------------------------


class ImportKind(models.TextChoices):
    """What a file is imported into (each kind's importer: guanjia.core.sheets.jobs.register)."""

    LEDGER = "ledger", _("Project ledger")
    REQUESTS = "requests", _("Requests")
    SERVICERECORDS = "servicerecords", _("Service records")
    TARGETS = "targets", _("Target actuals")
    LEADS = "leads", _("Leads")
    PARKS = "parks", _("Land inventory")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    VALIDATING = "validating", _("Checking")
    VALIDATED = "validated", _("Checked")
    # Unknown headers or a required column missing: the owner confirms the columns first.
    NEEDS_MAPPING = "needs_mapping", _("Columns to confirm")
    COMMITTING = "committing", _("Importing")
    COMMITTED = "committed", _("Imported")
    FAILED = "failed", _("Failed")


# Statuses during which the page polls for progress.
RUNNING = {ImportStatus.UPLOADED, ImportStatus.VALIDATING, ImportStatus.COMMITTING}


class ImportJob(models.Model):
    """One uploaded file: checked in the background, previewed, then committed all or nothing.

    The file lives in the private store's `imports` folder (guanjia.core.files), which has no
    URL (MEDIA_ROOT is served in DEBUG): a ledger holds enterprises' figures, so only the job's
    owner reaches it, through the job pages. Readers take a local copy (`files.local_copy`).
    """

    kind = models.CharField(
        _("kind"), max_length=20, choices=ImportKind.choices, default=ImportKind.LEDGER
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="import_jobs",
    )
    file = models.FileField(
        _("file"), storage=files.PrivateStorage(folder="imports"), upload_to="%Y/%m/"
    )
    original_name = models.CharField(_("file name"), max_length=200)
    sheet = models.CharField(_("sheet"), max_length=100, blank=True)
    # The uploader's language: the worker writes the row errors in it.
    language = models.CharField(_("language"), max_length=10, default=settings.LANGUAGE_CODE)
    status = models.CharField(
        _("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    # {header: field, or null to ignore the column}, confirmed on the mapping screen; null:
    # the headers are matched as usual, or by a saved mapping (core.sheets.mappings).
    mapping = models.JSONField(_("column mapping"), null=True, blank=True)
    progress_done = models.PositiveIntegerField(_("rows done"), default=0)
    progress_total = models.PositiveIntegerField(_("rows in all"), default=0)
    # errors, counts, column mapping, preview: see guanjia.core.sheets.SheetResult.as_json.
    result = models.JSONField(_("result"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Set when a worker takes the job and renewed while it runs (sheets.jobs.keep_alive): a
    # running job that stops renewing it lost its worker (killed, out of memory) and is failed.
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 0
        return min(100, round(100 * self.progress_done / self.progress_total))

    @property
    def counts(self) -> dict[str, int]:
        return self.result.get("counts", {})

    @property
    def can_commit(self) -> bool:
        """Checked, without a single error, and with something to create."""
        return (
            self.status == ImportStatus.VALIDATED
            and not self.result.get("file_errors")
            and not self.counts.get("errors")
            and self.counts.get("to_create", 0) > 0
        )

    def set_progress(self, done: int, total: int) -> None:
        ImportJob.objects.filter(pk=self.pk).update(progress_done=done, progress_total=total)
        self.progress_done, self.progress_total = done, total

    def finish(self, status: str, result: dict[str, Any]) -> None:
        self.status = status
        self.result = result
        self.finished_at = timezone.now()
        if status != ImportStatus.FAILED and self.progress_total:
            self.progress_done = self.progress_total
        self.save(update_fields=["status", "result", "finished_at", "progress_done"])


class SheetMapping(models.Model):
    """A saved column mapping: how one office's sheet layout maps onto an import's fields.

    The next file with the same header row (the same `signature`) is mapped the same way
    without asking again. Owned by a user, a department or an area office (exactly one).
    `mapping` is {normalised header: field, or null for a column to ignore}.
    """

    kind = models.CharField(_("import"), max_length=30)  # "ledger", "requests", …
    name = models.CharField(_("name"), max_length=100, validators=[validate_name])
    signature = models.CharField(_("header signature"), max_length=40, db_index=True)
    headers = models.JSONField(_("headers"), default=list)  # the normalised header row
    mapping = models.JSONField(_("mapping"), default=dict)
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sheet_mappings",
    )
    owner_department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sheet_mappings",
    )
    owner_region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("office"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sheet_mappings",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("sheet mapping")
        verbose_name_plural = _("sheet mappings")
        ordering = ["kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(
                        owner_user__isnull=False,
                        owner_department__isnull=True,
                        owner_region__isnull=True,
                    )
                    | models.Q(
                        owner_user__isnull=True,
                        owner_department__isnull=False,
                        owner_region__isnull=True,
                    )
                    | models.Q(
                        owner_user__isnull=True,
                        owner_department__isnull=True,
                        owner_region__isnull=False,
                    )
                ),
                name="sheet_mapping_one_owner",
            ),
            models.UniqueConstraint(
                fields=["kind", "name", "owner_user"],
                condition=models.Q(owner_user__isnull=False),
                name="sheet_mapping_unique_user_name",
            ),
            models.UniqueConstraint(
                fields=["kind", "name", "owner_department"],
                condition=models.Q(owner_department__isnull=False),
                name="sheet_mapping_unique_department_name",
            ),
            models.UniqueConstraint(
                fields=["kind", "name", "owner_region"],
                condition=models.Q(owner_region__isnull=False),
                name="sheet_mapping_unique_region_name",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.name}"


class RateCounter(models.Model):
    """A rate-limit window's count kept in the database while the cache is down
    (guanjia.accounts.ratelimit); rows past their window are deleted as new ones come."""

    key = models.CharField(max_length=120, unique=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}={self.count}"


class TaskOutbox(models.Model):
    """A task enqueued while Redis was unreachable (guanjia.core.taskoutbox): kept here until
    the scheduler moves it onto the Redis queue, so no enqueued task is lost."""

    task_path = models.CharField(max_length=255)
    queue_name = models.CharField(max_length=100, default="default")
    priority = models.IntegerField(default=0)
    run_after = models.DateTimeField(null=True, blank=True)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.task_path} #{self.pk}"
