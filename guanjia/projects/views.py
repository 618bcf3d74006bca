"""The project pages: the ledger list, a project's page, its forms and stage moves, and the
stalled lists. Parse the request, check access, call a service, render."""

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanjia.accounts.models import User
from guanjia.accounts.scope import region_path, require_writer
from guanjia.accounts.typing import AuthedRequest
from guanjia.core.htmlbits import form_fields
from guanjia.core.templatetags.amount_tags import money
from guanjia.core.views import add_service_errors, history_rows, is_htmx, paginate
from guanjia.core.xlsx import Column, download, write_table
from guanjia.enterprises.services import steward_of
from guanjia.projects import access as project_access
from guanjia.projects import holding, page, stalled
from guanjia.projects import services as project_services
from guanjia.projects.ledger import (
    LedgerFilter,
    LedgerRow,
    fetch_rows,
    fragments,
    ledger_version,
    scope_sql,
    summarise,
)
from guanjia.projects.models import Level, Project, StallKind
from guanjia.projects.stages import LINE, Stage

from .forms import (
    LedgerFilterForm,
    ProjectCreateForm,
    ProjectForm,
    TransitionForm,
    reference_version,
)

# Project pages -------------------------------------------------------------------------


@login_required
def project_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    project_access.require_ledger_reader(user)
    htmx = is_htmx(request)
    # The filters and the results are cached HTML (`ledger.fragments`), keyed by everything
    # they show: the reference data's version (regions, industries), the ledger's (every
    # project write, every audited change), today (the stall tags), the language, the user's
    # role, area and scope (the SQL of the projects they may see) and the query string (the
    # filters, the sort, the page; the links keep it).
    reference = reference_version()
    query = request.GET.urlencode()
    language = get_language()
    area = region_path(user) or "*"
    scope = (user.role, user.is_superuser, area, scope_sql(project_access.projects_for(user)))
    version = ledger_version()

    def results() -> str:
        ledger_filter = LedgerFilter.from_params(request.GET)
        qs = ledger_filter.apply(project_access.projects_for(user))
        return _ledger_results(request, qs, ledger_filter, version)

    def filters() -> str:
        form = LedgerFilterForm(user, request.GET)
        return render_to_string("projects/_ledger_filters.html", {"form": form})

    parts = (version, reference, timezone.localdate(), language, scope, query)
    if htmx:
        (results_html,) = fragments(("results-htmx", parts, results))
        response = HttpResponse(results_html)
    else:
        filters_html, results_html = fragments(
            ("filters", (reference, language, area, query), filters),
            ("results", parts, results),
        )
        context = {"filters_html": filters_html, "results_html": results_html}
        response = render(request, "projects/project_list.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _ledger_results(
    request: AuthedRequest, qs: Any, ledger_filter: LedgerFilter, version: tuple[Any, ...]
) -> str:
    """The ledger's summary, rows and pagination (`projects/_project_results.html`)."""
    summary = summarise(qs, version)
    page = paginate(request, qs, summary.count)
    rows = fetch_rows(qs, page.start_index() - 1, page.paginator.per_page) if summary.count else []
    context: dict[str, Any] = {
        "page": page,
        "rows": bool(rows),
        "rows_html": ledger_rows(rows),
        "summary": summary,
        "filtered": any(
            getattr(ledger_filter, f)
            for f in ("region", "industry", "stage", "level", "stalled", "q", "reached", "period")
        ),
    }
    if is_htmx(request):
        # A header click changed the sort: the form's sort select follows it.
        context["sort_field"] = LedgerFilterForm(request.user, request.GET)["sort"]
    return render_to_string("projects/_project_results.html", context, request)


# One row of the ledger as `projects/_project_results.html` drew it with a template loop.
_LEDGER_ROW = (
    "\n      <tr>"
    '\n        <td data-label="{l_project}"><a href="{url}">{name}</a>{stalled}</td>'
    '\n        <td data-label="{l_enterprise}">{enterprise}</td>'
    '\n        <td data-label="{l_region}">{region}</td>'
    '\n        <td data-label="{l_industry}">{industry}</td>'
    '\n        <td data-label="{l_stage}"><span class="tag stage-{stage}">{stage_name}</span></td>'
    '\n        <td data-label="{l_level}">{level_name}</td>'
    '\n        <td data-label="{l_total_investment}" class="num">{total}</td>'
    '\n        <td data-label="{l_signed_on}" class="date">{signed_on}</td>'
    "\n      </tr>\n    "
)
_ANY_PROJECT = 999999999  # the detail URL's placeholder id, replaced by each row's


