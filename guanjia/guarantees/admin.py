from django.contrib import admin

from guanjia.core.admin import AuditedAdmin

from .models import Guarantee, GuaranteeOverride


@admin.register(Guarantee)
class GuaranteeAdmin(AuditedAdmin):
    list_display = ["project", "kind", "status", "department", "due_on", "met_on"]
    list_filter = ["kind", "status"]
    search_fields = ["project__name"]


@admin.register(GuaranteeOverride)
class GuaranteeOverrideAdmin(AuditedAdmin):
    list_display = ["project", "stage", "reason", "by", "at"]
