"""Who reads, generates and subscribes to reports.

| role               | list / download              | generate                       | calendar feed          |
|--------------------|------------------------------|--------------------------------|------------------------|
| city admin         | reports of areas in scope    | any area in scope              | events, visits in scope|
| leader             | reports of areas in scope    | any area in scope              | events, visits in scope|
| area official      | reports of their area        | their area and below           | events, visits in area |
| steward            | reports of their area        | no (403)                       | events in area, own visits |
| department handler | 403                          | 403                            | 403                    |
| enterprise contact | 403                          | 403                            | 403                    |

A report for no area (everything the installation holds) is for those who see everything.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from guanjia.accounts.models import Role, User
from guanjia.accounts.scope import region_path, sees_everything
from guanjia.regions.models import Region

from .models import Report

READER_ROLES = {Role.CITY_ADMIN, Role.LEADER, Role.AREA_OFFICIAL, Role.STEWARD}
GENERATOR_ROLES = {Role.CITY_ADMIN, Role.LEADER, Role.AREA_OFFICIAL}


def may_read(user: User) -> bool:
    return user.is_active and (user.is_superuser or user.role in READER_ROLES)


def may_generate(user: User) -> bool:
    return user.is_active and (user.is_superuser or user.role in GENERATOR_ROLES)


def require_reader(user: User) -> None:
    if not may_read(user):
        raise PermissionDenied("reports are for the bureau's staff")


def require_generator(user: User) -> None:
    if not may_generate(user):
        raise PermissionDenied("you may read reports but not generate them")


def reports_for(user: User) -> QuerySet[Report]:
    """The reports the user may see: those of areas in their subtree."""
    if not may_read(user):
        return Report.objects.none()
    path = region_path(user)
    if path is None:
        return Report.objects.all()
    return Report.objects.filter(Q(region__path__startswith=path))


def get_report(user: User, pk: int) -> Report:
    require_reader(user)
    try:
        return reports_for(user).select_related("region").get(pk=pk)
    except Report.DoesNotExist:
        raise Http404("no such report") from None


def areas_for(user: User) -> QuerySet[Region]:
    """The areas the user may ask a report for."""
    qs = Region.objects.active()
    path = region_path(user)
    return qs if path is None else qs.filter(path__startswith=path)


def may_report_on_all(user: User) -> bool:
    """A report over every area (no region) is for those who see everything."""
    return may_generate(user) and sees_everything(user)


def may_open(user: User) -> bool:
    """Whether the menu shows the reports."""
    return may_read(user)
