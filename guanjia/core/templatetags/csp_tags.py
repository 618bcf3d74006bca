"""Helpers for pages under the Content-Security-Policy, which refuses style attributes.

A bar's width is a class ``pct-0`` … ``pct-100`` (defined in static/guanjia/site.css) instead
of ``style="width:…%"``.
"""

from typing import Any

from django import template

register = template.Library()


def pct_class(value: Any) -> str:
    """The class for a width of ``value`` percent, rounded and clamped to 0..100."""
    try:
        number = round(float(value))
    except (TypeError, ValueError):
        number = 0
    return f"pct-{min(max(number, 0), 100)}"


@register.filter
def pct(value: Any) -> str:
    """``<div class="{{ job.percent|pct }}">`` → ``class="pct-42"``."""
    return pct_class(value)
