"""Who sees and changes which service records. Outsiders get 404, read-only users 403.

| role               | sees                                        | logs / edits                      |
|--------------------|---------------------------------------------|-----------------------------------|
| city admin         | records in their region subtree (all if none) | for any steward, in their subtree |
| area official      | records in their region subtree             | for stewards in their area        |
| leader             | records in their region subtree             | nothing                           |
| steward            | their own records                           | their own                         |
| enterprise contact | records about their own enterprise          | nothing                           |
| department handler | nothing                                     | nothing                           |
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from guanjia.accounts.models import Role, User
from guanjia.accounts.scope import region_path, region_q
from guanjia.regions.models import Region

from .models import ServiceRecord

# Roles that enter services: a steward for themselves, admins and officials on their behalf.
LOGGER_ROLES = {Role.CITY_ADMIN, Role.AREA_OFFICIAL, Role.STEWARD}
# Roles that see the figures (a steward sees only their own row).
FIGURE_ROLES = {Role.CITY_ADMIN, Role.AREA_OFFICIAL, Role.LEADER, Role.STEWARD}


def visible_q(user: User) -> Q:
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_superuser:
        return Q()
    if user.role in (Role.CITY_ADMIN, Role.AREA_OFFICIAL, Role.LEADER):
        return region_q(user, "region")
    if user.role == Role.STEWARD:
        return Q(steward=user)
    if user.role == Role.ENTERPRISE and user.enterprise_id:
        return Q(enterprise_id=user.enterprise_id)
    return Q(pk__in=[])  # department handlers and anyone unknown


def records_for(user: User) -> QuerySet[ServiceRecord]:
    """Every service record the user may see."""
    return ServiceRecord.objects.filter(visible_q(user))


def can_log(user: User) -> bool:
    """Whether the user may enter services at all (for themselves or a steward)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or user.role in LOGGER_ROLES


def logs_for_others(user: User) -> bool:
    """Admins and area officials enter services on a steward's behalf; stewards only their own."""
    return user.is_superuser or user.role in (Role.CITY_ADMIN, Role.AREA_OFFICIAL)


def referenceable_stewards(user: User) -> QuerySet:
    """The stewards a service may be logged for by `user` (what `services.prepare_record`
    accepts): themselves for a steward; for admins and officials, the active stewards of their
    area and those serving an enterprise or project they see. Anyone else is refused as if
    there were no such steward (they would read the record)."""
    from guanjia.accounts.models import User as People
    from guanjia.enterprises.access import enterprises_for
    from guanjia.projects.access import projects_for

    if not can_log(user):
        return People.objects.none()
    if not logs_for_others(user):
        return People.objects.filter(pk=user.pk)
    qs = People.objects.filter(role=Role.STEWARD, is_active=True)
    if user.is_superuser or region_path(user) is None:
        return qs
    return qs.filter(
        region_q(user, "region")
        | Q(pk__in=enterprises_for(user).values("steward_id"))
        | Q(pk__in=projects_for(user).values("steward_id"))
    )


def in_area(user: User, region: Region | None) -> bool:
    """Whether the region lies in the user's subtree (everywhere for a city-wide admin)."""
    if user.is_superuser:
        return True
    path = region_path(user)
    if path is None:
        return True
    return region is not None and region.path.startswith(path)


def can_edit(user: User, record: ServiceRecord) -> bool:
    if not can_log(user):
        return False
    if user.role == Role.STEWARD and not user.is_superuser:
        return record.steward_id == user.pk
    return in_area(user, record.region)


def get_record(user: User, pk: int | str, *, write: bool = False) -> ServiceRecord:
    """The record if the user may see it (else 404); with write=True, 403 unless editable."""
    try:
        record = (
            records_for(user)
            .select_related("steward", "enterprise", "project", "region", "request")
            .get(pk=pk)
        )
    except (ServiceRecord.DoesNotExist, ValueError, TypeError):
        raise Http404("no such service record") from None
    if write and not can_edit(user, record):
        raise PermissionDenied("you may read this record but not change it")
    return record


def can_see_figures(user: User) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or user.role in FIGURE_ROLES


def figures_scope(user: User) -> str:
    """'all', 'area' or 'self': how much of the figures the user sees."""
    if user.is_superuser:
        return "all"
    if user.role == Role.STEWARD:
        return "self"
    return "all" if region_path(user) is None else "area"


def may_read_log(user: User) -> bool:
    """Whether the user reads the stewards' service log (the list and its export): staff.
    An enterprise's contacts are served; the log of it is the bureau's own."""
    return bool(user.is_authenticated) and user.role != Role.ENTERPRISE


def may_open(user: User) -> bool:
    """Whether the menu shows the services: not for enterprise contacts (they see a service
    on their own pages) nor department handlers (they see none)."""
    return user.role not in (Role.ENTERPRISE, Role.HANDLER)
