"""Generated reports (项目推进周报 and the monthly one) and the per-user calendar feed token."""

import datetime as dt
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanjia.core import files
from guanjia.core.bounds import ERROR_MAX, bounded_text


class ReportKind(models.TextChoices):
    WEEKLY = "weekly", _("Weekly project report")
    MONTHLY = "monthly", _("Monthly project report")


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Generating")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


FORMATS = ("pdf", "docx", "xlsx")
# Report files: the private store's "reports" folder, served by the download view.
STORAGE = files.PrivateStorage(folder="reports")
# A report still queued or generating after this long may be asked for again.
STUCK_AFTER = dt.timedelta(minutes=30)


def period_of(kind: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The week (Monday to Sunday) or calendar month that contains `day`."""
    if kind == ReportKind.WEEKLY:
        start = day - dt.timedelta(days=day.weekday())
        return start, start + dt.timedelta(days=6)
    start = day.replace(day=1)
    following = (start + dt.timedelta(days=32)).replace(day=1)
    return start, following - dt.timedelta(days=1)


class Report(models.Model):
    """One report: a kind, a period and an area (null: everything the installation holds).

    One row per kind, period and area; generating it again replaces its files."""

    kind = models.CharField(_("kind"), max_length=10, choices=ReportKind.choices)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.QUEUED
    )
    language = models.CharField(max_length=10, default="zh-hans")
    pdf = models.FileField(storage=STORAGE, upload_to="%Y/", blank=True)
    docx = models.FileField(storage=STORAGE, upload_to="%Y/", blank=True)
    xlsx = models.FileField(storage=STORAGE, upload_to="%Y/", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("generated"), null=True, blank=True)
    seconds = models.FloatField(_("seconds to generate"), null=True, blank=True)
    error = bounded_text(_("error"), ERROR_MAX, blank=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-period_start", "kind", "region__path", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ReportStatus.values), name="report_status_valid"
            ),
            models.UniqueConstraint(
                fields=["kind", "period_start", "region"],
                condition=Q(region__isnull=False),
                name="report_one_per_period_area",
            ),
            models.UniqueConstraint(
                fields=["kind", "period_start"],
                condition=Q(region__isnull=True),
                name="report_one_per_period_all",
            ),
        ]
        indexes = [models.Index(fields=["-period_start", "kind"], name="report_period")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period_start:%Y-%m-%d}–{self.period_end:%Y-%m-%d}"

    @property
    def is_pending(self) -> bool:
        return self.status in (ReportStatus.QUEUED, ReportStatus.RUNNING)

    @property
    def is_stuck(self) -> bool:
        """Pending for longer than any generation takes (a worker died, a job was lost)."""
        since = self.started_at or self.queued_at
        return self.is_pending and since < timezone.now() - STUCK_AFTER

    def file_name(self, fmt: str) -> str:
        """The name a download gets, e.g. 项目推进周报-锦州市-20230320-20230326.pdf."""
        area = self.region.name if self.region else ""
        parts = [str(self.get_kind_display()), area, f"{self.period_start:%Y%m%d}"]
        parts.append(f"{self.period_end:%Y%m%d}")
        return "-".join(p for p in parts if p) + f".{fmt}"


def _new_token() -> str:
    return secrets.token_urlsafe(24)


class CalendarFeed(models.Model):
    """A user's secret calendar address (calendar apps cannot log in); replaceable."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=_new_token)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return f"{self.user} {self.token[:6]}…"

    def renew(self) -> None:
        self.token = _new_token()
        self.save(update_fields=["token"])
