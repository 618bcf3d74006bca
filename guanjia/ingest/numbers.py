"""Numbers, money and dates as Chinese text writes them, with the spans they came from.

Money and dates are parsed by jionlp (offline, rule-based), numerals by cn2an; what those
libraries leave (finding counts such as “6000余次” in a sentence, the approximation words, a
bare month) is a few small patterns here. Money is returned in yuan as Decimal, never float.
"""

import calendar
import contextlib
import datetime as dt
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

import cn2an

from guanjia.core.amounts import AmountError, parse_amount_wan

APPROX_BEFORE = ("近", "约", "超", "逾", "超过")
NOT_APPROX = ("签约", "合约", "协约", "履约", "特约")  # 约 in a word, not “about”
APPROX_AFTER = ("余", "多", "左右", "以上")
_CN_DIGITS = "零〇一二两三四五六七八九十百千万亿"


@cache
def jio() -> Any:
    """jionlp, imported once and quietly (it prints a banner on import)."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        import jionlp

    return jionlp


@dataclass
class Figure:
    """A value found in a text: what it is, whether it is approximate, and where it is."""

    value: Any
    start: int
    end: int
    text: str
    approximate: bool = False
    unit: str = ""


def numeral(text: str) -> Decimal:
    """'6000' → 6000, '一百二十九' → 129, '98.6' → 98.6 (cn2an for Chinese numerals)."""
    text = text.replace(",", "").strip()
    try:
        return Decimal(text)
    except InvalidOperation:
        pass
    if text[:1] in ("十", "百", "千"):
        text = "一" + text  # 百家 is 一百家
    try:
        value = cn2an.cn2an(text, "smart")
    except (ValueError, KeyError) as exc:
        raise AmountError(f"“{text}” is not a number") from exc
    return Decimal(str(value))


def plain(value: Decimal) -> str:
    """A decimal string without exponent or trailing zeros: 31850000000.00 → '31850000000'."""
    text = format(value.normalize(), "f")
    return text


def _approx_around(text: str, start: int, end: int) -> bool:
    before = text[max(0, start - 2) : start]
    after = text[end : end + 2]
    if before.endswith(NOT_APPROX):
        before = ""
    return any(before.endswith(w) for w in APPROX_BEFORE) or any(
        after.startswith(w) for w in APPROX_AFTER
    )


def parse_money_yuan(text: str) -> Decimal:
    """'612亿元' → 61200000000, '八亿五千万元' → 850000000 (jionlp; guanjia.core.amounts as a
    fallback for what jionlp refuses)."""
    try:
        parsed = jio().parse_money(text)
        return Decimal(parsed["num"])
    except (ValueError, TypeError, KeyError, InvalidOperation):
        return parse_amount_wan(text) * 10_000


def find_money(text: str) -> list[Figure]:
    """Every amount of money in `text` (yuan), with its span; '亿元以上项目' is not an amount."""
    found = []
    for item in jio().ner.extract_money(text, with_parsing=True):
        start, end = item["offset"]
        written = item["text"]
        lead_approx = False
        for word in sorted(APPROX_BEFORE, key=len, reverse=True):
            if written.startswith(word):
                written, start, lead_approx = written[len(word) :], start + len(word), True
                break
        if not re.match(rf"[\d{_CN_DIGITS}]", written) or written[0] in "万亿":
            continue  # “亿元以上” qualifies a noun; it is no amount
        cut = re.search(r"[,，。;；、\s]", written)
        if re.match(r"[\d.]+[个家项次件人名场]$", written[: cut.start()] if cut else written):
            continue  # “签约项目12个”: jionlp reads a count as money
        try:
            if cut:  # “36亿元，分两期”: jionlp read on past the comma (分 as a fen)
                written = written[: cut.start()]
                end = start + len(written)
                value = parse_money_yuan(written)
            else:
                value = Decimal(item["detail"]["num"])
        except (InvalidOperation, KeyError, TypeError, AmountError, ValueError):
            continue
        for word in APPROX_AFTER:
            if written.endswith(word):
                written, end = written[: -len(word)], end - len(word)
        found.append(
            Figure(
                value=value,
                start=start,
                end=end,
                text=written,
                approximate=lead_approx
                or _approx_around(text, start, end)
                or item["detail"].get("definition") != "accurate",
                unit="yuan",
            )
        )
    # jionlp passes over some amounts after a verb (“投资额达23亿元”): a plain pattern finds them
    for m in _MONEY_RE.finditer(text):
        start, end = m.start(), m.end()
        if m.group(0)[0] in "万亿千百十" and not m.group(0).startswith("十"):
            continue  # “上万亿元”: no number
        inside = [f for f in found if start <= f.start and f.end <= end]
        if any(f.start < end and start < f.end for f in found if f not in inside):
            continue
        if inside and all(f.end - f.start == end - start for f in inside):
            continue
        found = [f for f in found if f not in inside]  # “二十三点五亿元”, not its “五亿元”
        try:
            value = parse_money_yuan(re.sub(r"[ \u3000]", "", m.group(0)))
        except (AmountError, InvalidOperation, ValueError):
            continue
        found.append(
            Figure(
                value=value,
                start=start,
                end=end,
                text=m.group(0),
                approximate=_approx_around(text, start, end),
                unit="yuan",
            )
        )
    found.sort(key=lambda f: f.start)
    return found


# (a space may stand between the figure and its unit, as texts copied from a PDF have it)
_MONEY_RE = re.compile(
    rf"(?:\d+(?:\.\d+)?|[{_CN_DIGITS}]+(?:点[零〇一二三四五六七八九]+)?)[ \u3000]?(?:万亿|亿|万)元"
)
_COUNT_RE = re.compile(
    rf"(?P<num>\d+(?:\.\d+)?|[{_CN_DIGITS}]+)[ \u3000]?(?P<post>余|多)?(?P<unit>个|家|次|件|人|项|名|场)"
)
_PERCENT_RE = re.compile(r"(?P<num>\d+(?:\.\d+)?)\s*[%％]")


def find_counts(text: str) -> list[Figure]:
    """Counts with a measure word: '86家', '7300余次', '二十三个'; the unit is the measure word."""
    found = []
    for m in _COUNT_RE.finditer(text):
        if m.group("num") in ("一", "万", "亿"):
            continue  # a lone “一个”, “万人” is an article or a unit, not a figure
        try:
            value = numeral(m.group("num"))
        except AmountError:
            continue
        if value != value.to_integral_value():
            continue
        start, end = m.start("num"), m.end()
        found.append(
            Figure(
                value=int(value),
                start=start,
                end=end,
                text=m.group(0),
                approximate=bool(m.group("post")) or _approx_around(text, start, end),
                unit=m.group("unit"),
            )
        )
    return found


def find_percents(text: str) -> list[Figure]:
    return [
        Figure(
            value=Decimal(m.group("num")),
            start=m.start(),
            end=m.end(),
            text=m.group(0),
            approximate=_approx_around(text, m.start(), m.end()),
            unit="%",
        )
        for m in _PERCENT_RE.finditer(text)
    ]


# -- dates ------------------------------------------------------------------------------------

_FULL_DATE_RE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]")
_DATE_RE = re.compile(
    r"(?:(?P<year>\d{4})年)?(?P<month>\d{1,2})月(?:(?P<day>\d{1,2})[日号]|(?P<end>末|底)|(?P<start>初))?"
)
_YEAR_RE = re.compile(r"(\d{4})\s*年")


@dataclass
class DateFigure(Figure):
    precision: str = "day"  # day or month


def parse_date(text: str, year: int) -> DateFigure | None:
    """'5月16日' in 2024 → 2024-05-16 (jionlp); '4月末' → 2024-04-30; '7月' → 2024-07 (month)."""
    m = _DATE_RE.search(text)
    if not m:
        return None
    y = int(m.group("year") or year)
    month = int(m.group("month"))
    if not 1 <= month <= 12:
        return None
    written = m.group(0)
    if m.group("day"):
        try:
            parsed = jio().parse_time(written, time_base={"year": y, "month": 12, "day": 31})
            day = dt.date.fromisoformat(parsed["time"][0][:10])
            if day.month != month:
                raise ValueError(written)
        except (ValueError, KeyError, TypeError):
            try:
                day = dt.date(y, month, int(m.group("day")))
            except ValueError:
                return None
        return DateFigure(day, m.start(), m.end(), written, precision="day")
    if m.group("end"):
        last = calendar.monthrange(y, month)[1]
        return DateFigure(dt.date(y, month, last), m.start(), m.end(), written, precision="day")
    return DateFigure(dt.date(y, month, 1), m.start(), m.end(), written, precision="month")


_CN_MONTH_DAY_RE = re.compile(
    r"(?:(?P<year>[〇零一二三四五六七八九]{4})年)?"
    r"(?P<month>十[一二]?|[一二三四五六七八九])月(?P<day>[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九])[日号]"
)


def find_dates(text: str, year: int) -> list[DateFigure]:
    """Every month or day written in `text`, in figures (5月16日) or in Chinese numerals
    (六月十八日, 二〇二五年六月十八日, as bulletins write them)."""
    found = []
    for m in _DATE_RE.finditer(text):
        figure = parse_date(m.group(0), year)
        if figure is not None:
            figure.start, figure.end = m.start(), m.end()
            found.append(figure)
    for m in _CN_MONTH_DAY_RE.finditer(text):
        try:
            y = (
                int("".join(str(_CN_DIGIT[c]) for c in m.group("year")))
                if m.group("year")
                else year
            )
            day = dt.date(y, int(numeral(m.group("month"))), int(numeral(m.group("day"))))
        except (ValueError, AmountError, KeyError):
            continue
        found.append(DateFigure(day, m.start(), m.end(), m.group(0), precision="day"))
    found.sort(key=lambda f: f.start)
    return found


_DAY_ONLY_RE = re.compile(r"(?<![月\d])(\d{1,2})[日号]")


def find_loose_dates(text: str, published: dt.date | None) -> list[DateFigure]:
    """News style without the month: '16日' (in the month of publication, or the one before
    if that day is still to come), '近日' (the publication date, approximate) and the days
    written relative to it (昨天, 上周五, 本月12日)."""
    if published is None:
        return []
    found = []
    for m in _DAY_ONLY_RE.finditer(text):
        day = int(m.group(1))
        year, month = published.year, published.month
        if day > published.day:
            year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        try:
            value = dt.date(year, month, day)
        except ValueError:
            continue
        found.append(DateFigure(value, m.start(), m.end(), m.group(0), precision="day"))
    # “recently” (近日, 日前, not the 日前 of “10日前”): the publication day, approximately
    recently = _RECENTLY_RE.search(text)
    if recently:
        found.append(
            DateFigure(
                published, recently.start(), recently.end(), recently.group(0), True, "", "day"
            )
        )
    found.extend(find_relative_dates(text, published))
    return sorted(found, key=lambda f: f.start)


_RECENTLY_RE = re.compile(r"(?<![\d〇零一二三四五六七八九十])(?:近日|日前)")
_RELATIVE_DAYS = {"今天": 0, "今日": 0, "昨天": -1, "昨日": -1, "前天": -2, "前日": -2}
_WEEKDAYS = "一二三四五六日天"
_RELATIVE_RE = re.compile(
    r"(?P<day>今天|今日|昨天|昨日|前天|前日)"
    rf"|(?P<week>上周|上星期|本周|这周)(?P<weekday>[{_WEEKDAYS}])"
    r"|(?P<month>本月|上月)(?P<mday>\d{1,2})[日号]"
)


def find_relative_dates(text: str, published: dt.date) -> list[DateFigure]:
    """Days written relative to the publication day: 昨天, 上周五, 本月12日, 上月28日."""
    found = []
    for m in _RELATIVE_RE.finditer(text):
        if m.group("day"):
            value = published + dt.timedelta(days=_RELATIVE_DAYS[m.group("day")])
        elif m.group("week"):
            weekday = min(_WEEKDAYS.index(m.group("weekday")), 6)
            monday = published - dt.timedelta(days=published.weekday())
            if m.group("week") in ("上周", "上星期"):
                monday -= dt.timedelta(days=7)
            value = monday + dt.timedelta(days=weekday)
        else:
            year, month = published.year, published.month
            if m.group("month") == "上月":
                year, month = (year, month - 1) if month > 1 else (year - 1, 12)
            try:
                value = dt.date(year, month, int(m.group("mday")))
            except ValueError:
                continue
        found.append(DateFigure(value, m.start(), m.end(), m.group(0), precision="day"))
    return found


def date_value(figure: DateFigure) -> str:
    day = figure.value
    return day.isoformat() if figure.precision == "day" else day.strftime("%Y-%m")


_ISO_DATE_RE = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_CN_DATE_RE = re.compile(
    r"([〇零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日"
)
_CN_DIGIT = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0}


def _line_date(line: str) -> tuple[dt.date, str] | None:
    """A full date written in a line: 2025年6月9日, 2025-06-09 or 二〇二五年六月九日."""
    try:
        m = _FULL_DATE_RE.search(line) or _ISO_DATE_RE.search(line)
        if m:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))), m.group(0)
        m = _CN_DATE_RE.search(line)
        if m:
            year = int("".join(str(_CN_DIGIT[c]) for c in m.group(1)))
            month, day = int(numeral(m.group(2))), int(numeral(m.group(3)))
            return dt.date(year, month, day), m.group(0)
    except (ValueError, AmountError, KeyError):
        return None
    return None


def document_year(text: str, published: dt.date | None) -> tuple[int | None, dt.date | None, str]:
    """The year for dates that leave it out: `published`, else the document's own date line,
    else the latest year the text mentions. Returns (year, published date, source)."""
    if published:
        return published.year, published, "option"
    lines = [line.strip().strip("()（）") for line in text.splitlines()]
    for line in reversed(lines):
        found = _line_date(line)
        if found and (line.endswith(found[1]) or line.startswith(found[1])):
            return found[0].year, found[0], "date_line"
    for line in lines[:4]:
        # a site's or a bulletin's header: “锦州市人民政府网 发布时间：2025-05-20 来源：…”
        found = _line_date(line)
        if found and len(line) <= 60 and not re.search(r"[，,。；;]", line):
            return found[0].year, found[0], "date_line"
    years = [int(y) for y in _YEAR_RE.findall(text) if 1900 < int(y) < 2200]
    if years:
        return max(years), None, "latest_year"
    return None, None, "none"
