"""Thin views of the parks, plots and buildings: ask `access`, call `services`, render."""

import datetime as dt
import io
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanjia.accounts.typing import AuthedRequest
from guanjia.core.files import Served, serving_view
from guanjia.core.models import ImportKind
from guanjia.core.sheets.pages import HelpColumn, ImportPages, PreviewColumn
from guanjia.core.views import add_service_errors, history_rows, is_htmx, paginate
from guanjia.projects.opendata.views import cacheable

from . import access, exporters, importers, landcache, mapdata, matching, opendata, services
from .forms import (
    BuildingForm,
    FileForm,
    MapFilter,
    OfferFilter,
    ParkFilter,
    ParkForm,
    PlotFilter,
    PlotForm,
    StepForm,
    SubstationForm,
)
from .models import Building, LandUse, Park, Plot, Status, Substation

PARK_SORTS = {"name": "name", "-name": "-name", "area": "planned_area_km2",
              "-area": "-planned_area_km2", "region": "region__path"}  # fmt: skip
PLOT_SORTS = {"code": "code", "-code": "-code", "area": "area_mu", "-area": "-area_mu",
              "price": "price_wan_per_mu", "-price": "-price_wan_per_mu", "park": "park__name",
              "status": "status"}  # fmt: skip
BUILDING_SORTS = {"code": "code", "-code": "-code", "area": "floor_area_m2",
                  "-area": "-floor_area_m2", "rent": "rent_yuan_m2_month", "park": "park__name",
                  "status": "status"}  # fmt: skip


def _sorted(request: HttpRequest, qs: QuerySet[Any], sorts: dict[str, str]) -> QuerySet[Any]:
    key = request.GET.get("sort") or ""
    return qs.order_by(sorts[key], "pk") if key in sorts else qs


# --- parks --------------------------------------------------------------------------------------


def _parks(request: AuthedRequest) -> tuple[ParkFilter, QuerySet[Park]]:
    access.require_open(request.user)
    form = ParkFilter(request.GET)
    qs = access.parks_for(request.user).select_related("region")
    if q := form.get("q"):
        qs = qs.filter(Q(name__icontains=q) | Q(region__name__icontains=q))
    if kind := form.get("kind"):
        qs = qs.filter(kind=kind)
    if industry := form.get("industry"):
        qs = qs.filter(industries=industry)
    qs = qs.annotate(
        plots_available=Count("plots", filter=Q(plots__status="available"), distinct=True)
    ).order_by("region__path", "name", "pk")
    return form, _sorted(request, qs, PARK_SORTS)


@login_required
@require_GET
def park_list(request: AuthedRequest) -> HttpResponse:
    form, qs = _parks(request)
    context = {
        "form": form,
        "page": paginate(request, qs),
        "can_create": access.can_create(request.user),
    }
    template = "parks/_park_results.html" if is_htmx(request) else "parks/park_list.html"
    return render(request, template, context)


@login_required
@require_GET
def park_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    park = access.get_park(user, pk)
    can_edit = access.can_edit_park(user, park)
    context = {
        "park": park,
        "can_edit": can_edit,
        "substations": park.substations.all(),
        "industries": park.industries.all(),
        "incentives": park.incentives.all(),
        "plots": park.plots.all()[:50],
        "buildings": park.buildings.all()[:50],
        "projects": _park_projects(user, park)[:50],
        "substation_form": SubstationForm() if can_edit else None,
        "history": history_rows(park) if can_edit else [],
    }
    return render(request, "parks/park_detail.html", context)


def _park_projects(user: Any, park: Park) -> QuerySet[Any]:
    """The ledger projects in the park: those given its land and, for a park that is a whole
    area of the tree, every project of that area (within what the user may see)."""
    from guanjia.projects.access import projects_for

    in_park = Q(pk__in=Plot.objects.filter(park=park).values("project_id")) | Q(
        pk__in=Building.objects.filter(park=park).values("project_id")
    )
    if park.whole_area:
        in_park |= Q(region__path__startswith=park.region.path)
    return projects_for(user).filter(in_park).select_related("enterprise").order_by("-pk")


