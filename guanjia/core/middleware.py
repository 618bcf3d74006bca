"""Cross-cutting response headers."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

NO_STORE = "private, no-store"


def _signed_in(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


class NoStoreWhenSignedInMiddleware:
    """`Cache-Control: private, no-store` on every answer to a signed-in user: pages,
    downloads, HTMX fragments, redirects and the API (with the session or a bearer token,
    which the API sets as the request's user while the view runs). Nothing a person saw
    while signed in stays in a shared computer's browser cache or in a proxy.

    Answers to anonymous visitors keep their own rules (the log-in page is never cached by
    Django's LoginView; the calendar feed, addressed by its token, may be cached 5 minutes),
    and static files never get here: WhiteNoise (or nginx) answers them first.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        before = _signed_in(request)  # a log-out ends the session while the view runs
        response = self.get_response(request)
        signed_in = before or _signed_in(request)
        if signed_in and "no-store" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = NO_STORE
        return response
