"""The land map's data (招商地图): parks and plots as the map draws them, in one query for the
plots and one for the parks, with only the fields drawn.

`map_data(plots, parks, filters, public=...)` works on the querysets the caller hands it, so
the workspace passes what `access` lets the user see and a public page passes every park and
plot: in public mode only available plots (可供) are returned, and nothing of a reservation,
a lead, a project or a note ever is (the fields are not even read).

Coordinates are as stored: GeoJSON [longitude, latitude] in WGS 84 (`geo.py`); the script
converts them to the base map's GCJ-02 when it draws.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from .models import Park, Plot, Status

# A plot row, in this order (the script reads the same list: `data.fields`).
FIELDS = ("id", "code", "name", "status", "park", "lng", "lat", "area_mu", "power_kva",
          "price", "land_use", "outline")  # fmt: skip
PARK_FIELDS = ("id", "name", "kind", "lng", "lat")
# Above this many plots the outlines are left out (points only): the map stays fast.
OUTLINES_UP_TO = 5000


@dataclass(frozen=True)
class MapFilters:
    """What the map's filter form narrows to (None: no bound)."""

    industry: int | None = None
    min_mu: Decimal | None = None
    max_mu: Decimal | None = None
    min_kva: Decimal | None = None
    max_price: Decimal | None = None
    status: str | None = None
    land_use: str | None = None
    park: int | None = None


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def _lng_lat(point: Any) -> tuple[float | None, float | None]:
    try:
        lng, lat = point["coordinates"][:2]
        return float(lng), float(lat)
    except (TypeError, KeyError, ValueError, IndexError):
        return None, None


def filter_plots(plots: QuerySet[Plot], f: MapFilters, *, public: bool) -> QuerySet[Plot]:
    if public:
        plots = plots.filter(status=Status.AVAILABLE)
    elif f.status:
        plots = plots.filter(status=f.status)
    if f.industry:
        parks = Park.industries.through.objects.filter(industry_id=f.industry).values("park_id")
        plots = plots.filter(park_id__in=parks)
    if f.min_mu is not None:
        plots = plots.filter(area_mu__gte=f.min_mu)
    if f.max_mu is not None:
        plots = plots.filter(area_mu__lte=f.max_mu)
    if f.min_kva is not None:
        plots = plots.filter(power_kva__gte=f.min_kva)
    if f.max_price is not None:
        plots = plots.filter(price_wan_per_mu__lte=f.max_price)
    if f.land_use:
        plots = plots.filter(land_use=f.land_use)
    if f.park:
        plots = plots.filter(park_id=f.park)
    return plots


def map_data(
    plots: QuerySet[Plot],
    parks: QuerySet[Park],
    filters: MapFilters | None = None,
    *,
    public: bool = False,
) -> dict[str, Any]:
    """The parks and the (filtered) plots, as compact rows: {"fields", "plots", "park_fields",
    "parks", "count", "outlines"}. Plots without a location are left out (nothing to draw)."""
    f = filters or MapFilters()
    qs = filter_plots(plots, f, public=public).filter(point__isnull=False)
    rows = list(
        qs.order_by().values_list(
            "id", "code", "name", "status", "park_id", "point", "area_mu", "power_kva",
            "price_wan_per_mu", "land_use", "outline",
        )
    )  # fmt: skip
    with_outlines = len(rows) <= OUTLINES_UP_TO
    out = []
    for pk, code, name, status, park_id, point, area, kva, price, use, outline in rows:
        lng, lat = _lng_lat(point)
        if lng is None:
            continue
        shape = outline["coordinates"] if with_outlines and outline else None
        out.append([pk, code, name, status, park_id, lng, lat, _num(area), _num(kva),
                    _num(price), use, shape])  # fmt: skip
    park_rows = []
    for pk, name, kind, point in parks.order_by("region__path", "name").values_list(
        "id", "name", "kind", "point"
    ):
        lng, lat = _lng_lat(point)
        park_rows.append([pk, name, kind, lng, lat])
    return {
        "fields": FIELDS,
        "plots": out,
        "park_fields": PARK_FIELDS,
        "parks": park_rows,
        "count": len(out),
        "outlines": with_outlines,
        "public": public,
    }
