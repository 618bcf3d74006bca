"""What part of the region tree a user works in. Each resource's access helper builds on this."""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from guanjia.core.hooks import Hooks

from .models import Role, User

if TYPE_CHECKING:
    from guanjia.regions.models import Region

    from .models import Department

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


# --- References -------------------------------------------------------------------------------
#
# A write that names another record (a project's enterprise, a request's assignee, a region…)
# may name only a record the actor may reference: otherwise a county official could attach an
# enterprise of another county to a project of theirs and from then on read and edit it. Each
# kind of record has one helper that says what a user may reference (a queryset); every write
# path — web forms (as their choices), the API, Open311, importers, the ingest review — asks it.
# A reference outside it is refused exactly like a reference to a record that does not exist.


class ReferenceOutOfScope(ObjectDoesNotExist, Http404):
    """A write named a record the actor may not reference (or one that does not exist).

    Views answer it as they answer a missing record (404; the API: the same 422 naming the
    field as for an unknown id), so a refusal never tells that the record exists."""

    def __init__(self, field: str, value: Any) -> None:
        super().__init__(f"{field}: no such record ({value})")
        self.field = field
        self.value = value


def referenceable_regions(user: User) -> "QuerySet[Region]":
    """Active regions in the user's subtree: where they may put a project or an enterprise."""
    from guanjia.regions.models import Region

    qs = Region.objects.active()
    return qs if region_path(user) is None else qs.filter(region_q(user, ""))


def _lineage_or_subtree(user: User, field: str) -> Q:
    """`field` (a path to a Region) in the user's subtree or above it (city, province staff)."""
    path = region_path(user)
    if path is None:
        return Q()
    from guanjia.regions.models import Region

    above = user.region.lineage if user.region is not None else []
    regions = Region.objects.filter(Q(path__startswith=path) | Q(path__in=above))
    return Q(**{f"{field}__in": regions.values("pk")})


def referenceable_people(user: User, *roles: str) -> "QuerySet[User]":
    """Active staff (of `roles`, if given) the user may name as a project's or an enterprise's
    steward, a leader in charge, a service's steward: people working in the user's subtree or
    above it. A person of another county is not among them (they would then read the record)."""
    qs = User.objects.filter(is_active=True).exclude(role=Role.ENTERPRISE)
    if roles:
        qs = qs.filter(role__in=roles)
    return qs.filter(_lineage_or_subtree(user, "region"))


def referenceable_departments(user: User) -> "QuerySet[Department]":
    """Departments of the user's subtree or above it (the city's bureaus)."""
    from .models import Department

    return Department.objects.filter(_lineage_or_subtree(user, "region"))


# kind → function(user, **context) -> QuerySet: what a user may name as that kind. Each app's
# access module owns its own and registers it in its AppConfig.ready() (the apps above this
# one: enterprise, project, event, request, assignee); the kinds of this app are here.
REFERENCES: "Hooks[Callable[..., QuerySet]]" = Hooks("accounts.scope.REFERENCES")
REFERENCES.register(referenceable_regions, key="region")
REFERENCES.register(referenceable_people, key="person")
REFERENCES.register(referenceable_departments, key="department")


def referenceable(user: User, kind: str, **context: Any) -> QuerySet:
    """What `user` may name as a `kind` (see REFERENCES)."""
    return REFERENCES[kind](user, **context)


def check_reference(
    user: User, kind: str, value: Any, *, field: str, qs: QuerySet | None = None, **context: Any
) -> Any:
    """The record `value` (a pk or an instance) names, if `user` may reference it; None stays
    None. Anything else — another area's record, or no record at all — is ReferenceOutOfScope
    naming `field`."""
    if value is None:
        return None
    pk = getattr(value, "pk", value)
    found = None
    if isinstance(pk, int) or (isinstance(pk, str) and pk.isdigit() and len(pk) < 19):
        scope = qs if qs is not None else referenceable(user, kind, **context)
        found = scope.filter(pk=int(pk)).first()
    if found is None:
        raise ReferenceOutOfScope(field, pk)
    return found


def check_references(user: User, kind: str, values: Any, *, field: str, **context: Any) -> list:
    """Several references of one kind (a project's partners); the first refused one raises."""
    values = list(values or [])
    ids = {getattr(v, "pk", v) for v in values}
    found = {o.pk: o for o in referenceable(user, kind, **context).filter(pk__in=ids)}
    for pk in sorted(ids, key=str):
        if pk not in found:
            raise ReferenceOutOfScope(field, pk)
    return [found[pk] for pk in sorted(found)]
