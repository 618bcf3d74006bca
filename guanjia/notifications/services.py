"""Telling people: the inbox rows, and the email and webhooks sent once the change commits.

Callers use `notify` inside the transaction that makes the change (an escalation, an
assignment, ...). Nothing leaves the building until that transaction commits: a rolled-back
change sends no email and no webhook, and its inbox rows disappear with it.
"""

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from . import webhooks
from .models import Notification

logger = logging.getLogger(__name__)


def absolute_url(url: str) -> str:
    """A site path made absolute with GUANJIA_BASE_URL (for email and webhooks)."""
    base = getattr(settings, "GUANJIA_BASE_URL", "")
    if base and url.startswith("/") and not url.startswith("//"):
        return base.rstrip("/") + url
    return url


def notify(
    recipients: Iterable[Any],
    *,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    target: models.Model | None = None,
) -> list[Notification]:
    """Put a notification in each recipient's inbox; email them and call webhooks on commit.

    `recipients` may repeat people or hold None; inactive users are skipped. `kind` is a
    dotted event name ("request.escalated"), `url` a path on this site, `target` the object
    the notification is about. Returns the inbox rows (none if nobody is left to tell).
    """
    people: dict[int, Any] = {}
    for user in recipients:
        if user is not None and user.is_active and user.pk not in people:
            people[user.pk] = user
    if not people:
        return []
    target_type = target._meta.label_lower if target is not None else ""
    target_id = str(target.pk) if target is not None else ""
    title = title[:200]
    with transaction.atomic():
        rows = Notification.objects.bulk_create(
            [
                Notification(
                    recipient=user,
                    kind=kind,
                    title=title,
                    body=body,
                    url=url,
                    target_type=target_type,
                    target_id=target_id,
                )
                for user in people.values()
            ]
        )
        payload = {
            "event": kind,
            "title": title,
            "body": body,
            "url": absolute_url(url),
            "recipients": [{"username": u.username, "name": str(u)} for u in people.values()],
            "target": {"type": target_type, "id": target_id} if target is not None else None,
            "created_at": (rows[0].created_at or timezone.now()).isoformat(),
        }
        deliveries = webhooks.queue(kind, payload)
        emails = [n.pk for n in rows if n.recipient.email]
        delivery_ids = [d.pk for d in deliveries]
        # robust: the change is committed already; a queue that is down must not turn the
        # request into an error. Webhooks are picked up by the retry sweep anyway.
        transaction.on_commit(lambda: _enqueue(emails, delivery_ids), robust=True)
    return rows


def _enqueue(notification_ids: list[int], delivery_ids: list[int]) -> None:
    from .tasks import deliver_webhook, send_email

    for pk in notification_ids:
        send_email.enqueue(pk)
    for pk in delivery_ids:
        deliver_webhook.enqueue(pk)


def unread_count(user: Any) -> int:
    """How many notifications the user has not read (one COUNT on an index)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


@transaction.atomic
def mark_read(user: Any, ids: Iterable[int] | None = None) -> int:
    """Mark the user's own unread notifications read (`ids` None: all); returns how many."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())
