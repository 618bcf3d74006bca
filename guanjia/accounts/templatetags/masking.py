"""{% load masking %}: {{ contact.phone|mask_phone }}, {{ person.id_number|mask_id_number }}."""

from django import template

from guanjia.accounts.masking import mask_id_number as _mask_id_number
from guanjia.accounts.masking import mask_phone as _mask_phone

register = template.Library()


@register.filter
def mask_phone(value: str | None) -> str:
    return _mask_phone(value) if value else ""


@register.filter
def mask_id_number(value: str | None) -> str:
    return _mask_id_number(value) if value else ""
