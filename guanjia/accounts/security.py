"""Log-in security rules: the password policy, password age, who must use two-factor, and the
steps a freshly logged-in session still owes (the "gate").

The gate is decided once, at log-in, and kept in the session, so ordinary requests cost no
extra query. A change of policy applies from each user's next log-in.
"""

import datetime as dt
import string
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import ValidationError
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import TwoFactorRequirement, User

# Session keys.
LOGIN_AT = "gj_login_at"  # epoch seconds of the log-in
SEEN_AT = "gj_seen_at"  # epoch seconds of the last request (stamped at most once a minute)
GATE = "gj_gate"  # the steps still owed: a list of the names below

VERIFY = "otp_verify"  # enter the code from the authenticator app
ENROL = "otp_enrol"  # the role requires two-factor and the user has no device yet
PASSWORD = "password_change"  # noqa: S105  (a step name) 等保 mode: the password is older than the maximum age


class MaximumLengthValidator:
    """ASVS 2.1.2: passwords of at least 64 characters are allowed, and at most 128."""

    def __init__(self, max_length: int = 128) -> None:
        self.max_length = max_length

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                ngettext(
                    "This password is too long. It must contain at most %(max)d character.",
                    "This password is too long. It must contain at most %(max)d characters.",
                    self.max_length,
                )
                % {"max": self.max_length},
                code="password_too_long",
            )

    def get_help_text(self) -> str:
        return _("Your password can be up to %(max)d characters long.") % {"max": self.max_length}


CLASSES = (
    ("lower", set(string.ascii_lowercase)),
    ("upper", set(string.ascii_uppercase)),
    ("digit", set(string.digits)),
)


def character_classes(password: str) -> int:
    """How many of lower case, upper case, digits and other characters the password uses."""
    used = sum(1 for _name, chars in CLASSES if any(c in chars for c in password))
    other = any(not (c.isascii() and c.isalnum()) for c in password)
    return used + int(other)


class ComplexityValidator:
    """等保 mode (GB/T 22239-2019 8.1.4.1): characters from at least 3 of the 4 classes."""

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: Any = None) -> None:
        if character_classes(password) < self.min_classes:
            raise ValidationError(
                _(
                    "This password must use at least %(n)d of: lower-case letters, upper-case "
                    "letters, digits and other characters."
                )
                % {"n": self.min_classes},
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return _(
            "Your password must use at least %(n)d of: lower-case letters, upper-case letters, "
            "digits and other characters."
        ) % {"n": self.min_classes}


def password_expired(user: User, now: dt.datetime | None = None) -> bool:
    """In 等保 mode a password older than GUANJIA_PASSWORD_MAX_AGE_DAYS must be changed.

    A password of unknown age (set before the age was recorded) counts from the account's
    creation. Accounts without a usable password (invited, not yet accepted) never expire.
    """
    if not settings.GUANJIA_DENGBAO or not user.has_usable_password():
        return False
    changed = user.password_changed_at or user.date_joined
    age = (now or timezone.now()) - changed
    return age > dt.timedelta(days=settings.GUANJIA_PASSWORD_MAX_AGE_DAYS)


def has_device(user: User) -> bool:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def two_factor_required(user: User) -> bool:
    return TwoFactorRequirement.required_for(user)


def gate_for(user: User) -> list[str]:
    """The steps a session owes right after the password was accepted, in order."""
    steps = []
    if has_device(user):
        steps.append(VERIFY)
    elif two_factor_required(user):
        steps.append(ENROL)
    if password_expired(user):
        steps.append(PASSWORD)
    return steps


def pending(request: HttpRequest) -> list[str]:
    return list(request.session.get(GATE, []))


def done(request: HttpRequest, step: str) -> None:
    steps = [s for s in pending(request) if s != step]
    if steps:
        request.session[GATE] = steps
    else:
        request.session.pop(GATE, None)


@receiver(user_logged_in)
def _on_login(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    """Stamp the session's start and decide what it still owes before anything else."""
    if request is None or not hasattr(request, "session"):
        return
    now = int(timezone.now().timestamp())
    request.session[LOGIN_AT] = now
    request.session[SEEN_AT] = now
    steps = gate_for(user)
    if steps:
        request.session[GATE] = steps
    else:
        request.session.pop(GATE, None)
