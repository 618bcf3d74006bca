"""Excel both ways: export the filtered ledger; upload, check, preview and commit an import."""

import io
import tempfile
import uuid
from pathlib import Path

import xlsxwriter
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanjia.accounts.scope import require_writer
from guanjia.accounts.typing import AuthedRequest
from guanjia.core import files, uploads
from guanjia.core.models import ImportJob, ImportKind, ImportStatus
from guanjia.core.sheets.jobs import start_commit, validate_import
from guanjia.projects.access import projects_for
from guanjia.projects.ledger import LedgerFilter
from guanjia.projects.sheet_review import IGNORED, ColumnChoice, Review, check_answers

from . import importers, mapping
from .exporters import export_filename, export_projects

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
RECENT_JOBS = 10


@login_required
@require_GET
def export(request: AuthedRequest) -> FileResponse:
    """The ledger as the user sees it, with the list's filters and sort, as an .xlsx download."""
    projects = LedgerFilter.from_params(request.GET).apply(projects_for(request.user))
    # A temporary file rather than memory: the workbook for 100,000 projects is ~7 MB, and the
    # file disappears when the response closes it.
    target = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115
    export_projects(projects, target)
    target.seek(0)
    return FileResponse(target, as_attachment=True, filename=export_filename())


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Ledger file"),
        help_text=gettext_lazy("An .xlsx, .xls or .ods file of at most 20 MB."),
    )
    sheet = forms.CharField(
        label=gettext_lazy("Sheet"),
        required=False,
        max_length=100,
        help_text=gettext_lazy("Leave empty to read the first sheet."),
    )

    def clean_file(self):  # type: ignore[no-untyped-def]
        upload = self.cleaned_data["file"]
        if upload.name.lower().endswith(uploads.MACRO_EXTENSIONS):
            raise forms.ValidationError(uploads.macro_workbook_message(upload.name))
        if not upload.name.lower().endswith(importers.EXTENSIONS):
            raise forms.ValidationError(
                _("“%(name)s” is not a spreadsheet: upload an .xlsx, .xls or .ods file.")
                % {"name": upload.name}
            )
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)s; at most %(max)s can be imported at once.")
                % {"size": filesizeformat(upload.size), "max": filesizeformat(MAX_UPLOAD_BYTES)}
            )
        try:  # macro-enabled content under any name, zip bombs
            uploads.check_spreadsheet(upload, upload.name)
        except uploads.UploadRefused as exc:
            raise forms.ValidationError(str(exc)) from exc
        return upload


@login_required
@require_http_methods(["GET", "POST"])
def import_start(request: AuthedRequest) -> HttpResponse:
    """Upload a file; checking it runs in the background and the job page shows progress."""
    require_writer(request.user)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        original = Path(upload.name).name[:200]
        # Stored under a random name (the uploader's is data, never a path), same extension.
        upload.name = f"{uuid.uuid4().hex}{Path(original).suffix.lower()}"
        job = ImportJob.objects.create(
            kind=ImportKind.LEDGER,
            user=request.user,
            file=upload,
            original_name=original,
            sheet=form.cleaned_data["sheet"].strip(),
            language=get_language() or "",
        )
        transaction.on_commit(lambda: validate_import.enqueue(job.pk))
        return redirect("projects:import_job", pk=job.pk)
    context = {
        "form": form,
        "columns": importers.COLUMNS,
        "jobs": ImportJob.objects.filter(user=request.user, kind=ImportKind.LEDGER)[:RECENT_JOBS],
    }
    return render(
        request, "projects/import_start.html", context, status=400 if form.errors else 200
    )


def _get_job(request: AuthedRequest, pk: int) -> ImportJob:
    """The user's own job; anybody else's is a 404, as if it did not exist."""
    require_writer(request.user)
    try:
        return ImportJob.objects.get(pk=pk, user=request.user, kind=ImportKind.LEDGER)
    except ImportJob.DoesNotExist:
        raise Http404("no such import") from None


@login_required
@require_GET
def import_job(request: AuthedRequest, pk: int) -> HttpResponse:
    """Progress while the job runs; then the preview (or the result) of the file."""
    job = _get_job(request, pk)
    if job.status == ImportStatus.NEEDS_MAPPING and job.result.get("review"):
        return _mapping_screen(request, job, Review.from_json(job.result["review"]))
    return render(request, "projects/import_job.html", {"job": job, "result": job.result})


IGNORE = "-"  # the select's value for "ignore this column"
MAPPABLE = {ImportStatus.NEEDS_MAPPING, ImportStatus.VALIDATED}


def _review_of(job: ImportJob) -> Review:
    """The questions for a job: kept from its check, or asked again over the mapping it used."""
    if job.result.get("review"):
        return Review.from_json(job.result["review"])
    used = job.mapping
    with files.local_copy(job.file) as path:
        if used is None:
            saved = mapping.saved_mapping_for(path, job.sheet, job.original_name, job.user)
            used = saved.explicit if saved else None
        review = mapping.review_file(path, job.sheet, job.original_name, used)
    if review is None:
        raise Http404("the file has no header row to map")
    return review


