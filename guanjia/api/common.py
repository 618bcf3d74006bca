"""Small helpers the resource modules share: the caller, references to related rows."""

from typing import Any

from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from guanjia.accounts.models import Role, User
from guanjia.accounts.scope import region_q
from guanjia.industries.models import Industry
from guanjia.regions.models import Region

from .errors import ApiError, field_error, invalid


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


def page(qs: QuerySet, limit: int, offset: int) -> list:
    return list(qs[offset : offset + limit])


def existing[M: Model](qs: QuerySet[M], pk: int | None, field: str) -> M | None:
    """The row `pk` names, or a 422 on `field`; None stays None."""
    if pk is None:
        return None
    found = qs.filter(pk=pk).first()
    if found is None:
        raise invalid(field, _("there is no such record (id %(pk)s)") % {"pk": pk})
    return found


def person(pk: int | None, role: str, field: str) -> User | None:
    """An active user with `role` (a steward, a leader) for an assignment field."""
    user = existing(User.objects.filter(is_active=True), pk, field)
    if user is not None and user.role != role:
        raise invalid(
            field, _("%(user)s is not a %(role)s") % {"user": user, "role": Role(role).label}
        )
    return user


def require_region_in_scope(user: User, region: Region, message: str) -> None:
    """403 naming region_id when the region lies outside the caller's area."""
    if not Region.objects.filter(pk=region.pk).filter(region_q(user, "")).exists():
        raise ApiError(403, message, [field_error("region_id", message)])
