"""The open-data endpoints of the public projects: no log-in, nothing but public fields,
cacheable (`Cache-Control: public`, and the body is kept in the cache for `OPEN_CACHE_SECONDS`:
public data changes rarely, and an anonymous endpoint must not rebuild a large file for every
request)."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from guanjia.projects.models import Project

from . import oc4ids, tabular


def public_projects() -> QuerySet[Project]:
    """The projects the city marks public (the flag the portal publishes by too)."""
    return Project.objects.filter(public=True)


def cacheable(response: HttpResponse | StreamingHttpResponse) -> Any:
    """Public, and fresh for a few minutes, for browsers and proxies alike (the middleware
    still makes it private, no-store for a signed-in user)."""
    patch_cache_control(response, public=True, max_age=settings.GUANJIA_OPEN_MAX_AGE)
    response["Access-Control-Allow-Origin"] = "*"  # open data: readable from any site
    return response


def cached_body(key: str, build: Callable[[], bytes]) -> bytes:
    body: bytes | None = cache.get(key)
    if body is None:
        body = build()
        cache.set(key, body, settings.GUANJIA_OPEN_CACHE_SECONDS)
    return body


@require_GET
def oc4ids_projects(request: HttpRequest) -> HttpResponse:
    uri = request.build_absolute_uri(request.path)

    def build() -> bytes:
        response = JsonResponse(
            oc4ids.package(public_projects(), uri), json_dumps_params={"ensure_ascii": False}
        )
        return bytes(response.content)

    body = cached_body(f"open:oc4ids:{uri}", build)
    result: HttpResponse = cacheable(HttpResponse(body, content_type="application/json"))
    return result


@require_GET
def projects_csv(request: HttpRequest) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        tabular.lines(public_projects()), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="projects.csv"'
    result: StreamingHttpResponse = cacheable(response)
    return result
