"""Inviting an enterprise contact: a steward creates the account, the contact sets a password.

The invitation link is Django's password-reset token for the new account: single use (it
dies once a password is set) and expiring after settings.PASSWORD_RESET_TIMEOUT.
"""

import re

from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from guanjia.accounts.models import Role, User
from guanjia.accounts.scope import ReferenceOutOfScope
from guanjia.core.audit import record
from guanjia.core.models import AuditAction

from .access import referenceable_enterprises
from .models import Enterprise

PHONE = re.compile(r"^1[3-9]\d{9}$")


def may_invite(actor: User, enterprise: Enterprise) -> bool:
    # The new contact reads all the enterprise's requests: never one outside the actor's reach.
    if not referenceable_enterprises(actor).filter(pk=enterprise.pk).exists():
        return False
    if actor.is_superuser or actor.role == Role.CITY_ADMIN:
        return True
    if actor.role == Role.STEWARD:
        return (
            enterprise.steward_id == actor.pk or enterprise.projects.filter(steward=actor).exists()
        )
    if actor.role == Role.AREA_OFFICIAL and actor.region is not None:
        return bool(enterprise.region and enterprise.region.path.startswith(actor.region.path))
    return False


@transaction.atomic
def invite_contact(
    actor: User,
    *,
    enterprise: Enterprise,
    display_name: str,
    phone: str = "",
    email: str = "",
    username: str = "",
) -> tuple[User, str]:
    """Create the contact's account (no password yet); returns it and the invitation path."""
    if not referenceable_enterprises(actor).filter(pk=enterprise.pk).exists():
        raise ReferenceOutOfScope("enterprise", enterprise.pk)  # as if there were no such one
    if not may_invite(actor, enterprise):
        raise PermissionDenied("not this enterprise's steward")
    display_name = display_name.strip()
    phone = phone.strip()
    if not display_name:
        raise ValidationError({"display_name": _("This field is required.")})
    if phone and not PHONE.match(phone):
        raise ValidationError({"phone": _("A mobile number has 11 digits and starts with 1.")})
    username = (
        username.strip()
        or f"ent{enterprise.pk}_{User.objects.filter(enterprise=enterprise).count() + 1}"
    )
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("This user name is taken.")})
    user = User(
        username=username,
        role=Role.ENTERPRISE,
        enterprise=enterprise,
        display_name=display_name,
        phone=phone,
        email=email.strip(),
    )
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    record(actor, AuditAction.CREATE, user, note="invited")
    return user, invitation_path(user)


def invitation_path(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse("requests:invite_accept", args=[uid, token])