def ledger_rows(projects: list[LedgerRow]) -> SafeString:
    """The ledger's rows in Python, the HTML the template loop drew (a test compares them):
    the column names, stages and levels translated once a page, not once a cell; every
    value escaped."""
    if not projects:
        return mark_safe("")  # noqa: S308 - empty
    words = {
        "l_project": _("Project"),
        "l_enterprise": _("Enterprise"),
        "l_region": _("Region"),
        "l_industry": _("Industry"),
        "l_stage": _("Stage"),
        "l_level": _("Level"),
        "l_total_investment": _("Total investment"),
        "l_signed_on": _("Signed on"),
    }
    stalled_tag = format_html(' <span class="tag stalled">{}</span>', _("Stalled"))
    stage_names = {value: str(label) for value, label in Stage.choices}
    level_names = {value: str(label) for value, label in Level.choices}
    detail = reverse("projects:project_detail", args=[_ANY_PROJECT])
    placeholder = f"/{_ANY_PROJECT}/"
    html = []
    for p in projects:
        html.append(
            format_html(
                _LEDGER_ROW,
                **words,
                url=detail.replace(placeholder, f"/{p.pk}/"),
                name=p.name,
                stalled=stalled_tag if p.is_stalled else "",
                enterprise=p.enterprise,
                region=p.region,
                industry=p.industry or "—",
                stage=p.stage,
                stage_name=stage_names.get(p.stage, p.stage),
                level_name=level_names.get(p.level, p.level),
                total=money(p.total_investment_wan),
                signed_on=p.signed_on.strftime("%Y-%m-%d") if p.signed_on else "—",
            )
        )
    return mark_safe("".join(html))  # noqa: S308 - each row built by format_html


def _timeline(project: Project, milestones: list[Any]) -> list[dict[str, Any]]:
    """Every stage on the line with its date and planned date; withdrawn last if it happened."""
    planned = {m.stage: m.planned_on for m in milestones}
    withdrawn = project.stage == Stage.WITHDRAWN
    items = []
    for stage in LINE:
        on = project.stage_date(stage)
        if stage == project.stage:
            state = "current"
        elif on:
            state = "done"
        else:
            state = "future"
        items.append(
            {
                "stage": stage,
                "label": Stage(stage).label,
                "on": on,
                "planned_on": planned.get(stage),
                "state": state,
            }
        )
    if withdrawn:
        items.append(
            {
                "stage": Stage.WITHDRAWN,
                "label": Stage.WITHDRAWN.label,
                "on": project.withdrawn_on,
                "planned_on": None,
                "state": "current withdrawn",
                "reason": project.withdrawn_reason,
            }
        )
    return items


def _own_steward(user: Any) -> Any:
    enterprise = getattr(user, "enterprise", None)
    return steward_of(enterprise) if enterprise is not None else None


def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
    return part / whole * 100 if whole else None


def page_context(
    request: AuthedRequest, project: Project, transition_form: TransitionForm | None = None
) -> dict[str, Any]:
    """What the project page shows, read for this user (sections() draws it)."""
    user = request.user
    writable = user.can_write and project_access.can_edit(user, project)
    if writable and transition_form is None:
        transition_form = TransitionForm(project)
    today = timezone.localdate()
    staff_view = project_access.sees_holding(user)
    completion = _percent(
        project.completed_investment_year_wan, project.planned_investment_year_wan
    )
    milestones = list(project.milestones.all())
    return {
        "project": project,
        "partners": list(project.partners.all()),
        # The bureau's flags and working notes; the enterprise's contacts see stage and milestones.
        "stalled_kinds": project.stall_kinds(today) if staff_view else [],
        "staff_view": staff_view,
        # An enterprise's contact meets one steward everywhere: their enterprise's.
        "steward": project.steward if staff_view else _own_steward(user),
        "reads_ledger": project_access.reads_ledger(user),
        # What holds it (guarantees, approvals, task force items), for staff only.
        "holding": holding.reasons(project) if staff_view else [],
        "timeline": _timeline(project, milestones),
        "stage_changes": list(project.stage_changes.select_related("actor")),
        "signings": list(project.signings.select_related("event", "government")),
        "milestones": milestones,
        "history": history_rows(project),
        "writable": writable,
        "transition_form": transition_form if writable else None,
        "funds_ratio": _percent(project.funds_in_place_wan, project.total_investment_wan),
        "completion_ratio": completion,
        "completion_bar": min(int(completion), 100) if completion is not None else 0,
    }


def sections(c: dict[str, Any]) -> dict[str, str]:
    """The page's read-only sections in Python (`projects.page`), from `page_context`."""
    project = c["project"]
    return {
        "head": page.head(project, c["stalled_kinds"], c["reads_ledger"], c["writable"]),
        "holding": page.holding(c["holding"]),
        "facts": page.facts(
            project,
            c["partners"],
            c["steward"],
            c["completion_ratio"],
            c["completion_bar"],
            c["funds_ratio"],
        ),
        "signings": page.signings(c["signings"]),
        "stage_history": page.stage_history(c["stage_changes"]),
        "history": page.history(c["history"]),
        "lifecycle": page.lifecycle(c["timeline"]),
        "milestones": page.milestones(c["milestones"], project),
        "fields": form_fields(c["transition_form"]) if c["transition_form"] else "",
    }


