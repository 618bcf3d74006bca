"""The 500 handler: a database that cannot be reached is 503 with Retry-After, not 500.

While PostgreSQL is down or restarting, every request fails on its first query with
OperationalError (or InterfaceError on a connection that died under it). That is not a bug in
the request: the client should try again shortly, so it gets 503 Service Unavailable with
`Retry-After`: JSON for the API (`{"detail", "retry_after"}`), the spec's error list for
Open311, a short page in the user's language for the rest. The answer is built without the
database (no template that reads the user, no session). Any other exception is Django's 500.

Django turns an exception raised anywhere in the middleware chain or the view into a call of
this handler while the exception is still being handled, so `sys.exc_info()` names it.
"""

import json
import sys
from collections.abc import Callable
from html import escape

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import defaults

from .hooks import Hooks

RETRY_AFTER_S = 10

# Answers in another form for a path prefix, `(request, message) -> HttpResponse`, keyed by
# the prefix: an app speaking a protocol of its own (Open311) registers its error form in its
# AppConfig.ready().
unavailable_forms: Hooks[Callable[[HttpRequest, str], HttpResponse]] = Hooks(
    "core.errors.unavailable_forms"
)


def _form_for(path: str) -> Callable[[HttpRequest, str], HttpResponse] | None:
    for prefix, form in unavailable_forms.items():
        if path.startswith(prefix):
            return form
    return None


def database_unavailable(exc: BaseException | None) -> bool:
    """True when `exc` (or what caused it) says the database cannot be reached."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OperationalError | InterfaceError):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After in the form the caller reads: API JSON, Open311, or a page."""
    language = translation.get_language_from_request(request)
    with translation.override(language):
        message = _("The service is briefly unavailable. Please try again in a few seconds.")
        path = request.path
        form = _form_for(path)
        if path.startswith("/api/"):
            body = json.dumps({"detail": message, "retry_after": RETRY_AFTER_S}, ensure_ascii=False)
            response = HttpResponse(body, status=503, content_type="application/json")
        elif form is not None:
            response = form(request, message)
        else:
            title = _("Service unavailable")
            lang = escape(translation.get_language() or "zh-hans")
            page = (
                f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
                '<meta name="viewport" content="width=device-width, initial-scale=1">'
                f"<title>{escape(title)}</title></head>"
                f"<body><h1>{escape(title)}</h1><p>{escape(message)}</p></body></html>"
            )
            response = HttpResponse(page, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_S)
    response["Cache-Control"] = "no-store"
    return response


def server_error(
    request: HttpRequest, template_name: str = defaults.ERROR_500_TEMPLATE_NAME
) -> HttpResponse:
    """handler500: 503 when the database is unreachable, else Django's own 500 page."""
    if database_unavailable(sys.exc_info()[1]):
        return unavailable_response(request)
    return defaults.server_error(request, template_name)
