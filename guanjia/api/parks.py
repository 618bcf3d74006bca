"""Parks (产业园区), plots (地块) and standard buildings (标准厂房): list and read; a plot's
reservation (意向) for a lead taken and released; the land matching a lead (匹配地块).

The same `access`, `services` and `matching` as the pages: a role without the parks gets 404
(enterprise contacts, department handlers), a reader without the step gets 403; bureau staff
(stewards) reserve for the leads they work, and a lead they may not name is the 422 of an id
that does not exist. A step the plot's status or reservation refuses is a 409.
"""

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from guanjia.parks import access, matching, services
from guanjia.parks.models import Building, Park, Plot
from guanjia.regions.models import Region

from .common import caller, page, region_ref
from .errors import ApiError, django_errors, field_error
from .schemas import ErrorOut, Id, Input, InvalidOut, Page, RegionRef, Text

router = Router(tags=["parks"])

READ_ONE = {401: ErrorOut, 404: ErrorOut}
READ_LIST = {401: ErrorOut, 404: ErrorOut, 422: InvalidOut}
STEP_ERRORS = {
    400: InvalidOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: InvalidOut,
    422: InvalidOut,
}
# Literals rather than the models' TextChoices: their class names (Status…) are taken by
# other apps' enum components in the schema.
OfferStatus = Literal["available", "reserved", "taken"]
LandUseName = Literal["industrial", "warehouse", "commercial", "research", "mixed", "other"]
ParkKindName = Literal["national_etdz", "high_tech", "provincial", "specialised"]


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


# --- shapes -----------------------------------------------------------------------------------


class ParkRef(Schema):
    id: int
    name: str


class ParkOut(Schema):
    id: int
    name: str
    kind: ParkKindName
    region: RegionRef
    industries: list[str]
    planned_area_km2: str | None
    built_area_km2: str | None
    occupancy_percent: str | None
    spare_kva: str | None = Field(description="spare capacity of its substations, summed")
    gas_m3_day: str | None
    water_t_day: str | None
    wastewater_t_day: str | None
    rail_sidings: int | None
    port_berths: int | None
    km_to_port: str | None
    km_to_airport: str | None
    km_to_highway: str | None
    point: dict[str, Any] | None
    is_demo: bool


class ParkList(Schema):
    count: int
    items: list[ParkOut]


class ParkFilters(Page):
    q: Text = Field("", max_length=100, description="part of the name")
    region_id: Id | None = Field(None, description="in this area or below it")
    industry_id: Id | None = Field(None, description="with this leading industry")


class OfferOut(Schema):
    id: int
    park: ParkRef
    code: str
    name: str
    status: OfferStatus
    reserved_for_id: int | None
    reserved_until: dt.date | None
    project_id: int | None
    taken_on: dt.date | None
    point: dict[str, Any] | None
    is_demo: bool


class PlotOut(OfferOut):
    area_mu: str | None
    area_m2: str | None
    land_use: LandUseName
    far_min: str | None
    far_max: str | None
    density_max: str | None
    green_max: str | None
    height_limit_m: str | None
    utilities: list[str]
    power_kva: str | None
    price_wan_per_mu: str | None
    price_is_reference: bool
    steps: list[str] = Field(description="the steps the caller may take now")


class PlotList(Schema):
    count: int
    items: list[PlotOut]


class BuildingOut(OfferOut):
    plot_id: int | None
    floor_area_m2: str | None
    floors: int | None
    floor_load_kn_m2: str | None
    eaves_height_m: str | None
    crane_t: str | None
    for_rent: bool
    for_sale: bool
    rent_yuan_m2_month: str | None
    sale_yuan_m2: str | None
    steps: list[str] = Field(description="the steps the caller may take now")


class BuildingList(Schema):
    count: int
    items: list[BuildingOut]


class OfferFilters(Page):
    q: Text = Field("", max_length=100, description="part of the number or name")
    park_id: Id | None = None
    status: OfferStatus | None = None


