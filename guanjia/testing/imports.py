"""Driving the import pages (guanjia.core.sheets.pages) in tests: upload, check, confirm.

Use with `settings.TASKS` on the immediate backend (`immediate_imports`): a job is checked and
committed as soon as its transaction commits, which `captureOnCommitCallbacks` makes happen.
"""

import html
import re
from typing import Any

from django.test import Client, TestCase
from django.urls import reverse

from guanjia.core.models import ImportJob

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}

_ERROR_ROW = re.compile(
    r'<tr><td data-label="[^"]*" class="num">(\d+)</td>\s*'
    r'<td data-label="[^"]*">(.*?)</td>\s*<td data-label="[^"]*">(.*?)</td></tr>',
    re.S,
)


def use_immediate_imports(settings: Any, tmp_path: Any) -> None:
    """Tasks run at once; uploaded files go to a temporary private store."""
    settings.TASKS = IMMEDIATE
    settings.GUANJIA_PRIVATE_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"


def upload(client: Client, url: str, file: Any) -> Any:
    """Post a file to an import page; its check runs at once. The response (302 to the job)."""
    if hasattr(file, "seek"):
        file.seek(0)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(url, {"file": file})


def latest_job() -> ImportJob:
    return ImportJob.objects.latest("pk")


def confirm(client: Client, namespace: str, job: ImportJob) -> Any:
    """Press the page's import button; the commit runs at once."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(reverse(f"{namespace}:import_commit", args=[job.pk]))
    job.refresh_from_db()
    return response


def import_file(client: Client, namespace: str, file: Any) -> tuple[ImportJob, str]:
    """Upload, check and, when the file may be imported, confirm: the job and its page."""
    response = upload(client, reverse(f"{namespace}:import"), file)
    assert response.status_code == 302, response.content.decode()[:3000]
    job = latest_job()
    assert response["Location"] == reverse(f"{namespace}:import_job", args=[job.pk])
    if job.can_commit:
        confirm(client, namespace, job)
    page = client.get(reverse(f"{namespace}:import_job", args=[job.pk]))
    assert page.status_code == 200
    return job, page.content.decode()


def errors_on(page: str) -> str:
    """The errors table of a job page, one line an error: 'row 6, column C “企业”: reason'."""
    lines = []
    for row, column, reason in _ERROR_ROW.findall(page):
        column = html.unescape(column).strip()
        reason = html.unescape(reason).strip()
        lines.append(f"row {row}, column {column}: {reason}" if column else f"row {row}: {reason}")
    return "\n".join(lines)
