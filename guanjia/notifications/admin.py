from django.contrib import admin

from guanjia.core.admin import AuditedAdmin

from .models import WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(AuditedAdmin):
    list_display = ["name", "url", "kinds", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "url", "kinds"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(AuditedAdmin):
    """Read-only: what was sent where, and why a delivery failed."""

    list_display = [
        "created_at",
        "endpoint",
        "notification_kind",
        "status",
        "attempts",
        "response_status",
        "next_attempt_at",
    ]
    list_filter = ["status", "endpoint"]
    search_fields = ["notification_kind", "last_error"]
    date_hierarchy = "created_at"
    list_select_related = ["endpoint"]

    def has_add_permission(self, request, *args):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
