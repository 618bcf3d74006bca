"""Session timeouts, the log-in gate (two-factor, password age) and rate limits."""

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from . import ratelimit, security

MACHINE_PREFIXES = ("/api/", "/open311/")


def _is_machine(request: HttpRequest) -> bool:
    return request.path_info.startswith(MACHINE_PREFIXES)


def _to(url_name: str, request: HttpRequest) -> HttpResponseRedirect:
    url = reverse(url_name)
    if request.method == "GET" and request.get_full_path() != "/":
        url += "?" + urlencode({"next": request.get_full_path()})
    return HttpResponseRedirect(url)


class SessionTimeoutMiddleware:
    """Logs a session out after GUANJIA_SESSION_IDLE_MINUTES without a request, and
    GUANJIA_SESSION_MAX_HOURS after its log-in, whatever happened in between."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            expired = self._check(request)
            if expired:
                logout(request)
                if _is_machine(request):
                    request.user = AnonymousUser()
                else:
                    messages.info(request, expired)
                    return _to("login", request)
        return self.get_response(request)

    def _check(self, request: HttpRequest) -> str:
        """'' while the session is fresh (and stamps it), else the reason it expired."""
        session = request.session
        now = int(timezone.now().timestamp())
        login_at = session.get(security.LOGIN_AT)
        seen_at = session.get(security.SEEN_AT)
        if login_at is None:  # a session from before these stamps: it starts now
            session[security.LOGIN_AT] = login_at = now
        if now - login_at > settings.GUANJIA_SESSION_MAX_HOURS * 3600:
            return _("You were logged out: a session lasts at most %(hours)d hours.") % {
                "hours": settings.GUANJIA_SESSION_MAX_HOURS
            }
        if seen_at is not None and now - seen_at > settings.GUANJIA_SESSION_IDLE_MINUTES * 60:
            return _("You were logged out after %(minutes)d minutes without activity.") % {
                "minutes": settings.GUANJIA_SESSION_IDLE_MINUTES
            }
        # Stamp at most once a minute so a busy session is not rewritten on every request.
        if seen_at is None or now - seen_at >= 60:
            session[security.SEEN_AT] = now
        return ""


# Pages a session may open while it still owes a gate step.
GATE_PAGES = {
    security.VERIFY: "accounts:otp_verify",
    security.ENROL: "accounts:otp_enrol",
    security.PASSWORD: "accounts:password_change",
}


class SecurityGateMiddleware:
    """Until a session has passed its gate steps it can open only those steps' pages (and
    log out): the second factor, enrolment when the role requires it, an expired password."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if hasattr(request, "session"):
            steps = security.pending(request) if request.session.get(security.GATE) else []
            user = getattr(request, "user", None)
            if steps and user is not None and user.is_authenticated:
                response = self._gate(request, steps)
                if response is not None:
                    return response
        return self.get_response(request)

    def _gate(self, request: HttpRequest, steps: list[str]) -> HttpResponse | None:
        if _is_machine(request):
            # A half-logged-in browser session is no one to the API (a bearer token still is).
            request.user = AnonymousUser()
            return None
        allowed = {reverse(GATE_PAGES[step]) for step in steps} | {
            reverse("logout"),
            reverse("set_language"),
        }
        if request.path_info in allowed or request.path_info.startswith(
            (settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/static/",)
        ):
            return None
        return _to(GATE_PAGES[steps[0]], request)


class RateLimitMiddleware:
    """429 with Retry-After once a client passes its limit (see guanjia.accounts.ratelimit)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._login_paths: tuple[str, ...] | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._login_paths is None:
            self._login_paths = (
                reverse("login"),
                reverse("admin:login"),
                reverse("accounts:otp_verify"),
            )
        rule = ratelimit.classify(request, self._login_paths)
        if rule is not None:
            verdict = ratelimit.hit(*rule)
            if not verdict.allowed:
                return ratelimit.refusal(request, rule[0], verdict)
        return self.get_response(request)
