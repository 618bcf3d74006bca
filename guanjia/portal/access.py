"""What the public portal may show to anyone, signed in or not: nothing else leaves here.

Each reader returns only the published rows, and the views pick the published fields from
them (never contacts, notes, reservations or leads). The lists are cached for a short while
(`GUANJIA_PORTAL_CACHE_SECONDS`) under a version that every save of a published kind bumps.
"""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, DecimalField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.db.models.signals import post_delete, post_save

from guanjia.events.models import Signing
from guanjia.parks import landcache
from guanjia.parks.mapdata import MapFilters, filter_plots
from guanjia.parks.models import Building, Park, Plot, Status, Substation
from guanjia.policies.models import Policy, PolicyDocument
from guanjia.projects.models import Project
from guanjia.projects.stages import Stage

VERSION_KEY = "gj:portal:version"


def public_projects() -> QuerySet[Project]:
    return (
        Project.objects.filter(public=True)
        .exclude(stage=Stage.WITHDRAWN)
        .select_related("region", "industry")
    )


def public_policies() -> QuerySet[Policy]:
    return Policy.objects.filter(public=True, active=True)


def public_documents(policy: Policy) -> QuerySet[PolicyDocument]:
    return PolicyDocument.objects.filter(policy=policy, policy__public=True, policy__active=True)


def public_parks() -> QuerySet[Park]:
    available = Q(plots__status=Status.AVAILABLE)
    return (
        Park.objects.select_related("region")
        .annotate(available_plots=Count("plots", filter=available, distinct=True))
        .order_by("name")
    )


def available_plots(park: Park) -> QuerySet[Plot]:
    return Plot.objects.filter(park=park, status=Status.AVAILABLE).order_by("code")


def available_buildings(park: Park) -> QuerySet[Building]:
    return Building.objects.filter(park=park, status=Status.AVAILABLE).order_by("code")


def public_plots() -> QuerySet[Plot]:
    """Every plot on offer (可供), with `spare_kva`: the power at its boundary, else its park's
    spare capacity (the sum over the park's substations), as the land matching reads it."""
    park_spare = (
        Substation.objects.filter(park=OuterRef("park"))
        .values("park")
        .annotate(total=Sum("spare_kva"))
        .values("total")
    )
    spare = Subquery(park_spare, output_field=DecimalField(max_digits=20, decimal_places=0))
    return (
        Plot.objects.filter(status=Status.AVAILABLE)
        .select_related("park")
        .annotate(spare_kva=Coalesce("power_kva", spare))
    )


def find_plots(
    *,
    industry: int | None = None,
    min_mu: Decimal | None = None,
    min_kva: Decimal | None = None,
    land_use: str | None = None,
    park: int | None = None,
) -> QuerySet[Plot]:
    """The plots on offer that fit: in a park whose leading industries hold `industry`, of at
    least `min_mu` 亩 and `min_kva` spare power, of that land use and park; smallest first."""
    wanted = MapFilters(industry=industry, min_mu=min_mu, land_use=land_use, park=park)
    plots = filter_plots(public_plots(), wanted, public=True)
    if min_kva is not None:
        plots = plots.filter(Q(spare_kva__gte=min_kva))  # the annotation of public_plots()
    return plots.order_by("area_mu", "pk")


def may_see_park(park: Park) -> bool:
    """Every park is public (its facts are the city's published ones)."""
    return True


def may_see_project(project: Project) -> bool:
    return project.public and project.stage != Stage.WITHDRAWN


def may_see_policy(policy: Policy) -> bool:
    return policy.public and policy.active


# --- The short cache ---------------------------------------------------------------------------


def version() -> int:
    value = cache.get(VERSION_KEY)
    if value is None:
        value = 1
        cache.add(VERSION_KEY, value, timeout=None)
    return int(value)


def forget(**_kwargs: Any) -> None:
    """A published kind changed: the next reader computes afresh."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, 2, timeout=None)


def cached(name: str, compute: Callable[[], Any]) -> Any:
    # The land's version too: it also moves with a park's substations, industries and
    # incentives, which the portal's own signals do not watch.
    key = f"gj:portal:{version()}:{landcache.version()}:{name}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout=settings.GUANJIA_PORTAL_CACHE_SECONDS)
    return value


WATCHED = (Project, Policy, PolicyDocument, Park, Plot, Building, Signing)


def watch_public_records() -> None:
    for model in WATCHED:
        post_save.connect(forget, sender=model, dispatch_uid=f"portal-{model.__name__}-save")
        post_delete.connect(forget, sender=model, dispatch_uid=f"portal-{model.__name__}-del")
