"""Who sees the targets board and who enters figures, and for which cities and areas.

Leaders, city admins and area officials see the board; city admins and area officials enter
actual figures; only city admins set targets (an area's, a team's or a person's). The
assessment's ranking (排名通报) is published: the bureau's staff who work leads, the leaders and
the area officials read all of it; handlers and enterprise contacts are refused as if it were
not there. Each acts within their own part of the region
tree (`in_scope`); the board opens on a city they reach.
"""

from django.db.models import QuerySet

from guanjia.accounts.models import Department, Role, User
from guanjia.accounts.scope import region_path, region_q, sees_everything
from guanjia.regions.models import Region, RegionKind

from .areas import area_of, cities


def may_open(user: User) -> bool:
    """Whether the menu shows the targets board."""
    return can_view(user)


def can_view(user: User) -> bool:
    return user.is_authenticated and (
        user.is_superuser or user.role in (Role.CITY_ADMIN, Role.AREA_OFFICIAL, Role.LEADER)
    )


def can_read_ranking(user: User) -> bool:
    return user.is_authenticated and (
        user.is_superuser
        or user.role in (Role.CITY_ADMIN, Role.AREA_OFFICIAL, Role.STEWARD, Role.LEADER)
    )


def ranking_city(user: User, code: str = "") -> Region | None:
    """The city whose ranking a reader opens: the one asked for, else their own, else the first
    (the ranking is published city-wide, so an area official reads the whole city's)."""
    found = cities()
    for c in found:
        if code and c.code == code:
            return c
    if user.region_id and user.region is not None:
        own = user.region.city()
        if own is not None and own.kind == RegionKind.CITY:
            return own
    return found[0] if found else None


def referenceable_teams(user: User) -> QuerySet[Department]:
    """The teams (departments) a city admin may set a target for: those in their reach."""
    return Department.objects.filter(region_q(user, "region")).order_by("name")


def referenceable_people(user: User) -> QuerySet[User]:
    """The staff a city admin may set a target for: people of the bureau in their reach."""
    return (
        User.objects.filter(region_q(user, "region"), is_active=True)
        .exclude(role=Role.ENTERPRISE)
        .order_by("display_name", "username")
    )


def can_enter_actuals(user: User) -> bool:
    return user.is_authenticated and (
        user.is_superuser or user.role in (Role.CITY_ADMIN, Role.AREA_OFFICIAL)
    )


def can_set_targets(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or user.role == Role.CITY_ADMIN)


def in_scope(user: User, region: Region) -> bool:
    path = region_path(user)
    return path is None or region.path.startswith(path)


def board_city(user: User, code: str = "") -> Region | None:
    """The city whose board the user opens: the one asked for if in reach, else their own."""
    options = [c for c in cities() if sees_everything(user) or _reaches(user, c)]
    if code:
        for c in options:
            if c.code == code:
                return c
    if user.region_id and user.region is not None:
        own = user.region.city()
        if own is not None and own.kind == RegionKind.CITY:
            return own
    return options[0] if options else None


def board_focus(user: User, city: Region | None) -> Region | None:
    """The region whose gauge the board leads with: the city, or an area official's own area
    (the area their region lies in, else their region itself)."""
    if user.role == Role.AREA_OFFICIAL and user.region is not None:
        return area_of(user.region) or user.region
    return city


def _reaches(user: User, city: Region) -> bool:
    path = region_path(user)
    if path is None:
        return True
    return city.path.startswith(path) or path.startswith(city.path)
