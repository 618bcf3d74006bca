"""Showing target figures: Decimal values with thousands separators, ratios as percentages."""

from decimal import Decimal
from typing import Any

from django import template

register = template.Library()


@register.filter
def figure(value: Decimal | None) -> str:
    """1600 → '1,600', 1234.5 → '1,234.50', None → '—'."""
    if value is None:
        return "—"
    value = Decimal(value)
    if value == value.to_integral_value():
        return f"{value.quantize(Decimal(1)):,}"
    return f"{value.quantize(Decimal('0.01')):,}"


@register.filter
def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


@register.simple_tag
def status_label(status: str, labels: dict[str, Any]) -> str:
    return str(labels.get(status, status))
