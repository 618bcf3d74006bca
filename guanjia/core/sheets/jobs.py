"""Background work for every import (core.models.ImportJob, by its kind): check an uploaded
file, then commit it, reporting progress.

Each kind registers how to make its importer and which page shows a job
(`register("ledger", make_importer, "projects:import_job")`, from the app's ready()). The
importer is a guanjia.core.sheets.SheetImporter or anything with the same validate/commit.

A worker that dies under a job (killed, out of memory on a hostile file) cannot say so. So a
running job carries a lease: `heartbeat_at`, set when a worker takes the job and renewed by a
thread while it works (`keep_alive`). A job whose lease ran out is marked failed and its
owner told (`fail_abandoned`, every minute; and at once if the task is run again, as the rq
recovery does). The commit writes in one transaction, so a job that died wrote nothing.
"""

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import Q
from django.tasks import task
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from guanjia.core import files
from guanjia.core.hooks import notifiers
from guanjia.core.models import RUNNING, ImportJob, ImportStatus
from guanjia.core.scheduling import periodic

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Kind:
    """How a kind of import runs: its importer for a job, and the page that shows a job."""

    make_importer: Callable[[ImportJob], Any]
    job_url: str  # a URL name taking the job's pk


KINDS: dict[str, Kind] = {}


def register(kind: str, make_importer: Callable[[ImportJob], Any], job_url: str) -> None:
    """Say how jobs of `kind` are checked and committed (call from the app's ready())."""
    KINDS[kind] = Kind(make_importer, job_url)


def job_url(job: ImportJob) -> str:
    return reverse(KINDS[job.kind].job_url, args=[job.pk])


@task()
def validate_import(job_id: int) -> dict[str, Any]:
    """Pass 1: check every row of the job's file and keep the preview in job.result."""
    job = _claim(job_id, ImportStatus.UPLOADED, ImportStatus.VALIDATING)
    if job is None:
        _fail_if_abandoned(job_id)
        return {"skipped": True}
    with override(job.language), keep_alive(job.pk):
        try:
            with files.local_copy(job.file) as path:
                result = _importer(job).validate(path, job.sheet)
        except Exception:
            logger.exception("checking import job %s failed", job_id)
            job.finish(ImportStatus.FAILED, {"file_errors": [_("the file could not be checked")]})
            raise
        status = ImportStatus.FAILED if result.file_errors else ImportStatus.VALIDATED
        if getattr(result, "needs_mapping", False):  # the owner confirms the columns first
            status = ImportStatus.NEEDS_MAPPING
        job.finish(status, result.as_json())
    return job.counts


@task()
def commit_import(job_id: int) -> dict[str, Any]:
    """Pass 2: check again and write everything in one transaction, or nothing."""
    # Taken once: heartbeat_at is cleared when the commit is asked for (start_commit), so a
    # second run (the queue's recovery after the first one's worker died) does not commit a
    # file that may kill its worker again; it marks the job failed instead, once its lease ran out.
    taken = ImportJob.objects.filter(
        pk=job_id, status=ImportStatus.COMMITTING, heartbeat_at__isnull=True
    ).update(heartbeat_at=timezone.now())
    if not taken:
        _fail_if_abandoned(job_id)
        return {"skipped": True}
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    with override(job.language), keep_alive(job.pk):
        try:
            with files.local_copy(job.file) as path:
                result = _importer(job).commit(path, job.sheet)
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
        status=ImportStatus.COMMITTING, progress_done=0, heartbeat_at=None
    )
    if not claimed:
        return False
    job.status = ImportStatus.COMMITTING
    transaction.on_commit(lambda: commit_import.enqueue(job.pk))
    return True


def _claim(job_id: int, from_status: str, to_status: str) -> ImportJob | None:
    """Take the job from one status to the next; None if another worker got there first."""
    taken = ImportJob.objects.filter(pk=job_id, status=from_status).update(
        status=to_status, heartbeat_at=timezone.now()
    )
    if not taken:
        return None
    return ImportJob.objects.select_related("user").get(pk=job_id)


def _importer(job: ImportJob) -> Any:
    return KINDS[job.kind].make_importer(job)


# --- Jobs whose worker died -------------------------------------------------------------------


@contextmanager
def keep_alive(job_id: int) -> Iterator[None]:
    """Renew the job's lease every GUANJIA_IMPORT_HEARTBEAT_SECONDS while the block runs.

    From a thread with its own database connection, so the renewal is seen at once even while
    the block holds a long transaction (the commit); if the process dies, so does the thread,
    and the lease runs out."""
    stop = threading.Event()
    every = max(1, settings.GUANJIA_IMPORT_HEARTBEAT_SECONDS)

    def beat() -> None:
        try:
            while not stop.wait(every):
                try:
                    ImportJob.objects.filter(pk=job_id, status__in=RUNNING).update(
                        heartbeat_at=timezone.now()
                    )
                except Exception:  # a busy SQLite, a database restart: try again next beat
                    logger.warning("import job %s: lease not renewed", job_id, exc_info=True)
                    close_old_connections()
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"import-{job_id}-lease", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def lease_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) - dt.timedelta(seconds=settings.GUANJIA_IMPORT_LEASE_SECONDS)


def _lost() -> Q:
    """Running jobs whose lease ran out (and those checked before there were leases)."""
    cutoff = lease_cutoff()
    return Q(
        status__in=[ImportStatus.VALIDATING, ImportStatus.COMMITTING], heartbeat_at__lt=cutoff
    ) | Q(status=ImportStatus.VALIDATING, heartbeat_at__isnull=True, created_at__lt=cutoff)


def _stopped_message() -> str:
    return _(
        "the import stopped unexpectedly (its worker was stopped, perhaps for lack of memory); "
        "nothing was saved. Upload the file again; if it stops again, split it into smaller files."
    )


def mark_abandoned(job: ImportJob) -> bool:
    """Fail one running job whose lease ran out and tell its owner; False if it was not."""
    lost = ImportJob.objects.filter(_lost(), pk=job.pk)
    with override(job.language):
        message = _stopped_message()
        if not lost.update(
            status=ImportStatus.FAILED,
            finished_at=timezone.now(),
            result={**job.result, "file_errors": [message]},
        ):
            return False
        logger.warning("import job %s lost its worker: marked failed", job.pk)
        for notify in notifiers:
            notify(
                [job.user],
                kind="import.failed",
                title=_("The import of %(name)s stopped; nothing was saved")
                % {"name": job.original_name},
                body=message,
                url=job_url(job),
                target=job,
            )
    return True


def _fail_if_abandoned(job_id: int) -> None:
    job = ImportJob.objects.select_related("user").filter(_lost(), pk=job_id).first()
    if job is not None:
        mark_abandoned(job)


def fail_abandoned() -> int:
    """Mark failed every checking or importing job whose lease ran out; how many."""
    return sum(
        mark_abandoned(job) for job in ImportJob.objects.select_related("user").filter(_lost())
    )


@periodic(seconds=60)
@task()
def fail_abandoned_imports() -> int:
    """Imports whose worker died: failed, and their owners told (see `fail_abandoned`)."""
    return fail_abandoned()
