"""Unified social credit codes (统一社会信用代码, GB 32100-2015), checked with reasons."""

from django.utils.translation import gettext as _
from stdnum.cn import uscc

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
FORBIDDEN = "IOSVZ"


def normalise(code: str) -> str:
    return "".join(code.split()).upper().replace("－", "").replace("-", "")


def problems(code: str) -> list[str]:
    """Everything wrong with a code, in words a clerk understands; empty when valid."""
    code = normalise(code)
    if len(code) != 18:
        return [_("a credit code has 18 characters, this one has %(n)d") % {"n": len(code)}]
    errors: list[str] = []
    for position, ch in enumerate(code, start=1):
        if ch in FORBIDDEN:
            errors.append(
                _("character %(pos)d is “%(ch)s”; I, O, S, V and Z never occur in credit codes")
                % {"pos": position, "ch": ch}
            )
        elif ch not in ALPHABET:
            errors.append(
                _("character %(pos)d is “%(ch)s”, which is not a digit or capital letter")
                % {"pos": position, "ch": ch}
            )
    if errors:
        return errors
    if not code[2:8].isdigit():
        errors.append(
            _("characters 3–8 must be the six-digit region code, found “%(part)s”")
            % {"part": code[2:8]}
        )
        return errors
    expected = uscc.calc_check_digit(code[:17])
    if code[17] != expected:
        errors.append(
            _(
                "the check digit (character 18) is “%(got)s” but should be “%(want)s”; "
                "a character may be mistyped"
            )
            % {"got": code[17], "want": expected}
        )
    return errors


def region_code(code: str) -> str:
    """The GB/T 2260 code of the registering region (positions 3–8)."""
    return normalise(code)[2:8]


def make_code(prefix17: str) -> str:
    """Complete 17 characters with their check digit (demo data and tests)."""
    return prefix17 + uscc.calc_check_digit(prefix17)
