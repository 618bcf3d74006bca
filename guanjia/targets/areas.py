"""The cities and their areas (县(市)区 and zones) targets are split across."""

from guanjia.accounts.models import Role, User
from guanjia.accounts.scope import region_path, sees_everything
from guanjia.regions.models import Region, RegionKind


def cities() -> list[Region]:
    return list(Region.objects.active().filter(kind=RegionKind.CITY).order_by("path"))


def areas_of(city: Region) -> list[Region]:
    """The city's current areas: its direct children (abolished ones are history)."""
    return list(Region.objects.active().filter(parent=city).order_by("sort_order", "path"))


def top_region() -> Region | None:
    """The region summaries default to: the only city, else the root of the tree."""
    found = cities()
    if len(found) == 1:
        return found[0]
    return Region.objects.active().filter(parent__isnull=True).order_by("path").first()


def area_of(region: Region) -> Region | None:
    """The city's area a region lies in (itself if it is one); None for a city or above."""
    node: Region | None = region
    while node is not None and node.parent_id is not None:
        parent = node.parent
        if parent is not None and parent.kind == RegionKind.CITY:
            return node
        node = parent
    return None


# --- who may do what ----------------------------------------------------------------------


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


def _reaches(user: User, city: Region) -> bool:
    path = region_path(user)
    if path is None:
        return True
    return city.path.startswith(path) or path.startswith(city.path)