def _mapping_screen(
    request: AuthedRequest,
    job: ImportJob,
    review: Review,
    answers: dict[int, str | None] | None = None,
    problems: list[str] | None = None,
) -> HttpResponse:
    """Every column with its header, a few cells and a select of the ledger's fields."""
    chosen = answers if answers is not None else {c.index: c.field for c in review.columns}
    labels = {c.field: c.label for c in importers.COLUMNS}
    owner, owner_name = mapping.owner_for(request.user)
    context = {
        "job": job,
        "result": job.result,
        "columns": [{"column": c, "value": chosen.get(c.index) or IGNORE} for c in review.columns],
        "fields": importers.COLUMNS,
        "ignore": IGNORE,
        "missing": [labels[f] for f in review.missing if f in labels],
        "problems": problems or [],
        "owner": owner,
        "owner_name": owner_name,
        "save": request.POST.get("save") == "on" if request.method == "POST" else True,
        "name": request.POST.get("name", "")
        if request.method == "POST"
        else (job.result.get("saved_mapping") or Path(job.original_name).stem)[:100],
        "ignored": IGNORED,
    }
    status = 400 if problems else 200
    return render(request, "projects/import_mapping.html", context, status=status)


def _answers(request: AuthedRequest, columns: list[ColumnChoice]) -> dict[int, str | None]:
    answers: dict[int, str | None] = {}
    for column in columns:
        value = request.POST.get(f"col-{column.index}", IGNORE).strip()
        answers[column.index] = None if value in ("", IGNORE) else value
    return answers


@login_required
@require_http_methods(["GET", "POST"])
def import_mapping(request: AuthedRequest, pk: int) -> HttpResponse:
    """The mapping screen: confirm or change what each column is read as, then check again
    with that mapping (and save it for the user's department or office)."""
    job = _get_job(request, pk)
    if job.status not in MAPPABLE:  # still running, imported or failed: its own page says
        return redirect("projects:import_job", pk=job.pk)
    review = _review_of(job)
    if request.method == "GET":
        return _mapping_screen(request, job, review)
    answers = _answers(request, review.columns)
    problems = check_answers(importers.TABLE, review.columns, answers)
    chosen = {c.header: answers[c.index] for c in review.columns}
    name = request.POST.get("name", "").strip()
    if request.POST.get("save") == "on" and not problems:
        if not name:
            problems.append(_("Give the mapping a name to save it."))
        else:
            try:
                mapping.save_for(request.user, review.headers, chosen, name)
            except (ValidationError, ValueError) as exc:
                problems.extend(getattr(exc, "messages", None) or [str(exc)])
    if problems:
        return _mapping_screen(request, job, review, answers, problems)
    updated = ImportJob.objects.filter(pk=job.pk, status__in=MAPPABLE).update(
        mapping=chosen,
        status=ImportStatus.UPLOADED,
        result={},
        progress_done=0,
        progress_total=0,
        finished_at=None,
        heartbeat_at=None,
    )
    if updated:
        transaction.on_commit(lambda: validate_import.enqueue(job.pk))
    return redirect("projects:import_job", pk=job.pk)


@login_required
@require_GET
def import_progress(request: AuthedRequest, pk: int) -> HttpResponse:
    """The progress bar, polled by htmx; once the job is done the page reloads to the preview."""
    job = _get_job(request, pk)
    response = render(request, "projects/import_progress.html", {"job": job})
    if not job.is_running and request.headers.get("HX-Request"):
        response["HX-Redirect"] = reverse("projects:import_job", args=[job.pk])
    return response


@login_required
@require_POST
def import_commit(request: AuthedRequest, pk: int) -> HttpResponse:
    job = _get_job(request, pk)
    if not start_commit(job):
        messages.error(
            request,
            _("This file cannot be imported: it has errors, nothing new, or is already imported."),
        )
    return redirect("projects:import_job", pk=job.pk)


@login_required
@require_GET
def import_template(request: AuthedRequest) -> FileResponse:
    """An empty ledger with our headers, and a second sheet explaining every column."""
    require_writer(request.user)
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = workbook.add_format({"bold": True, "bg_color": "#F0F4F8", "border": 1})
    sheet = workbook.add_worksheet("项目台账")
    for index, column in enumerate(importers.COLUMNS):
        sheet.write_string(0, index, column.canonical, bold)
        sheet.set_column(index, index, max(12, 2.2 * len(column.canonical)))
    sheet.freeze_panes(1, 0)
    notes = workbook.add_worksheet(_("Columns"))
    for index, title in enumerate((_("Header"), _("Meaning"), _("Required"), _("Also accepted"))):
        notes.write_string(0, index, title, bold)
    for row, column in enumerate(importers.COLUMNS, start=1):
        notes.write_row(
            row,
            0,
            [
                column.canonical,
                str(column.label),
                _("yes") if column.required else "",
                "、".join(column.aliases),
            ],
        )
    notes.set_column(0, 0, 22)
    notes.set_column(1, 1, 32)
    notes.set_column(3, 3, 60)
    workbook.close()
    buffer.seek(0)
    return FileResponse(buffer, as_attachment=True, filename="项目台账-导入模板.xlsx")
