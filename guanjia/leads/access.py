"""Who sees and works which leads. Outsiders get 404, read-only users 403.

| role               | sees                                              | works (edits, records, steps) |
|--------------------|---------------------------------------------------|-------------------------------|
| city admin         | leads of their region subtree (all if none), and of their team | what they see |
| area official      | leads of their area, and of their team (department) | what they see                 |
| steward            | the leads they own, and those of their team       | what they see                 |
| leader             | leads of their region subtree                     | nothing (reads)               |
| department handler | nothing                                           | nothing                       |
| enterprise contact | nothing: an investor never sees the bureau's file on it | nothing                 |
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from guanjia.accounts.models import Role, User
from guanjia.accounts.scope import region_q

from .models import Lead, NegotiationRecord, Trip, Visit

WORKER_ROLES = {Role.CITY_ADMIN, Role.AREA_OFFICIAL, Role.STEWARD}
READER_ROLES = {*WORKER_ROLES, Role.LEADER}


def _team_q(user: User) -> Q:
    return Q(department_id=user.department_id) if user.department_id else Q(pk__in=[])


def visible_q(user: User) -> Q:
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_superuser:
        return Q()
    if user.role in (Role.CITY_ADMIN, Role.AREA_OFFICIAL):
        return region_q(user, "region") | _team_q(user)
    if user.role == Role.LEADER:
        return region_q(user, "region")
    if user.role == Role.STEWARD:
        return Q(owner=user) | _team_q(user)
    return Q(pk__in=[])  # handlers, enterprise contacts, anyone unknown


def leads_for(user: User) -> QuerySet[Lead]:
    """Every lead the user may see."""
    return Lead.objects.filter(visible_q(user))


def may_open(user: User) -> bool:
    """Whether the user has the workbench at all (the menu; the pages are 404 otherwise)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or user.role in READER_ROLES


def require_open(user: User) -> None:
    """Handlers and enterprise contacts meet the workbench as if it did not exist."""
    if not may_open(user):
        raise Http404("no such page")


def can_create(user: User) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or user.role in WORKER_ROLES


def may_import(user: User) -> bool:
    """The Excel import pages: the workbench's door first (404 for those without it), then
    403 for a reader (leaders): only those who enter leads import them."""
    require_open(user)
    return can_create(user)


def can_work(user: User, lead: Lead) -> bool:
    """Edit the lead, log its negotiations, take its steps: a worker who sees it."""
    if not can_create(user):
        return False
    known = getattr(lead, "_workable_by", None)
    if known is not None and known[0] == user.pk:
        return bool(known[1])
    return leads_for(user).filter(pk=lead.pk).exists()


def mark_workable(user: User, leads: list[Lead], *, seen: bool = False) -> None:
    """Decide `can_work` for many leads in one query (the board's cards), remembered on each
    lead for this user; none when `seen` says the leads were read through `leads_for(user)`."""
    if not (can_create(user) and leads):
        workable: set[int] = set()
    elif seen:
        workable = {lead.pk for lead in leads}
    else:
        workable = set(
            leads_for(user).filter(pk__in=[lead.pk for lead in leads]).values_list("pk", flat=True)
        )
    for lead in leads:
        lead._workable_by = (user.pk, lead.pk in workable)  # type: ignore[attr-defined]


def get_lead(user: User, pk: int | str, *, write: bool = False) -> Lead:
    """The lead if the user may see it (else 404); with write=True, 403 unless workable."""
    try:
        lead = (
            leads_for(user)
            .select_related("investor", "industry", "region", "department", "owner", "project")
            .get(pk=pk)
        )
    except (Lead.DoesNotExist, ValueError, TypeError):
        raise Http404("no such lead") from None
    if write and not can_work(user, lead):
        raise PermissionDenied("you may read this lead but not work it")
    return lead


def get_record(user: User, lead: Lead, pk: int | str) -> NegotiationRecord:
    try:
        return lead.records.get(pk=pk)
    except (NegotiationRecord.DoesNotExist, ValueError, TypeError):
        raise Http404("no such record") from None


def may_step(user: User, lead: Lead) -> bool:
    """`may` of the lead's steps (the status side is the engine's)."""
    return can_work(user, lead)