class PlotFilters(OfferFilters):
    land_use: LandUseName | None = None
    min_mu: Decimal | None = Field(None, ge=0, le=10**6, description="area at least (亩)")
    max_mu: Decimal | None = Field(None, ge=0, le=10**6, description="area at most (亩)")


class ReserveIn(Input):
    lead_id: Id | None = Field(None, description="the lead it is held for (required)")
    until: dt.date | None = Field(None, description="the date it lapses (required)")


class ReleaseIn(Input):
    reason: Text = Field("", max_length=300, description="why (required)")


class LandReasonOut(Schema):
    key: str = Field(description="area, power, industry, price, water, port or rail")
    text: str
    met: bool | None = Field(description="null: the fact is not recorded")


class LandMatchOut(Schema):
    kind: Literal["plot", "building"]
    id: int
    code: str
    name: str
    park: ParkRef
    status: OfferStatus
    score: int
    missed: int
    asked: bool = Field(description="the plot the lead's portal enquiry asked about (first)")
    reasons: list[LandReasonOut]


class LandMatchFilters(Schema):
    limit: int = Field(20, ge=1, le=100, description="at most this many of each kind")


class LandMatchList(Schema):
    lead_id: int
    plots: list[LandMatchOut]
    buildings: list[LandMatchOut]


# --- rows -------------------------------------------------------------------------------------


def park_out(park: Park) -> dict[str, Any]:
    spare = [s.spare_kva for s in park.substations.all() if s.spare_kva is not None]
    return {
        "id": park.pk,
        "name": park.name,
        "kind": park.kind,
        "region": region_ref(park.region),
        "industries": [i.name for i in park.industries.all()],
        "spare_kva": _dec(sum(spare, Decimal(0))) if spare else None,
        **{
            name: _dec(getattr(park, name))
            for name in (
                "planned_area_km2",
                "built_area_km2",
                "occupancy_percent",
                "gas_m3_day",
                "water_t_day",
                "wastewater_t_day",
                "km_to_port",
                "km_to_airport",
                "km_to_highway",
            )  # fmt: skip
        },
        "rail_sidings": park.rail_sidings,
        "port_berths": park.port_berths,
        "point": park.point,
        "is_demo": park.is_demo,
    }


def _offer(obj: Plot | Building) -> dict[str, Any]:
    return {
        "id": obj.pk,
        "park": {"id": obj.park_id, "name": obj.park.name},
        "code": obj.code,
        "name": obj.name,
        "status": obj.status,
        "reserved_for_id": obj.reserved_for_id,
        "reserved_until": obj.reserved_until,
        "project_id": obj.project_id,
        "taken_on": obj.taken_on,
        "point": obj.point,
        "is_demo": obj.is_demo,
    }


PLOT_NUMBERS = (
    "area_mu", "area_m2", "far_min", "far_max", "density_max", "green_max", "height_limit_m",
    "power_kva", "price_wan_per_mu",
)  # fmt: skip
BUILDING_NUMBERS = (
    "floor_area_m2", "floor_load_kn_m2", "eaves_height_m", "crane_t", "rent_yuan_m2_month",
    "sale_yuan_m2",
)  # fmt: skip


def plot_out(plot: Plot, user: Any) -> dict[str, Any]:
    return {
        **_offer(plot),
        **{name: _dec(getattr(plot, name)) for name in PLOT_NUMBERS},
        "land_use": plot.land_use,
        "utilities": plot.utilities,
        "price_is_reference": plot.price_is_reference,
        "steps": [s.name for s in services.allowed_steps(user, plot)],
    }


def building_out(building: Building, user: Any) -> dict[str, Any]:
    return {
        **_offer(building),
        **{name: _dec(getattr(building, name)) for name in BUILDING_NUMBERS},
        "plot_id": building.plot_id,
        "floors": building.floors,
        "for_rent": building.for_rent,
        "for_sale": building.for_sale,
        "steps": [s.name for s in services.allowed_steps(user, building)],
    }


