"""Who is calling: a machine with a bearer token, or a browser with its log-in session."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from guanjia.accounts.models import ApiToken, User


class BearerToken(HttpBearer):
    """`Authorization: Bearer gj_…`, a token printed by `guanjia token USERNAME`."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = ApiToken.objects.user_for(token.strip()) if token.strip() else None
        if user is None:
            # A wrong token is an error even if the browser also has a session: a machine
            # that sends one should hear that it is wrong, not act as someone else.
            raise AuthenticationError(401, _("The bearer token is not valid or was revoked."))
        request.user = user
        return user


class BrowserSession(APIKeyCookie):
    """The Django log-in session; unsafe methods also need the CSRF token (X-CSRFToken).

    Unlike ninja's SessionAuth, CSRF is checked only once a session user is found, so a
    request with neither a token nor a session gets a plain 401 rather than a CSRF 403.
    """

    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest) -> User | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        # Django's CSRF check; it passes GET and HEAD and checks POST, PATCH, PUT and DELETE.
        if self.csrf and not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise HttpError(
                403, _("CSRF check failed: send the X-CSRFToken header with the page's token.")
            )
        return user  # type: ignore[no-any-return]

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return getattr(request, "user", None)