def _project_page(
    request: AuthedRequest,
    project: Project,
    transition_form: TransitionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = page_context(request, project, transition_form)
    context["sections"] = sections(context)
    return render(request, "projects/project_detail.html", context, status=status)


@login_required
def project_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    return _project_page(request, project_access.get_project(request.user, pk))


@login_required
@require_POST
def project_transition(request: AuthedRequest, pk: int) -> HttpResponse:
    project = project_access.get_project(request.user, pk, write=True)
    require_writer(request.user)
    form = TransitionForm(project, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            change = project_services.transition(
                project,
                data["to_stage"],
                request.user,
                on=data["on"],
                evidence=data["evidence"],
                reason=data["reason"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if change.is_correction:
                text = _("Corrected back to “%(stage)s”.")
            else:
                text = _("Moved to “%(stage)s”.")
            messages.success(request, text % {"stage": Stage(change.to_stage).label})
            return redirect("projects:project_detail", pk=project.pk)
    project.refresh_from_db()
    return _project_page(request, project, transition_form=form, status=400)


@login_required
def project_create(request: AuthedRequest) -> HttpResponse:
    require_writer(request.user)
    form = ProjectCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        stage, stage_on = data.pop("stage"), data.pop("stage_on")
        partners = list(data.pop("partners"))
        try:
            project = project_services.create_project(
                request.user, stage=stage, stage_on=stage_on, partners=partners, **data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The project is in the ledger."))
            return redirect("projects:project_detail", pk=project.pk)
    status = 400 if form.is_bound else 200
    return render(request, "projects/project_form.html", {"form": form}, status=status)


@login_required
def project_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    project = project_access.get_project(request.user, pk, write=True)
    require_writer(request.user)
    title = project.name  # the form changes the instance while it validates
    form = ProjectForm(request.POST or None, instance=project, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            project_services.update_project(project, request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("projects:project_detail", pk=project.pk)
    status = 400 if form.is_bound else 200
    return render(
        request,
        "projects/project_form.html",
        {"form": form, "project": project, "title": title},
        status=status,
    )


# Stalled lists -------------------------------------------------------------------------


def _kind(request: HttpRequest) -> str:
    kind = request.GET.get("kind", "")
    return kind if kind in StallKind.values else StallKind.SIGNED_NOT_REGISTERED


def _projects(user: User, kind: str) -> Any:
    return stalled.stalled(
        project_access.projects_for(user), kind, timezone.localdate()
    ).select_related("enterprise", "region", "steward", "leader")


@login_required
def stalled_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    project_access.require_ledger_reader(user)
    kind = _kind(request)
    today = timezone.localdate()
    # Each list's count as the ledger's summary keeps it (under the ledger's version and
    # today's date: never stale), not four COUNTs over the lists on every view.
    counts = {
        k: summarise(stalled.stalled(project_access.projects_for(user), k, today)).count  # type: ignore[arg-type]
        for k in StallKind.values
    }
    page = paginate(request, _projects(user, kind), counts[kind])
    context = {
        "kind": kind,
        "tabs": [(k, label, counts[k]) for k, label in StallKind.choices],
        "page": page,
        "rows": stalled.rows(list(page.object_list), kind, today),
    }
    return render(request, "projects/stalled_list.html", context)


@login_required
def stalled_export(request: HttpRequest) -> FileResponse:
    user: User = request.user  # type: ignore[assignment]
    project_access.require_ledger_reader(user)
    kind = _kind(request)
    today = timezone.localdate()
    rows = stalled.rows(list(_projects(user, kind)[:20000]), kind, today)
    columns = [
        Column(_("Project"), 36, lambda r: r.project.name),
        Column(_("Enterprise"), 30, lambda r: r.project.enterprise.name),
        Column(_("Region"), 12, lambda r: r.project.region.name),
        Column(_("Since"), 12, lambda r: r.since, "date"),
        Column(_("Days"), 8, lambda r: r.days, "int"),
        Column(_("Limit (days)"), 10, lambda r: r.limit, "int"),
        Column(_("Steward"), 10, lambda r: r.project.steward or ""),
        Column(_("Leader in charge"), 12, lambda r: r.project.leader or ""),
        Column(_("Holding it"), 60, lambda r: "；".join(r.reasons)),
    ]
    label = str(StallKind(kind).label)
    return download(
        f"{label}-{today:%Y%m%d}.xlsx", lambda book: write_table(book, label, columns, rows)
    )
