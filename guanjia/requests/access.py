"""Who sees which requests and who may take which step. Outsiders get 404, others 403.

The rules below are the people side of the table of steps, `services.STEPS`: each step there
names the rule that says who may take it (its status side is in the same entry).
"""

from collections.abc import Callable, Iterable

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from guanjia.accounts.models import Department, Role, User
from guanjia.accounts.scope import region_path, region_q

from .models import OPEN_PARTS, RequestPart, ServiceRequest


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
        # A department sees what was sent to it, not the whole city's requests; an assisting
        # handler (协办) the requests they have a part in.
        mine = Q(assignee=user) | _assisting_q(user)
        return mine | Q(department_id=user.department_id) if user.department_id else mine
    if user.role == Role.STEWARD:
        return Q(steward=user) | Q(assignee=user) | _assisting_q(user)
    if user.role == Role.ENTERPRISE and user.enterprise_id:
        return Q(enterprise_id=user.enterprise_id)
    return Q(pk__in=[])


def _assisting_q(user: User) -> Q:
    """Requests `user` has a part in (协办), open or done (they keep reading what they did)."""
    return Q(pk__in=RequestPart.objects.filter(handler=user).values("request_id"))


def requests_for(user: User) -> QuerySet[ServiceRequest]:
    return ServiceRequest.objects.filter(visible_q(user))


def get_request(user: User, pk: int | str, *, related: Iterable[str] = ()) -> ServiceRequest:
    """The request if the user may see it; 404 otherwise (its existence is not revealed).
    `related`: more relations to read with it (the API's answer names who submitted it)."""
    try:
        return (
            requests_for(user)
            .select_related(
                "enterprise", "project", "region", "category", "steward", "assignee", "department",
                *related,
            )
            .get(pk=pk)
        )  # fmt: skip
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
        .select_related("department", "region")
        .order_by("role", "department__name", "username")
    )


ASSIGNABLE_ROLES = (Role.STEWARD, Role.HANDLER, Role.AREA_OFFICIAL)


def assignable_departments(user: User | None, request: ServiceRequest) -> QuerySet[Department]:
    """The departments a request can be dispatched to (their queue): those of its area and
    the areas above it, as for people (`assignable_people`)."""
    return Department.objects.filter(region__path__in=request.region.lineage).select_related(
        "region"
    )


def is_assignable_department(department: Department, request: ServiceRequest) -> bool:
    """Whether `department` is one of `assignable_departments` for the request."""
    return department.region.path in request.region.lineage


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


def can_claim(user: User, sr: ServiceRequest) -> bool:
    """认领: a handler of the department a request was dispatched to, while nobody holds it."""
    return bool(
        sr.assignee_id is None
        and sr.department_id is not None
        and user.role == Role.HANDLER
        and user.department_id == sr.department_id
        and is_assignable(user, sr)
    )


def is_lead_or_dispatcher(user: User, sr: ServiceRequest) -> bool:
    """Who asks for assistance (协办): the lead handler (主办) and the dispatchers."""
    return is_assignee(user, sr) or is_dispatcher(user, sr)


def open_part(user: User, sr: ServiceRequest) -> RequestPart | None:
    """The user's open part (协办) of the request, if any."""
    if user.role not in ASSIGNABLE_ROLES or sr.pk is None:
        return None
    return (
        RequestPart.objects.filter(request=sr, handler=user, status__in=OPEN_PARTS)
        .order_by("-asked_at")
        .first()
    )


def has_part_to_sign(user: User, sr: ServiceRequest) -> bool:
    part = open_part(user, sr)
    return part is not None and part.signed_at is None


def has_part_to_answer(user: User, sr: ServiceRequest) -> bool:
    part = open_part(user, sr)
    return part is not None and part.signed_at is not None


def has_open_part(user: User, sr: ServiceRequest) -> bool:
    return open_part(user, sr) is not None


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


def bulk_actions(user: User) -> list[str]:
    """The queue's bulk actions a user is offered (each request is still checked by its step):
    dispatchers dispatch and close; department handlers claim and close."""
    if not user.is_authenticated or not user.is_active:
        return []
    if user.is_superuser or user.role in (Role.CITY_ADMIN, Role.AREA_OFFICIAL, Role.STEWARD):
        return ["dispatch", "close"]
    if user.role == Role.HANDLER:
        return ["claim", "close"] if user.department_id else ["close"]
    return []


def bulk_people(user: User) -> QuerySet[User]:
    """Whom a dispatcher may pick in the queue's bulk dispatch: people a request of their
    area can go to (each request then checks its own area: `is_assignable`)."""
    from guanjia.accounts.scope import referenceable_people

    return (
        referenceable_people(user, *ASSIGNABLE_ROLES)
        .select_related("department", "region")
        .order_by("region__path", "department__name", "username")
    )


def bulk_departments(user: User) -> QuerySet[Department]:
    """The departments' queues a dispatcher may pick in the queue's bulk dispatch."""
    from guanjia.accounts.scope import referenceable_departments

    return referenceable_departments(user).select_related("region").order_by("region__path", "name")


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
