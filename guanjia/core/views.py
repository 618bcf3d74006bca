"""Helpers the pages of several apps share: htmx detection, pagination, service errors on a
form, and an object's audit history in words."""

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models import QuerySet
from django.forms import BaseForm
from django.http import HttpRequest
from django.utils.translation import gettext as _

from guanjia.core.audit import history
from guanjia.core.models import AuditAction, AuditEntry


def is_htmx(request: HttpRequest) -> bool:
    """Whether htmx asks for a fragment. A history restore asks for the whole page."""
    return "HX-Request" in request.headers and "HX-History-Restore-Request" not in request.headers


def paginate(
    request: HttpRequest, qs: QuerySet[Any] | Sequence[Any], count: int | None = None
) -> Page:
    """The page of `qs` the request's ?page= names, of GUANJIA_PAGE_SIZE rows."""
    paginator = Paginator(qs, settings.GUANJIA_PAGE_SIZE)
    if count is not None:
        paginator.count = count  # already counted by the summary: save a query
    return paginator.get_page(request.GET.get("page"))


def add_service_errors(form: BaseForm, exc: ValidationError) -> None:
    """Put a service's ValidationError next to the fields it names (else above the form)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def history_rows(obj: models.Model) -> list[dict[str, Any]]:
    """Audit entries with field names, choice labels and related objects in words."""
    model = type(obj)
    entries: list[AuditEntry] = list(history(obj))
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    # Fetch the related objects every entry mentions, one query per related model.
    wanted: dict[type[models.Model], set[Any]] = {}
    for entry in entries:
        if entry.action == AuditAction.CREATE:
            continue
        for attname, before, after in entry.changed_fields():
            field = by_attname.get(attname)
            if field is not None and field.is_relation and field.related_model is not None:
                wanted.setdefault(field.related_model, set()).update(
                    v for v in (before, after) if v is not None
                )
    names = {
        related: related._default_manager.in_bulk(list(ids)) for related, ids in wanted.items()
    }

    choices: dict[models.Field, dict[Any, str]] = {}

    def words(field: models.Field | None, value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if field is None:
            return value
        if field.is_relation and field.related_model is not None:
            found = names.get(field.related_model, {}).get(value)
            return str(found) if found is not None else f"#{value}"
        if field.choices:
            if field not in choices:  # the labels once a field, not once a value
                choices[field] = {k: str(v) for k, v in field.flatchoices}
            return choices[field].get(value, value)
        return value

    rows = []
    for entry in entries:
        changes = []
        if entry.action != AuditAction.CREATE:
            for attname, before, after in entry.changed_fields():
                field = by_attname.get(attname)
                label = field.verbose_name if field is not None else attname
                changes.append((label, words(field, before), words(field, after)))
        rows.append({"entry": entry, "changes": changes})
    return rows