def match_out(match: matching.Match) -> dict[str, Any]:
    obj = match.offer
    return {
        "kind": match.kind,
        "id": obj.pk,
        "code": obj.code,
        "name": obj.name,
        "park": {"id": obj.park_id, "name": obj.park.name},
        "status": obj.status,
        "score": match.score,
        "missed": match.missed,
        "asked": match.asked,
        "reasons": [{"key": r.key, "text": r.text, "met": r.met} for r in match.reasons],
    }


# --- parks ------------------------------------------------------------------------------------


@router.get("/parks", response={200: ParkList} | READ_LIST)
def list_parks(request: HttpRequest, filters: Query[ParkFilters]) -> dict:
    """Every park (the inventory is the city's: every reader reads all of it)."""
    user = caller(request)
    access.require_open(user)
    qs = access.parks_for(user).select_related("region")
    if filters.q:
        qs = qs.filter(name__icontains=filters.q)
    if filters.region_id is not None:
        region = Region.objects.filter(pk=filters.region_id).first()
        qs = qs.filter(region__path__startswith=region.path) if region else qs.none()
    if filters.industry_id is not None:
        qs = qs.filter(industries=filters.industry_id)
    qs = qs.prefetch_related("industries", "substations").order_by("name", "id")
    return {
        "count": qs.count(),
        "items": [park_out(p) for p in page(qs, filters.limit, filters.offset)],
    }


@router.get("/parks/{int:park_id}", response={200: ParkOut} | READ_ONE)
def get_park(request: HttpRequest, park_id: int) -> dict:
    user = caller(request)
    access.require_open(user)
    return park_out(access.get_park(user, park_id))


# --- plots and buildings ------------------------------------------------------------------------


def _offers(qs: Any, filters: OfferFilters) -> Any:
    if filters.q:
        qs = qs.filter(Q(code__icontains=filters.q) | Q(name__icontains=filters.q))
    if filters.park_id is not None:
        qs = qs.filter(park_id=filters.park_id)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return qs.select_related("park").order_by("park_id", "code", "id")


@router.get("/plots", response={200: PlotList} | READ_LIST)
def list_plots(request: HttpRequest, filters: Query[PlotFilters]) -> dict:
    """Plots, by park and number; filtered by park, status, land use and area."""
    user = caller(request)
    access.require_open(user)
    qs = _offers(access.plots_for(user), filters)
    if filters.land_use:
        qs = qs.filter(land_use=filters.land_use)
    if filters.min_mu is not None:
        qs = qs.filter(area_mu__gte=filters.min_mu)
    if filters.max_mu is not None:
        qs = qs.filter(area_mu__lte=filters.max_mu)
    items = page(qs.select_related("park__region"), filters.limit, filters.offset)
    return {"count": qs.count(), "items": [plot_out(p, user) for p in items]}


@router.get("/plots/{int:plot_id}", response={200: PlotOut} | READ_ONE)
def get_plot(request: HttpRequest, plot_id: int) -> dict:
    user = caller(request)
    access.require_open(user)
    return plot_out(access.get_plot(user, plot_id), user)


@router.get("/buildings", response={200: BuildingList} | READ_LIST)
def list_buildings(request: HttpRequest, filters: Query[OfferFilters]) -> dict:
    """Standard buildings, by park and number; filtered by park and status."""
    user = caller(request)
    access.require_open(user)
    qs = _offers(access.buildings_for(user), filters)
    items = page(qs, filters.limit, filters.offset)
    return {"count": qs.count(), "items": [building_out(b, user) for b in items]}


@router.get("/buildings/{int:building_id}", response={200: BuildingOut} | READ_ONE)
def get_building(request: HttpRequest, building_id: int) -> dict:
    user = caller(request)
    access.require_open(user)
    return building_out(access.get_building(user, building_id), user)