def _park_form(request: AuthedRequest, park: Park | None) -> HttpResponse:
    user = request.user
    form = ParkForm(user, request.POST or None, instance=park)
    if request.method == "POST" and form.is_valid():
        try:
            park = services.save_park(user, park, **form.values())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Park saved."))
            return redirect("parks:park_detail", park.pk)
    status = 400 if form.errors else 200
    return render(
        request, "parks/form.html", {"form": form, "obj": park, "what": _("park")}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def park_create(request: AuthedRequest) -> HttpResponse:
    access.require_open(request.user)
    if not access.can_create(request.user):
        raise PermissionDenied
    return _park_form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def park_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    return _park_form(request, access.get_park(request.user, pk, write=True))


@login_required
@require_POST
def substation_add(request: AuthedRequest, pk: int) -> HttpResponse:
    park = access.get_park(request.user, pk, write=True)
    form = SubstationForm(request.POST)
    if form.is_valid():
        try:
            services.add_substation(request.user, park, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Substation added."))
    else:
        messages.error(request, _("Give the substation's name and numbers."))
    return redirect("parks:park_detail", park.pk)


@login_required
@require_POST
def substation_remove(request: AuthedRequest, pk: int, substation_pk: int) -> HttpResponse:
    park = access.get_park(request.user, pk, write=True)
    try:
        substation = park.substations.get(pk=substation_pk)
    except Substation.DoesNotExist:
        raise Http404("no such substation") from None
    services.remove_substation(request.user, substation)
    messages.success(request, _("Substation removed."))
    return redirect("parks:park_detail", park.pk)


# --- plots and buildings ------------------------------------------------------------------------


def _offers(request: AuthedRequest, model: type[Plot] | type[Building]) -> tuple[Any, Any]:
    access.require_open(request.user)
    if model is Plot:
        form: Any = PlotFilter(request.GET)
        qs: Any = access.plots_for(request.user)
    else:
        form = OfferFilter(request.GET)
        qs = access.buildings_for(request.user)
    qs = qs.select_related("park__region", "reserved_for", "project")
    if q := form.get("q"):
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(park__name__icontains=q))
    if status := form.get("status"):
        qs = qs.filter(status=status)
    if park := form.get("park"):
        qs = qs.filter(park=park)
    if model is Plot:
        if land_use := form.get("land_use"):
            qs = qs.filter(land_use=land_use)
        if (min_mu := form.get("min_mu")) is not None:
            qs = qs.filter(area_mu__gte=min_mu)
    return form, _sorted(request, qs, PLOT_SORTS if model is Plot else BUILDING_SORTS)


def _offer_list(request: AuthedRequest, model: Any, kind: str) -> HttpResponse:
    form, qs = _offers(request, model)
    context = {
        "form": form,
        "page": paginate(request, qs),
        "kind": kind,
        "can_create": access.can_create(request.user),
    }
    template = "parks/_offer_results.html" if is_htmx(request) else "parks/offer_list.html"
    return render(request, template, context)


@login_required
@require_GET
def plot_list(request: AuthedRequest) -> HttpResponse:
    return _offer_list(request, Plot, "plot")


@login_required
@require_GET
def building_list(request: AuthedRequest) -> HttpResponse:
    return _offer_list(request, Building, "building")


def _offer_detail(request: AuthedRequest, obj: Plot | Building, kind: str) -> HttpResponse:
    user = request.user
    can_edit = access.can_edit(user, obj)
    steps = services.allowed_steps(user, obj)
    context = {
        "obj": obj,
        "kind": kind,
        "can_edit": can_edit,
        "steps": steps,
        "step_form": StepForm(user) if steps else None,
        "file_form": FileForm() if can_edit else None,
        "files": obj.files.all(),
        "history": history_rows(obj) if can_edit else [],
    }
    return render(request, "parks/offer_detail.html", context)


@login_required
@require_GET
def plot_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    return _offer_detail(request, access.get_plot(request.user, pk), "plot")


@login_required
@require_GET
def building_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    return _offer_detail(request, access.get_building(request.user, pk), "building")


def _offer_form(request: AuthedRequest, obj: Plot | Building, kind: str) -> HttpResponse:
    user = request.user
    form_class: Any = PlotForm if kind == "plot" else BuildingForm
    form = form_class(user, request.POST or None, instance=obj if obj.pk else None)
    if request.method == "POST" and form.is_valid():
        try:
            obj = services.save_offer(user, obj, **form.values())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(f"parks:{kind}_detail", obj.pk)
    what = _("plot") if kind == "plot" else _("standard building")
    status = 400 if form.errors else 200
    return render(
        request, "parks/form.html", {"form": form, "obj": obj if obj.pk else None, "what": what,
                                     "kind": kind}, status=status
    )  # fmt: skip


def _require_keeper(request: AuthedRequest) -> None:
    access.require_open(request.user)
    if not access.can_create(request.user):
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def plot_create(request: AuthedRequest) -> HttpResponse:
    _require_keeper(request)
    return _offer_form(request, Plot(), "plot")


@login_required
@require_http_methods(["GET", "POST"])
def plot_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    return _offer_form(request, access.get_plot(request.user, pk, write=True), "plot")


@login_required
@require_http_methods(["GET", "POST"])
def building_create(request: AuthedRequest) -> HttpResponse:
    _require_keeper(request)
    return _offer_form(request, Building(), "building")


@login_required
@require_http_methods(["GET", "POST"])
def building_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    return _offer_form(request, access.get_building(request.user, pk, write=True), "building")


RESERVATION_STEPS = ("reserve", "release")


def _get_offer(request: AuthedRequest, kind: str, pk: int, write: bool = False) -> Any:
    if kind == "plot":
        return access.get_plot(request.user, pk, write=write)
    return access.get_building(request.user, pk, write=write)


@login_required
@require_POST
def step(request: AuthedRequest, kind: str, pk: int, name: str) -> HttpResponse:
    # The reservation steps are also bureau staff's, for their own leads (the engine's `may`
    # and the step's reference check); the others are the park's keepers'.
    obj = _get_offer(request, kind, pk, write=name not in RESERVATION_STEPS)
    table = services.table_of(obj)
    if name not in table:
        raise Http404("no such step")
    form = StepForm(request.user, request.POST)
    form.is_valid()
    fields = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
    try:
        services.take_step(obj, name, request.user, **fields)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, str(table[name].done or _("Done.")))
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(back)
    return redirect(f"parks:{kind}_detail", obj.pk)


