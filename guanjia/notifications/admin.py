from django.contrib import admin

from guanjia.core.admin import AuditedAdmin

from .models import Notification, WebhookDelivery, WebhookEndpoint


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


# What the admin shows of a notification: who, what kind, and how its email went.
EMAIL_FIELDS: tuple[str, ...] = (
    "recipient",
    "kind",
    "created_at",
    "email_status",
    "email_attempts",
    "email_due_at",
    "emailed_at",
    "email_error",
)


@admin.register(Notification)
class NotificationEmailAdmin(AuditedAdmin):
    """Read-only: whether each notification's email went, and why one was given up. The
    message's text and link stay in its recipient's inbox, not here."""

    list_display = [
        "created_at",
        "recipient",
        "kind",
        "email_status",
        "email_attempts",
        "emailed_at",
        "email_due_at",
    ]
    list_filter = ["email_status"]  # not kind: a DISTINCT over millions of rows
    search_fields = ["recipient__username", "kind", "email_error"]
    date_hierarchy = "created_at"
    list_select_related = ["recipient"]
    show_full_result_count = False
    fields = readonly_fields = EMAIL_FIELDS

    def has_add_permission(self, request, *args):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
