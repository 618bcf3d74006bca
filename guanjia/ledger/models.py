"""Import jobs: an uploaded ledger file on its way through validation and commit."""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    VALIDATING = "validating", _("Checking")
    VALIDATED = "validated", _("Checked")
    COMMITTING = "committing", _("Importing")
    COMMITTED = "committed", _("Imported")
    FAILED = "failed", _("Failed")


# Statuses during which the page polls for progress.
RUNNING = {ImportStatus.UPLOADED, ImportStatus.VALIDATING, ImportStatus.COMMITTING}


class ImportJob(models.Model):
    """One uploaded file: checked in the background, previewed, then committed all or nothing.

    The file lives under MEDIA_ROOT/imports, which nothing serves over HTTP: a ledger holds
    enterprises' figures, so only the job's owner reaches it, through the job pages.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="import_jobs",
    )
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    sheet = models.CharField(_("sheet"), max_length=100, blank=True)
    # The uploader's language: the worker writes the row errors in it.
    language = models.CharField(_("language"), max_length=10, default=settings.LANGUAGE_CODE)
    status = models.CharField(
        _("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    progress_done = models.PositiveIntegerField(_("rows done"), default=0)
    progress_total = models.PositiveIntegerField(_("rows in all"), default=0)
    # errors, duplicates, counts, column mapping, preview: see importers.ImportResult.as_json.
    result = models.JSONField(_("result"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Set when a worker takes the job and renewed while it runs (tasks.keep_alive): a running
    # job that stops renewing it lost its worker (killed, out of memory) and is marked failed.
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
