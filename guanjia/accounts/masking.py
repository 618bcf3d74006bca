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

from .models import Role, User

UNMASK_PERMISSION = "accounts.unmask_personal_data"

__all__ = ["mask_id_number", "mask_phone", "can_unmask", "reveal", "REVEALABLE", "revealable"]


def mask_phone(phone: str) -> str:
    """138****5678: lists show enough to recognise a number, not to dial it."""
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def mask_id_number(value: str) -> str:
    """210702********123X: the issuing area and the last four, not the birth date."""
    value = value.strip()
    if len(value) < 10:
        return "*" * len(value)
    return f"{value[:6]}{'*' * (len(value) - 10)}{value[-4:]}"


def can_unmask(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and user.has_perm(UNMASK_PERMISSION))


@dataclass(frozen=True)
class Revealable:
    """A masked field and how to fetch its object for a user (404 outside their scope)."""

    fields: tuple[str, ...]
    fetch: Callable[[User, int], models.Model]


def _user(user: User, pk: int) -> models.Model:
    # Staff accounts are managed by city admins only.
    if not (user.is_superuser or user.role == Role.CITY_ADMIN):
        raise Http404("no such user")
    try:
        return User.objects.get(pk=pk)
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404("no such user") from None


# kind → what may be revealed of it. The apps above this one register theirs in their
# AppConfig.ready() (enterprises: a contact's phone and ID number).
REVEALABLE: dict[str, Revealable] = {
    "user": Revealable(("phone",), _user),
}


def revealable(
    kind: str, fields: tuple[str, ...], fetch: Callable[[User, int], models.Model]
) -> None:
    """Register a kind of record whose masked `fields` may be revealed (see `reveal`)."""
    REVEALABLE[kind] = Revealable(fields, fetch)


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
