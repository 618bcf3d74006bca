"""Who sees which requests and who may take which step. Outsiders get 404, others 403.

The rules below are the people side of the table of steps, `services.STEPS`: each step there
names the rule that says who may take it (its status side is in the same entry).
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
            role__in=ASSIGNABLE_ROLES,
            region__path__in=request.region.lineage,
        )
        .select_related("department")
        .order_by("role", "department__name", "username")
    )


ASSIGNABLE_ROLES = (Role.STEWARD, Role.HANDLER, Role.AREA_OFFICIAL)


def is_assignable(user: User, request: ServiceRequest) -> bool:
    """Whether `user` is one of `assignable_people` for the request (the same rule, on one
    person already read: no query but their region's, when it is not loaded)."""
    return bool(
        user.is_active
        and user.role in ASSIGNABLE_ROLES
        and user.region is not None
        and user.region.path in request.region.lineage
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


def is_request_steward(user: User, sr: ServiceRequest) -> bool:
    """The enterprise's (or project's) own steward, who owns the request throughout: they
    may accept and answer it in one step when no department is needed."""
    return user.role == Role.STEWARD and sr.steward_id is not None and sr.steward_id == user.pk


def merge_candidates(user: User, sr: ServiceRequest) -> QuerySet[ServiceRequest]:
    """The requests a duplicate may be merged into: the same enterprise's, that `user` sees,
    not itself and not merged themselves, newest first."""
    from .models import Status

    return (
        requests_for(user)
        .filter(enterprise_id=sr.enterprise_id)
        .exclude(pk=sr.pk)
        .exclude(status=Status.MERGED)
        .order_by("-submitted_at", "-id")
    )


def is_assignee(user: User, sr: ServiceRequest) -> bool:
    return sr.assignee_id is not None and sr.assignee_id == user.pk


def is_area_lead(user: User, sr: ServiceRequest) -> bool:
    """Who approves extensions: the area's officials and the city's bureau staff."""
    if user.is_superuser:
        return True
    return user.role in (Role.CITY_ADMIN, Role.AREA_OFFICIAL) and _in_area(user, sr)


def is_own_enterprise(user: User, sr: ServiceRequest) -> bool:
    return is_enterprise_contact(user) and user.enterprise_id == sr.enterprise_id


def is_supervisor(user: User, sr: ServiceRequest) -> bool:
    if user.role == Role.LEADER and (
        _in_area(user, sr) or (sr.project is not None and sr.project.leader_id == user.pk)
    ):
        return True
    return is_area_lead(user, sr)


def any_of(
    *checks: Callable[[User, ServiceRequest], bool],
) -> Callable[[User, ServiceRequest], bool]:
    """A rule met when any of `checks` is."""
    return lambda user, sr: any(check(user, sr) for check in checks)


def can(user: User, action: str, sr: ServiceRequest) -> bool:
    """Whether `user` may take step `action` on `sr` (the people side of `services.STEPS`)."""
    from .services import STEPS

    return STEPS[action].allows(user, sr)


def require(user: User, action: str, sr: ServiceRequest) -> None:
    if not can(user, action, sr):
        raise PermissionDenied(action)


# --- What the pages offer -------------------------------------------------------------------


def is_enterprise_contact(user: User) -> bool:
    """An enterprise's own contact. They see the direct line from the enterprise's side: their
    own requests without an enterprise column, nothing of the bureau's handling (escalation,
    supervision, extensions, the deadline's marks, which notes are internal) and no link into
    the project ledger; what they file comes in through the web, for their enterprise."""
    return user.role == Role.ENTERPRISE


def can_submit(user: User) -> bool:
    """Who files a new request: an enterprise contact (for their own enterprise, so only once
    their account belongs to one), stewards, area officials and bureau staff. Leaders and
    department handlers read and answer; they do not file."""
    if not user.is_authenticated:
        return False
    if is_enterprise_contact(user):
        return user.enterprise_id is not None
    return user.role in (Role.STEWARD, Role.AREA_OFFICIAL, Role.CITY_ADMIN)


def can_invite(user: User) -> bool:
    """Who gives an enterprise contact an account: stewards, area officials, bureau staff."""
    return bool(
        user.is_authenticated
        and (user.is_superuser or user.role in (Role.STEWARD, Role.AREA_OFFICIAL, Role.CITY_ADMIN))
    )


def can_import(user: User) -> bool:
    """Who imports past requests from Excel: bureau staff and area officials (their area's
    enterprises only)."""
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.role in (Role.CITY_ADMIN, Role.AREA_OFFICIAL))
    )


def may_open(user: User) -> bool:
    """Whether the menu shows the direct line: every signed-in user (each sees their own)."""
    return bool(user.is_authenticated)
