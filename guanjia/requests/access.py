"""Who sees which requests and who may take which step. Outsiders get 404, others 403.

`ACTIONS` is the permission table: each step names the people who may take it. The status
side of each step (from which statuses, to which) is `services.TRANSITIONS`.
"""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from guanjia.accounts.models import Role, User
from guanjia.accounts.scope import region_path, region_q

from .models import ServiceRequest


def visible_q(user: User) -> Q:
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_superuser:
        return Q()
    if user.role in (Role.CITY_ADMIN, Role.AREA_OFFICIAL):
        return region_q(user, "region")
    if user.role == Role.LEADER:
        return region_q(user, "region") | Q(project__leader=user)
    if user.role == Role.HANDLER:
        # A department sees what was sent to it, not the whole city's requests.
        mine = Q(assignee=user)
        return mine | Q(department_id=user.department_id) if user.department_id else mine
    if user.role == Role.STEWARD:
        return Q(steward=user) | Q(assignee=user)
    if user.role == Role.ENTERPRISE and user.enterprise_id:
        return Q(enterprise_id=user.enterprise_id)
    return Q(pk__in=[])


def requests_for(user: User) -> QuerySet[ServiceRequest]:
    return ServiceRequest.objects.filter(visible_q(user))


def get_request(user: User, pk: int | str) -> ServiceRequest:
    """The request if the user may see it; 404 otherwise (its existence is not revealed)."""
    try:
        return (
            requests_for(user)
            .select_related(
                "enterprise", "project", "region", "category", "steward", "assignee", "department"
            )
            .get(pk=pk)
        )
    except (ServiceRequest.DoesNotExist, ValueError, TypeError):
        raise Http404("no such request") from None


def referenceable_requests(user: User) -> QuerySet[ServiceRequest]:
    """Requests the user may name on a write (the request a service answered): those they see."""
    return requests_for(user)


def assignable_people(user: User | None, request: ServiceRequest) -> QuerySet[User]:
    """Who a request can go to (dispatch, transfer, an upheld bounce): active stewards, area
    officials and department handlers of its area and the areas above it. A person of another
    county is not among them, whoever asks: the assignee reads the request."""
    return (
        User.objects.filter(
            is_active=True,
            role__in=[Role.STEWARD, Role.HANDLER, Role.AREA_OFFICIAL],
            region__path__in=request.region.lineage,
        )
        .select_related("department")
        .order_by("role", "department__name", "username")
    )


def _in_area(user: User, sr: ServiceRequest) -> bool:
    path = region_path(user)
    return path is None or sr.region.path.startswith(path)


def is_dispatcher(user: User, sr: ServiceRequest) -> bool:
    """Bureau staff and area officials over the request's area, and its own steward."""
    if user.is_superuser:
        return True
    if user.role in (Role.CITY_ADMIN, Role.AREA_OFFICIAL) and _in_area(user, sr):
        return True
    return user.role == Role.STEWARD and sr.steward_id == user.pk


def is_assignee(user: User, sr: ServiceRequest) -> bool:
    return sr.assignee_id is not None and sr.assignee_id == user.pk


def is_area_lead(user: User, sr: ServiceRequest) -> bool:
    """Who approves extensions: the area's officials and the city's bureau staff."""
    if user.is_superuser:
        return True
    return user.role in (Role.CITY_ADMIN, Role.AREA_OFFICIAL) and _in_area(user, sr)


def is_own_enterprise(user: User, sr: ServiceRequest) -> bool:
    return user.role == Role.ENTERPRISE and user.enterprise_id == sr.enterprise_id


def is_supervisor(user: User, sr: ServiceRequest) -> bool:
    if user.role == Role.LEADER and (
        _in_area(user, sr) or (sr.project is not None and sr.project.leader_id == user.pk)
    ):
        return True
    return is_area_lead(user, sr)


def _any(*checks: Callable[[User, ServiceRequest], bool]) -> Callable[[User, ServiceRequest], bool]:
    return lambda user, sr: any(check(user, sr) for check in checks)


ACTIONS: dict[str, Callable[[User, ServiceRequest], bool]] = {
    "accept": is_dispatcher,
    "dispatch": is_dispatcher,
    "sign": is_assignee,
    "transfer": _any(is_assignee, is_dispatcher),
    "bounce": is_assignee,
    "arbitrate": is_dispatcher,
    "ask_info": is_assignee,
    "give_info": is_own_enterprise,
    "note": _any(is_assignee, is_dispatcher),
    "internal_note": _any(is_assignee, is_dispatcher),
    "reply": is_assignee,
    "close": _any(is_assignee, is_dispatcher),
    "rate": is_own_enterprise,
    "revisit": is_dispatcher,
    "withdraw": is_own_enterprise,
    "ask_extension": is_assignee,
    "decide_extension": is_area_lead,
    "supervise": is_supervisor,
}


def can(user: User, action: str, sr: ServiceRequest) -> bool:
    return bool(user.is_active and ACTIONS[action](user, sr))


def require(user: User, action: str, sr: ServiceRequest) -> None:
    if not can(user, action, sr):
        raise PermissionDenied(action)


def may_open(user: User) -> bool:
    """Whether the menu shows the direct line: every signed-in user (each sees their own)."""
    return bool(user.is_authenticated)
