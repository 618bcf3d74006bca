"""The cities and their areas (县(市)区 and zones) targets are split across."""

from guanjia.regions.models import Region, RegionKind


def cities() -> list[Region]:
    return list(Region.objects.active().filter(kind=RegionKind.CITY).order_by("path"))


def areas_of(city: Region) -> list[Region]:
    """The city's current areas: its direct children (abolished ones are history)."""
    return list(Region.objects.active().filter(parent=city).order_by("sort_order", "path"))


def top_region() -> Region | None:
    """The region summaries default to: the only city, else the root of the tree."""
    found = cities()
    if len(found) == 1:
        return found[0]
    return Region.objects.active().filter(parent__isnull=True).order_by("path").first()


def area_of(region: Region) -> Region | None:
    """The city's area a region lies in (itself if it is one); None for a city or above."""
    node: Region | None = region
    while node is not None and node.parent_id is not None:
        parent = node.parent
        if parent is not None and parent.kind == RegionKind.CITY:
            return node
        node = parent
    return None
