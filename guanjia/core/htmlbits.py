"""Small pieces for drawing HTML in Python with the bytes a Django template drew: dates as
`|date`, values as `{{ }}`, translated literals as `{% translate %}`, `{% csrf_token %}`.
The pages that draw sections in Python (`projects.page`, the project page's panels) use them."""

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]

_ANY = 999999999  # a URL's placeholder id, replaced by each row's


def lit(translated: str) -> SafeString:
    """`{% translate "…" %}`: the translation of a literal is not escaped (`lit(_("…"))`, so
    that makemessages still finds the msgid)."""
    return mark_safe(translated)  # noqa: S308 - a msgid of ours, as the template had it


def ymd(value: Any) -> str:
    """`{{ value|date:"Y-m-d" }}` for a date, a datetime (in the current time zone) or None."""
    if not value:
        return ""
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def ymd_hm(value: Any) -> str:
    """`{{ value|date:"Y-m-d H:i" }}`."""
    if not value:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return f"{ymd(value)} {value.hour:02d}:{value.minute:02d}"


def shown(value: Any) -> SafeString:
    """`{{ value }}`: in the current time zone, localized, escaped unless already safe."""
    return mark_safe(conditional_escape(localize(template_localtime(value))))  # noqa: S308


def or_dash(value: Any) -> Any:
    """`{{ value|default:"—" }}`."""
    return value if value else "—"


def url_maker(name: str) -> Callable[[Any], str]:
    """One `reverse` a page, then each object's id put in: `{% url name pk %}` per row."""
    base = reverse(name, args=[_ANY])
    placeholder = f"/{_ANY}/"
    return lambda pk: base.replace(placeholder, f"/{pk}/")


def join(parts: Iterable[str]) -> SafeString:
    return mark_safe("".join(parts))  # noqa: S308 - each part built by format_html


def csrf_input(token: Any) -> str:
    """`{% csrf_token %}` with the context's `csrf_token`."""
    if not token:
        return ""
    if token == "NOTPROVIDED":  # noqa: S105 - Django's marker, not a password
        return format_html("")
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token)


_FIELD = """<div class="field{error_class}" id="field-{name}">
  {label}
  {widget}
  {errors}
  {help}
</div>
"""


def form_fields(form: Any) -> SafeString:
    """`{% for field in form %}{% include "core/_field.html" %}{% endfor %}` (the widgets
    themselves drawn by the form's renderer, `core.formrender`)."""
    html = []
    for field in form:
        errors = field.errors
        html.append(
            format_html(
                _FIELD,
                error_class=" has-error" if errors else "",
                name=field.name,
                label=field.label_tag(),
                widget=conditional_escape(field),
                errors=conditional_escape(errors),
                help=format_html(
                    '<div class="helptext" id="{}_helptext">{}</div>',
                    field.auto_id,
                    field.help_text,
                )
                if field.help_text
                else "",
            )
        )
    return join(html)
