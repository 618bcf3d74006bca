"""Who sees and changes which enterprises."""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from guanjia.accounts.models import Role, User
from guanjia.accounts.scope import AREA_ROLES, region_path, region_q
from guanjia.core.hooks import Hooks

from .models import Contact, Enterprise

# What else ties an enterprise to a user, `(user) -> Q over Enterprise | None`: the apps above
# this one register theirs in their AppConfig.ready() (projects: a project in the user's area
# or stewarded by them; events: taking part in an event in the user's area).
ties: Hooks[Callable[[User], Q | None]] = Hooks("enterprises.access.ties")


def _or_tied(visible: Q, user: User) -> Q:
    """`visible`, or tied to the user by another app's record (see `ties`)."""
    for tie in ties:
        q = tie(user)
        if q is not None:
            visible |= q
    return visible


def enterprises_for(user: User) -> QuerySet[Enterprise]:
    """Enterprises registered in the user's area, or with a project or event there."""
    if not user.is_authenticated or not user.is_active:
        return Enterprise.objects.none()
    if user.is_superuser:
        return Enterprise.objects.all()
    if user.role in AREA_ROLES:
        if region_path(user) is None:
            return Enterprise.objects.all()
        visible = _or_tied(region_q(user, "region"), user)
        if user.role in (Role.CITY_ADMIN, Role.AREA_OFFICIAL):
            # Investors from elsewhere (no local region yet) are the bureau's and the areas'
            # to court (leads): an area sees the city's list of them, so it does not enter a
            # second copy of one another area already works.
            visible |= Q(region__isnull=True)
        return Enterprise.objects.filter(visible)
    if user.role == Role.STEWARD:
        return Enterprise.objects.filter(_or_tied(Q(steward=user), user))
    if user.role == Role.ENTERPRISE and user.enterprise_id:
        return Enterprise.objects.filter(pk=user.enterprise_id)
    return Enterprise.objects.none()


def seen_by_its_row(user: User, enterprise: Enterprise) -> bool:
    """Whether `enterprises_for(user)` holds `enterprise` by the enterprise's own row (its area,
    its steward; no area, for the bureau and the areas), decided in Python with no query
    (`enterprise.region` loaded with it). True only where a term of that scope holds; False
    says nothing, the ties (`ties`) may still hold it."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if user.role in AREA_ROLES:
        path = region_path(user)
        if path is None:
            return True
        if enterprise.region_id is None:
            return user.role in (Role.CITY_ADMIN, Role.AREA_OFFICIAL)
        region = enterprise.region
        return region is not None and region.path.startswith(path)
    if user.role == Role.STEWARD:
        return enterprise.steward_id == user.pk
    if user.role == Role.ENTERPRISE and user.enterprise_id:
        return enterprise.pk == user.enterprise_id
    return False


def referenced_enterprise(
    user: User, pk: int | None, field: str, *, related: tuple[str, ...] = ("region",)
) -> Enterprise | None:
    """`accounts.scope.check_reference(user, "enterprise", pk)` (the enterprise a write names,
    if the user may name it; else ReferenceOutOfScope on `field`), with `related` loaded: the
    row read by its id, and the scope's query only when its own row does not already show it
    is in scope (`seen_by_its_row`) — compiling that query (its area subtree and the ties'
    subqueries) was most of the CPU of a staff member's submission."""
    from guanjia.accounts.scope import ReferenceOutOfScope

    if pk is None:
        return None
    found = None
    if isinstance(pk, int):
        related = tuple({"region", *related})
        found = Enterprise.objects.select_related(*related).filter(pk=pk).first()
    if found is None or not (
        seen_by_its_row(user, found) or referenceable_enterprises(user).filter(pk=pk).exists()
    ):
        raise ReferenceOutOfScope(field, pk)
    return found


def can_edit(user: User, enterprise: Enterprise) -> bool:
    if user.is_superuser or user.role in (Role.CITY_ADMIN, Role.AREA_OFFICIAL):
        return True
    # A steward sees only the enterprises they serve, so seeing is enough to edit.
    return user.role == Role.STEWARD


def get_enterprise(user: User, pk: int, *, write: bool = False) -> Enterprise:
    try:
        enterprise = (
            enterprises_for(user).select_related("region", "industry", "steward").get(pk=pk)
        )
    except (Enterprise.DoesNotExist, ValueError, TypeError):
        raise Http404("no such enterprise") from None
    if write and not can_edit(user, enterprise):
        raise PermissionDenied("you may read this enterprise but not change it")
    return enterprise


def can_create(user: User) -> bool:
    return user.is_superuser or user.role in (Role.CITY_ADMIN, Role.AREA_OFFICIAL, Role.STEWARD)


def referenceable_enterprises(user: User) -> QuerySet[Enterprise]:
    """Enterprises the user may name on a write (a project's enterprise or partner, a
    request's, a service's, an invitation's): those they see. See `accounts.scope`."""
    return enterprises_for(user)


def may_move(user: User, enterprise: Enterprise) -> bool:
    """Whether the user may change where the enterprise is registered: only from a region of
    their own subtree (an enterprise of another county that they see through a project here
    stays where it is registered)."""
    if enterprise.region_id is None or region_path(user) is None:
        return True
    from guanjia.accounts.scope import referenceable_regions

    return referenceable_regions(user).filter(pk=enterprise.region_id).exists()


def get_contact(user: User, pk: int) -> Contact:
    """A contact of an enterprise the user sees (else 404): what may reveal its masked phone
    and ID number (`accounts.masking`)."""
    try:
        return Contact.objects.select_related("enterprise").get(
            pk=pk, enterprise__in=enterprises_for(user)
        )
    except (Contact.DoesNotExist, ValueError, TypeError):
        raise Http404("no such contact") from None


def may_open(user: User) -> bool:
    """Whether the menu shows the enterprises: every signed-in user (each sees their own)."""
    return bool(user.is_authenticated)
