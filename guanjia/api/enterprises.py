"""Enterprises: list, read, create and update, with the credit code checked at the door."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from guanjia.accounts.models import Role, User
from guanjia.enterprises import access, creditcode, services
from guanjia.enterprises.models import Enterprise
from guanjia.industries.models import Industry

from .common import (
    caller,
    existing,
    industry_ref,
    page,
    reference,
    region_ref,
    user_ref,
)
from .errors import ApiError, field_error, invalid
from .schemas import (
    DuplicateOut,
    EnterpriseCreate,
    EnterpriseFilters,
    EnterpriseList,
    EnterpriseOut,
    EnterpriseUpdate,
    ErrorOut,
    InvalidOut,
)

router = Router(tags=["enterprises"])

WRITE_ERRORS = {400: InvalidOut, 401: ErrorOut, 403: ErrorOut, 409: DuplicateOut, 422: InvalidOut}


def enterprise_item(e: Enterprise) -> dict[str, Any]:
    return {
        "id": e.pk,
        "name": e.name,
        "credit_code": e.credit_code,
        "ownership": e.ownership,
        "capital_origin": e.capital_origin,
        "home_city": e.home_city,
        "region": region_ref(e.region),
        "industry": industry_ref(e.industry),
    }


def enterprise_detail(e: Enterprise) -> dict[str, Any]:
    contacts = [
        {
            "id": c.pk,
            "name": c.name,
            "title": c.title,
            "phone": c.masked_phone,
            "id_number": c.masked_id_number,
            "is_primary": c.is_primary,
        }
        for c in e.contacts.all()
    ]
    return enterprise_item(e) | {
        "address": e.address,
        "description": e.description,
        "steward": user_ref(e.steward),
        "contacts": contacts,
        "created_at": e.created_at,
        "updated_at": e.updated_at,
    }


@router.get("", response={200: EnterpriseList, 401: ErrorOut, 422: InvalidOut})
def list_enterprises(request: HttpRequest, filters: Query[EnterpriseFilters]) -> dict:
    """Enterprises the caller may see, by name; `q` searches names and credit codes."""
    qs = access.enterprises_for(caller(request))
    if filters.q:
        qs = qs.filter(
            Q(name__icontains=filters.q) | Q(credit_code=creditcode.normalise(filters.q))
        )
    items = page(
        qs.select_related("region", "industry").order_by("name", "id"),
        filters.limit,
        filters.offset,
    )
    return {"count": qs.count(), "items": [enterprise_item(e) for e in items]}


@router.get("/{int:enterprise_id}", response={200: EnterpriseOut, 401: ErrorOut, 404: ErrorOut})
def get_enterprise(request: HttpRequest, enterprise_id: int) -> dict:
    """One enterprise with its contacts (phones and ID numbers masked)."""
    return enterprise_detail(access.get_enterprise(caller(request), enterprise_id))


def _check_references(
    user: User, fields: dict[str, Any], enterprise: Enterprise | None = None
) -> None:
    """The region must be one the caller may reference (their own subtree; anything else is
    the 422 of an unknown id), and an enterprise registered outside it stays where it is; the
    industry must exist."""
    region_id = fields.get("region_id")
    if enterprise is None or ("region_id" in fields and region_id != enterprise.region_id):
        if enterprise is not None and not access.may_move(user, enterprise):
            raise invalid(
                "region_id",
                _("this enterprise is registered outside your area; its region stays as it is"),
            )
        reference(user, "region", region_id, "region_id")
    existing(Industry.objects.all(), fields.get("industry_id"), "industry_id")


def _refuse_duplicate(user: User, credit_code: str | None, exclude_pk: int | None = None) -> None:
    """A code already registered is a 409; it names the enterprise that has it (and gives its
    `existing_id`) only when the caller may reference that enterprise."""
    dupe = services.find_duplicate(credit_code, exclude_pk)
    if dupe is not None:
        extra = {"existing_id": dupe.pk} if services.may_name(user, dupe) else {}
        raise ApiError(
            409,
            _("An enterprise with this credit code already exists."),
            [field_error("credit_code", services.duplicate_message(user, dupe))],
            **extra,
        )


def _save(
    user: User, write: Any, credit_code: str | None, exclude_pk: int | None = None
) -> Enterprise:
    """Run a service write; a duplicate code that slipped in meanwhile is still a 409."""
    try:
        with transaction.atomic():
            return write()  # type: ignore[no-any-return]
    except IntegrityError:
        _refuse_duplicate(user, credit_code, exclude_pk)
        raise


def _reload(pk: int) -> Enterprise:
    return Enterprise.objects.select_related("region", "industry", "steward").get(pk=pk)


@router.post("", response={201: EnterpriseOut} | WRITE_ERRORS)
def create_enterprise(request: HttpRequest, payload: EnterpriseCreate) -> Status:
    """Register an enterprise: only `name` and `credit_code` are required.

    A bad credit code is a 422 naming `credit_code` with every reason; a code that is
    already registered is a 409, with `existing_id` when the caller may see that enterprise.
    """
    user = caller(request)
    if not access.can_create(user):
        raise PermissionDenied
    fields = payload.model_dump()
    _check_references(user, fields)
    _refuse_duplicate(user, fields["credit_code"])
    if user.role == Role.STEWARD:
        fields["steward"] = user  # so the steward who registers it also serves it
    enterprise = _save(
        user, lambda: services.create_enterprise(user, **fields), fields["credit_code"]
    )
    return Status(201, enterprise_detail(_reload(enterprise.pk)))


@router.patch("/{int:enterprise_id}", response={200: EnterpriseOut, 404: ErrorOut} | WRITE_ERRORS)
def update_enterprise(request: HttpRequest, enterprise_id: int, payload: EnterpriseUpdate) -> dict:
    """Change some of an enterprise's facts; fields left out stay as they are."""
    user = caller(request)
    enterprise = access.get_enterprise(user, enterprise_id, write=True)
    fields = payload.model_dump(exclude_unset=True)
    _check_references(user, fields, enterprise)
    if "credit_code" in fields:
        _refuse_duplicate(user, fields["credit_code"], enterprise.pk)
    _save(
        user,
        lambda: services.update_enterprise(enterprise, user, **fields),
        fields.get("credit_code"),
        enterprise.pk,
    )
    return enterprise_detail(_reload(enterprise.pk))
