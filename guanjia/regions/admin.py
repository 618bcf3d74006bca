from django.contrib import admin

from guanjia.core.admin import AuditedAdmin

from .models import Region


@admin.register(Region)
class RegionAdmin(AuditedAdmin):
    list_display = ["name", "code", "gb_code", "kind", "parent", "abolished_on"]
    list_filter = ["kind"]
    search_fields = ["name", "code", "gb_code"]
    readonly_fields = ["path"]
