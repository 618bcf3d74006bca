"""Formatting for the cockpit: 亿元 from 万元, rates as percentages."""

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def yi(value: Decimal | str | None) -> str:
    """An amount in 万元 shown in 亿元 with two decimals."""
    if value in (None, ""):
        return "0"
    amount = Decimal(str(value)) / Decimal(10_000)
    return f"{amount:,.2f}"


@register.filter
def pct(value: float | None) -> str:
    """A rate 0–1 as "88.8%"; a dash when there is nothing to divide."""
    if value is None:
        return "—"
    return f"{value * 100:.1f}%"
