"""Periods targets and actuals are set for: a year, or one of its quarters or months.

A period is stored as (year, quarter, month) with 0 meaning "not split": (2025, 0, 0) is the
year 2025, (2025, 2, 0) its second quarter, (2025, 0, 5) May 2025.
"""

import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from guanjia.core.bounds import YEAR_MAX, YEAR_MIN

QUARTER_WORDS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}


class PeriodError(ValueError):
    """A text that is not a period; the message says why."""


@dataclass(frozen=True, order=True)
class Period:
    year: int
    quarter: int = 0
    month: int = 0

    def __post_init__(self) -> None:
        if not YEAR_MIN <= self.year <= YEAR_MAX:
            raise PeriodError(_("%(year)s is not a year") % {"year": self.year})
        if self.quarter and self.month:
            raise PeriodError(_("a period is a year, a quarter or a month, not both"))
        if not 0 <= self.quarter <= 4:
            raise PeriodError(_("a quarter is 1 to 4"))
        if not 0 <= self.month <= 12:
            raise PeriodError(_("a month is 1 to 12"))

    @property
    def start(self) -> dt.date:
        if self.month:
            return dt.date(self.year, self.month, 1)
        if self.quarter:
            return dt.date(self.year, 3 * self.quarter - 2, 1)
        return dt.date(self.year, 1, 1)

    @property
    def end(self) -> dt.date:
        """The last day of the period."""
        if self.month:
            following = (
                dt.date(self.year + 1, 1, 1)
                if self.month == 12
                else dt.date(self.year, self.month + 1, 1)
            )
            return following - dt.timedelta(days=1)
        if self.quarter:
            if self.quarter == 4:
                return dt.date(self.year, 12, 31)
            return dt.date(self.year, 3 * self.quarter + 1, 1) - dt.timedelta(days=1)
        return dt.date(self.year, 12, 31)

    @property
    def kind(self) -> str:
        return "month" if self.month else "quarter" if self.quarter else "year"

    def contains(self, other: "Period") -> bool:
        return self.start <= other.start and other.end <= self.end

    def elapsed(self, as_of: dt.date) -> float:
        """The share of the period gone by at the end of `as_of`, 0 to 1."""
        if as_of < self.start:
            return 0.0
        if as_of >= self.end:
            return 1.0
        days = (self.end - self.start).days + 1
        return ((as_of - self.start).days + 1) / days

    def __str__(self) -> str:
        if self.month:
            return f"{self.year}-{self.month:02d}"
        if self.quarter:
            return f"{self.year}Q{self.quarter}"
        return str(self.year)

    @property
    def label(self) -> str:
        if self.month:
            return _("%(year)d-%(month)02d") % {"year": self.year, "month": self.month}
        if self.quarter:
            return _("Q%(quarter)d %(year)d") % {"quarter": self.quarter, "year": self.year}
        return str(self.year)

    @classmethod
    def parse(cls, text: object) -> "Period":
        """'2025', '2025Q2', '2025-Q2', '2025年第二季度', '2025-05', '2025年5月', 2025.0."""
        if isinstance(text, float) and text.is_integer():
            text = int(text)
        s = re.sub(r"\s+", "", str(text or "")).upper()
        if not s:
            raise PeriodError(_("the period is empty"))
        m = re.fullmatch(r"(\d{4})年?", s)
        if m:
            return cls(int(m.group(1)))
        m = re.fullmatch(r"(\d{4})[-/.]?Q([1-4])", s) or re.fullmatch(
            r"(\d{4})年?第?([一二三四1-4])季度?", s
        )
        if m:
            return cls(int(m.group(1)), quarter=QUARTER_WORDS[m.group(2)])
        m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})月?", s)
        if m and 1 <= int(m.group(2)) <= 12:
            return cls(int(m.group(1)), month=int(m.group(2)))
        raise PeriodError(
            _("“%(text)s” is not a period: write 2025, 2025Q2 or 2025-05") % {"text": text}
        )


def quarters(year: int) -> list[Period]:
    return [Period(year, quarter=q) for q in range(1, 5)]


def months(year: int, quarter: int = 0) -> list[Period]:
    span = range(3 * quarter - 2, 3 * quarter + 1) if quarter else range(1, 13)
    return [Period(year, month=m) for m in span]
