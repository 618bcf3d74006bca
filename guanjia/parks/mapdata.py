"""The land map's data (招商地图): parks and plots as the map draws them, in one query for the
plots (their rows as JSON built by the database; a second for their outlines when few enough
to draw) and one for the parks, with only the fields drawn.

`map_json(plots, parks, filters, public=...)` works on the querysets the caller hands it, so
the workspace passes what `access` lets the user see and a public page passes every park and
plot: in public mode only available plots (可供) are returned, and nothing of a reservation,
a lead, a project or a note ever is (the fields are not even read). `cached_map_json` keeps
the answer under the land's version (`landcache`: any change to a park, plot or building
moves it), so the 50,000 plots are read once per change, not once per map opened.

Coordinates are as stored: GeoJSON [longitude, latitude] in WGS 84 (`geo.py`); the script
converts them to the base map's GCJ-02 when it draws.
"""

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connections
from django.db.models import FloatField, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from . import landcache
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


def _plot_rows_json(qs: QuerySet[Plot], *, outlines: bool) -> tuple[int, str]:
    """How many plots with a position `qs` holds and their rows (with their outlines, or
    null in their place) as a JSON array, built by the database: no Python object per row
    (50,000 plots)."""
    # Numbers come out of the database as floats, the position out of the GeoJSON.
    inner = (
        qs.order_by()
        .annotate(
            x=Cast(KT("point__coordinates__0"), FloatField()),
            y=Cast(KT("point__coordinates__1"), FloatField()),
            mu=Cast("area_mu", FloatField()),
            kva=Cast("power_kva", FloatField()),
            wan=Cast("price_wan_per_mu", FloatField()),
        )
        .values_list("id", "code", "name", "status", "park_id", "x", "y", "mu", "kva", "wan",
                     "land_use", "outline")
    )  # fmt: skip
    sql, params = inner.query.sql_with_params()
    connection = connections[inner.db]
    columns = "t.id, t.code, t.name, t.status, t.park_id, t.x, t.y, t.mu, t.kva, t.wan, t.land_use"
    if connection.vendor == "postgresql":
        shape = "t.outline -> 'coordinates'" if outlines else "NULL"
        # As text: psycopg would parse a json column into Python objects.
        rows = f"COALESCE(json_agg(json_build_array({columns}, {shape})), '[]')::text"
    else:  # SQLite (the test suite, a small install)
        shape = "json_extract(t.outline, '$.coordinates')" if outlines else "NULL"
        rows = f"json_group_array(json_array({columns}, {shape}))"
    outer = (
        f"SELECT COUNT(*), {rows} FROM ({sql}) t"  # noqa: S608 (our own compiled SQL)
        " WHERE t.x IS NOT NULL AND t.y IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(outer, params)
        count, text = cursor.fetchone()
    return int(count), str(text)


def map_json(
    plots: QuerySet[Plot],
    parks: QuerySet[Park],
    filters: MapFilters | None = None,
    *,
    public: bool = False,
) -> bytes:
    """The parks and the (filtered) plots as the map's JSON: {"fields", "plots", "park_fields",
    "parks", "count", "outlines", "public"}, each plot a compact row. Plots without a location
    are left out (nothing to draw). Three queries: the plots' rows (as JSON, from the
    database), again with their outlines when few enough to draw, the parks."""
    f = filters or MapFilters()
    qs = filter_plots(plots, f, public=public).filter(point__isnull=False)
    count, rows = _plot_rows_json(qs, outlines=False)
    with_outlines = count <= OUTLINES_UP_TO
    if with_outlines and count:
        count, rows = _plot_rows_json(qs, outlines=True)
    park_rows = []
    for pk, name, kind, point in parks.order_by("region__path", "name").values_list(
        "id", "name", "kind", "point"
    ):
        lng, lat = _lng_lat(point)
        park_rows.append([pk, name, kind, lng, lat])
    head = {"fields": FIELDS, "park_fields": PARK_FIELDS, "parks": park_rows, "count": count,
            "outlines": with_outlines, "public": public}  # fmt: skip
    # The plots' array goes in as the database wrote it.
    text = json.dumps(head, ensure_ascii=False)
    return (text[:-1] + ', "plots": ' + rows + "}").encode()


def map_data(
    plots: QuerySet[Plot],
    parks: QuerySet[Park],
    filters: MapFilters | None = None,
    *,
    public: bool = False,
) -> dict[str, Any]:
    """`map_json` read back: the same keys and rows, as Python values."""
    result: dict[str, Any] = json.loads(map_json(plots, parks, filters, public=public))
    return result


def cached_map_json(
    scope: str,
    plots: QuerySet[Plot],
    parks: QuerySet[Park],
    filters: MapFilters | None = None,
    *,
    public: bool = False,
) -> bytes:
    """`map_json`, kept under the land's version (`landcache`): `scope` names what `plots`
    and `parks` hold (the same name must always mean the same rows: "staff" for a parks
    reader's whole inventory; the public mode is keyed apart)."""
    wanted = hashlib.sha256(repr(filters or MapFilters()).encode()).hexdigest()[:32]
    key = f"map:{scope}:{'public' if public else 'all'}:{wanted}"
    body: bytes = landcache.cached(key, lambda: map_json(plots, parks, filters, public=public))
    return body
