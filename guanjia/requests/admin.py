from django.contrib import admin

from guanjia.core.admin import AdminOnlyInline, AuditedAdmin

from .models import Category, IntakeLimit, SlaPolicy


class IntakeLimitInline(AdminOnlyInline, admin.TabularInline):
    """受理时限 of the category, per channel (blank: all its channels); without one, the
    setting GUANJIA_INTAKE_HOURS."""

    model = IntakeLimit
    extra = 0


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    inlines = [IntakeLimitInline]
    list_display = ["code", "name", "group", "department", "default_priority", "active"]
    list_filter = ["active", "group"]
    search_fields = ["code", "name"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(AuditedAdmin):
    list_display = ["category", "priority", "sign_days", "reply_days", "resolve_days"]
    list_filter = ["priority"]
