"""One import page flow for every kind of import: upload → check in the background with a
progress bar → preview with every row error by row, column and reason → confirm → commit in the
background, all or nothing → the result.

A domain app declares its pages with `ImportPages(kind=…, namespace=…, may_import=…)` and adds
`pages.urls()` to its urlpatterns, so the pages live under the app's own URLs and namespace
(`<namespace>:import`, `:import_job`, `:import_progress`, `:import_commit`) and whoever may
import is decided by the app's `access.py` (`may_import`). A job is its owner's only: anybody
else's, or one of another kind, is a 404. The kind's importer is registered with
`guanjia.core.sheets.jobs.register` in the app's ready().
"""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import URLPattern, path, reverse
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanjia.core import uploads
from guanjia.core.models import ImportJob

from .jobs import start_commit, validate_import
from .reading import EXTENSIONS

RECENT_JOBS = 10


class UploadForm(forms.Form):
    """A spreadsheet of at most `max_bytes`, checked by its name and its content."""

    max_bytes = 20 * 1024 * 1024
    file = forms.FileField(label=gettext_lazy("File"))

    def __init__(self, *args: Any, max_bytes: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if max_bytes is not None:
            self.max_bytes = max_bytes
        self.fields["file"].help_text = _("An .xlsx, .xls or .ods file of at most %(max)s.") % {
            "max": filesizeformat(self.max_bytes)
        }

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        name = upload.name or ""
        if name.lower().endswith(uploads.MACRO_EXTENSIONS):
            raise forms.ValidationError(uploads.macro_workbook_message(name))
        if not name.lower().endswith(EXTENSIONS):
            raise forms.ValidationError(
                _("“%(name)s” is not a spreadsheet: upload an .xlsx, .xls or .ods file.")
                % {"name": name}
            )
        if (upload.size or 0) > self.max_bytes:
            raise forms.ValidationError(
                _("The file is %(size)s; at most %(max)s can be imported at once.")
                % {
                    "size": filesizeformat(upload.size or 0),
                    "max": filesizeformat(self.max_bytes),
                }
            )
        try:  # macro-enabled content under any name, zip bombs
            uploads.check_spreadsheet(upload, name)
        except uploads.UploadRefused as exc:
            raise forms.ValidationError(str(exc)) from exc
        return upload


@dataclass(frozen=True)
class PreviewColumn:
    key: str  # the key in a preview row (the importer's `preview`)
    label: Promise | str


@dataclass(frozen=True)
class HelpColumn:
    """A column the start page lists: the header, other names, required, what to write."""

    header: str
    aliases: Sequence[str] = ()
    required: bool = False
    help: Promise | str = ""


@dataclass(frozen=True)
class ImportPages:
    """The import pages of one kind, under its app's namespace."""

    kind: str  # core.models.ImportKind
    namespace: str  # the app's URL namespace
    may_import: Callable[[Any], bool]  # from the app's access.py
    title: Promise | str  # the start page's heading
    intro: Promise | str  # what the file is, on the start page
    columns: Callable[[], list[HelpColumn]]  # the headers recognised, for the start page
    preview: Sequence[PreviewColumn]  # the preview table's columns
    done_url: str  # the list where imported records show (a URL name)
    done_label: Promise | str
    nav: str = ""  # the menu entry marked active (its key in guanjia.core.nav)
    template_link: str = ""  # a URL (name, or name?query) giving an empty file to fill in
    template: Callable[[], HttpResponseBase] | None = None  # served at the start page's ?template=1
    max_bytes: int = 20 * 1024 * 1024
    start_name: str = "import"  # the start page's URL name in the namespace
    form_class: type[UploadForm] = UploadForm  # a subclass may add a `sheet` field
    job_template: str = "core/import_job.html"  # or one extending it (its blocks)
    # The job page's first say: a response instead of the page (the ledger's mapping screen).
    job_hook: Callable[[HttpRequest, ImportJob], HttpResponse | None] | None = None

    # URLs ----------------------------------------------------------------------------------------

    def url(self, name: str) -> str:
        return f"{self.namespace}:{name}"

    def urls(self, prefix: str = "import/") -> list[URLPattern]:
        return [
            path(prefix, self.start_view(), name=self.start_name),
            path(f"{prefix}<int:pk>/", self.job_view(), name="import_job"),
            path(f"{prefix}<int:pk>/progress/", self.progress_view(), name="import_progress"),
            path(f"{prefix}<int:pk>/commit/", self.commit_view(), name="import_commit"),
        ]

    def context(self, **more: Any) -> dict[str, Any]:
        template_link = ""
        if self.template is not None:
            template_link = f"{reverse(self.url(self.start_name))}?template=1"
        elif self.template_link:
            template_link = reverse(self.template_link)
        return {
            "pages": self,
            "urls": {
                "start": self.url(self.start_name),
                "job": self.url("import_job"),
                "progress": self.url("import_progress"),
                "commit": self.url("import_commit"),
            },
            "template_link": template_link,
            "nav": self.nav,
            **more,
        }

    # Access --------------------------------------------------------------------------------------

    def require(self, request: HttpRequest) -> Any:
        user = request.user
        if not self.may_import(user):
            raise PermissionDenied("this role does not import this kind of file")
        return user

    def get_job(self, request: HttpRequest, pk: int) -> ImportJob:
        """The user's own job of this kind; anybody else's is a 404, as if it did not exist."""
        user = self.require(request)
        try:
            return ImportJob.objects.get(pk=pk, user=user, kind=self.kind)
        except ImportJob.DoesNotExist:
            raise Http404("no such import") from None

    # Views ---------------------------------------------------------------------------------------

    def start_view(self) -> Callable[..., HttpResponseBase]:
        @login_required
        @require_http_methods(["GET", "POST"])
        def start(request: HttpRequest) -> HttpResponseBase:
            """Upload a file; checking it runs in the background and the job page shows it."""
            user = self.require(request)
            if request.method == "GET" and request.GET.get("template") and self.template:
                return self.template()
            form = UploadForm(request.POST or None, request.FILES or None, max_bytes=self.max_bytes)
            if request.method == "POST" and form.is_valid():
                upload = form.cleaned_data["file"]
                original = Path(upload.name).name[:200]
                # Stored under a random name (the uploader's is data, never a path).
                upload.name = f"{uuid.uuid4().hex}{Path(original).suffix.lower()}"
                job = ImportJob.objects.create(
                    kind=self.kind,
                    user=user,
                    file=upload,
                    original_name=original,
                    sheet=(form.cleaned_data.get("sheet") or "").strip(),
                    language=get_language() or "",
                )
                transaction.on_commit(lambda: validate_import.enqueue(job.pk))
                return redirect(self.url("import_job"), pk=job.pk)
            context = self.context(
                form=form,
                columns=self.columns(),
                jobs=ImportJob.objects.filter(user=user, kind=self.kind)[:RECENT_JOBS],
            )
            status = 400 if form.errors else 200
            return render(request, "core/import_start.html", context, status=status)

        return start

    def job_view(self) -> Callable[..., HttpResponse]:
        @login_required
        @require_GET
        def job_page(request: HttpRequest, pk: int) -> HttpResponse:
            """Progress while the job runs; then the preview, or the result."""
            job = self.get_job(request, pk)
            if self.job_hook is not None and (answer := self.job_hook(request, job)) is not None:
                return answer
            result = job.result
            preview = [
                [row.get(c.key, "") for c in self.preview] for row in result.get("preview", [])
            ]
            context = self.context(job=job, result=result, preview_rows=preview)
            return render(request, self.job_template, context)

        return job_page

    def progress_view(self) -> Callable[..., HttpResponse]:
        @login_required
        @require_GET
        def progress(request: HttpRequest, pk: int) -> HttpResponse:
            """The progress bar, polled by htmx; once the job is done the page reloads."""
            job = self.get_job(request, pk)
            response = render(request, "core/import_progress.html", self.context(job=job))
            if not job.is_running and request.headers.get("HX-Request"):
                response["HX-Redirect"] = reverse(self.url("import_job"), args=[job.pk])
            return response

        return progress

    def commit_view(self) -> Callable[..., HttpResponse]:
        @login_required
        @require_POST
        def commit(request: HttpRequest, pk: int) -> HttpResponse:
            job = self.get_job(request, pk)
            if not start_commit(job):
                messages.error(
                    request,
                    _(
                        "This file cannot be imported: it has errors, nothing new, or is already "
                        "imported."
                    ),
                )
            return redirect(self.url("import_job"), pk=job.pk)

        return commit
