"""The outbox's figures for /metrics (registered in apps.py with guanjia.core.metrics)."""

from collections.abc import Iterator

from django.db.models import Count

from guanjia.core.metrics import Figure

from .models import (
    Channel,
    ChannelDelivery,
    DeliveryStatus,
    EmailStatus,
    Notification,
    WebhookDelivery,
)


def outbox() -> Iterator[Figure]:
    emails = dict(
        Notification.objects.filter(email_status__in=[EmailStatus.PENDING, EmailStatus.FAILED])
        .values_list("email_status")
        .annotate(n=Count("pk"))
        .values_list("email_status", "n")
    )
    for status in (EmailStatus.PENDING, EmailStatus.FAILED):
        yield (
            "guanjia_outbox_emails",
            "Notification emails waiting to be sent (pending) or given up (failed).",
            {"status": str(status)},
            float(emails.get(status, 0)),
        )
    hooks = dict(
        WebhookDelivery.objects.filter(status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED])
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    for delivery in (DeliveryStatus.PENDING, DeliveryStatus.FAILED):
        yield (
            "guanjia_webhook_deliveries",
            "Webhook deliveries waiting to be tried again (pending) or given up (failed).",
            {"status": str(delivery)},
            float(hooks.get(delivery, 0)),
        )

    by_channel = {
        (channel, status): n
        for channel, status, n in ChannelDelivery.objects.filter(
            status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED]
        )
        .values_list("channel", "status")
        .annotate(n=Count("pk"))
        .values_list("channel", "status", "n")
        .order_by()
    }
    for channel in Channel.values:
        for delivery in (DeliveryStatus.PENDING, DeliveryStatus.FAILED):
            yield (
                "guanjia_channel_deliveries",
                "Group robot messages and SMS waiting to be tried again (pending) or given up "
                "(failed), by channel.",
                {"channel": channel, "status": str(delivery)},
                float(by_channel.get((channel, str(delivery)), 0)),
            )
