"""Who sees and changes which enterprises."""

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from guanjia.accounts.models import Role, User
from guanjia.accounts.scope import AREA_ROLES, region_path, region_q

from .models import Enterprise


def enterprises_for(user: User) -> QuerySet[Enterprise]:
    """Enterprises registered in the user's area, or with a project or event there."""
    if not user.is_authenticated or not user.is_active:
        return Enterprise.objects.none()
    if user.is_superuser:
        return Enterprise.objects.all()
    if user.role in AREA_ROLES:
        if region_path(user) is None:
            return Enterprise.objects.all()
        from guanjia.events.models import Event
        from guanjia.projects.models import Project

        has_project = Exists(
            Project.objects.filter(region_q(user, "region"), enterprise=OuterRef("pk"))
        )
        at_event = Exists(
            Event.participants.through.objects.filter(
                region_q(user, "event__region"), enterprise=OuterRef("pk")
            )
        )
        visible = region_q(user, "region") | Q(has_project) | Q(at_event)
        if user.role == Role.CITY_ADMIN:
            # Investors from elsewhere (no local region yet) are the bureau's to court.
            visible |= Q(region__isnull=True)
        return Enterprise.objects.filter(visible)
    if user.role == Role.STEWARD:
        from guanjia.projects.models import Project

        serves = Exists(Project.objects.filter(steward=user, enterprise=OuterRef("pk")))
        return Enterprise.objects.filter(Q(steward=user) | Q(serves))
    if user.role == Role.ENTERPRISE and user.enterprise_id:
        return Enterprise.objects.filter(pk=user.enterprise_id)
    return Enterprise.objects.none()


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
