from django.contrib import admin

from guanjia.core.admin import AuditedAdmin

from .models import Category, SlaPolicy


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    list_display = ["code", "name", "group", "department", "default_priority", "active"]
    list_filter = ["active", "group"]
    search_fields = ["code", "name"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(AuditedAdmin):
    list_display = ["category", "priority", "sign_days", "reply_days", "resolve_days"]
    list_filter = ["priority"]
