"""The service pages: list, log, correct, figures, Excel out and in. Thin: rules live in
`services`, `access` and `figures`."""

import io
import tempfile
from typing import Any

import xlsxwriter
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from guanjia.accounts.models import User
from guanjia.accounts.scope import region_path
from guanjia.accounts.typing import AuthedRequest
from guanjia.core.confirm import ConfirmForm
from guanjia.core.models import ImportKind
from guanjia.core.sheets.pages import HelpColumn, ImportPages, PreviewColumn
from guanjia.core.views import is_htmx, paginate
from guanjia.regions.models import Region

from . import access, exporters, figures, importers, services
from .forms import FiguresForm, RecordFilterForm, RecordForm, regions_in_scope
from .models import ServiceRecord

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


def _add_service_errors(form: RecordForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _filtered(request: AuthedRequest) -> tuple[RecordFilterForm, QuerySet[ServiceRecord]]:
    form = RecordFilterForm(request.user, request.GET)
    qs = form.apply(access.records_for(request.user))
    return form, qs


# --- The list ----------------------------------------------------------------------------------


@login_required
@require_GET
def record_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if not access.may_read_log(user):
        raise PermissionDenied("the stewards' own log")
    form, qs = _filtered(request)
    page = paginate(
        request, qs.select_related("steward", "enterprise", "project", "region", "request")
    )
    context: dict[str, Any] = {
        "form": form,
        "page": page,
        "filtered": form.filtered,
        "sort": form.cleaned_data.get("sort") or "-date",
        "can_log": access.can_log(user),
        "can_see_figures": access.can_see_figures(user),
        "editable": {r.pk for r in page.object_list if access.can_edit(user, r)},
    }
    template = "servicerecords/_results.html" if is_htmx(request) else "servicerecords/list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_GET
def export(request: AuthedRequest) -> FileResponse:
    """The list as the user sees it, filters and sort kept, as an .xlsx download."""
    if not access.may_read_log(request.user):
        raise PermissionDenied("the stewards' own log")
    _form, qs = _filtered(request)
    target = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115
    exporters.export_records(qs, target)
    target.seek(0)
    return FileResponse(target, as_attachment=True, filename=exporters.records_filename())


# --- Logging and correcting ---------------------------------------------------------------------


def _form_page(
    request: AuthedRequest, form: RecordForm, record: ServiceRecord | None = None
) -> HttpResponse:
    status = 400 if form.is_bound else 200
    return render(
        request,
        "servicerecords/form.html",
        {"form": form.limit_choices(), "record": record},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def record_create(request: AuthedRequest) -> HttpResponse:
    if not access.can_log(request.user):
        raise PermissionDenied("this role does not enter services")
    initial = {
        k: request.GET[k]
        for k in ("enterprise", "project", "kind", "request")
        if request.GET.get(k)
    }
    form = RecordForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            record = services.log_service(request.user, **form.service_kwargs())
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            messages.success(request, _("The service is logged."))
            if "another" in request.POST:
                query = urlencode({"enterprise": str(record.enterprise_id), "kind": record.kind})
                return redirect(f"{reverse('servicerecords:create')}?{query}")
            return redirect("servicerecords:list")
    return _form_page(request, form)


@login_required
@require_http_methods(["GET", "POST"])
def record_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    record = access.get_record(request.user, pk, write=True)
    form = RecordForm(request.POST or None, user=request.user, record=record)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_service(record, request.user, **form.service_kwargs())
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("servicerecords:list")
    return _form_page(request, form, record)


@login_required
@require_http_methods(["GET", "POST"])
def record_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    """Deleting a record: a confirmation page that takes a reason and a ticked box."""
    record = access.get_record(request.user, pk, write=True)
    form = ConfirmForm(
        request.POST if request.method == "POST" else None,
        confirm_label=_("Yes, delete this record"),
    )
    if form.is_valid():
        services.delete_service(record, request.user, form.cleaned_data["reason"])
        messages.success(request, _("The service record is deleted."))
        return redirect("servicerecords:list")
    context = {
        "title": _("Delete a service record"),
        "what": str(record),
        "consequence": _(
            "The record leaves the services list and the figures; the deletion and its "
            "reason are kept in the audit log."
        ),
        "button": _("Delete this record"),
        "cancel_url": reverse("servicerecords:edit", args=[record.pk]),
        "confirm_form": form,
    }
    return render(request, "core/confirm.html", context, status=400 if form.errors else 200)


@login_required
@require_GET
def dependent_fields(request: AuthedRequest) -> HttpResponse:
    """The project and request selects for the enterprise just chosen (htmx)."""
    if not access.can_log(request.user):
        raise PermissionDenied("this role does not enter services")
    form = RecordForm(user=request.user, initial=request.GET.dict()).limit_choices()
    return render(request, "servicerecords/_dependent_fields.html", {"form": form})


# --- Figures -----------------------------------------------------------------------------------


class _Scope:
    """What part of the figures the user sees, from the form and their role."""

    def __init__(self, request: AuthedRequest) -> None:
        user = request.user
        if not access.can_see_figures(user):
            raise PermissionDenied("no figures for this role")
        self.form = FiguresForm(user, request.GET)
        self.kind = access.figures_scope(user)
        today = timezone.localdate()
        data = self.form.cleaned_data if self.form.is_valid() else {}
        self.period = data.get("period") or "month"
        if self.period == "custom" and data.get("start") and data.get("end"):
            self.start, self.end = data["start"], data["end"]
        else:
            if self.period == "custom":
                self.period = "month"
            self.start, self.end = figures.period_bounds(self.period, today)
        self.region: Region | None = None
        self.by = data.get("by") or "area"
        if self.kind != "self":
            if data.get("area"):
                self.region = regions_in_scope(user).filter(pk=data["area"]).first()
            if self.region is None:
                self.region = self._home(user)
        self.user = user

    @staticmethod
    def _home(user: User) -> Region | None:
        if region_path(user) is not None:
            return user.region
        return (
            Region.objects.filter(code=settings.GUANJIA_CITY_CODE).first()
            or Region.objects.filter(parent__isnull=True).order_by("path").first()
        )

    def compute(
        self, sort: str
    ) -> tuple[list[figures.StewardRow], list[figures.AreaRow], figures.Totals]:
        if self.kind == "self":
            mine = User.objects.filter(pk=self.user.pk)
            rows = figures.steward_figures(mine, start=self.start, end=self.end)
            total = figures.Totals()
            for row in rows:
                for name in (
                    "services",
                    "problems_solved",
                    "enterprises",
                    "requests_handled",
                    "answered_on_time",
                    "rated",
                    "satisfied",
                ):
                    setattr(total, name, getattr(row, name))
            return rows, [], total
        rows = figures.steward_figures(None, region=self.region, start=self.start, end=self.end)
        rows = figures.sort_rows(rows, sort)
        areas = figures.area_figures(self.region, self.start, self.end) if self.region else []
        total = figures.totals(self.start, self.end, self.region)
        return rows, areas, total

    def rates(self) -> tuple[list[figures.RateRow], figures.RateRow] | None:
        """The intake and reply figures (12345-style rates); not for a steward's own view."""
        if self.kind == "self":
            return None
        return figures.rate_figures(self.by, self.start, self.end, self.region)


def _chart(areas: list[figures.AreaRow]) -> list[dict[str, Any]]:
    """Bars for the services per area, as widths in percent of the biggest."""
    top = max((a.services for a in areas), default=0)
    return [
        {
            "label": a.region.name,
            "direct": a.direct,
            "value": a.services,
            "problems": a.problems_solved,
            "width": round(a.services / top * 100, 1) if top else 0,
        }
        for a in areas
    ]


@login_required
@require_GET
def figures_page(request: AuthedRequest) -> HttpResponse:
    scope = _Scope(request)
    sort = request.GET.get("sort") or "-services"
    rows, areas, total = scope.compute(sort)
    rates = scope.rates()
    context = {
        "rates": rates[0] if rates else None,
        "rates_total": rates[1] if rates else None,
        "form": scope.form,
        "scope": scope,
        "page": paginate(request, rows),
        "areas": areas,
        "chart": _chart(areas),
        "total": total,
        "sort": sort,
    }
    return render(request, "servicerecords/figures.html", context)


@login_required
@require_GET
def figures_export(request: AuthedRequest) -> FileResponse:
    scope = _Scope(request)
    rows, areas, total = scope.compute(request.GET.get("sort") or "-services")
    content = exporters.export_figures(
        rows,
        areas,
        total,
        scope.start,
        scope.end,
        scope.region.name if scope.region else "",
        rates=scope.rates(),
    )
    return FileResponse(
        io.BytesIO(content),
        as_attachment=True,
        filename=exporters.figures_filename(scope.start, scope.end),
    )


# --- Import ------------------------------------------------------------------------------------


def _import_columns() -> list[HelpColumn]:
    return [HelpColumn(c.header, c.aliases, c.required, c.label) for c in importers.COLUMNS]


# A bureau's own Excel of services, on the one import flow (guanjia.core.sheets.pages): checked
# in the background like the web form, previewed, written all or none on confirm.
import_pages = ImportPages(
    kind=ImportKind.SERVICERECORDS,
    namespace="servicerecords",
    may_import=access.can_log,
    title=gettext_lazy("Import services from Excel"),
    intro=gettext_lazy(
        "A bureau's own record of services (服务台账): every row is checked with the same rules "
        "as the form. Rows already recorded, or repeated in the file, are skipped."
    ),
    columns=_import_columns,
    preview=(
        PreviewColumn("row", gettext_lazy("Row")),
        PreviewColumn("date", gettext_lazy("Date")),
        PreviewColumn("steward", gettext_lazy("Steward")),
        PreviewColumn("enterprise", gettext_lazy("Enterprise")),
        PreviewColumn("kind", gettext_lazy("Kind")),
        PreviewColumn("summary", gettext_lazy("Summary")),
    ),
    done_url="servicerecords:list",
    done_label=gettext_lazy("Open the services"),
    nav="services",
    template_link="servicerecords:import_template",
    max_bytes=MAX_UPLOAD_BYTES,
)


@login_required
@require_GET
def import_template(request: AuthedRequest) -> FileResponse:
    """An empty file with our headers."""
    if not access.can_log(request.user):
        raise PermissionDenied("this role does not enter services")
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = workbook.add_format({"bold": True, "bg_color": "#F0F4F8", "border": 1})
    sheet = workbook.add_worksheet("服务记录")
    headers = ["日期", "管家", "企业", "项目", "方式", "内容", "解决问题数"]
    widths = [12, 12, 32, 28, 10, 60, 10]
    for index, (header, width) in enumerate(zip(headers, widths, strict=True)):
        sheet.write_string(0, index, header, bold)
        sheet.set_column(index, index, width)
    sheet.freeze_panes(1, 0)
    workbook.close()
    buffer.seek(0)
    return FileResponse(buffer, as_attachment=True, filename="服务记录-导入模板.xlsx")
