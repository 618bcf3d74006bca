"""Money and counts as Chinese texts write them. Amounts are Decimal in 万元, never floats."""

import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from .bounds import AMOUNT_WAN_MAX

WAN = Decimal(10_000)
YI_IN_WAN = Decimal(10_000)  # 1 亿元 = 10,000 万元
WAN_PLACES = Decimal("0.0001")  # 万元 with four places is exact to the yuan
# Far above any one project or programme (10万亿元), far below what the columns hold.
MAX_WAN = AMOUNT_WAN_MAX

_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "壹": 1,
    "二": 2,
    "两": 2,
    "贰": 2,
    "三": 3,
    "叁": 3,
    "四": 4,
    "肆": 4,
    "五": 5,
    "伍": 5,
    "六": 6,
    "陆": 6,
    "七": 7,
    "柒": 7,
    "八": 8,
    "捌": 8,
    "九": 9,
    "玖": 9,
}
_SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_BIG_UNITS = {"万": 10_000, "亿": 100_000_000}

# Unit words after the number, as multipliers of one yuan.
_MONEY_UNITS = [
    ("万亿元", Decimal(10) ** 12),
    ("万亿", Decimal(10) ** 12),
    ("亿元", Decimal(10) ** 8),
    ("亿", Decimal(10) ** 8),
    ("万元", Decimal(10) ** 4),
    ("万", Decimal(10) ** 4),
    ("元", Decimal(1)),
]
_APPROX = ("余", "多", "近", "约", "超", "逾", "左右", "以上")


class AmountError(ValueError):
    """A text that is not an amount; the message says why, in the user's language."""


def parse_chinese_numeral(text: str) -> Decimal:
    """六百一十二 → 612, 一万二千 → 12000, 三点五 → 3.5."""
    text = text.strip()
    if "点" in text:
        whole, frac = text.split("点", 1)
        digits = "".join(str(_DIGITS[c]) for c in frac if c in _DIGITS)
        if len(digits) != len(frac):
            raise AmountError(_("“%(text)s” is not a number") % {"text": text})
        return parse_chinese_numeral(whole or "零") + Decimal("0." + digits)
    total, section, number = 0, 0, 0
    if not text:
        raise AmountError(_("empty number"))
    for ch in text:
        if ch in _DIGITS:
            number = _DIGITS[ch]
        elif ch in _SMALL_UNITS:
            section += (number or 1) * _SMALL_UNITS[ch]
            number = 0
        elif ch in _BIG_UNITS:
            section += number
            if _BIG_UNITS[ch] == 100_000_000:
                total = (total + section) * _BIG_UNITS[ch]
            else:
                total += section * _BIG_UNITS[ch]
            section, number = 0, 0
        else:
            raise AmountError(_("“%(text)s” is not a number") % {"text": text})
    return Decimal(total + section + number)


_NUMBER_RE = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")
_CN_NUM_CHARS = "".join(_DIGITS) + "".join(_SMALL_UNITS) + "点"


def _split_number_unit(text: str) -> tuple[Decimal, str]:
    s = text.strip().replace("，", ",").replace(" ", "")
    for word in _APPROX:
        s = s.replace(word, "")
    m = re.match(r"^([+-]?[\d,]*\.?\d+)(.*)$", s)
    if m:
        num, unit = m.group(1), m.group(2)
        if not _NUMBER_RE.match(num):
            raise AmountError(_("“%(text)s” is not a well-formed number") % {"text": text})
        try:
            return Decimal(num.replace(",", "")), unit
        except InvalidOperation as exc:
            raise AmountError(_("“%(text)s” is not a number") % {"text": text}) from exc
    # Chinese numerals: the numeral runs until the money unit; 万/亿 inside it belong to the
    # numeral only when more digits follow (一万二千元), otherwise they are the unit (六百亿元).
    m = re.match(rf"^([{_CN_NUM_CHARS}万亿]+?)((万亿|亿|万)?元?|[次个家项人])$", s)
    if not m or not m.group(1):
        raise AmountError(_("“%(text)s” is not an amount") % {"text": text})
    return parse_chinese_numeral(m.group(1)), m.group(2)


def parse_amount_wan(text: str | int | float | Decimal, default_unit: str = "万元") -> Decimal:
    """Parse '612亿元', '105.16亿元', '1.2万亿元', '六百一十二亿元', '3,500' into 万元."""
    if isinstance(text, bool):
        raise AmountError(_("“%(text)s” is not an amount") % {"text": text})
    if isinstance(text, int | Decimal):
        value, unit = Decimal(text), ""
    elif isinstance(text, float):
        value, unit = Decimal(repr(text)), ""
    else:
        if not str(text).strip():
            raise AmountError(_("the amount is empty"))
        value, unit = _split_number_unit(str(text))
    unit = unit or default_unit
    for word, yuan in _MONEY_UNITS:
        if unit == word:
            result = value * yuan / WAN
            break
    else:
        raise AmountError(_("unknown unit “%(unit)s”: use 元, 万元 or 亿元") % {"unit": unit})
    if result < 0:
        raise AmountError(_("an amount cannot be negative"))
    if result > MAX_WAN:
        raise AmountError(_("“%(text)s” is too large") % {"text": text})
    if result != result.quantize(WAN_PLACES):
        raise AmountError(_("an amount is kept to the yuan: “%(text)s” is finer") % {"text": text})
    return result.quantize(WAN_PLACES)


def parse_count(text: str) -> int:
    """'6000余次' → 6000, '687名' → 687, '一百二十九家' → 129."""
    s = text.strip()
    for word in _APPROX:
        s = s.replace(word, "")
    s = re.sub(r"[次个家项人名位场]$", "", s)
    if re.fullmatch(r"[\d,]+", s):
        return int(s.replace(",", ""))
    return int(parse_chinese_numeral(s))


def wan_to_yi(value: Decimal | None) -> Decimal:
    return (value or Decimal(0)) / YI_IN_WAN


def format_yi(value_wan: Decimal | None, places: int = 2) -> str:
    """10516000 万元 → '1051.60'; used with the 亿元 label."""
    q = Decimal(1).scaleb(-places)
    return f"{wan_to_yi(value_wan).quantize(q):,}"
