"""Who sees the policy library and the deliveries, and who may change what.

Enterprise contacts see only their own deliveries (Policies for you); staff of the city and
the areas, stewards and leaders use the library; only city admins edit policies.
"""

from django.db.models import QuerySet

from guanjia.accounts.models import Role, User
from guanjia.enterprises.access import enterprises_for

from .models import Policy, PolicyMatch


def may_open(user: User) -> bool:
    """Whether the menu shows the policies (the library, or an enterprise's deliveries)."""
    return user.role == Role.ENTERPRISE or can_view_library(user)


def may_open_deliveries(user: User) -> bool:
    """Whether the menu shows "Policies for you": an enterprise contact's own deliveries."""
    return user.role == Role.ENTERPRISE


def may_open_library(user: User) -> bool:
    """Whether the menu shows the policy library (anyone but enterprise contacts and handlers)."""
    return user.role not in (Role.ENTERPRISE, Role.HANDLER)


def can_view_library(user: User) -> bool:
    return user.is_superuser or user.role in (
        Role.CITY_ADMIN,
        Role.AREA_OFFICIAL,
        Role.STEWARD,
        Role.LEADER,
    )


def can_edit_policies(user: User) -> bool:
    return user.is_superuser or user.role == Role.CITY_ADMIN


def matches_for(user: User) -> QuerySet[PolicyMatch]:
    """The deliveries a user may see: an enterprise its own, a steward their enterprises',
    area staff those of the enterprises in their area; handlers none."""
    qs = PolicyMatch.objects.select_related("policy", "enterprise")
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_superuser:
        return qs
    if user.role == Role.ENTERPRISE:
        return qs.filter(enterprise_id=user.enterprise_id) if user.enterprise_id else qs.none()
    if user.role == Role.STEWARD:
        return qs.filter(enterprise__steward=user)
    if user.role in (Role.CITY_ADMIN, Role.AREA_OFFICIAL, Role.LEADER):
        return qs.filter(enterprise__in=enterprises_for(user))
    return qs.none()


def can_record_grant(user: User, match: PolicyMatch) -> bool:
    if user.is_superuser or user.role == Role.CITY_ADMIN:
        return True
    return user.role == Role.STEWARD and match.enterprise.steward_id == user.pk


def can_see_policy(user: User, policy: Policy) -> bool:
    """Staff who use the library, and the contacts of an enterprise it was delivered to."""
    if can_view_library(user):
        return True
    return matches_for(user).filter(policy=policy).exists()


def can_edit_profile(user: User) -> bool:
    """Staff who write set the facts policies ask about (an enterprise's headcount, tags)."""
    return bool(user.can_write) and user.role != Role.ENTERPRISE


def may_apply(user: User, match: PolicyMatch) -> bool:
    """Whether the user may say the enterprise applied: a contact of the delivery's
    enterprise."""
    return user.role == Role.ENTERPRISE and match.enterprise_id == user.enterprise_id
