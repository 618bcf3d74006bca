"""Template helpers for the project list: sortable column headers."""

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from guanjia.projects.ledger import DEFAULT_SORT

register = template.Library()


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
