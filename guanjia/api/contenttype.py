"""The API reads JSON bodies only: a POST, PUT or PATCH whose body is declared anything else is
refused with 415 before anything reads it.

A form-encoded or text/plain body is never guessed at, and a cross-site HTML form (which can
send only those types) cannot post here. Open311 (/open311/v2/) is form-encoded by its
specification and is not part of this API. An empty body is left to the operation, which
answers that the fields are missing (422).
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponseBase
from django.utils.translation import gettext as _
from ninja import NinjaAPI

from .errors import field_error

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def is_json(content_type: str) -> bool:
    """`application/json`, with parameters (charset) or not, in any case."""
    return content_type.split(";", 1)[0].strip().lower() == "application/json"


def refuses(request: HttpRequest) -> bool:
    """True for a write with a body that is not declared JSON."""
    return (
        request.method in BODY_METHODS
        and bool(request.body)
        and not is_json(request.META.get("CONTENT_TYPE", ""))
    )


def install(api: NinjaAPI) -> None:
    """Wrap every operation's run: after its method is matched (a wrong method stays 405) and
    before authentication and parsing; the refusal is the API's error body."""

    def json_bodies_only(run: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(run)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                refused = refuses(request)
            except RequestDataTooBig:
                body = {
                    "detail": _("The request body is larger than %(limit)s bytes.")
                    % {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE},
                    "errors": [field_error(None, _("send less; nothing was read or written"))],
                }
                return api.create_response(request, body, status=413)
            if refused:
                body = {
                    "detail": _("The request body must be JSON."),
                    "errors": [field_error(None, _("send Content-Type: application/json"))],
                }
                return api.create_response(request, body, status=415)
            return run(request, *args, **kwargs)

        return wrapped

    api.add_decorator(json_bodies_only, mode="view")
