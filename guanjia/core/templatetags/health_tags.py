"""What a city admin should know about the server: the prerequisites found missing
(guanjia.core.health), shown on the configuration pages' index."""

from django import template
from django.utils.translation import gettext as _

from guanjia.core.health import cjk_font

register = template.Library()


@register.simple_tag
def prerequisite_warnings() -> list[str]:
    warnings = []
    if not cjk_font():
        warnings.append(
            _(
                "No Chinese font is installed on this server: PDF reports show empty boxes "
                "instead of Chinese characters. Install fonts-noto-cjk (deploy/system-deps.sh)."
            )
        )
    return warnings
