"""Who sees and changes which projects. Outsiders get 404, read-only users 403 on writes."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.http import Http404

from guanjia.accounts.models import Role, User
from guanjia.accounts.scope import AREA_ROLES, region_q

from .models import Project, ProjectQuerySet


def visible_q(user: User) -> Q:
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_superuser:
        return Q()
    if user.role in AREA_ROLES:
        return region_q(user, "region")
    if user.role == Role.STEWARD:
        return Q(steward=user) | Q(enterprise__in=_stewarded_enterprises(user))
    if user.role == Role.ENTERPRISE and user.enterprise_id:
        # A subquery for partnerships keeps rows unique without DISTINCT.
        partner_of = Project.partners.through.objects.filter(enterprise_id=user.enterprise_id)
        return Q(enterprise_id=user.enterprise_id) | Q(pk__in=partner_of.values("project_id"))
    return Q(pk__in=[])


# A steward's enterprises as a list of ids up to this many (a subquery beyond).
STEWARDED_ID_LIMIT = 500


def _stewarded_enterprises(user: User) -> Any:
    """The ids of the enterprises `user` stewards: a short list lets PostgreSQL OR two index
    scans together (project.steward, project.enterprise); `enterprise__steward` was a join
    that an OR keeps off both indexes, so a steward's lists read every project of a stage.
    Read once per user object (a request's)."""
    from guanjia.enterprises.models import Enterprise

    cached = getattr(user, "_stewarded_enterprise_ids", None)
    if cached is not None:
        return cached
    mine = Enterprise.objects.filter(steward=user).values_list("pk", flat=True)
    ids = list(mine[: STEWARDED_ID_LIMIT + 1])
    found = ids if len(ids) <= STEWARDED_ID_LIMIT else mine
    user._stewarded_enterprise_ids = found  # type: ignore[attr-defined]
    return found


def projects_for(user: User) -> ProjectQuerySet:
    """Every project the user may see."""
    return Project.objects.filter(visible_q(user))


def can_edit(user: User, project: Project) -> bool:
    if user.is_superuser:
        return True
    if user.role in (Role.CITY_ADMIN, Role.AREA_OFFICIAL):
        return True  # within scope, which `get_project` has checked
    if user.role == Role.STEWARD:
        return project.steward_id == user.pk or project.enterprise.steward_id == user.pk
    return False


def get_project(user: User, pk: int, *, write: bool = False) -> Project:
    """The project if the user may see it (else 404); with write=True, 403 unless editable."""
    try:
        project = (
            projects_for(user)
            .select_related("enterprise", "region", "industry", "steward", "leader")
            .get(pk=pk)
        )
    except (Project.DoesNotExist, ValueError, TypeError):
        raise Http404("no such project") from None
    if write and not can_edit(user, project):
        raise PermissionDenied("you may read this project but not change it")
    return project


def can_create_in(user: User, region_id: int | None) -> bool:
    """Whether the user may put a new project in this region."""
    if user.is_superuser:
        return True
    if user.role not in (Role.CITY_ADMIN, Role.AREA_OFFICIAL, Role.STEWARD):
        return False
    from guanjia.regions.models import Region

    return (
        Region.objects.filter(pk=region_id).filter(region_q(user, "")).exists()
        if region_id
        else False
    )


def referenceable_projects(user: User) -> ProjectQuerySet:
    """Projects the user may name on a write (a request's, a service's): those they see."""
    return projects_for(user)


def enterprise_tie(user: User) -> Q | None:
    """Enterprises a project ties to the user (registered in `enterprises.access.ties`): one
    with a project in an area user's region; one whose project a steward serves."""
    if user.role in AREA_ROLES:
        return Q(
            Exists(Project.objects.filter(region_q(user, "region"), enterprise=OuterRef("pk")))
        )
    if user.role == Role.STEWARD:
        return Q(Exists(Project.objects.filter(steward=user, enterprise=OuterRef("pk"))))
    return None


def reads_ledger(user: User) -> bool:
    """Whether the user reads the bureau's own lists (the ledger, the stalled list, the
    guarantee lists and their exports): staff. An enterprise's contacts follow their projects
    from their company page and each project's page, in their own words, never the lists."""
    return bool(user.is_authenticated) and user.role != Role.ENTERPRISE


def require_ledger_reader(user: User) -> None:
    """403 for anyone `reads_ledger` keeps out (the page exists; it is not theirs)."""
    if not reads_ledger(user):
        raise PermissionDenied("the bureau's own list")


def may_open(user: User) -> bool:
    """Whether the menu shows the project ledger: staff (`reads_ledger`)."""
    return reads_ledger(user)


def may_import(user: User) -> bool:
    """Whether the menu offers the ledger import: staff who write."""
    return bool(user.can_write)


def enterprise_projects(user: Any, enterprise: Any) -> dict[str, Any]:
    """The enterprise page's projects (`enterprises.views.detail_parts`): those it leads or
    partners in that the user may see, the largest first."""
    projects = (
        projects_for(user)
        .filter(Q(enterprise=enterprise) | Q(partners=enterprise))
        .select_related("region", "industry")
        .distinct()
        .order_by("-total_investment_wan", "pk")
    )
    return {"projects": projects}


def sees_holding(user: User) -> bool:
    """Whether the project page says what holds a project up (guarantees, approvals, task
    forces) and whether the bureau flags it stalled (停滞): the government side's working
    notes, not shown to the enterprise's contacts (they see its stage and milestones)."""
    return user.role != Role.ENTERPRISE
