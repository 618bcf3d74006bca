from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

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
    actions = ["deactivate_users"]

    # Users are deactivated, never deleted: who did what stays in the audit log.

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Deactivate the selected users"))
    def deactivate_users(self, request: HttpRequest, queryset: Any) -> None:
        done = sum(1 for user in queryset if user.deactivate(request.user, note="admin"))
        self.message_user(
            request,
            ngettext(
                "%(count)d user deactivated: sessions ended, API tokens revoked.",
                "%(count)d users deactivated: sessions ended, API tokens revoked.",
                done,
            )
            % {"count": done},
            messages.SUCCESS,
        )

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: Any = None
    ) -> HttpResponse:
        """The delete page of a user (reached by its address only) refuses, and says how."""
        self.message_user(
            request,
            _(
                "Users are never deleted, so that the audit log keeps who did what. "
                "Deactivate the user instead: untick “active” or use the action "
                "“Deactivate the selected users”."
            ),
            messages.ERROR,
        )
        opts = self.opts
        if self.get_object(request, object_id) is None:
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        else:
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[object_id])
        return HttpResponseRedirect(url)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        obj.deactivate(request.user, note="admin")

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            obj.deactivate(request.user, note="admin")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            # Unticking "active" is a deactivation: end the sessions, revoke the tokens.
            obj.deactivate(request.user, note="admin")


@admin.register(Department)
class DepartmentAdmin(AuditedAdmin):
    list_display = ["name", "region", "head"]
    raw_id_fields = ["head"]  # 负责人: hears when the department's queue is not worked


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
