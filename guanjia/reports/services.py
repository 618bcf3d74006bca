"""Asking for a report, generating its files, and the schedule (weekly on Mondays, monthly on
the 1st). One row per kind, period and area: asking again regenerates that row."""

import datetime as dt
import logging
import time
import uuid
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from guanjia.core.audit import record
from guanjia.core.dbrouter import replica_reads
from guanjia.core.models import AuditAction
from guanjia.regions.models import Region, RegionKind

from . import content, render
from .models import FORMATS, Report, ReportKind, ReportStatus, period_of

logger = logging.getLogger(__name__)

# The scheduled reports appear from this hour (local time) on the Monday / the 1st.
SCHEDULE_HOUR = 6


def _enqueue(report: Report) -> None:
    from .tasks import generate_report

    transaction.on_commit(lambda: generate_report.enqueue(report.pk))


def request_report(
    actor: Any,
    kind: str,
    day: dt.date,
    region: Region | None,
    *,
    language: str | None = None,
    regenerate: bool = True,
) -> tuple[Report, bool]:
    """The report for the period containing `day`, queued for generation.

    Returns (report, queued). An existing report is queued again (the records may have
    changed) unless `regenerate` is False or it is being generated now."""
    start, end = period_of(kind, day)
    language = language or settings.LANGUAGE_CODE
    with transaction.atomic():
        existing = (
            Report.objects.select_for_update()
            .filter(kind=kind, period_start=start, region=region)
            .order_by("pk")  # the default ordering joins the region: no lock through a join
            .first()
        )
        if existing is not None:
            if not regenerate or (existing.is_pending and not existing.is_stuck):
                return existing, False
            Report.objects.filter(pk=existing.pk).update(
                status=ReportStatus.QUEUED,
                error="",
                language=language,
                queued_at=timezone.now(),
                started_at=None,
            )
            existing.refresh_from_db()
            record(actor, AuditAction.UPDATE, existing, note="regenerate")
            _enqueue(existing)
            return existing, True
        try:
            with transaction.atomic():
                report = Report.objects.create(
                    kind=kind,
                    period_start=start,
                    period_end=end,
                    region=region,
                    language=language,
                    created_by=actor if getattr(actor, "pk", None) else None,
                )
        except IntegrityError:  # asked for at the same moment elsewhere
            found = Report.objects.get(kind=kind, period_start=start, region=region)
            return found, False
        record(actor, AuditAction.CREATE, report)
        _enqueue(report)
        return report, True


def build_files(report: Report, now: dt.datetime | None = None) -> dict[str, bytes]:
    """The three files of a report, in its language.

    The figures are read from the replica when there is one (guanjia/core/dbrouter.py): a
    report covers a finished week or month, so a few seconds' lag changes nothing.
    """
    with translation.override(report.language), replica_reads():
        body = content.build(
            report.kind, report.period_start, report.period_end, report.region, now
        )
        return {
            "pdf": render.to_pdf(body),
            "docx": render.to_docx(body),
            "xlsx": render.to_xlsx(body),
        }


def generate(report_id: int) -> Report | None:
    """Generate a queued report's files; None if it is not queued (done, or taken)."""
    claimed = Report.objects.filter(pk=report_id, status=ReportStatus.QUEUED).update(
        status=ReportStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return None
    report = Report.objects.select_related("region").get(pk=report_id)
    began = time.perf_counter()
    try:
        files = build_files(report)
    except Exception as exc:
        logger.exception("report %s failed", report_id)
        Report.objects.filter(pk=report_id).update(
            status=ReportStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=timezone.now(),
        )  # fmt: skip
        report.refresh_from_db()
        return report
    old = [getattr(report, fmt).name for fmt in FORMATS if getattr(report, fmt)]
    stem = uuid.uuid4().hex
    for fmt, data in files.items():
        getattr(report, fmt).save(f"{stem}.{fmt}", ContentFile(data), save=False)
    report.status = ReportStatus.DONE
    report.error = ""
    report.finished_at = timezone.now()
    report.seconds = round(time.perf_counter() - began, 3)
    report.save(update_fields=[*FORMATS, "status", "error", "finished_at", "seconds"])
    storage = report._meta.get_field("pdf").storage  # type: ignore[attr-defined]
    for name in old:
        storage.delete(name)
    return report


def scheduled_areas() -> list[Region | None]:
    """Who the scheduled reports are for: each city in the tree (all areas if there is none)."""
    cities: list[Region | None] = list(Region.objects.active().filter(kind=RegionKind.CITY))
    return cities or [None]


def due_periods(now: dt.datetime) -> list[tuple[str, dt.date]]:
    """(kind, a day in the period) of the reports that should exist at `now`: last week from
    Monday morning on, last month from the morning of the 1st on."""
    local = timezone.localtime(now)
    # Before the hour, the day counts as the day before (last week's report is not due yet).
    ref = local.date() if local.hour >= SCHEDULE_HOUR else local.date() - dt.timedelta(days=1)
    week_before = period_of(ReportKind.WEEKLY, ref)[0] - dt.timedelta(days=1)
    month_before = period_of(ReportKind.MONTHLY, ref)[0] - dt.timedelta(days=1)
    due = [(ReportKind.WEEKLY.value, week_before), (ReportKind.MONTHLY.value, month_before)]
    return due


def ensure_scheduled(now: dt.datetime | None = None) -> list[int]:
    """Queue the scheduled reports that do not exist yet; the ids queued (idempotent)."""
    now = now or timezone.now()
    queued = []
    for kind, day in due_periods(now):
        for region in scheduled_areas():
            report, created = request_report(None, kind, day, region, regenerate=False)
            if created:
                queued.append(report.pk)
    return queued
