"""Telling people: the inbox rows, and the email and webhooks sent once the change commits.

Callers use `notify` inside the transaction that makes the change (an escalation, an
assignment, ...). Nothing leaves the building until that transaction commits: a rolled-back
change sends no email and no webhook, and its inbox rows disappear with it. What is owed is
written in the same transaction (an inbox row's pending email, a pending webhook delivery), so
a worker killed between the commit and the queueing loses nothing: the sweeps send it.
"""

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import models, transaction
from django.utils import timezone

from guanjia.core.bounds import text_limit

from . import emails, webhooks
from .models import EmailStatus, Notification

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
    body = body[: text_limit(Notification, "body")]
    rows = [
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
    # The email each row owes is written with it (the outbox): if the task queued on commit
    # never runs, the sweep sends it.
    now = timezone.now()
    for row in rows:
        emails.mark_pending(row, now)
    payload = {
        "event": kind,
        "title": title,
        "body": body,
        "url": absolute_url(url),
        "recipients": [{"username": u.username, "name": str(u)} for u in people.values()],
        "target": {"type": target_type, "id": target_id} if target is not None else None,
        "created_at": timezone.now().isoformat(),
    }
    pending = getattr(_batch, "pending", None)
    if pending is not None:
        # Inside `batched()`: the rows are written, and the emails queued, when it ends.
        pending.rows += rows
        pending.deliveries += [
            d.pk for d in webhooks.queue(kind, payload, endpoints=pending.endpoints)
        ]
        return rows
    with transaction.atomic():
        rows = Notification.objects.bulk_create(rows)
        payload["created_at"] = (rows[0].created_at or timezone.now()).isoformat()
        deliveries = webhooks.queue(kind, payload)
        owed = [n.pk for n in rows if n.email_status == EmailStatus.PENDING]
        delivery_ids = [d.pk for d in deliveries]
        # robust: the change is committed already; a queue that is down must not turn the
        # request into an error. Emails and webhooks are picked up by their sweeps anyway.
        transaction.on_commit(lambda: _enqueue(owed, delivery_ids), robust=True)
        forget_unread_counts(n.recipient_id for n in rows)
    return rows


def _enqueue(notification_ids: list[int], delivery_ids: list[int]) -> None:
    from .tasks import deliver_webhook, send_email

    for pk in notification_ids:
        send_email.enqueue(pk)
    for pk in delivery_ids:
        deliver_webhook.enqueue(pk)


UNREAD_KEY = "notifications:unread:{}"
# A safety net: the count is forgotten whenever a notification is written or read.
UNREAD_TTL = 300


def unread_count(user: Any) -> int:
    """How many notifications the user has not read: every page's header shows it, so it is
    kept in the cache (one COUNT on an index when it is not)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    key = UNREAD_KEY.format(user.pk)
    count = cache.get(key)
    if count is None:
        count = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
        cache.set(key, count, UNREAD_TTL)
    return int(count)


def forget_unread_counts(user_ids: Iterable[int]) -> None:
    """Drop the cached counts now and again once the transaction commits (a page counting in
    between would otherwise cache the count from before the change)."""
    keys = [UNREAD_KEY.format(pk) for pk in set(user_ids)]
    if keys:
        cache.delete_many(keys)
        transaction.on_commit(lambda: cache.delete_many(keys), robust=True)


@transaction.atomic
def mark_read(user: Any, ids: Iterable[int] | None = None) -> int:
    """Mark the user's own unread notifications read (`ids` None: all); returns how many."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    done = qs.update(read_at=timezone.now())
    forget_unread_counts([user.pk])
    return done


class _Pending:
    def __init__(self) -> None:
        self.rows: list[Notification] = []
        self.deliveries: list[int] = []
        self.endpoints = webhooks.active_endpoints()


_batch = threading.local()


@contextmanager
def batched() -> Iterator[None]:
    """Notify many times, write and send once: inside the block `notify` collects the inbox
    rows, and they are written in one insert when the block ends (call it inside the
    transaction), the emails queued as one task per 500 and the webhook endpoints looked up
    once. Used by the escalation sweep, which may tell hundreds of people in one run."""
    if getattr(_batch, "pending", None) is not None:  # nested: the outer block sends
        yield
        return
    _batch.pending = pending = _Pending()
    try:
        yield
    finally:
        _batch.pending = None
    rows = Notification.objects.bulk_create(pending.rows, batch_size=1000)
    forget_unread_counts(n.recipient_id for n in rows)
    owed = [n.pk for n in rows if n.email_status == EmailStatus.PENDING]
    if owed or pending.deliveries:
        transaction.on_commit(lambda: _enqueue_batch(owed, pending.deliveries), robust=True)


def _enqueue_batch(notification_ids: list[int], delivery_ids: list[int]) -> None:
    from .tasks import deliver_webhook, send_emails

    for start in range(0, len(notification_ids), 500):
        send_emails.enqueue(notification_ids[start : start + 500])
    for pk in delivery_ids:
        deliver_webhook.enqueue(pk)
