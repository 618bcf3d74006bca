"""The one authentication backend: django-axes' lock-out check, then the password check."""

from typing import Any

from axes.backends import AxesBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest


class LockoutBackend(AxesBackend):
    """django-axes' lock-out check, then ModelBackend's password check; the lock-out check is
    skipped when there is no request to tell the address from.

    Every log-in form (ours, the admin's) passes the request. Only code that calls
    `authenticate()` without one — Django's test client `login()` — skips the lock-out; the
    password is checked all the same. One backend rather than two, so views that log a user
    in without authenticate() (the invitation's set-password page) need not name one.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if request is not None:
            # Raises (and so ends the log-in) while the account or the address is locked.
            AxesBackend.authenticate(self, request, username=username, password=password, **kwargs)
        return ModelBackend.authenticate(
            self, request, username=username, password=password, **kwargs
        )

    def get_user(self, user_id: Any) -> Any:
        """The session's user with their region, which every scoped query reads."""
        user_model = get_user_model()
        try:
            user = user_model._default_manager.select_related("region").get(pk=user_id)
        except user_model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
