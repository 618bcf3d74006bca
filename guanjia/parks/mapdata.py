"""The land map's data (招商地图): parks and plots as the map draws them, in one query for the
plots (a second for their outlines when few enough to draw) and one for the parks, with only
the fields drawn.

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

from django.db.models import FloatField, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

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
    # Numbers come out of the database as floats, the position out of the GeoJSON: no JSON
    # parsing and no Decimal per row (50,000 plots).
    rows = list(
        qs.order_by()
        .annotate(
            x=Cast(KT("point__coordinates__0"), FloatField()),
            y=Cast(KT("point__coordinates__1"), FloatField()),
            mu=Cast("area_mu", FloatField()),
            kva=Cast("power_kva", FloatField()),
            wan=Cast("price_wan_per_mu", FloatField()),
        )
        .values_list("id", "code", "name", "status", "park_id", "x", "y", "mu", "kva", "wan",
                     "land_use")
    )  # fmt: skip
    with_outlines = len(rows) <= OUTLINES_UP_TO
    shapes: dict[int, Any] = {}
    if with_outlines and rows:
        # The outlines only when few enough to draw: a second query, by the ids just read.
        outlined = Plot.objects.filter(pk__in=[r[0] for r in rows], outline__isnull=False)
        shapes = {pk: o["coordinates"] for pk, o in outlined.values_list("pk", "outline") if o}
    out = [[*row, shapes.get(row[0])] for row in rows if row[5] is not None and row[6] is not None]
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
