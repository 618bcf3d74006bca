from django.contrib import admin

from guanjia.core.admin import AuditedAdmin

from .models import ApprovalItem, ApprovalKind, EnterpriseFlag, Material


class MaterialInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Material
    extra = 1


@admin.register(ApprovalKind)
class ApprovalKindAdmin(AuditedAdmin):
    list_display = ["name", "department", "deadline_days", "remind_days", "return_after_days"]
    inlines = [MaterialInline]


@admin.register(EnterpriseFlag)
class EnterpriseFlagAdmin(AuditedAdmin):
    list_display = ["enterprise", "kind", "active", "at", "by"]
    list_filter = ["kind", "active"]
    autocomplete_fields = ["enterprise"]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        if not change and obj.by_id is None:
            obj.by = request.user
        super().save_model(request, obj, form, change)


@admin.register(ApprovalItem)
class ApprovalItemAdmin(AuditedAdmin):
    list_display = ["project", "kind", "status", "promised_on", "next_check_at"]
    list_filter = ["status", "kind"]
    raw_id_fields = ["project"]
    readonly_fields = ["commitment", "next_step", "next_check_at"]
