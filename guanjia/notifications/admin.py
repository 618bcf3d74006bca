from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from guanjia.core.admin import AuditedAdmin

from . import sms
from .models import (
    ChannelDelivery,
    GroupRobot,
    Notification,
    SmsTemplate,
    WebhookDelivery,
    WebhookEndpoint,
)


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


# --- Channels ------------------------------------------------------------------------------


class GroupRobotForm(forms.ModelForm):
    """The address and the secret are typed, kept, and never shown again: left blank on a
    change, they stay as they were."""

    url = forms.URLField(
        label=_("webhook address"),
        max_length=500,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Stored and not shown again; leave blank to keep the current one."),
    )
    secret = forms.CharField(
        label=_("signing secret"),
        max_length=200,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "钉钉 and 飞书 with signing on (加签). Stored and not shown again; leave blank to keep "
            "the current one."
        ),
    )

    class Meta:
        model = GroupRobot
        fields = [
            "name",
            "platform",
            "url",
            "secret",
            "department",
            "region",
            "kinds",
            "message_format",
            "active",
        ]

    def clean_url(self) -> str:
        value = self.cleaned_data.get("url") or ""
        if not value:
            if self.instance.pk:
                return self.instance.url
            raise forms.ValidationError(_("Give the robot's webhook address."))
        if urlsplit(value).scheme != "https":
            raise forms.ValidationError(_("The robot's address starts with https://."))
        return value

    def clean_secret(self) -> str:
        value = self.cleaned_data.get("secret") or ""
        return value or (self.instance.secret if self.instance.pk else "")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("department") and not data.get("region"):
            raise forms.ValidationError(_("Choose the department or the area the robot serves."))
        return data


@admin.register(GroupRobot)
class GroupRobotAdmin(AuditedAdmin):
    form = GroupRobotForm
    list_display = ["name", "platform", "host", "department", "region", "kinds", "active"]
    list_filter = ["platform", "active"]
    search_fields = ["name", "kinds"]
    list_select_related = ["department", "region"]

    @admin.display(description=_("host"))
    def host(self, obj: GroupRobot) -> str:
        """Only the host: the path and query hold the robot's key."""
        return urlsplit(obj.url).hostname or ""


class SmsTemplateForm(forms.ModelForm):
    class Meta:
        model = SmsTemplate
        fields = ["kind", "code", "params", "active"]

    def clean_params(self) -> str:
        value = self.cleaned_data.get("params") or ""
        try:
            sms.parse_params(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        return value


@admin.register(SmsTemplate)
class SmsTemplateAdmin(AuditedAdmin):
    form = SmsTemplateForm
    list_display = ["kind", "code", "params", "active"]
    list_filter = ["active"]
    search_fields = ["kind", "code"]


# What the admin shows of a robot message or an SMS: where, how its tries went, and why.
CHANNEL_DELIVERY_FIELDS: tuple[str, ...] = (
    "created_at",
    "channel",
    "robot",
    "recipient",
    "notification_kind",
    "status",
    "attempts",
    "next_attempt_at",
    "response_status",
    "response_code",
    "last_error",
    "delivered_at",
)


@admin.register(ChannelDelivery)
class ChannelDeliveryAdmin(AuditedAdmin):
    """Read-only: what went to which robot or phone, and why one failed."""

    list_display = [
        "created_at",
        "channel",
        "robot",
        "recipient",
        "notification_kind",
        "status",
        "attempts",
        "response_code",
        "next_attempt_at",
    ]
    list_filter = ["status", "channel"]
    search_fields = ["notification_kind", "last_error", "response_code"]
    date_hierarchy = "created_at"
    list_select_related = ["robot", "recipient"]
    show_full_result_count = False
    fields = readonly_fields = CHANNEL_DELIVERY_FIELDS

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
