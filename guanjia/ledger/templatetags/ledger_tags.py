"""Template helpers for the ledger pages: amounts in 万元/亿元 and sortable column headers."""

from decimal import Decimal
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import pgettext

from guanjia.core.amounts import YI_IN_WAN, format_yi
from guanjia.projects.ledger import DEFAULT_SORT

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


@register.simple_tag(takes_context=True)
def sort_th(context: dict[str, Any], key: str, label: str, css: str = "") -> SafeString:
    """A column header that sorts by `key`, toggling the direction; keeps the filters."""
    request = context["request"]
    params = request.GET.copy()
    current = params.get("sort") or DEFAULT_SORT
    params["sort"] = f"-{key}" if current == key else key
    params.pop("page", None)
    if current == key:
        arrow, state = " ▲", "ascending"
    elif current == f"-{key}":
        arrow, state = " ▼", "descending"
    else:
        arrow, state = "", "none"
    return format_html(
        '<th class="{}" aria-sort="{}"><a href="?{}" hx-get="?{}" data-sort="{}">{}{}</a></th>',
        css,
        state,
        params.urlencode(),
        params.urlencode(),
        key,
        label,
        arrow,
    )
