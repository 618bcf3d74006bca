from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from guanjia.core.admin import AuditedAdmin

from .models import ApiToken, Department, TwoFactorRequirement, User


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    list_display = ["username", "display_name", "role", "region", "enterprise", "is_active"]
    list_filter = ["role", "region", "is_active"]
    search_fields = ["username", "display_name", "email"]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (
            _("Role and scope"),
            {"fields": ("role", "display_name", "phone", "region", "enterprise", "department")},
        ),
        (_("Log-in security"), {"fields": ("password_changed_at",)}),
    )
    readonly_fields = ["password_changed_at"]


@admin.register(Department)
class DepartmentAdmin(AuditedAdmin):
    list_display = ["name", "region"]


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedAdmin):
    list_display = ["user", "name", "prefix", "created_at", "revoked"]
    readonly_fields = ["prefix", "key_hash", "created_at"]


@admin.register(TwoFactorRequirement)
class TwoFactorRequirementAdmin(AuditedAdmin):
    """A city admin names the roles whose members must use two-factor log-in."""

    list_display = ["role", "required"]
    list_editable = ["required"]


# --- Log-in security in the configuration pages (city admins, every change audited) ---
# The packages' own admin pages grant access by Django permissions; here, as everywhere in
# the configuration, the city admin role does. Deleting a lock-out row unlocks.

from axes.admin import AccessAttemptAdmin as _AccessAttemptAdmin  # noqa: E402
from axes.models import AccessAttempt  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

for _model in (AccessAttempt, TOTPDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(AccessAttempt)
class LockoutAdmin(AuditedAdmin, _AccessAttemptAdmin):
    """Failed log-ins per account and address; delete a row to unlock it at once."""

    def has_add_permission(self, request: Any, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(TOTPDevice)
class TwoFactorDeviceAdmin(AuditedAdmin):
    """Users' authenticator apps; delete one when a phone is lost (the user enrols again)."""

    list_display = ["user", "name", "confirmed", "last_used_at"]
    list_filter = ["confirmed"]
    search_fields = ["user__username", "user__display_name"]
    fields = ["user", "name", "confirmed", "last_used_at"]
    readonly_fields = ["user", "name", "confirmed", "last_used_at"]

    def has_add_permission(self, request: Any, *args: Any) -> bool:
        return False
