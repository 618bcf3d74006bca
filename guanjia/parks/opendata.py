"""The parks and the available plots as GeoJSON (RFC 7946: WGS 84 [longitude, latitude], as
stored): open data, so only what an investor may read. Never a contact, a note, a
reservation, a lead or a project; a plot is in it only while it is available (可供).

A feature's geometry is its outline (Polygon) where one is drawn, else its point, else null.
"""

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum

from .models import Park, Plot, Status

PARK_FIELDS = ("id", "name", "kind", "region__name", "region__code", "whole_area",
               "planned_area_km2", "built_area_km2", "occupancy_percent", "gas_m3_day",
               "water_t_day", "wastewater_t_day", "rail_sidings", "port_berths", "km_to_port",
               "km_to_airport", "km_to_highway", "address", "website", "description",
               "is_demo")  # fmt: skip
PLOT_FIELDS = ("id", "code", "name", "park_id", "park__name", "park__region__name", "area_mu",
               "area_m2", "land_use", "far_min", "far_max", "density_max", "green_max",
               "height_limit_m", "utilities", "power_kva", "price_wan_per_mu",
               "price_is_reference", "is_demo")  # fmt: skip


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return value


def _geometry(point: Any, outline: Any) -> dict[str, Any] | None:
    result: dict[str, Any] | None = outline or point or None
    return result


def _collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


def parks_geojson(parks: QuerySet[Park]) -> dict[str, Any]:
    industries: dict[int, list[str]] = {}
    through = Park.industries.through.objects.filter(park_id__in=parks.values("pk"))
    for park_id, name in through.order_by("industry__sort_order").values_list(
        "park_id", "industry__name"
    ):
        industries.setdefault(park_id, []).append(name)
    rows = (
        parks.order_by("region__path", "name", "pk")
        .annotate(spare=Sum("substations__spare_kva"))
        .values(*PARK_FIELDS, "spare", "point", "outline")
    )
    features = []
    for row in rows:
        point, outline = row.pop("point"), row.pop("outline")
        props = {k.replace("region__", "area_"): _plain(v) for k, v in row.items()}
        props["spare_kva"] = props.pop("spare")
        props["industries"] = industries.get(row["id"], [])
        features.append({"type": "Feature", "id": row["id"], "geometry": _geometry(point, outline),
                         "properties": props})  # fmt: skip
    return _collection(features)


def plots_geojson(plots: QuerySet[Plot]) -> dict[str, Any]:
    rows = (
        plots.filter(status=Status.AVAILABLE)
        .order_by("park_id", "code", "pk")
        .values(*PLOT_FIELDS, "point", "outline")
    )
    features = []
    for row in rows:
        point, outline = row.pop("point"), row.pop("outline")
        props = {
            k.replace("park__region__", "area_").replace("park__", "park_"): _plain(v)
            for k, v in row.items()
        }
        features.append({"type": "Feature", "id": row["id"], "geometry": _geometry(point, outline),
                         "properties": props})  # fmt: skip
    return _collection(features)


def project_locations(ids: Any) -> dict[int, list[dict[str, Any]]]:
    """OC4IDS locations of projects: the plots they were given (registered with
    `projects.opendata.oc4ids.locators`)."""
    found: dict[int, list[dict[str, Any]]] = {}
    rows = (
        Plot.objects.filter(project_id__in=list(ids), status=Status.TAKEN)
        .order_by("pk")
        .values_list("project_id", "pk", "code", "park__name", "point", "outline")
    )
    for project_id, pk, code, park, point, outline in rows:
        geometry = outline or point
        location: dict[str, Any] = {"id": f"plot-{pk}", "description": f"{park} {code}"}
        if geometry:
            location["geometry"] = geometry
        found.setdefault(project_id, []).append(location)
    return found
