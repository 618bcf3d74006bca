"""What a user may write: the longest text of each kind, sane number ranges, clean names.

Every write path (web forms, the API, Open311, the importers, the shared `audited_save`)
reads its limits from here or from the model field that uses them, so one number is
changed in one place. Django enforces a TextField's `max_length` only in forms, so
`bounded_text` also puts a `MaxLengthValidator` on the field: `full_clean` (which
`audited_save` runs) refuses a longer text on every other path.

Names and titles (of an enterprise, a project, a person, an event, a policy…) refuse the
characters that make two different names look alike or make a name display differently
from what it stores: control characters, zero-width characters and the bidirectional
overrides and isolates (the "Trojan Source" characters).
"""

import unicodedata
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# --- text lengths, in characters ----------------------------------------------------------

NOTE_MAX = 2_000  # a note on a step, an audit note, a decision
TEXT_MAX = 5_000  # a request's text and answer, a description, a service record
LONG_TEXT_MAX = 10_000  # a policy's benefit, a meeting's minutes
DOCUMENT_TEXT_MAX = 200_000  # the text of an ingested document (a long bulletin, a report)
ERROR_MAX = 2_000  # an error message the system keeps (email, webhook, report)

# The audit log keeps at most this many characters of any one value; the rest is cut and
# a marker says how much was left out. The model limits above keep real values below it
# except for an ingested document's text.
AUDIT_VALUE_MAX = LONG_TEXT_MAX

# --- numbers ------------------------------------------------------------------------------

YEAR_MIN = 1949  # the earliest year a plan, a target or a document can be about
YEAR_MAX = 2100
AMOUNT_WAN_MAX = Decimal(10) ** 9  # 10万亿元 in 万元: more than any one project or programme
LAND_MU_MAX = Decimal(1_000_000)  # 亩: about 667 km², more than a whole development zone
ENERGY_TCE_MAX = Decimal(10) ** 9  # tonnes of standard coal a year
HEADCOUNT_MAX = 10_000_000
TARGET_VALUE_MAX = Decimal(10) ** 12  # an indicator's value, in its own unit
PERCENT_MAX = 100
DAYS_MAX = 3_650  # working or calendar days a deadline or an extension may take
COUNT_MAX = 1_000_000  # a count a user types (problems solved, participants)


def year_validators() -> list[Any]:
    return [MinValueValidator(YEAR_MIN), MaxValueValidator(YEAR_MAX)]


def amount_validators(maximum: Decimal = AMOUNT_WAN_MAX) -> list[Any]:
    """Non-negative and below a generous cap (万元 unless said otherwise)."""
    return [MinValueValidator(Decimal(0)), MaxValueValidator(maximum)]


def bounded_text(verbose_name: Any, max_length: int, **kwargs: Any) -> models.TextField:
    """A TextField whose limit holds on every path, not only in forms."""
    validators = [MaxLengthValidator(max_length), *kwargs.pop("validators", [])]
    return models.TextField(verbose_name, max_length=max_length, validators=validators, **kwargs)


def text_limit(model: type[models.Model], field: str) -> int:
    """The longest text `model.field` takes (a CharField's or a bounded TextField's)."""
    limit = getattr(model._meta.get_field(field), "max_length", None)
    if not limit:
        raise LookupError(f"{model._meta.label}.{field} has no max_length")
    return int(limit)


# --- names --------------------------------------------------------------------------------

ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

KIND_CONTROL = gettext_lazy("a control character")
KIND_ZERO_WIDTH = gettext_lazy("a zero-width character")
KIND_BIDI = gettext_lazy("a bidirectional override")


def forbidden_in_name(value: str) -> tuple[int, str, Any] | None:
    """The first character a name may not contain: (1-based position, char, kind) or None."""
    for position, char in enumerate(value, start=1):
        if char in ZERO_WIDTH:
            return position, char, KIND_ZERO_WIDTH
        if char in BIDI_CONTROLS:
            return position, char, KIND_BIDI
        if unicodedata.category(char) == "Cc":
            return position, char, KIND_CONTROL
    return None


def name_problem(value: str) -> str | None:
    """Why `value` cannot be a name, in the user's language, or None when it can."""
    found = forbidden_in_name(value)
    if found is None:
        return None
    position, char, kind = found
    return _(
        "contains %(kind)s (U+%(code)04X %(char_name)s) at character %(position)d; "
        "remove it and type the name again"
    ) % {
        "kind": kind,
        "code": ord(char),
        "char_name": unicodedata.name(char, "CONTROL"),
        "position": position,
    }


def without_invisible(value: str) -> str:
    """`value` without the characters a name may not hold: for a title made from a text (a
    request's first line), where refusing would blame the user for a title they never typed.
    Line breaks and tabs become spaces."""
    value = value.replace("\t", " ").replace("\r", " ").replace("\n", " ")
    return "".join(c for c in value if forbidden_in_name(c) is None)


def validate_name(value: Any) -> None:
    """Model and form validator for every name and title."""
    if not isinstance(value, str):
        return
    problem = name_problem(value)
    if problem is not None:
        raise ValidationError(problem, code="name_character")
