"""Who sees the targets board and who enters figures, and for which cities and areas.

Leaders, city admins and area officials see the board; city admins and area officials enter
actual figures; only city admins set targets. Each acts within their own part of the region
tree (`in_scope`); the board opens on a city they reach.
"""

from guanjia.accounts.models import Role, User
from guanjia.accounts.scope import region_path, sees_everything
from guanjia.regions.models import Region, RegionKind

from .areas import area_of, cities


def may_open(user: User) -> bool:
    """Whether the menu shows the targets board."""
    return can_view(user)


def can_view(user: User) -> bool:
    return user.is_authenticated and (
        user.is_superuser or user.role in (Role.CITY_ADMIN, Role.AREA_OFFICIAL, Role.LEADER)
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
