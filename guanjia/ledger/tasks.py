"""Background work for imports: check an uploaded file, then commit it, reporting progress."""

import logging
from typing import Any

from django.db import transaction
from django.tasks import task
from django.utils.translation import gettext as _
from django.utils.translation import override

from .importers import ProjectImporter
from .models import ImportJob, ImportStatus

logger = logging.getLogger(__name__)


@task()
def validate_import(job_id: int) -> dict[str, Any]:
    """Pass 1: check every row of the job's file and keep the preview in job.result."""
    job = _claim(job_id, ImportStatus.UPLOADED, ImportStatus.VALIDATING)
    if job is None:
        return {"skipped": True}
    with override(job.language):
        try:
            result = _importer(job).validate(job.file.path, job.sheet)
        except Exception:
            logger.exception("checking import job %s failed", job_id)
            job.finish(ImportStatus.FAILED, {"file_errors": [_("the file could not be checked")]})
            raise
        status = ImportStatus.FAILED if result.file_errors else ImportStatus.VALIDATED
        job.finish(status, result.as_json())
    return job.counts


@task()
def commit_import(job_id: int) -> dict[str, Any]:
    """Pass 2: check again and write everything in one transaction, or nothing."""
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    if job.status != ImportStatus.COMMITTING:
        return {"skipped": True}
    with override(job.language):
        try:
            result = _importer(job).commit(job.file.path, job.sheet)
        except Exception:
            logger.exception("committing import job %s failed", job_id)
            job.finish(
                ImportStatus.FAILED,
                {
                    **job.result,
                    "file_errors": [_("the import failed; nothing was written")],
                },
            )
            raise
        status = ImportStatus.COMMITTED if result.committed else ImportStatus.FAILED
        job.finish(status, result.as_json())
    return job.counts


def start_commit(job: ImportJob) -> bool:
    """Move a checked job to committing and enqueue the commit; False if it was not ready.

    The conditional update makes a double click (or two tabs) commit once.
    """
    if not job.can_commit:
        return False
    claimed = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.VALIDATED).update(
        status=ImportStatus.COMMITTING, progress_done=0
    )
    if not claimed:
        return False
    job.status = ImportStatus.COMMITTING
    transaction.on_commit(lambda: commit_import.enqueue(job.pk))
    return True


def _claim(job_id: int, from_status: str, to_status: str) -> ImportJob | None:
    """Take the job from one status to the next; None if another worker got there first."""
    if not ImportJob.objects.filter(pk=job_id, status=from_status).update(status=to_status):
        return None
    return ImportJob.objects.select_related("user").get(pk=job_id)


def _importer(job: ImportJob) -> ProjectImporter:
    return ProjectImporter(job.user, filename=job.original_name, progress=job.set_progress)
