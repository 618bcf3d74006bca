from django.contrib import admin

from guanjia.core.admin import AuditedAdmin

from .models import Actual, Indicator, Target


@admin.register(Indicator)
class IndicatorAdmin(AuditedAdmin):
    list_display = ["name", "code", "unit", "source", "computation", "aggregation", "active"]
    list_filter = ["source", "active"]


@admin.register(Target)
class TargetAdmin(AuditedAdmin):
    list_display = [
        "indicator",
        "year",
        "quarter",
        "month",
        "region",
        "team",
        "person",
        "value",
        "set_by",
    ]
    list_filter = ["indicator", "year"]


@admin.register(Actual)
class ActualAdmin(AuditedAdmin):
    list_display = ["indicator", "year", "quarter", "month", "region", "value", "computed_at"]
    list_filter = ["indicator", "year"]
