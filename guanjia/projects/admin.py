from django.contrib import admin

from guanjia.core.admin import AuditedAdmin

from .models import StallRule


@admin.register(StallRule)
class StallRuleAdmin(AuditedAdmin):
    list_display = ["kind", "level", "days"]
