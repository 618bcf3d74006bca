"""Typed cell parsers: each takes what calamine read from a cell and returns a value, or raises
`CellError` with the reason in the user's language.

Offices write the same thing many ways; every importer reads a cell through these, so a date
or an amount means the same wherever it is imported.
"""

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import override

from guanjia.core.amounts import AmountError, parse_amount_wan
from guanjia.core.bounds import YEAR_MAX, YEAR_MIN, name_problem

Cell = Any
# What offices write in an optional cell that has nothing to say.
NOTHING_MARKS = frozenset({"-", "—", "——", "/", "无", "暂无"})


class CellError(ValueError):
    """A cell that cannot be read as its column says; the message says why."""


def text_of(value: Cell) -> str:
    """A cell as the text a person sees: 3.0 → '3', a midnight datetime → '2026-03-05'."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, ".15g")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def is_blank(value: Cell) -> bool:
    """Empty, or one of the marks offices use for "nothing" (-, —, /, 无)."""
    return value is None or text_of(value) in ("", *NOTHING_MARKS)


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@functools.lru_cache(maxsize=4096)
def word_key(text: str) -> str:
    """How a word is compared: without spaces, case-folded."""
    return re.sub(r"\s+", "", text).casefold()


# --- Text -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """Text with bounds: at most `max_length` characters; `name` refuses invisible characters
    (guanjia.core.bounds.name_problem)."""

    max_length: int = 0
    name: bool = False

    def __call__(self, value: Cell) -> str:
        text = text_of(value)
        if self.max_length and len(text) > self.max_length:
            raise CellError(
                _("too long: at most %(n)d characters, this has %(m)d")
                % {"n": self.max_length, "m": len(text)}
            )
        if self.name and text and (problem := name_problem(text)):
            raise CellError(problem)
        return text


# --- Dates ------------------------------------------------------------------------------------

_DATE_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_MONTH_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def parse_date(value: Cell, *, month: bool = False) -> dt.date | None:
    """A date cell, an Excel serial number, 20260305, or text: 2026-03-05, 2026/3/5, 2026.3.5,
    2026年3月5日. A month alone (2026年3月, 2026-03) is its first day when `month` is true,
    else an error asking for the day. Blank cells are None."""
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        if number.is_integer() and 19000101 <= number <= 21001231:
            return _ymd(f"{int(number)}", value)
        # A date cell that lost its format shows Excel's serial day number.
        if 18264 <= number <= 73415:  # 1950-01-01 … 2100-12-31
            return _EXCEL_EPOCH + dt.timedelta(days=int(number))
        raise CellError(_("“%(value)s” is not a date") % {"value": text_of(value)})
    text = text_of(value)
    text = re.sub(r"[ T]\d{1,2}:\d{2}(:\d{2})?$", "", text)  # a time of day adds nothing
    match = _DATE_RE.fullmatch(text)
    if match:
        return _date(int(match.group(1)), int(match.group(2)), int(match.group(3)), text)
    if re.fullmatch(r"\d{8}", text):
        return _ymd(text, text)
    match = _MONTH_RE.fullmatch(text)
    if match:
        if month:
            return _date(int(match.group(1)), int(match.group(2)), 1, text)
        raise CellError(
            _("“%(value)s” has no day; write the full date, e.g. 2023-03-23") % {"value": text}
        )
    raise CellError(_("“%(value)s” is not a date; write it as 2023-03-23") % {"value": text})


def _ymd(digits: str, shown: Cell) -> dt.date:
    return _date(int(digits[:4]), int(digits[4:6]), int(digits[6:]), shown)


def _date(year: int, month: int, day: int, shown: Cell) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise CellError(_("“%(value)s” is not a real date") % {"value": text_of(shown)}) from exc


@dataclass(frozen=True)
class Date:
    """A date column (see `parse_date`); `month` accepts a month alone as its first day."""

    month: bool = False

    def __call__(self, value: Cell) -> dt.date | None:
        return parse_date(value, month=self.month)


# --- Amounts ----------------------------------------------------------------------------------


def parse_amount(value: Cell, unit: str = "万元") -> Decimal:
    """An amount in 万元: '3.5亿元', '1,200', 120000 with the header's `unit` unless the cell
    names its own. A blank cell is 0."""
    if is_blank(value):
        return Decimal(0)
    if isinstance(value, float):
        # Excel keeps 15 significant digits; more is binary noise (0.1 + 0.2).
        value = Decimal(format(value, ".15g"))
    try:
        return parse_amount_wan(value, default_unit=unit or "万元")
    except AmountError as exc:
        raise CellError(str(exc)) from exc


# Units an amount header may name, as parse_amount_wan spells them.
HEADER_UNITS = {"亿元": "亿元", "亿": "亿元", "万元": "万元", "万": "万元", "元": "元"}


@dataclass(frozen=True)
class Amount:
    """An amount column, in 万元; the header may name the unit (总投资(亿元)), a cell may too."""

    unit: str = "万元"

    def __call__(self, value: Cell) -> Decimal:
        return parse_amount(value, self.unit)

    def in_unit(self, unit: str) -> "Amount":
        return Amount(HEADER_UNITS[unit]) if unit else self


# --- Numbers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Integer:
    """A whole number between bounds; `suffix` may follow it (年, 人)."""

    minimum: int | None = None
    maximum: int | None = None
    suffix: str = ""

    def __call__(self, value: Cell) -> int | None:
        if is_blank(value):
            return None
        text = text_of(value).replace(",", "")
        if self.suffix:
            text = text.removesuffix(self.suffix)
        if not re.fullmatch(r"[+-]?\d+", text):
            raise CellError(_("“%(value)s” is not a whole number") % {"value": text_of(value)})
        number = int(text)
        if (self.minimum is not None and number < self.minimum) or (
            self.maximum is not None and number > self.maximum
        ):
            raise CellError(
                _("“%(value)s” is not a number from %(min)s to %(max)s")
                % {"value": text_of(value), "min": self.minimum, "max": self.maximum}
            )
        return number


YEAR = Integer(YEAR_MIN, YEAR_MAX, suffix="年")


# --- Enumerations and references -------------------------------------------------------------


@dataclass
class Choice:
    """An enumeration by its code or its label in Chinese or English, plus the other words
    offices use (`words`: word → code). Returns the code."""

    choices: type[models.TextChoices] | Iterable[tuple[str, Any]]
    words: Mapping[str, str] = field(default_factory=dict)
    languages: tuple[str, ...] = ("zh-hans", "en")
    _index: dict[str, str] = field(default_factory=dict, init=False, repr=False)

    def _pairs(self) -> list[tuple[str, Any]]:
        if isinstance(self.choices, type):
            return list(self.choices.choices)
        return list(self.choices)

    def index(self) -> dict[str, str]:
        """Every accepted word (normalised) → code; built once, in every language."""
        if not self._index:
            index: dict[str, str] = {}
            for language in self.languages:
                with override(language):
                    for code, label in self._pairs():
                        index[word_key(str(label))] = str(code)
            for code, _label in self._pairs():
                index[word_key(str(code))] = str(code)
            for word, code in self.words.items():
                index[word_key(word)] = str(code)
            self._index = index
        return self._index

    def first_words(self) -> list[str]:
        """What to suggest: the first word of each code, or its label."""
        by_code: dict[str, str] = {}
        for word, code in self.words.items():
            by_code.setdefault(str(code), word)
        return [by_code.get(str(code), str(label)) for code, label in self._pairs()]

    def __call__(self, value: Cell) -> str | None:
        if is_blank(value):
            return None
        found = self.index().get(word_key(text_of(value)))
        if found is None:
            raise CellError(
                _("“%(value)s” is not one of %(words)s")
                % {"value": text_of(value), "words": "、".join(self.first_words())}
            )
        return found


@dataclass(frozen=True)
class Reference:
    """Another record, by a name or code: `lookup(text)` returns it or raises CellError (or
    LookupError: then "nothing is called …"). The app gives a lookup built on its access.py
    `referenceable_*` queryset, so a file can name only what its uploader may name."""

    lookup: Callable[[str], Any]

    def __call__(self, value: Cell) -> Any:
        text = text_of(value)
        if not text:
            return None
        try:
            return self.lookup(text)
        except LookupError as exc:
            raise CellError(_("nothing here is called “%(value)s”") % {"value": text}) from exc


def lookup_in(objects: Iterable[Any], *names: Callable[[Any], str | None]) -> Callable[[str], Any]:
    """A lookup over `objects` by each of `names` (functions giving a name or code): a word two
    objects share is ambiguous and refused."""
    index: dict[str, Any] = {}
    shared = object()
    for obj in objects:
        for name in names:
            word = name(obj)
            if word:
                key = word_key(word)
                index[key] = obj if index.get(key, obj) is obj else shared

    def lookup(text: str) -> Any:
        found = index.get(word_key(text))
        if found is None:
            raise LookupError(text)
        if found is shared:
            raise CellError(
                _("“%(value)s” names more than one; use the full name or the code")
                % {"value": text}
            )
        return found

    return lookup