@login_required
@require_POST
def file_add(request: AuthedRequest, kind: str, pk: int) -> HttpResponse:
    obj = _get_offer(request, kind, pk, write=True)
    form = FileForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_files(
                request.user, obj, form.cleaned_data["kind"], [form.cleaned_data["file"]]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("File added."))
    else:
        messages.error(request, _("Choose a file."))
    return redirect(f"parks:{kind}_detail", obj.pk)


def _file(request: HttpRequest, pk: int) -> Served:
    land_file = access.get_file(request.user, pk)  # type: ignore[arg-type]
    return Served(land_file.file, land_file.name)


file_view = serving_view(_file)


# --- Excel --------------------------------------------------------------------------------------


@login_required
@require_GET
def plot_export(request: AuthedRequest) -> FileResponse:
    _form, qs = _offers(request, Plot)
    out = io.BytesIO()
    exporters.export_plots(qs, out)
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=exporters.filename("地块清单"))


@login_required
@require_GET
def building_export(request: AuthedRequest) -> FileResponse:
    _form, qs = _offers(request, Building)
    out = io.BytesIO()
    exporters.export_buildings(qs, out)
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=exporters.filename("标准厂房清单"))


def _import_columns() -> list[HelpColumn]:
    """The plots' columns, then the buildings' own (the park is the same column)."""
    plots = [HelpColumn(c.canonical, c.aliases, c.required, c.label) for c in importers.COLUMNS]
    buildings = [
        HelpColumn(c.canonical, c.aliases, c.required, c.label)
        for c in importers.BUILDING_COLUMNS
        if c.field != "park"
    ]
    return plots + buildings


import_pages = ImportPages(
    kind=ImportKind.PARKS,
    namespace="parks",
    may_import=access.can_create,
    title=gettext_lazy("Import plots or standard buildings from Excel"),
    intro=gettext_lazy(
        "A park's list of plots (地块清单, numbered by 地块编号) or of standard buildings "
        "(标准厂房清单, numbered by 厂房编号; the file's header tells which): a row whose park "
        "already has a plot or building of that number changes it, any other adds one. Every "
        "row is checked like the form; if any row is wrong nothing is written. The status is "
        "not imported: it moves by steps."
    ),
    columns=_import_columns,
    preview=(
        PreviewColumn("row", gettext_lazy("Row")),
        PreviewColumn("park", gettext_lazy("Park")),
        PreviewColumn("code", gettext_lazy("Number")),
        PreviewColumn("name", gettext_lazy("Name")),
        PreviewColumn("area_mu", gettext_lazy("Area or floor area")),
        PreviewColumn("land_use", gettext_lazy("Land use")),
        PreviewColumn("action", gettext_lazy("Action")),
    ),
    done_url="parks:plots",
    done_label=gettext_lazy("Open the plots"),
    nav="parks",
)


# --- the land matching a lead (匹配地块) ---------------------------------------------------------

PANEL_ROWS = 5


