"""Background sending: one email per notification, webhook deliveries, and their sweeps."""

import logging

from django.tasks import task

from guanjia.core.scheduling import periodic

from . import channels, emails, webhooks
from .models import ChannelDelivery, WebhookDelivery

logger = logging.getLogger(__name__)


@task()
def send_email(notification_id: int) -> bool:
    """Email one notification to its recipient, once: True if it has gone (now or by an earlier
    run), False if there is no one to send it to or it could not go now (the outbox sweep
    retries it). A run again after its worker died (guanjia.core.taskrecovery) or a sweep
    racing it does not send it a second time: the row is claimed first (see emails.py)."""
    return emails.send(notification_id)


@task()
def send_emails(notification_ids: list[int]) -> int:
    """Email a batch of notifications (what a sweep queued together); returns how many went."""
    sent = 0
    for pk in notification_ids:
        try:
            sent += bool(send_email.call(pk))
        except Exception:  # one bad address must not stop the others
            logger.exception("email for notification %s failed", pk)
    return sent


@task()
def deliver_webhook(delivery_id: int) -> str:
    """First try of a new delivery, right after the event commits; retries come from the sweep."""
    delivery = webhooks.claim(delivery_id)
    if delivery is None:  # already taken by a sweep, or no longer pending
        status = WebhookDelivery.objects.filter(pk=delivery_id).values_list("status", flat=True)
        return status.first() or "missing"
    return webhooks.attempt(delivery)


@periodic(seconds=60)
@task()
def retry_webhooks() -> int:
    """Try again every pending delivery whose back-off has run out; returns how many."""
    return webhooks.sweep()


@periodic(seconds=60)
@task()
def sweep_emails() -> int:
    """Send the notification emails still owed (never queued, died, or failed and due)."""
    return emails.sweep()


@task()
def deliver_channel(delivery_id: int) -> str:
    """First try of a group robot message or an SMS, right after the event commits; retries
    come from the sweep."""
    delivery = channels.claim(delivery_id)
    if delivery is None:
        status = ChannelDelivery.objects.filter(pk=delivery_id).values_list("status", flat=True)
        return status.first() or "missing"
    return channels.attempt(delivery)


@periodic(seconds=60)
@task()
def retry_channels() -> int:
    """Try again every pending robot message or SMS whose back-off has run out."""
    return channels.sweep()