def _step(obj: Plot | Building, name: str, user: Any, **fields: Any) -> None:
    """Run the step; its refusals as 422 (a field's) or 409 (the plot's or building's state)."""
    try:
        services.take_step(obj, name, user, **fields)
    except services.LandError as exc:
        if hasattr(exc, "error_dict"):
            errors = django_errors(exc)
            for error in errors:
                error["field"] = {"lead": "lead_id"}.get(error["field"], error["field"])
            raise ApiError(422, _("The input is not valid."), errors) from exc
        raise ApiError(
            409, _("The step was refused."), [field_error(None, " ".join(exc.messages))]
        ) from exc


@router.post("/plots/{int:plot_id}/reserve", response={200: PlotOut} | STEP_ERRORS)
def reserve_plot(request: HttpRequest, plot_id: int, payload: ReserveIn) -> dict:
    """Reserve the plot (意向) for a lead until a date: the park's keepers, and bureau staff
    for the leads they work. Held for another lead until a later date: 409."""
    user = caller(request)
    access.require_open(user)
    plot = access.get_plot(user, plot_id)
    if not access.may_reserve(user, plot):
        raise PermissionDenied
    _step(plot, "reserve", user, lead=payload.lead_id, until=payload.until)
    return plot_out(access.get_plot(user, plot_id), user)


@router.post("/plots/{int:plot_id}/release", response={200: PlotOut} | STEP_ERRORS)
def release_plot(request: HttpRequest, plot_id: int, payload: ReleaseIn) -> dict:
    """Release the plot's reservation (back to 可供), saying why: the park's keepers, and
    bureau staff for a reservation held for a lead they work."""
    user = caller(request)
    access.require_open(user)
    plot = access.get_plot(user, plot_id)
    if not access.may_release(user, plot):
        raise PermissionDenied
    _step(plot, "release", user, reason=payload.reason)
    return plot_out(access.get_plot(user, plot_id), user)


@router.post("/buildings/{int:building_id}/reserve", response={200: BuildingOut} | STEP_ERRORS)
def reserve_building(request: HttpRequest, building_id: int, payload: ReserveIn) -> dict:
    """Reserve the standard building (意向) for a lead until a date, as a plot is reserved."""
    user = caller(request)
    access.require_open(user)
    building = access.get_building(user, building_id)
    if not access.may_reserve(user, building):
        raise PermissionDenied
    _step(building, "reserve", user, lead=payload.lead_id, until=payload.until)
    return building_out(access.get_building(user, building_id), user)


@router.post("/buildings/{int:building_id}/release", response={200: BuildingOut} | STEP_ERRORS)
def release_building(request: HttpRequest, building_id: int, payload: ReleaseIn) -> dict:
    """Release the standard building's reservation (back to 可供), saying why, as a plot's."""
    user = caller(request)
    access.require_open(user)
    building = access.get_building(user, building_id)
    if not access.may_release(user, building):
        raise PermissionDenied
    _step(building, "release", user, reason=payload.reason)
    return building_out(access.get_building(user, building_id), user)


# --- the land matching a lead -------------------------------------------------------------------


@router.get("/leads/{int:lead_id}/land-matches", response={200: LandMatchList} | READ_ONE)
def land_matches(request: HttpRequest, lead_id: int, filters: Query[LandMatchFilters]) -> dict:
    """The plots and buildings on offer that fit the lead's needs, best first, each criterion
    met (true), missed (false) or not recorded (null)."""
    user = caller(request)
    access.require_open(user)
    lead = access.get_lead(user, lead_id)
    found = matching.matches_for(lead, filters.limit)
    asked = services.asked_plot_ids(lead)
    found["plots"] = matching.asked_first(lead, found["plots"], asked)
    return {
        "lead_id": lead.pk,
        "plots": [match_out(m) for m in found["plots"]],
        "buildings": [match_out(m) for m in found["buildings"]],
    }
