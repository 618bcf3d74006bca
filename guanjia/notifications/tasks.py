"""Background sending: one email per notification, webhook deliveries and their retry sweep."""

import logging

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.tasks import task
from django.utils.translation import gettext as _

from guanjia.core.scheduling import periodic

from . import webhooks
from .models import Notification, WebhookDelivery
from .services import absolute_url

logger = logging.getLogger(__name__)


@task()
def send_email(notification_id: int) -> bool:
    """Email one notification to its recipient; False if there is no one to send it to."""
    notification = (
        Notification.objects.select_related("recipient").filter(pk=notification_id).first()
    )
    if notification is None:
        return False
    user = notification.recipient
    if not user.is_active or not user.email:
        return False
    lines = [notification.body] if notification.body else []
    if notification.url:
        lines.append(_("Open: %(url)s") % {"url": absolute_url(notification.url)})
    lines += ["", "-- ", str(settings.GUANJIA_SITE_NAME)]
    # A subject is one line: collapse whatever whitespace the title carries.
    subject = " ".join(notification.title.split())
    # A task whose worker was killed is run again (guanjia.core.taskrecovery): an email the
    # mail server already took is not sent a second time.
    sent = f"notification-emailed:{notification.pk}:{notification.created_at.timestamp()}"
    if cache.get(sent):
        return True
    send_mail(subject, "\n".join(lines).lstrip("\n"), None, [user.email])
    cache.set(sent, 1, timeout=7 * 24 * 3600)
    return True


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
