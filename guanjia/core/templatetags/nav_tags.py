"""The main menu of base.html, drawn in Python (guanjia.core.nav.render_menu)."""

from typing import Any

from django import template
from django.utils.safestring import SafeString

from guanjia.core import nav

register = template.Library()


@register.simple_tag(takes_context=True)
def main_menu(context: Any) -> SafeString:
    """`{% main_menu %}`: the links of `nav_items` (the context processor's), the page's own
    entry marked by the block it fills (`{% block nav_requests %}active{% endblock %}`)."""
    return nav.render_menu(context, context.get("nav_items"))
