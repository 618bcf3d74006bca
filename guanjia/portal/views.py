"""The public portal's pages: anyone may read them, no log-in; thin views over `access`
(what is published) and `services` (the figures, the enquiry)."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from guanjia.accounts import ratelimit
from guanjia.core.files import serve
from guanjia.core.views import add_service_errors
from guanjia.parks import mapdata
from guanjia.parks.forms import MapFilter
from guanjia.parks.models import Park, Plot, Utility
from guanjia.parks.views import map_config, map_labels
from guanjia.policies.models import PolicyDocument
from guanjia.projects.models import Project
from guanjia.projects.stages import LINE, Stage

from . import access, services
from .forms import EnquiryForm, PlotSearch

# At most this many plots on a page of the land search (narrow the search for the others).
PLOTS_SHOWN = 60

# What a public project shows: nothing else is read off the row.
PROJECT_FIELDS = (
    "name",
    "region",
    "industry",
    "stage",
    "signed_on",
    "construction_on",
    "operation_on",
    "total_investment_wan",
)


def city_name() -> str:
    return (
        settings.GUANJIA_CITY_NAME_EN
        if (get_language() or "").startswith("en")
        else settings.GUANJIA_CITY_NAME
    )


def _page(
    request: HttpRequest, template: str, context: Callable[[], dict[str, Any]]
) -> HttpResponse:
    """The page, rendered once per language and published version (`access.cached`: any save
    of what it shows makes a new key) and served from the cache after: the pages read nothing
    of the reader but the language (no user, no form, no token). `context` is only called to
    render; an Http404 it raises is not kept."""

    def body() -> bytes:
        return render(request, template, {"city": city_name(), **context()}).content

    if request.GET:
        # A search or a form filled from the address: rendered for this reader, not kept (a
        # key per query string would let anyone fill the cache).
        response = HttpResponse(body())
    else:
        # Today's date in the key: the figures are this year's.
        key = f"page:{get_language()}:{timezone.localdate().isoformat()}:{request.path}"
        response = HttpResponse(access.cached(key, body))
    if not request.user.is_authenticated:
        patch_cache_control(response, public=True, max_age=60)
    patch_vary_headers(response, ("Cookie", "Accept-Language"))
    return response


def _project_row(project: Project) -> dict[str, Any]:
    line = [s for s in LINE if s != Stage.WITHDRAWN]
    done = line.index(project.stage) + 1 if project.stage in line else 0
    return {
        "pk": project.pk,
        "name": project.name,
        "region": project.region.name if project.region_id else "",
        "industry": project.industry.name if project.industry is not None else "",
        "stage": project.get_stage_display(),
        "signed_on": project.signed_on,
        "construction_on": project.construction_on,
        "operation_on": project.operation_on,
        "investment_wan": project.total_investment_wan,
        "progress": round(100 * done / len(line)),
    }


def _projects() -> list[dict[str, Any]]:
    rows = access.public_projects().only(*PROJECT_FIELDS, "region__name", "industry__name")
    return [_project_row(p) for p in rows.order_by("-total_investment_wan", "pk")[:200]]


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    def context() -> dict[str, Any]:
        figures = access.cached("figures", services.pitch_figures)
        projects = access.cached(f"projects:{get_language()}", _projects)
        return {"figures": figures, "projects": projects[:6]}

    return _page(request, "portal/home.html", context)


@require_GET
def parks(request: HttpRequest) -> HttpResponse:
    return _page(request, "portal/parks.html", lambda: {"parks": list(access.public_parks())})


@require_GET
def park(request: HttpRequest, pk: int) -> HttpResponse:
    def context() -> dict[str, Any]:
        obj = get_object_or_404(Park.objects.select_related("region"), pk=pk)
        if not access.may_see_park(obj):
            raise Http404("no such park")
        return {
            "park": obj,
            "industries": list(obj.industries.all()),
            "incentives": list(obj.incentives.filter(public=True, active=True)),
            "plots": list(access.available_plots(obj)),
            "buildings": list(access.available_buildings(obj)),
        }

    return _page(request, "portal/park.html", context)


@require_GET
def plots(request: HttpRequest) -> HttpResponse:
    """The land search: the plots on offer by industry, 亩, spare kVA, land use and park."""
    form = PlotSearch(request.GET)
    found = access.find_plots(**form.filters())
    rows = list(found[: PLOTS_SHOWN + 1])
    context = {
        "form": form,
        "plots": rows[:PLOTS_SHOWN],
        "more": len(rows) > PLOTS_SHOWN,
        "query": request.GET.urlencode(),
    }
    return _page(request, "portal/plots.html", lambda: context)


@require_GET
def plot(request: HttpRequest, pk: int) -> HttpResponse:
    """A plot's public card: its facts and its park's, never a note or a reservation."""

    def context() -> dict[str, Any]:
        obj = get_object_or_404(access.public_plots().select_related("park__region"), pk=pk)
        labels = dict(Utility.choices)
        comma = ", " if (get_language() or "").startswith("en") else "、"
        return {
            "plot": obj,
            "park": obj.park,
            "industries": comma.join(str(i) for i in obj.park.industries.all()),
            "utilities": comma.join(str(labels[u]) for u in obj.utilities if u in labels),
            "industry": request.GET.get("industry", "")[:10],
        }

    return _page(request, "portal/plot.html", context)


@require_GET
def land_map(request: HttpRequest) -> HttpResponse:
    """The land map in its public mode: the parks and the plots on offer, a card per plot."""

    def context() -> dict[str, Any]:
        return {
            "form": MapFilter(request.GET, public=True),
            "labels": map_labels(),
            "config": map_config(reverse("portal:map_data"), reverse("portal:plot", args=[0])),
            "public": True,
            "action": reverse("portal:map"),
        }

    return _page(request, "portal/map.html", context)


@require_GET
def land_map_data(request: HttpRequest) -> HttpResponse:
    form = MapFilter(request.GET, public=True)
    body = mapdata.cached_map_json(
        "portal", Plot.objects.all(), Park.objects.all(), form.filters(), public=True
    )
    response = HttpResponse(body, content_type="application/json")
    if not request.user.is_authenticated:
        patch_cache_control(response, public=True, max_age=60)
    return response


@require_GET
def policies(request: HttpRequest) -> HttpResponse:
    return _page(
        request,
        "portal/policies.html",
        lambda: {"policies": list(access.public_policies().order_by("-valid_from", "pk"))},
    )


@require_GET
def policy(request: HttpRequest, pk: int) -> HttpResponse:
    def context() -> dict[str, Any]:
        obj = get_object_or_404(access.public_policies(), pk=pk)
        return {"policy": obj, "documents": list(access.public_documents(obj).order_by("pk"))}

    return _page(request, "portal/policy.html", context)


@require_GET
def policy_document(request: HttpRequest, pk: int) -> FileResponse:
    doc = get_object_or_404(PolicyDocument.objects.select_related("policy"), pk=pk)
    if not access.may_see_policy(doc.policy):
        raise Http404("no such document")
    return serve(doc.file, doc.name)


@require_GET
def projects(request: HttpRequest) -> HttpResponse:
    return _page(
        request,
        "portal/projects.html",
        lambda: {"projects": access.cached(f"projects:{get_language()}", _projects)},
    )


@require_GET
def project(request: HttpRequest, pk: int) -> HttpResponse:
    def context() -> dict[str, Any]:
        obj = get_object_or_404(access.public_projects().only(*PROJECT_FIELDS), pk=pk)
        return {"project": _project_row(obj)}

    return _page(request, "portal/project.html", context)


@require_http_methods(["GET", "POST"])
def enquiry(request: HttpRequest) -> HttpResponse:
    context: dict[str, Any] = {"city": city_name()}
    if request.method == "GET":
        context["form"] = EnquiryForm(initial=_about_plot(request))
        context["plot"] = context["form"].initial.get("plot")
        return render(request, "portal/enquiry.html", context)
    form = EnquiryForm(request.POST)
    context["form"] = form
    if form.is_robot():
        # Told nothing useful, and nothing written.
        context["message"] = _("Your enquiry could not be accepted.")
        return render(request, "portal/refused.html", context, status=400)
    if not form.is_valid():
        context["plot"] = form.cleaned_data.get("plot")
        return render(request, "portal/enquiry.html", context, status=400)
    context["plot"] = form.cleaned_data["plot"]
    # Counted per address once the enquiry would be written (a form error writes nothing).
    verdict = ratelimit.hit("portal_enquiry", "ip:" + ratelimit.client_ip(request))
    if not verdict.allowed:
        response = render(
            request,
            "portal/refused.html",
            {**context, "message": ratelimit.message(verdict)},
            status=429,
        )
        return ratelimit.with_headers(response, verdict)
    data = form.cleaned_data
    try:
        _lead, ref = services.submit_enquiry(
            name=data["name"],
            organisation=data["organisation"],
            contact=data["contact"],
            interest=data["interest"],
            industry=data["industry"],
            land_mu=data["land_mu"],
            power_kva=data["power_kva"],
            investment_wan=data["investment_wan"],
            language=get_language() or "",
            plot=data["plot"],
        )
    except ValidationError as exc:  # the plot went off offer meanwhile: nothing written
        add_service_errors(form, exc)
        return render(request, "portal/enquiry.html", context, status=400)
    context["reference"] = ref
    return render(request, "portal/thanks.html", context)


def _about_plot(request: HttpRequest) -> dict[str, Any]:
    """The enquiry form prefilled from a plot's card (?plot=): the plot, its area and its
    spare power, and the industry the search was for (?industry=)."""
    try:
        pk = int(request.GET.get("plot", ""))
    except ValueError:
        return {}
    plot = access.public_plots().filter(pk=pk).first()
    if plot is None:
        return {}
    initial: dict[str, Any] = {"plot": plot, "land_mu": plot.area_mu}
    if plot.spare_kva is not None:  # type: ignore[attr-defined]
        initial["power_kva"] = plot.spare_kva  # type: ignore[attr-defined]
    industry = request.GET.get("industry", "")
    if industry.isdigit():
        initial["industry"] = int(industry)
    return initial


@require_GET
def language(request: HttpRequest, code: str) -> HttpResponse:
    """The language switch as a plain link (no form, so no CSRF token on the cached pages):
    sets the language cookie, then back to the portal page the reader was on."""
    if code not in {c for c, _name in settings.LANGUAGES}:
        raise Http404("no such language")
    target = request.GET.get("next", "")
    if not target.startswith(reverse("portal:home")) or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        target = reverse("portal:home")
    response = HttpResponseRedirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


@require_GET
def robots(request: HttpRequest) -> HttpResponse:
    lines = [
        "User-agent: *",
        f"Allow: {reverse('portal:home')}",
        "Disallow: /",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


@require_GET
def sitemap(request: HttpRequest) -> HttpResponse:
    def urls() -> list[str]:
        names = [
            "portal:home",
            "portal:parks",
            "portal:plots",
            "portal:map",
            "portal:policies",
            "portal:projects",
            "portal:enquiry",
        ]
        found = [reverse(n) for n in names]
        found += [
            reverse("portal:park", args=[pk]) for pk in Park.objects.values_list("pk", flat=True)
        ]
        found += [
            reverse("portal:plot", args=[pk])
            for pk in access.public_plots().values_list("pk", flat=True)
        ]
        found += [
            reverse("portal:policy", args=[pk])
            for pk in access.public_policies().values_list("pk", flat=True)
        ]
        found += [
            reverse("portal:project", args=[pk])
            for pk in access.public_projects().values_list("pk", flat=True)
        ]
        return found

    paths = access.cached("sitemap", urls)
    return render(
        request,
        "portal/sitemap.xml",
        {"urls": [request.build_absolute_uri(p) for p in paths]},
        content_type="application/xml",
    )
