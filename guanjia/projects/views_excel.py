"""Excel both ways: export the filtered ledger; upload, check, preview and commit an import."""

import io
import tempfile
from pathlib import Path
from typing import Any, cast

import xlsxwriter
from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from guanjia.accounts.scope import require_writer
from guanjia.accounts.typing import AuthedRequest
from guanjia.core import files
from guanjia.core.models import ImportJob, ImportKind, ImportStatus
from guanjia.core.sheets.jobs import validate_import
from guanjia.core.sheets.pages import HelpColumn, ImportPages, UploadForm
from guanjia.projects.access import may_import, projects_for, require_ledger_reader
from guanjia.projects.ledger import LedgerFilter
from guanjia.projects.sheet_review import IGNORED, ColumnChoice, Review, check_answers

from . import importers, mapping
from .exporters import export_filename, export_projects

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


@login_required
@require_GET
def export(request: AuthedRequest) -> FileResponse:
    """The ledger as the user sees it, with the list's filters and sort, as an .xlsx download."""
    require_ledger_reader(request.user)
    projects = LedgerFilter.from_params(request.GET).apply(projects_for(request.user))
    # A temporary file rather than memory: the workbook for 100,000 projects is ~7 MB, and the
    # file disappears when the response closes it.
    target = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115
    export_projects(projects, target)
    target.seek(0)
    return FileResponse(target, as_attachment=True, filename=export_filename())


class ImportForm(UploadForm):
    """A ledger file, and which of its sheets to read."""

    sheet = forms.CharField(
        label=gettext_lazy("Sheet"),
        required=False,
        max_length=100,
        help_text=gettext_lazy("Leave empty to read the first sheet."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].label = gettext_lazy("Ledger file")


def _import_columns() -> list[HelpColumn]:
    return [HelpColumn(c.canonical, c.aliases, c.required, c.label) for c in importers.COLUMNS]


def _mapping_first(request: HttpRequest, job: ImportJob) -> HttpResponse | None:
    """A job whose columns need confirming shows the mapping screen instead of its preview."""
    if job.status == ImportStatus.NEEDS_MAPPING and job.result.get("review"):
        authed = cast(AuthedRequest, request)  # the pages are behind login_required
        return _mapping_screen(authed, job, Review.from_json(job.result["review"]))
    return None


# The ledger on the one import flow (guanjia.core.sheets.pages), with its own job page
# (projects/import_job.html extends the generic one) and the mapping screen below.
ledger_pages = ImportPages(
    kind=ImportKind.LEDGER,
    namespace="projects",
    start_name="import_start",
    may_import=may_import,
    title=gettext_lazy("Import a ledger from Excel"),
    intro=gettext_lazy(
        "The header row may be any of the first ten rows. Headers are matched by name, in any "
        "order; amounts may give their unit in the header, e.g. 总投资(亿元), and are converted "
        "to 万元 (10k yuan); without a unit they are read as 万元. A cell may also say “3.5亿元”. "
        "Columns we do not recognise are listed and ignored, never guessed. A row already in "
        "the ledger (same enterprise credit code, or same enterprise name when there is no "
        "code, and same project name) is skipped as a duplicate. Without a stage, a row is at "
        "the furthest stage it has a date for, or a lead."
    ),
    columns=_import_columns,
    preview=(),
    done_url="projects:project_list",
    done_label=gettext_lazy("Open the ledger"),
    nav="import",
    template_link="projects:import_template",
    max_bytes=MAX_UPLOAD_BYTES,
    form_class=ImportForm,
    job_template="projects/import_job.html",
    job_hook=_mapping_first,
)


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
    job = ledger_pages.get_job(request, pk)
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
