"""What part of the region tree a user works in. Each resource's access helper builds on this."""

from django.core.exceptions import PermissionDenied
from django.db.models import Q

from .models import Role, User

# Roles whose reach is a region subtree (their own region and everything under it).
AREA_ROLES = {Role.CITY_ADMIN, Role.AREA_OFFICIAL, Role.LEADER, Role.HANDLER}


def sees_everything(user: User) -> bool:
    return user.is_superuser or (user.role == Role.CITY_ADMIN and user.region_id is None)


def region_path(user: User) -> str | None:
    """The path prefix of the user's subtree; None for a user who sees every region."""
    if sees_everything(user):
        return None
    if user.region_id is None:
        return "/nowhere/"  # a staff member with no region sees nothing rather than everything
    assert user.region is not None
    return user.region.path


def region_q(user: User, field: str) -> Q:
    """Q limiting `field` (a path to a Region) to the user's subtree."""
    path = region_path(user)
    if path is None:
        return Q()
    if not field:
        return Q(path__startswith=path)
    # Region ids as a subquery rather than a join: the planner then scans the big table once,
    # on its own indexes (the region tree is tiny).
    from guanjia.regions.models import Region

    return Q(**{f"{field}__in": Region.objects.filter(path__startswith=path).values("pk")})


def require_writer(user: User) -> None:
    """Read-only roles (leader, handler, enterprise contact) get 403 on any write."""
    if not user.can_write:
        raise PermissionDenied("read-only role")


def is_admin(user: User) -> bool:
    return user.is_superuser or user.role == Role.CITY_ADMIN
