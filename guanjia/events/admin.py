from django.contrib import admin

from guanjia.core.admin import AuditedAdmin

from .models import Event


@admin.register(Event)
class EventAdmin(AuditedAdmin):
    list_display = ["name", "date", "kind", "region"]
    list_filter = ["kind", "region"]
    search_fields = ["name"]
    filter_horizontal = ["participants"]