def may_merge(user: User) -> bool:
    """A "same as" merge of two investors folds one enterprise into another everywhere: the
    city bureau's (as the admin site's merge)."""
    return user.is_superuser or (user.is_active and user.role == Role.CITY_ADMIN)


def referenceable_leads(user: User) -> QuerySet[Lead]:
    """Leads a user may name on a write: those they see (see `accounts.scope`)."""
    return leads_for(user)


def referenceable_owners(user: User) -> QuerySet[User]:
    """Who may own a lead the user enters: themselves for a steward; for admins and officials,
    the active staff who work leads in their reach (their area or above it)."""
    from guanjia.accounts.scope import referenceable_people

    if not can_create(user):
        return User.objects.none()
    if user.role == Role.STEWARD and not user.is_superuser:
        return User.objects.filter(pk=user.pk)
    return referenceable_people(user, *WORKER_ROLES)


def enterprise_tie(user: User) -> Q | None:
    """Investors a lead ties to the user (`enterprises.access.ties`): the investor of a lead
    they see, so an official works an investor from another city that has no local region."""
    if not may_open(user) or user.is_superuser:
        return None
    return Q(Exists(Lead.objects.filter(visible_q(user), investor=OuterRef("pk"))))


def investor_leads(user: User, enterprise: Any) -> dict[str, Any]:
    """The enterprise page's leads (`enterprises.views.detail_parts`): those of this investor
    that the user may see (none for an enterprise contact)."""
    leads = leads_for(user).filter(investor=enterprise).select_related("region")
    return {"investor_leads": list(leads.order_by("-id")[:50])}


# --- visits received (来访接待) and trips out (外出招商) -----------------------------------------
# The same rule as the leads: city admins and area officials see those of their area (and those
# they own), stewards those they own or are on (received by / team), leaders read those of their
# subtree; handlers and enterprise contacts meet nothing (404). A worker who sees one works it.


def _outing_q(user: User, people: str) -> Q:
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_superuser:
        return Q()
    if user.role in (Role.CITY_ADMIN, Role.AREA_OFFICIAL):
        return region_q(user, "region") | Q(owner=user)
    if user.role == Role.LEADER:
        return region_q(user, "region")
    if user.role == Role.STEWARD:
        return Q(owner=user) | Q(**{people: user})
    return Q(pk__in=[])


def visits_for(user: User) -> QuerySet[Visit]:
    """Every visit received the user may see."""
    return Visit.objects.filter(pk__in=Visit.objects.filter(_outing_q(user, "hosts")).values("pk"))


def trips_for(user: User) -> QuerySet[Trip]:
    """Every trip out the user may see."""
    return Trip.objects.filter(pk__in=Trip.objects.filter(_outing_q(user, "team")).values("pk"))


def can_work_visit(user: User, visit: Visit) -> bool:
    return can_create(user) and visits_for(user).filter(pk=visit.pk).exists()


def can_work_trip(user: User, trip: Trip) -> bool:
    return can_create(user) and trips_for(user).filter(pk=trip.pk).exists()


def get_visit(user: User, pk: int | str, *, write: bool = False) -> Visit:
    """The visit if the user may see it (else 404); with write=True, 403 unless workable."""
    try:
        visit = visits_for(user).select_related("region", "owner").get(pk=pk)
    except (Visit.DoesNotExist, ValueError, TypeError):
        raise Http404("no such visit") from None
    if write and not can_work_visit(user, visit):
        raise PermissionDenied("you may read this visit but not work it")
    return visit


def get_trip(user: User, pk: int | str, *, write: bool = False) -> Trip:
    """The trip if the user may see it (else 404); with write=True, 403 unless workable."""
    try:
        trip = trips_for(user).select_related("region", "owner").get(pk=pk)
    except (Trip.DoesNotExist, ValueError, TypeError):
        raise Http404("no such trip") from None
    if write and not can_work_trip(user, trip):
        raise PermissionDenied("you may read this trip but not work it")
    return trip


def referenceable_staff(user: User) -> QuerySet[User]:
    """Who a visit or trip the user enters may name on our side (received by, the team, the
    owner): active staff who work leads in the user's reach (their area or above), and
    themselves."""
    from guanjia.accounts.scope import referenceable_people

    if not can_create(user):
        return User.objects.none()
    return (referenceable_people(user, *WORKER_ROLES) | User.objects.filter(pk=user.pk)).distinct()
