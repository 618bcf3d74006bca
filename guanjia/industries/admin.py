from django.contrib import admin

from guanjia.core.admin import AuditedAdmin

from .models import Industry


@admin.register(Industry)
class IndustryAdmin(AuditedAdmin):
    list_display = ["name", "code", "group", "gbt4754", "sort_order", "active"]
    list_editable = ["sort_order", "active"]
    search_fields = ["name", "code", "aliases"]
