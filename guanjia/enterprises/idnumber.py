"""Mainland resident ID numbers (居民身份证号码, GB 11643-1999), checked with reasons, and
masked for display.

18 characters: a six-digit area code, the birth date (YYYYMMDD), a three-digit sequence and
a check character (ISO 7064 MOD 11-2: 0-9 or X). The old 15-digit numbers are not accepted:
every card in use has carried 18 characters since 2013.
"""

import datetime as dt
import hashlib
import hmac

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.accounts.masking import mask_id_number

LENGTH = 18
# The weight of position i (1-based, left to right) is 2^(18-i) mod 11.
WEIGHTS = [pow(2, LENGTH - i, 11) for i in range(1, LENGTH)]
CHECK_CHARACTERS = "10X98765432"  # indexed by the weighted sum mod 11
EARLIEST_BIRTH = dt.date(1900, 1, 1)


def normalise(value: str) -> str:
    """Without spaces, with a lowercase x as the X it stands for."""
    return "".join(value.split()).upper()


def check_character(first17: str) -> str:
    return CHECK_CHARACTERS[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def problems(value: str, today: dt.date | None = None) -> list[str]:
    """What is wrong with an ID number, in words a clerk understands; empty when valid."""
    number = normalise(value)
    if len(number) != LENGTH:
        return [_("an ID number has 18 characters, this one has %(n)d") % {"n": len(number)}]
    for position, ch in enumerate(number, start=1):
        if not ch.isascii() or not (ch.isdigit() or (position == LENGTH and ch == "X")):
            return [
                _(
                    "character %(pos)d is “%(ch)s”; an ID number is 17 digits followed by "
                    "a digit or X"
                )
                % {"pos": position, "ch": ch}
            ]
    errors: list[str] = []
    born = number[6:14]
    try:
        birth = dt.date(int(born[:4]), int(born[4:6]), int(born[6:]))
    except ValueError:
        birth = None
    today = today or timezone.localdate()
    if birth is None or not EARLIEST_BIRTH <= birth <= today:
        errors.append(
            _("characters 7–14 must be the birth date (YYYYMMDD), found “%(part)s”")
            % {"part": born}
        )
    expected = check_character(number[:17])
    if number[17] != expected:
        errors.append(
            _(
                "the check character (character 18) is “%(got)s” but should be “%(want)s”; "
                "a digit may be mistyped"
            )
            % {"got": number[17], "want": expected}
        )
    return errors


def validate_id_number(value: str) -> None:
    """Model and form validator: a ValidationError naming every problem."""
    if value:
        found = problems(value)
        if found:
            raise ValidationError(found, code="invalid_id_number")


def make_id_number(first17: str) -> str:
    """Complete 17 digits with their check character (demo data and tests)."""
    return first17 + check_character(first17)


def audit_value(value: str) -> str:
    """How the audit log records an ID number: masked, with a keyed fingerprint, so that a
    change shows (and two entries of the same number match) without the number itself."""
    if not value:
        return value
    from django.conf import settings

    digest = hmac.new(
        settings.SECRET_KEY.encode(), b"id_number:" + value.encode(), hashlib.sha256
    ).hexdigest()
    return f"{mask_id_number(value)} #{digest[:8]}"
