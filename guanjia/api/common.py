"""Small helpers the resource modules share: the caller, references to related rows."""

import json
from typing import Any

from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from guanjia.accounts.models import Role, User
from guanjia.accounts.scope import ReferenceOutOfScope, check_reference, referenceable_people
from guanjia.industries.models import Industry
from guanjia.regions.models import Region

from .errors import invalid

# What the API's renderer (`main.Utf8JsonRenderer`) writes: UTF-8 text, not \\u escapes.
JSON_DUMPS: dict[str, Any] = {"ensure_ascii": False}
JSON_TYPE = "application/json; charset=utf-8"


def caller(request: HttpRequest) -> User:
    """The authenticated user, whichever way they authenticated."""
    return request.auth  # type: ignore[attr-defined,no-any-return]


def region_ref(region: Region | None) -> dict[str, Any] | None:
    if region is None:
        return None
    return {"id": region.pk, "code": region.code, "name": region.name}


def industry_ref(industry: Industry | None) -> dict[str, Any] | None:
    if industry is None:
        return None
    return {"id": industry.pk, "name": industry.name}


def user_ref(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "name": str(user)}


def answer(data: dict[str, Any]) -> HttpResponse:
    """`data` as the API's renderer writes it, without ninja validating it again against the
    operation's response schema. For the hot lists whose items are built here field by field
    in the schema's order with the schema's types: the validation, row by row, cost more than
    reading the rows. Tests compare the bytes with the validated answer's."""
    from ninja.responses import NinjaJSONEncoder

    return HttpResponse(
        json.dumps(data, cls=NinjaJSONEncoder, **JSON_DUMPS), content_type=JSON_TYPE
    )


def page(qs: QuerySet, limit: int, offset: int) -> list:
    return list(qs[offset : offset + limit])


def existing[M: Model](qs: QuerySet[M], pk: int | None, field: str) -> M | None:
    """The row `pk` names in `qs`, or a 422 on `field`; None stays None. `qs` is what the caller
    may reference (`guanjia.accounts.scope`): a row outside it is refused as a missing one."""
    if pk is None:
        return None
    found = qs.filter(pk=pk).first()
    if found is None:
        raise ReferenceOutOfScope(field, pk)
    return found


def reference(user: User, kind: str, pk: int | None, field: str, **context: Any) -> Any:
    """The record of `kind` that `pk` names, if the caller may reference it (else as missing)."""
    return check_reference(user, kind, pk, field=field, **context)


def person(user: User, pk: int | None, role: str, field: str) -> User | None:
    """An active staff member the caller may name, with `role` (a steward, a leader), for an
    assignment field; someone of another area is refused as if there were no such person."""
    found = existing(referenceable_people(user), pk, field)
    if found is not None and found.role != role:
        raise invalid(
            field, _("%(user)s is not a %(role)s") % {"user": found, "role": Role(role).label}
        )
    return found
