"""The cockpit page and its data endpoint: check access, pick the area and year, read rollups."""

import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from guanjia.accounts.models import User
from guanjia.accounts.scope import region_path

from . import access, figures, links, services


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _year(value: str | None) -> int:
    today = timezone.localdate()
    if value and value.isdigit() and 2000 <= int(value) <= today.year + 1:
        return int(value)
    return today.year


CACHE_SECONDS = 300  # correctness comes from the key (the refresh time); this bounds memory


def compute(user: User, params: Any) -> dict[str, Any]:
    """Everything the cockpit shows, for the area and year asked (clamped to the user's).

    The figures change only when the rollups are refreshed, so the result is cached under
    the refresh time (with the area, year, the user's reach, the language and the date).
    """
    key, region, year, refreshed = _cache_key(user, params)
    cached = cache.get(key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    data = _compute(user, region, year, refreshed)
    cache.set(key, data, CACHE_SECONDS)
    return data


def compute_json(user: User, params: Any) -> bytes:
    """`compute` as the data endpoint's JSON body, kept in the cache under the same key (the
    figures' conversion and encoding cost more than the rest of the call)."""
    key = _cache_key(user, params)[0] + ":json"
    body = cache.get(key)
    if body is None:
        body = json.dumps(_plain(compute(user, params)), cls=DjangoJSONEncoder).encode()
        cache.set(key, body, CACHE_SECONDS)
    return body  # type: ignore[no-any-return]


def _cache_key(user: User, params: Any) -> tuple[str, Any, int, dt.datetime]:
    region = access.region_for(user, params.get("region"))
    year = _year(params.get("year"))
    refreshed = figures.last_refreshed()
    if refreshed is None:  # a fresh installation, before the worker's first run
        refreshed = services.refresh()
    version = "|".join(
        str(part)
        for part in (
            refreshed.isoformat(),
            region.pk if region else "",
            year,
            region_path(user),
            get_language(),
            timezone.localdate(),
        )
    )
    return "cockpit:" + hashlib.sha256(version.encode()).hexdigest(), region, year, refreshed


def _compute(user: User, region: Any, year: int, refreshed: dt.datetime) -> dict[str, Any]:
    data: dict[str, Any] = {
        "region": _region_info(region),
        "parent": _region_info(access.parent_in_scope(user, region)),
        "year": year,
        "refreshed_at": refreshed.isoformat(),
        "refreshed_local": timezone.localtime(refreshed).strftime("%Y-%m-%d %H:%M:%S"),
        "kpis": figures.kpis(region, year),
        "by_industry": figures.by_industry(region, year),
        "by_area": figures.by_area(region, year),
        "funnel": figures.funnel(region, year),
        "monthly": figures.monthly(region, year),
        "on_time_by_month": figures.on_time_by_month(region, year),
        "leaderboard": figures.leaderboard(region, year),
        "followthrough": figures.followthrough(region, year),
    }
    links.annotate(data, region, year)
    return data


def _region_info(region: Any) -> dict[str, Any] | None:
    if region is None:
        return None
    return {"id": region.pk, "code": region.code, "name": region.name}


def _plain(value: Any) -> Any:
    """Decimals as strings, everything else JSON can carry."""
    if isinstance(value, Decimal):
        return f"{value.normalize():f}" if value else "0"
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def labels() -> dict[str, str]:
    """The words the charts draw (translated here; the script has no catalogue)."""
    return {
        "amount": _("Investment signed (100m yuan)"),
        "projects": _("Projects"),
        "signed": _("Signed"),
        "registered": _("Registered"),
        "started": _("Started"),
        "operating": _("In operation"),
        "replied": _("Answered"),
        "on_time": _("Answered on time"),
        "rate": _("On-time rate"),
        "overdue": _("Overdue requests"),
        "no_industry": _("No industry"),
        "month": _("Month"),
        "map_failed": _("The map could not be loaded."),
    }


@login_required
@require_GET
def cockpit(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not access.can_see(user):
        raise PermissionDenied("the cockpit is for leaders, city admins and area officials")
    data = compute(user, request.GET)
    context = {
        "data": data,
        "payload": _plain(data),
        "years": access.years(),
        "labels": labels(),
        "areas": access.area_choices(user),
        "map": {
            "geojson": static(settings.GUANJIA_MAP_GEOJSON),
            "markers": static(settings.GUANJIA_MAP_MARKERS) if settings.GUANJIA_MAP_MARKERS else "",
        },
    }
    return render(request, "cockpit/cockpit.html", context)


@login_required
@require_GET
def data(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not access.can_see(user):
        return JsonResponse({"detail": "forbidden"}, status=403)
    return HttpResponse(compute_json(user, request.GET), content_type="application/json")