def _match_context(request: HttpRequest, lead: Any, limit: int) -> dict[str, Any]:
    user: Any = request.user
    found = matching.matches_for(lead, limit)
    asked = services.asked_plot_ids(lead)
    found["plots"] = matching.asked_first(lead, found["plots"], asked)[: max(limit, len(asked))]
    for match in (*found["plots"], *found["buildings"]):
        offer = match.offer
        on_offer = offer.status == Status.AVAILABLE or offer.reserved_for_id == lead.pk
        match.can_reserve = on_offer and access.may_reserve(user, offer)  # type: ignore[attr-defined]
    return {
        "lead": lead,
        "plots": found["plots"],
        "buildings": found["buildings"],
        "until": services.today() + dt.timedelta(days=matching.RESERVE_DAYS),
        "back": reverse("parks:lead_matches", args=[lead.pk]),
    }


def lead_panel(request: HttpRequest, lead: Any) -> str:
    """The lead page's card "匹配地块" (`core.panels.lead_detail`): the best few."""
    if not access.may_open(request.user):
        return ""
    context = {**_match_context(request, lead, PANEL_ROWS), "panel": True}
    context["back"] = request.get_full_path()
    return render_to_string("parks/_lead_matches.html", context, request=request)


# --- the land map (招商地图) ----------------------------------------------------------------------


def map_labels() -> dict[str, Any]:
    """The words the map's script shows (translated here; the script has no catalogue)."""
    return {
        "land_uses": {value: str(label) for value, label in LandUse.choices},
        "available": _("Available"),
        "reserved": _("Reserved"),
        "taken": _("Taken"),
        "park": _("Park"),
        "area_mu": _("Area (mu)"),
        "power_kva": _("Power at the boundary (kVA)"),
        "price": _("Price (10k yuan per mu)"),
        "land_use": _("Land use"),
        "open": _("Open the plot"),
        "count": _("plots shown"),
        "map_failed": _("The map could not be loaded."),
        "no_outlines": _("Too many plots for their outlines: narrow the filters to see them."),
    }


def map_config(data_url: str, plot_url: str = "") -> dict[str, str]:
    """Where the map's script finds the base map, its markers and the data; `plot_url` is a
    plot page's address with 0 for its id (blank: the card has no link)."""
    return {
        "geojson": static(settings.GUANJIA_MAP_GEOJSON),
        "data": data_url,
        "plot_url": plot_url,
        "approval_number": settings.GUANJIA_MAP_APPROVAL_NUMBER,
    }


@login_required
@require_GET
def lead_matches(request: AuthedRequest, pk: int) -> HttpResponse:
    """The land matching a lead, on its own page: every criterion met or missed."""
    access.require_open(request.user)
    lead = access.get_lead(request.user, pk)
    context = {**_match_context(request, lead, 20), "panel": False}
    return render(request, "parks/lead_matches.html", context)


@login_required
@require_GET
def land_map(request: AuthedRequest) -> HttpResponse:
    access.require_open(request.user)
    context = {
        "form": MapFilter(request.GET),
        "labels": map_labels(),
        "config": map_config(reverse("parks:map_data"), reverse("parks:plot_detail", args=[0])),
        "can_create": access.can_create(request.user),
    }
    return render(request, "parks/map.html", context)


@login_required
@require_GET
def land_map_data(request: AuthedRequest) -> HttpResponse:
    user = request.user
    access.require_open(user)
    form = MapFilter(request.GET)
    # Every parks reader sees the whole inventory (`access`): one cached answer for them all.
    body = mapdata.cached_map_json(
        "staff", access.plots_for(user), access.parks_for(user), form.filters()
    )
    return HttpResponse(body, content_type="application/json")


# --- open data (no log-in: /open/parks.geojson, /open/plots.geojson) ---------------------------


def _geojson(key: str, build: Any) -> HttpResponse:
    def body() -> bytes:
        return bytes(JsonResponse(build(), json_dumps_params={"ensure_ascii": False}).content)

    # Kept under the land's version: a change to a park or plot shows at once.
    response = HttpResponse(landcache.cached(key, body), content_type="application/geo+json")
    result: HttpResponse = cacheable(response)
    return result


@require_GET
def open_parks(request: HttpRequest) -> HttpResponse:
    return _geojson("open:parks", lambda: opendata.parks_geojson(Park.objects.all()))


@require_GET
def open_plots(request: HttpRequest) -> HttpResponse:
    return _geojson("open:plots", lambda: opendata.plots_geojson(Plot.objects.all()))
