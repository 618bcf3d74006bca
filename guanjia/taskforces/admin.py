from django.contrib import admin

from guanjia.core.admin import AuditedAdmin

from .models import ActionItem, Decision, Meeting


@admin.register(Meeting)
class MeetingAdmin(AuditedAdmin):
    list_display = ["held_on", "title", "project"]
    search_fields = ["title", "project__name"]


@admin.register(ActionItem)
class ActionItemAdmin(AuditedAdmin):
    list_display = ["text", "project", "owner", "due_on", "done_on", "supervised_at"]
    list_filter = ["done_on"]


@admin.register(Decision)
class DecisionAdmin(AuditedAdmin):
    list_display = ["decided_on", "subject", "project", "decided_by"]
