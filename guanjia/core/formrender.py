"""Form widgets rendered in Python: the same HTML as Django's widget templates, ~20x cheaper.

Django renders every widget, every <option> of a select and every attribute list through a
template include. A form with a select of 150 people costs ~10 ms that way, and the project page
holds several such forms; under load that was most of a request's CPU (see drills/load.py).
`FastTemplates` renders the templates below with plain string building and hands every other
template (and a widget template found elsewhere than Django's own) to Django's template engine,
so custom widgets keep working. tests/test_formrender.py compares its output with Django's.
"""

from collections.abc import Callable, Mapping
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.template import TemplateDoesNotExist
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

_INPUTS = {
    f"django/forms/widgets/{name}.html"
    for name in (
        "input",
        "text",
        "number",
        "email",
        "url",
        "password",
        "hidden",
        "date",
        "datetime",
        "time",
        "checkbox",
        "search",
        "tel",
        "color",
    )
}


def _attrs(attrs: Mapping[str, Any]) -> str:
    """django/forms/widgets/attrs.html and django/forms/attrs.html."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            out.append(f" {conditional_escape(name)}")
        else:
            out.append(f' {conditional_escape(name)}="{conditional_escape(value)}"')
    return "".join(out)


def _value(value: Any) -> str:
    """`{{ value }}` in a template: localized, then escaped unless already safe."""
    return str(conditional_escape(localize(value)))


def _input(widget: Mapping[str, Any]) -> str:
    value = widget["value"]
    shown = f' value="{conditional_escape(value)}"' if value is not None else ""
    return (
        f'<input type="{conditional_escape(widget["type"])}" '
        f'name="{conditional_escape(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'
    )


def _option(option: Mapping[str, Any]) -> str:
    return (
        f'<option value="{conditional_escape(option["value"])}"{_attrs(option["attrs"])}>'
        f"{_value(option['label'])}</option>"
    )


def _select(widget: Mapping[str, Any]) -> str | None:
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_value(group_name)}">')
        for option in group_choices:
            if option.get("template_name") != "django/forms/widgets/select_option.html":
                return None  # a custom option template: let Django render the whole select
            parts.append("\n  " + _option(option) + "\n")  # the include keeps its newline
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _textarea(widget: Mapping[str, Any]) -> str:
    value = widget["value"]
    return (
        f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{_value(value) if value else ''}</textarea>"
    )


def _label(context: Mapping[str, Any]) -> str:
    label = _value(context["label"])
    if not context.get("use_tag"):
        return label
    tag = conditional_escape(context["tag"])
    return f"<{tag}{_attrs(context['attrs'] or {})}>{label}</{tag}>"


def _errors(context: Mapping[str, Any]) -> str:
    errors = context["errors"]
    if not errors:
        return ""
    field_id = getattr(errors, "field_id", None)
    shown_id = f' id="{conditional_escape(field_id)}_error"' if field_id else ""
    items = "".join(f"<li>{_value(error)}</li>" for error in errors)
    return f'<ul class="{conditional_escape(context["error_class"])}"{shown_id}>{items}</ul>'


_FAST: dict[str, Callable[[Mapping[str, Any]], str | None]] = {
    "django/forms/widgets/select.html": lambda c: _select(c["widget"]),
    "django/forms/widgets/textarea.html": lambda c: _textarea(c["widget"]),
    "django/forms/label.html": _label,
    "django/forms/errors/list/default.html": _errors,
    "django/forms/errors/list/ul.html": _errors,
    **{name: (lambda c: _input(c["widget"])) for name in _INPUTS},
}


class FastTemplates(DjangoTemplates):
    """Django's default form renderer, with the common widget templates done in Python."""

    def __init__(self) -> None:
        super().__init__()
        # A widget template found elsewhere than Django's own (an override) is rendered by it.
        self._overridden: dict[str, bool] = {}

    def _is_overridden(self, template_name: str) -> bool:
        known = self._overridden.get(template_name)
        if known is None:
            try:
                origin = self.get_template(template_name).origin.name
            except TemplateDoesNotExist:
                origin = ""
            known = "/django/forms/templates/" not in str(origin).replace("\\", "/")
            self._overridden[template_name] = known
        return known

    def render(
        self, template_name: str, context: dict[str, Any], request: Any = None
    ) -> SafeString:
        fast = _FAST.get(template_name)
        if fast is not None and not self._is_overridden(template_name):
            html = fast(context)
            if html is not None:
                return mark_safe(html.strip())  # noqa: S308 -- every part escaped above
        return mark_safe(super().render(template_name, context, request))  # noqa: S308
