from typing import Any

from django import template

register = template.Library()


@register.filter
def get(mapping: Any, key: Any) -> Any:
    """mapping[key] in a template, or '' when missing."""
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""


@register.simple_tag
def clock(clock: Any) -> str:
    """The clock bar with its 50% and 80% ticks and the time left (Python, not an include:
    a queue draws one per row)."""
    from django.utils.html import format_html
    from django.utils.safestring import mark_safe
    from django.utils.translation import gettext as _

    if clock.state == "done":
        return mark_safe('<span class="muted">—</span>')  # noqa: S308  (a constant)
    hours = clock.hours_left
    if clock.state == "paused":
        text, title = _("Paused"), _("Paused: waiting for the enterprise")
    elif clock.minutes_left is not None and clock.minutes_left < 0:
        text = _("%(h)s h late") % {"h": hours}
        title = _("%(h)s working hours late") % {"h": hours}
    else:
        text = _("%(h)s h left") % {"h": hours}
        title = _("%(h)s working hours left") % {"h": hours}
    if clock.label == "sign":
        text += " · " + _("to sign for")
    elif clock.label == "resolve":
        text += " · " + _("to resolve")
    percent = f"{clock.percent or 0:.0f}"
    return format_html(
        '<div class="clock clock-{}" title="{}"><div class="clock-bar" role="meter" '
        'aria-valuemin="0" aria-valuemax="100" aria-valuenow="{}"><div style="width:{}%"></div>'
        '<i style="left:50%"></i><i style="left:80%"></i></div>'
        '<span class="clock-text">{}</span></div>',
        clock.state,
        title,
        percent,
        percent,
        text,
    )
