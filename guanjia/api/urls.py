from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, path, re_path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from .main import api

UTF8 = {"ensure_ascii": False}


# Both read and write nothing, so CSRF protects nothing here; exempt, a POST or PATCH to an
# address the API does not have (/api/v1/enterprises/-1) is the JSON 404 rather than Django's
# HTML CSRF page.
def _method_not_allowed(request: HttpRequest, allow: str) -> JsonResponse:
    body = {"detail": _("Method %(method)s is not allowed here.") % {"method": request.method}}
    refused = JsonResponse(body, status=405, json_dumps_params=UTF8)
    refused["Allow"] = allow
    return refused


def read_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For the pages that only describe the API (its root, schema and docs): GET and HEAD;
    anything else is the API's JSON 405."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return _method_not_allowed(request, "GET, HEAD")
        return view(request, *args, **kwargs)

    return wrapped


@csrf_exempt
@read_only
def index(request: HttpRequest) -> JsonResponse:
    """/api/v1/ itself says where the schema and the docs are."""
    return JsonResponse(
        {
            "name": api.title,
            "version": api.version,
            "openapi": reverse("api:openapi-json"),
            "docs": reverse("api:openapi-view"),
        },
        json_dumps_params=UTF8,
    )


@csrf_exempt
def not_found(request: HttpRequest) -> JsonResponse:
    """Any other address under /api/v1/ answers in JSON too, never with an HTML page."""
    return JsonResponse({"detail": _("Not found")}, status=404, json_dumps_params=UTF8)


def json_405(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """ninja answers a wrong method with a plain-text 405; give it the API's error body."""

    @wraps(view)  # keeps csrf_exempt: the API's auth checks CSRF itself
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code != 405:
            return response
        return _method_not_allowed(request, response["Allow"])

    return wrapped


# Not `app_name`: a module-level name of that spelling would namespace this whole urlconf.
_patterns, _app, _namespace = api.urls
DESCRIBING = {"api-root", "openapi-json", "openapi-view"}
operations = [
    URLPattern(
        p.pattern,
        read_only(p.callback) if p.name in DESCRIBING else json_405(p.callback),
        p.default_args,
        p.name,
    )
    if isinstance(p, URLPattern)
    else p
    for p in _patterns
]

urlpatterns = [
    path("", index),
    path("", (operations, _app, _namespace)),
    re_path(r"", not_found),
]
