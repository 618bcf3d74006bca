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

from guanjia.core import steps
from guanjia.core.bounds import text_limit

from . import channels, emails, webhooks
from .models import ChannelSettings, EmailStatus, Notification

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
        pending.channel_deliveries += [
            d.pk for d in channels.queue(kind, payload, people.values(), pending.channels)
        ]
        return rows
    # All or nothing; inside a caller's transaction (a step's), that transaction is the unit:
    # no savepoint of its own (two statements less per step that tells someone).
    with transaction.atomic(savepoint=False):
        rows = Notification.objects.bulk_create(rows)
        payload["created_at"] = (rows[0].created_at or timezone.now()).isoformat()
        deliveries = webhooks.queue(kind, payload)
        sent_on = channels.queue(kind, payload, people.values())
        owed = [n.pk for n in rows if n.email_status == EmailStatus.PENDING]
        delivery_ids = [d.pk for d in deliveries]
        channel_ids = [d.pk for d in sent_on]
        # robust: the change is committed already; a queue that is down must not turn the
        # request into an error. Emails and webhooks are picked up by their sweeps anyway.
        transaction.on_commit(lambda: _enqueue(owed, delivery_ids, channel_ids), robust=True)
        forget_unread_counts(n.recipient_id for n in rows)
    return rows


def _enqueue(notification_ids: list[int], delivery_ids: list[int], channel_ids: list[int]) -> None:
    from .tasks import deliver_channel, deliver_webhook, send_email

    for pk in notification_ids:
        send_email.enqueue(pk)
    for pk in delivery_ids:
        deliver_webhook.enqueue(pk)
    for pk in channel_ids:
        deliver_channel.enqueue(pk)


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


class Digests:
    """One email per person for a run that tells people many times (the escalation sweep):
    pass one `Digests` to every `batched(digests)` block of the run, and call `send()` when
    the run ends.

    Every inbox row is written as before (one per event, each with its link); the emails
    are gathered per recipient under a digest key (`Notification.email_digest`). The first row
    of a person carries the email — `pending`, in the outbox like any other, so a run that dies
    halfway loses nothing: the outbox sweep sends it after the grace — and the person's later
    rows join it. A later block first pushes the carrier's grace on (so the outbox sweep
    leaves it to the run's end); a carrier already taken by a try (the run outlived the
    grace) is left alone and the person's next rows start a new digest. `send()` queues the
    carriers' emails; each is composed when it goes, from every row of its digest
    (`emails.compose`)."""

    def __init__(self) -> None:
        # recipient id -> (digest key, the carrying row's id once written)
        self.carriers: dict[int, tuple[str, int | None]] = {}
        self.owed: list[int] = []

    def gather(self, rows: list[Notification]) -> None:
        """Before the block's rows are written (in its transaction): give each emailed row its
        digest; only a person's first row stays pending."""
        import uuid

        from .emails import GRACE

        joining: set[int] = {
            pk
            for r in rows
            if r.email_status == EmailStatus.PENDING
            and r.recipient_id in self.carriers
            and (pk := self.carriers[r.recipient_id][1]) is not None
        }
        if joining:
            untouched = list(
                Notification.objects.select_for_update()
                .filter(pk__in=joining, email_status=EmailStatus.PENDING, email_attempts=0)
                .values_list("pk", flat=True)
            )
            Notification.objects.filter(pk__in=untouched).update(
                email_due_at=timezone.now() + GRACE
            )
            for user_id, (_key, pk) in list(self.carriers.items()):
                if pk in joining and pk not in untouched:
                    del self.carriers[user_id]  # already being sent: start a new digest
        for row in rows:
            if row.email_status != EmailStatus.PENDING:
                continue
            known = self.carriers.get(row.recipient_id)
            if known is None:
                self.carriers[row.recipient_id] = (uuid.uuid4().hex, None)
                row.email_digest = self.carriers[row.recipient_id][0]
                continue
            row.email_digest = known[0]
            row.email_status, row.email_due_at = EmailStatus.NONE, None

    def written(self, rows: list[Notification]) -> None:
        """After they are written: the carrying rows' ids."""
        for row in rows:
            if row.email_digest and row.email_status == EmailStatus.PENDING:
                self.carriers[row.recipient_id] = (row.email_digest, row.pk)
                self.owed.append(row.pk)

    def send(self) -> None:
        """Queue the digests' emails (on commit); what is never queued the outbox sweeps."""
        owed, self.owed = self.owed, []
        if owed:
            transaction.on_commit(lambda: _enqueue_batch(owed, [], []), robust=True)


class _Pending:
    def __init__(self) -> None:
        self.rows: list[Notification] = []
        self.deliveries: list[int] = []
        self.channel_deliveries: list[int] = []
        self.endpoints = webhooks.active_endpoints()
        self.channels = channels.Config()


