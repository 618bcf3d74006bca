"""Who sees and keeps the parks, plots and buildings. Outsiders get 404, read-only users 403.

| role               | sees                                  | keeps (creates, edits, steps, files, import) |
|--------------------|---------------------------------------|----------------------------------------------|
| city admin         | every park, plot and building         | those of their region subtree (all if none)  |
| area official      | every park, plot and building         | those of their area's parks                  |
| steward            | every park, plot and building         | reserves (意向) and releases plots and buildings for the leads they work |
| leader             | every park, plot and building         | nothing (reads)                              |
| department handler | nothing                               | nothing                                      |
| enterprise contact | nothing: the bureau's inventory is not theirs (the public portal comes later) | nothing |

The inventory is the city's, not an area's: everyone who promotes investment reads all of it
(a lead in one county may land in another's park); only the park's own area keeps it.
Bureau staff (stewards) take the reservation steps for their own leads: `may_reserve` lets
them at the step, and the step's reference check (`accounts.scope`, kind "lead") holds them to
the leads they work; they release only a reservation held for one of those leads.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from guanjia.accounts.models import Role, User
from guanjia.accounts.scope import REFERENCES, region_path, region_q

from .models import Building, LandFile, Park, Plot

READER_ROLES = {Role.CITY_ADMIN, Role.AREA_OFFICIAL, Role.STEWARD, Role.LEADER}
KEEPER_ROLES = {Role.CITY_ADMIN, Role.AREA_OFFICIAL}
# Who reserves land for the leads they work, without keeping the park.
RESERVER_ROLES = {Role.STEWARD}


def may_open(user: Any) -> bool:
    """Whether the user has the parks at all (the menu; every page is 404 otherwise)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.is_superuser or user.role in READER_ROLES)


def require_open(user: User) -> None:
    if not may_open(user):
        raise Http404("no such page")


def can_create(user: Any) -> bool:
    """Whether the user keeps some parks (creates parks, plots and buildings, imports)."""
    if not may_open(user):
        return False
    return bool(user.is_superuser or user.role in KEEPER_ROLES)


def kept_q(user: User, field: str = "region") -> Q:
    """The parks (by `field`, a path to their region) the user keeps."""
    if not can_create(user):
        return Q(pk__in=[])
    if user.is_superuser:
        return Q()
    return region_q(user, field)


def parks_for(user: User) -> QuerySet[Park]:
    return Park.objects.all() if may_open(user) else Park.objects.none()


def plots_for(user: User) -> QuerySet[Plot]:
    return Plot.objects.all() if may_open(user) else Plot.objects.none()


def buildings_for(user: User) -> QuerySet[Building]:
    return Building.objects.all() if may_open(user) else Building.objects.none()


def kept_parks(user: User) -> QuerySet[Park]:
    """The parks the user may put plots and buildings in (the forms' and importer's choices)."""
    return Park.objects.filter(kept_q(user)) if can_create(user) else Park.objects.none()


def referenceable_parks(user: User) -> QuerySet[Park]:
    return kept_parks(user)


def can_edit_park(user: User, park: Park) -> bool:
    if not can_create(user):
        return False
    if user.is_superuser:
        return True
    path = region_path(user)
    return path is None or park.region.path.startswith(path)


def can_edit(user: User, obj: Plot | Building) -> bool:
    """Edit a plot or building, add its files, take its steps: a keeper of its park."""
    return can_edit_park(user, obj.park)


def may_step(user: User, obj: Plot | Building) -> bool:
    """`may` of the plots' and buildings' steps (the status side is the engine's)."""
    return can_edit(user, obj)


def may_reserve(user: User, obj: Plot | Building) -> bool:
    """`may` of the reserve step: a keeper of the park, or bureau staff (for a lead of theirs,
    which the step checks)."""
    if can_edit(user, obj):
        return True
    return bool(may_open(user) and user.role in RESERVER_ROLES)


def works_lead(user: User, lead_id: int | None) -> bool:
    """Whether `lead_id` is one of the leads the user may name (works)."""
    if lead_id is None:
        return False
    return bool(REFERENCES["lead"](user).filter(pk=lead_id).exists())


def may_release(user: User, obj: Plot | Building) -> bool:
    """`may` of the release step: a keeper, or bureau staff releasing their own lead's hold."""
    if can_edit(user, obj):
        return True
    return bool(
        may_open(user) and user.role in RESERVER_ROLES and works_lead(user, obj.reserved_for_id)
    )


def _get(qs: QuerySet[Any], pk: Any, what: str) -> Any:
    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404(f"no such {what}") from None


def get_park(user: User, pk: Any, *, write: bool = False) -> Park:
    park: Park = _get(parks_for(user).select_related("region"), pk, "park")
    if write and not can_edit_park(user, park):
        raise PermissionDenied("you may read this park but not keep it")
    return park


def get_plot(user: User, pk: Any, *, write: bool = False) -> Plot:
    qs = plots_for(user).select_related("park__region", "reserved_for", "project")
    plot: Plot = _get(qs, pk, "plot")
    if write and not can_edit(user, plot):
        raise PermissionDenied("you may read this plot but not keep it")
    return plot


def get_building(user: User, pk: Any, *, write: bool = False) -> Building:
    qs = buildings_for(user).select_related("park__region", "reserved_for", "project", "plot")
    building: Building = _get(qs, pk, "building")
    if write and not can_edit(user, building):
        raise PermissionDenied("you may read this building but not keep it")
    return building


def get_lead(user: User, pk: Any) -> Any:
    """A lead the user may see and name (its land matching), else 404."""
    return _get(REFERENCES["lead"](user).select_related("industry", "owner"), pk, "lead")


def get_file(user: User, pk: Any) -> LandFile:
    require_open(user)
    found: LandFile = _get(
        LandFile.objects.select_related("plot__park", "building__park"), pk, "file"
    )
    return found
