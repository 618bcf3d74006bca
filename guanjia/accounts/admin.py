from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from guanjia.core.admin import AuditedAdmin

from .models import ApiToken, Department, User


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
    )


@admin.register(Department)
class DepartmentAdmin(AuditedAdmin):
    list_display = ["name", "region"]


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedAdmin):
    list_display = ["user", "name", "prefix", "created_at", "revoked"]
    readonly_fields = ["prefix", "key_hash", "created_at"]
