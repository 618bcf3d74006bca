"""Projects: the ledger with its filters, one project with its history, writes and stage moves."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from guanjia.accounts.models import Role, User
from guanjia.accounts.scope import check_references
from guanjia.core.steps import adopt
from guanjia.enterprises.models import Enterprise
from guanjia.industries.models import Industry
from guanjia.projects import access, services
from guanjia.projects.ledger import LedgerFilter, stalled_today, summarise
from guanjia.projects.models import Project, is_stalled
from guanjia.projects.stages import DATE_FIELD, Stage

from .common import answer, caller, existing, industry_ref, person, reference, region_ref, user_ref
from .errors import ApiError, django_errors, invalid
from .schemas import (
    ErrorOut,
    InvalidOut,
    ProjectCreate,
    ProjectFilters,
    ProjectList,
    ProjectOut,
    ProjectUpdate,
    TransitionIn,
    money,
)

router = Router(tags=["projects"])

WRITE_ERRORS = {400: InvalidOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: InvalidOut}
STAGE_DATES = list(DATE_FIELD.values())  # lead_on … full_capacity_on, withdrawn_on
RELATED = ("enterprise", "region", "industry", "steward")  # for one project


def project_item(p: Project, stalled: bool | None) -> dict[str, Any]:
    e = p.enterprise
    return {
        "id": p.pk,
        "name": p.name,
        "enterprise": {"id": e.pk, "name": e.name, "credit_code": e.credit_code},
        "region": region_ref(p.region),
        "industry": industry_ref(p.industry),
        "level": p.level,
        "stage": p.stage,
        **{name: getattr(p, name) for name in STAGE_DATES},
        "total_investment_wan": money(p.total_investment_wan),
        "plan_year": p.plan_year,
        "planned_investment_year_wan": money(p.planned_investment_year_wan),
        "completed_investment_year_wan": money(p.completed_investment_year_wan),
        "funds_in_place_wan": money(p.funds_in_place_wan),
        "steward_id": p.steward_id,
        "stalled": stalled,
        "updated_at": p.updated_at,
    }


def project_detail(
    pk: int, staff: bool = True, *, project: Project | None = None
) -> dict[str, Any]:
    """One project; `staff` False (an enterprise's contact): without the bureau's stall flag.
    `project`: the project in hand, as written, with its related objects (not read again)."""
    p = project or Project.objects.select_related(*RELATED, "leader").get(pk=pk)
    stalled = is_stalled(p, timezone.localdate()) if staff else None
    history = [
        {
            "from_stage": c.from_stage or None,
            "to_stage": c.to_stage,
            "effective_on": c.effective_on,
            "is_correction": c.is_correction,
            "evidence": c.evidence,
            "reason": c.reason,
            "actor": user_ref(c.actor),
            "recorded_at": c.recorded_at,
        }
        for c in p.stage_changes.select_related("actor")
    ]
    partners = [
        {"id": e.pk, "name": e.name, "credit_code": e.credit_code}
        for e in p.partners.order_by("name", "id")
    ]
    return project_item(p, stalled) | {
        "steward": user_ref(p.steward),
        "partners": partners,
        "leader": user_ref(p.leader),
        "task_force": p.task_force,
        "construction_content": p.construction_content,
        "withdrawn_reason": p.withdrawn_reason,
        "allowed_moves": services.allowed_moves(p),
        "stage_history": history,
        "created_at": p.created_at,
    }


@router.get("", response={200: ProjectList, 401: ErrorOut, 422: InvalidOut})
def list_projects(request: HttpRequest, filters: Query[ProjectFilters]) -> HttpResponse:
    """The ledger: the web list's filters, search and sort, with the filtered set's total.

    The number of SQL queries does not grow with `limit` or `offset`.
    """
    user = caller(request)
    staff = access.reads_ledger(user)
    params = filters.ledger_params()
    if not staff:  # an enterprise's contact: its projects, never sorted out by the stall flag
        params["stalled"] = ""
    qs = LedgerFilter.from_params(params).apply(access.projects_for(user))
    summary = summarise(qs)
    ids = list(qs.values_list("pk", flat=True)[filters.offset : filters.offset + filters.limit])
    # Built field by field in the schema's order and types: not validated again (`answer`).
    return answer({
        "count": summary.count,
        "total_investment_wan": money(summary.total_investment_wan),
        "items": list_items(ids, staff),
    })  # fmt: skip


# What a list item reads of a project and its three joined relations (`project_item`).
ITEM_VALUES = (
    "pk", "name", "enterprise_id", "enterprise__name", "enterprise__credit_code", "region_id",
    "region__code", "region__name", "industry_id", "industry__name", "level", "stage",
    *STAGE_DATES, "total_investment_wan", "plan_year", "planned_investment_year_wan",
    "completed_investment_year_wan", "funds_in_place_wan", "steward_id", "updated_at",
)  # fmt: skip


def list_items(ids: list[int], staff: bool) -> list[dict[str, Any]]:
    """`project_item` of each project of `ids`, in that order, from plain rows (one query, as
    `ledger.fetch_page` reads them, with today's stall flag; no model instances)."""
    if not ids:
        return []
    stalled = stalled_today()
    found = Project.objects.filter(pk__in=ids).annotate(**{"is_stalled": stalled})
    rows = {r["pk"]: r for r in found.values(*ITEM_VALUES, "is_stalled")}
    items = []
    for pk in ids:
        r = rows[pk]
        items.append({
            "id": pk,
            "name": r["name"],
            "enterprise": {
                "id": r["enterprise_id"],
                "name": r["enterprise__name"],
                "credit_code": r["enterprise__credit_code"],
            },
            "region": {"id": r["region_id"], "code": r["region__code"], "name": r["region__name"]},
            "industry": None
            if r["industry_id"] is None
            else {"id": r["industry_id"], "name": r["industry__name"]},
            "level": r["level"],
            "stage": r["stage"],
            **{name: r[name] for name in STAGE_DATES},
            "total_investment_wan": money(r["total_investment_wan"]),
            "plan_year": r["plan_year"],
            "planned_investment_year_wan": money(r["planned_investment_year_wan"]),
            "completed_investment_year_wan": money(r["completed_investment_year_wan"]),
            "funds_in_place_wan": money(r["funds_in_place_wan"]),
            "steward_id": r["steward_id"],
            "stalled": r["is_stalled"] if staff else None,
            "updated_at": r["updated_at"],
        })  # fmt: skip
    return items


@router.get("/{int:project_id}", response={200: ProjectOut, 401: ErrorOut, 404: ErrorOut})
def get_project(request: HttpRequest, project_id: int) -> dict:
    """One project with its partners, allowed moves and stage history."""
    user = caller(request)
    project = access.get_project(user, project_id)
    return project_detail(project.pk, access.reads_ledger(user))


def _resolve(user: User, fields: dict[str, Any], project: Project | None = None) -> dict[str, Any]:
    """Turn the payload's ids into rows. Each must name a record the caller may reference
    (`guanjia.accounts.scope`); anything else is the 422 of an unknown id, naming the field.
    A value the project already has may stay (a steward of another area, kept unchanged)."""
    resolved = dict(fields)

    def unchanged(name: str) -> bool:
        return project is not None and getattr(project, f"{name}_id") == fields[f"{name}_id"]

    if "enterprise_id" in fields and not unchanged("enterprise"):
        reference(user, "enterprise", fields["enterprise_id"], "enterprise_id")
    if "region_id" in fields and not unchanged("region"):
        reference(user, "region", fields["region_id"], "region_id")
    if "industry_id" in fields:
        existing(Industry.objects.all(), fields["industry_id"], "industry_id")
    for name, role in (("steward", Role.STEWARD), ("leader", Role.LEADER)):
        if f"{name}_id" in fields:
            pk = resolved.pop(f"{name}_id")
            if project is not None and pk is not None and getattr(project, f"{name}_id") == pk:
                resolved[name] = getattr(project, name)
            else:
                resolved[name] = person(user, pk, role, f"{name}_id")
    if "partner_ids" in fields:
        ids = set(resolved.pop("partner_ids") or [])
        kept = set(project.partners.values_list("pk", flat=True)) if project else set()
        resolved["partners"] = check_references(
            user, "enterprise", ids - kept, field="partner_ids"
        ) + list(Enterprise.objects.filter(pk__in=ids & kept))
    return resolved


@router.post("", response={201: ProjectOut} | WRITE_ERRORS)
def create_project(request: HttpRequest, payload: ProjectCreate) -> Status:
    """Enter a project in the ledger at its starting stage (a lead unless `stage` says)."""
    user = caller(request)
    if not user.can_write:
        raise PermissionDenied
    fields = _resolve(user, payload.model_dump())
    if user.role == Role.STEWARD and fields.get("steward") is None:
        fields["steward"] = user  # a steward's new project is theirs, or they could not see it
    project = services.create_project(user, **fields)
    return Status(201, project_detail(project.pk))


@router.patch("/{int:project_id}", response={200: ProjectOut} | WRITE_ERRORS)
def update_project(request: HttpRequest, project_id: int, payload: ProjectUpdate) -> dict:
    """Change a project's facts; fields left out stay as they are. Stages move by /transition."""
    user = caller(request)
    project = access.get_project(user, project_id, write=True)
    fields = _resolve(user, payload.model_dump(exclude_unset=True), project)
    services.update_project(project, user, **fields)
    return project_detail(project.pk)


@router.post(
    "/{int:project_id}/transition",
    response={200: ProjectOut, 409: InvalidOut} | WRITE_ERRORS,
)
def transition(request: HttpRequest, project_id: int, payload: TransitionIn) -> dict:
    """Move a project to another stage; a refused move is a 409 naming `to_stage`.

    Withdrawing (终止) a project is destructive: without a `reason` it is a 422."""
    user = caller(request)
    project = access.get_project(user, project_id, write=True)
    if payload.to_stage == Stage.WITHDRAWN and not payload.reason.strip():
        raise invalid("reason", _("say why the project is withdrawn"))
    try:
        change = services.transition(
            project, payload.to_stage, user,
            on=payload.on, evidence=payload.evidence, reason=payload.reason,
        )  # fmt: skip
    except services.TransitionError as exc:
        raise ApiError(
            409, _("The stage move was refused."), django_errors(exc, default_field="to_stage")
        ) from exc
    # The answer from the project in hand, brought up to the row the move wrote.
    adopt(project, change.project)
    return project_detail(project.pk, project=project)
