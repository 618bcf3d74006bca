"""Personal data: phone numbers and ID numbers (身份证号) are masked wherever people are
listed or exported; a user holding `accounts.unmask_personal_data` may reveal one value at a
time on a detail page, and every reveal is written to the audit log (who, whose, which field).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import Http404

from guanjia.core.audit import record
from guanjia.core.models import AuditAction
from guanjia.enterprises.idnumber import mask_id_number
from guanjia.enterprises.models import Contact, mask_phone

from .models import Role, User

UNMASK_PERMISSION = "accounts.unmask_personal_data"

__all__ = ["mask_id_number", "mask_phone", "can_unmask", "reveal", "REVEALABLE"]


def can_unmask(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and user.has_perm(UNMASK_PERMISSION))


@dataclass(frozen=True)
class Revealable:
    """A masked field and how to fetch its object for a user (404 outside their scope)."""

    fields: tuple[str, ...]
    fetch: Callable[[User, int], models.Model]


def _contact(user: User, pk: int) -> models.Model:
    from guanjia.enterprises.access import enterprises_for

    try:
        return Contact.objects.select_related("enterprise").get(
            pk=pk, enterprise__in=enterprises_for(user)
        )
    except (Contact.DoesNotExist, ValueError, TypeError):
        raise Http404("no such contact") from None


def _user(user: User, pk: int) -> models.Model:
    # Staff accounts are managed by city admins only.
    if not (user.is_superuser or user.role == Role.CITY_ADMIN):
        raise Http404("no such user")
    try:
        return User.objects.get(pk=pk)
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404("no such user") from None


REVEALABLE: dict[str, Revealable] = {
    "contact": Revealable(("phone", "id_number"), _contact),
    "user": Revealable(("phone",), _user),
}


@transaction.atomic
def reveal(actor: User, kind: str, pk: int, field: str) -> str:
    """The full value of one masked field; raises Http404 / PermissionDenied; audited."""
    spec = REVEALABLE.get(kind)
    if spec is None or field not in spec.fields:
        raise Http404("nothing to reveal here")
    obj = spec.fetch(actor, pk)  # 404 before 403: outsiders learn nothing
    if not can_unmask(actor):
        raise PermissionDenied("revealing personal data needs the unmask permission")
    value = str(getattr(obj, field) or "")
    record(actor, AuditAction.UNMASK, obj, after={"field": field}, note=f"revealed {field}")
    return value
