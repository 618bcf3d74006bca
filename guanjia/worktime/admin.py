from django.contrib import admin

from guanjia.core.admin import AuditedAdmin

from .models import CalendarDay


@admin.register(CalendarDay)
class CalendarDayAdmin(AuditedAdmin):
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"
