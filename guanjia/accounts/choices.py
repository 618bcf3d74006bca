"""Form choices of the regions and staff a user may name (`scope.referenceable_*`), shared by
the pages of several apps."""

from django.db.models import Q, QuerySet

from guanjia.accounts.models import User
from guanjia.accounts.scope import referenceable_people, referenceable_regions
from guanjia.regions.models import Region


def scoped_regions(user: User) -> QuerySet[Region]:
    """Active regions within the user's part of the tree (`scope.referenceable_regions`)."""
    return referenceable_regions(user)


def region_choices(regions: QuerySet[Region]) -> list[tuple[str, str]]:
    """Regions as select options, indented under their parents."""
    regions_list = list(regions)
    top = min((r.level for r in regions_list), default=0)
    return [(str(r.pk), "\u3000" * (r.level - top) + r.name) for r in regions_list]


def staff(role: str, user: User, keep: int | None = None) -> QuerySet[User]:
    """Active users of a role the user may name (`scope.referenceable_people`: their area and
    the areas above it), plus `keep`, the one already assigned."""
    qs = referenceable_people(user, role)
    if keep:
        qs = User.objects.filter(Q(pk__in=qs.values("pk")) | Q(pk=keep, role=role))
    return qs.order_by("display_name", "username")
