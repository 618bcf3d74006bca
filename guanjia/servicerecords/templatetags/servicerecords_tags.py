"""Template helpers for the service pages: sortable headers and rates as percentages."""

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag(takes_context=True)
def sort_th(
    context: dict[str, Any],
    key: str,
    label: str,
    default: str,
    css: str = "",
    param: str = "sort",
    first_desc: bool = False,
) -> SafeString:
    """A header that sorts by `key`, toggling the direction and keeping the other parameters.

    `first_desc` makes the first click sort descending (figures read biggest first).
    """
    request = context["request"]
    params = request.GET.copy()
    current = params.get(param) or default
    if current == key:
        params[param] = f"-{key}"
    elif current == f"-{key}":
        params[param] = key
    else:
        params[param] = f"-{key}" if first_desc else key
    params.pop("page", None)
    if current == key:
        arrow, state = " ▲", "ascending"
    elif current == f"-{key}":
        arrow, state = " ▼", "descending"
    else:
        arrow, state = "", "none"
    return format_html(
        '<th class="{}" aria-sort="{}"><a href="?{}" data-sort="{}">{}{}</a></th>',
        css,
        state,
        params.urlencode(),
        key,
        label,
        arrow,
    )


@register.filter
def percent(rate: float | None) -> str:
    """0.8765 → '87.7%'; no rate (nothing to divide) → '—'."""
    if rate is None:
        return "—"
    return f"{rate * 100:.1f}%"
