"""Template filters for amounts in 万元/亿元, used by the pages of several apps."""

from decimal import Decimal

from django import template
from django.utils.translation import pgettext

from guanjia.core.amounts import YI_IN_WAN, format_yi

register = template.Library()


@register.filter
def yi(value_wan: Decimal | None) -> str:
    """万元 → the number of 亿元 with two places: 6120000 → '612.00'."""
    return format_yi(value_wan)


@register.filter
def wan(value_wan: Decimal | None) -> str:
    """万元 without the trailing zeros of the stored four places: 35000.0000 → '35,000'."""
    if value_wan is None:
        return ""
    return f"{Decimal(value_wan).normalize():,f}"


@register.filter
def money(value_wan: Decimal | None) -> str:
    """An amount in the unit a clerk reads it in: 亿元 from one 亿 up, else 万元."""
    if value_wan is None:
        return ""
    if Decimal(value_wan) >= YI_IN_WAN:
        return pgettext("amount", "%(amount)s 100M yuan") % {"amount": format_yi(value_wan)}
    return pgettext("amount", "%(amount)s 10k yuan") % {"amount": wan(value_wan)}