_batch = threading.local()


@contextmanager
def batched(digests: Digests | None = None) -> Iterator[None]:
    """Notify many times, write and send once: inside the block `notify` collects the inbox
    rows, and they are written in one insert when the block ends (call it inside the
    transaction), the emails queued as one task per `EMAILS_PER_JOB` and the webhook
    endpoints looked up once. Used by the escalation sweep, which may tell hundreds of people in one run. With
    `digests`, each person's emails of the run are one digest (see `Digests`), queued by
    `digests.send()` at the run's end."""
    if getattr(_batch, "pending", None) is not None:  # nested: the outer block sends
        yield
        return
    _batch.pending = pending = _Pending()
    try:
        yield
    finally:
        _batch.pending = None
    if digests is not None:
        digests.gather(pending.rows)
    rows = pending.rows
    steps.insert_now(rows, with_ids=True)  # bulk_create without compiling SQL per row
    forget_unread_counts(n.recipient_id for n in rows)
    if digests is not None:
        digests.written(rows)
        owed = []
    else:
        owed = [n.pk for n in rows if n.email_status == EmailStatus.PENDING]
    if owed or pending.deliveries or pending.channel_deliveries:
        transaction.on_commit(
            lambda: _enqueue_batch(owed, pending.deliveries, pending.channel_deliveries),
            robust=True,
        )


# Emails (or digests) per queued job: small enough that every task worker takes a share of a
# sweep's emails (685 digests are 14 jobs, not 2), large enough that queueing stays cheap.
EMAILS_PER_JOB = 50


def _enqueue_batch(
    notification_ids: list[int], delivery_ids: list[int], channel_ids: list[int]
) -> None:
    from .tasks import deliver_channel, deliver_webhook, send_emails

    for start in range(0, len(notification_ids), EMAILS_PER_JOB):
        send_emails.enqueue(notification_ids[start : start + EMAILS_PER_JOB])
    for pk in delivery_ids:
        deliver_webhook.enqueue(pk)
    for pk in channel_ids:
        deliver_channel.enqueue(pk)


# --- Each person's channels ------------------------------------------------------------------


class ChannelSettingsError(ValueError):
    """A choice of channels that cannot be saved; `errors` maps each field to why."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def channel_settings(user: Any) -> ChannelSettings:
    """The user's choice of channels (unsaved defaults when they never chose)."""
    found = ChannelSettings.objects.filter(user=user).first()
    return found or ChannelSettings(user=user, robot_kinds=channels.DEFAULT_ROBOT_KINDS)


@transaction.atomic
def save_channel_settings(
    user: Any, *, phone: str, sms_kinds: Iterable[str], robot_kinds: Iterable[str]
) -> ChannelSettings:
    """Save which kinds go by SMS (to `phone`) and to the group robot; audited (phone masked).
    A phone that is not a mainland mobile number, or SMS kinds without a phone, are refused."""
    from django.utils.translation import gettext as _

    from guanjia.accounts.masking import mask_phone
    from guanjia.core.audit import record
    from guanjia.core.models import AuditAction

    from . import sms

    sms_list = sorted({k.strip() for k in sms_kinds if k.strip()})
    robot_list = sorted({k.strip() for k in robot_kinds if k.strip()})
    errors: dict[str, str] = {}
    number = ""
    if phone.strip():
        number = sms.normalise_phone(phone) or ""
        if not number:
            errors["sms_phone"] = _(
                "Enter a mainland mobile number: 11 digits starting with 13–19, e.g. 13812345678."
            )
    elif sms_list:
        errors["sms_phone"] = _("Enter the mobile number the SMS go to.")
    for name, chosen in (("sms_kinds", sms_list), ("robot_kinds", robot_list)):
        if len(",".join(chosen)) > 300:
            errors[name] = _("Choose fewer kinds.")
    if errors:
        raise ChannelSettingsError(errors)
    row, created = ChannelSettings.objects.select_for_update().get_or_create(
        user=user, defaults={"robot_kinds": channels.DEFAULT_ROBOT_KINDS}
    )
    before = {
        "sms_phone": mask_phone(row.sms_phone) if row.sms_phone else "",
        "sms_kinds": row.sms_kinds,
        "robot_kinds": row.robot_kinds,
    }
    row.sms_phone, row.sms_kinds, row.robot_kinds = number, ",".join(sms_list), ",".join(robot_list)
    row.save()
    after = {
        "sms_phone": mask_phone(number) if number else "",
        "sms_kinds": row.sms_kinds,
        "robot_kinds": row.robot_kinds,
    }
    record(
        user,
        AuditAction.CREATE if created else AuditAction.UPDATE,
        row,
        before=None if created else before,
        after=after,
        note="channels",
    )
    return row
