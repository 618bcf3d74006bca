"""Who sees the cockpit, and which area: leaders, city admins and area officials, each within
their own part of the region tree (an area asked for outside it is clamped to the user's own)."""

from typing import Any

from django.conf import settings
from django.utils import timezone

from guanjia.accounts.models import Role, User
from guanjia.accounts.scope import region_path
from guanjia.regions.models import Region

ROLES = {Role.LEADER, Role.CITY_ADMIN, Role.AREA_OFFICIAL}


def can_see(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or user.role in ROLES)


def home(user: User) -> Region | None:
    """The area a user's cockpit opens on: their region, else the configured city."""
    if region_path(user) is not None:
        return user.region
    return (
        Region.objects.filter(code=settings.GUANJIA_CITY_CODE).first()
        or Region.objects.filter(parent__isnull=True).order_by("path").first()
    )


def region_for(user: User, wanted: Any) -> Region | None:
    """The region asked for if the user may see it, else the user's home area."""
    own = home(user)
    value = str(wanted or "").strip()
    if not value.isdigit():
        return own
    region = Region.objects.filter(pk=int(value)).first()
    if region is None:
        return own
    path = region_path(user)
    if path is not None and not region.path.startswith(path):
        return own
    return region


def parent_in_scope(user: User, region: Region | None) -> Region | None:
    """Where "up" goes from a drilled-down area, if the user may see it."""
    if region is None or region.parent_id is None:
        return None
    parent = region.parent
    path = region_path(user)
    if parent is None or (path is not None and not parent.path.startswith(path)):
        return None
    return parent


def area_choices(user: User) -> list[tuple[int, str]]:
    """The areas the user may pick: their home area and everything under it."""
    own = home(user)
    if own is None:
        return []
    regions = Region.objects.active().filter(path__startswith=own.path).order_by("path")
    top = own.level
    return [(r.pk, "\u3000" * (r.level - top) + r.name) for r in regions]


def years() -> list[int]:
    this = timezone.localdate().year
    return list(range(this, this - 6, -1))


def may_open(user: User) -> bool:
    """Whether the menu shows the cockpit."""
    return can_see(user)
