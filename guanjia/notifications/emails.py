"""Notification emails through an outbox: the inbox row records the email it still owes.

`notify` writes a notification for someone with an email address as `pending`, due for the
sweep after a grace (GRACE). The task queued when the change commits sends it straight away;
when that task was never queued (the web worker was killed between the COMMIT and the
enqueue) or died with its worker, the sweep, every minute, sends what is due.

Claiming: a try first takes the row with one conditional UPDATE that counts the attempt and
moves `email_due_at` ahead by a lease (only a row not emailed, with attempts left, and either
never tried or due, matches), so the task queued on commit, the same task run again after its
worker died and the sweep never send one email twice at once. A failure is recorded on the
row and retried after 2 min, 4 min, 8 min, ...; after GUANJIA_EMAIL_MAX_ATTEMPTS tries the
email is given up (status failed, with the last error, in the admin's notification list).

Delivery is at least once: a worker killed after the mail server took the message but before
the row was marked sent leaves the lease to run out, and the sweep sends it again (no sender
can make SMTP exactly-once). Every try of one notification sends the same Message-ID, so such
a copy is recognisable, and mail systems that honour Message-ID show it once.

Digests: a sweep that tells one person of many requests emails them once
(`services.Digests`): the rows share a digest key, the first carries the email through the
outbox as above, and its email lists every row of the digest (`compose_digest`); when it has
gone, they are all marked sent.
"""

import datetime as dt
import logging
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import Case, F, Q, TextField, Value, When
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import EmailStatus, Notification

logger = logging.getLogger(__name__)

# The sweep leaves a new email this long to the task queued on commit.
GRACE = dt.timedelta(minutes=2)
# How long a claimed try holds its row; well above what sending one email takes.
LEASE = dt.timedelta(minutes=5)
# A sweep stops claiming after this long, so it ends before the next one is due.
SWEEP_BUDGET_SECONDS = 45
SWEEP_BATCH = 200

NO_ADDRESS = "the recipient is inactive or has no email address"
DIED = "the last try did not finish (its worker stopped)"


def max_attempts() -> int:
    return int(getattr(settings, "GUANJIA_EMAIL_MAX_ATTEMPTS", 6))


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the `attempts`-th failed try: 2 min, 4 min, 8 min, ..."""
    base = int(getattr(settings, "GUANJIA_EMAIL_RETRY_SECONDS", 120))
    return dt.timedelta(seconds=base * 2 ** max(attempts - 1, 0))


def mark_pending(notification: Notification, now: dt.datetime | None = None) -> bool:
    """Set a new (unsaved) notification to be emailed if its recipient has an address."""
    if not notification.recipient.email:
        return False
    notification.email_status = EmailStatus.PENDING
    notification.email_due_at = (now or timezone.now()) + GRACE
    return True


def claim(notification_id: int, now: dt.datetime | None = None) -> int | None:
    """Take a notification's email for one try; the attempt's number, or None if it was
    sent, given up, is held by another try or is not due."""
    now = now or timezone.now()
    taken = (
        Notification.objects.filter(
            pk=notification_id,
            emailed_at__isnull=True,
            email_status__in=[EmailStatus.PENDING, EmailStatus.NONE],
            email_attempts__lt=max_attempts(),
        )
        # Never tried (the task queued on commit goes before the grace ends), or due.
        .filter(Q(email_attempts=0) | Q(email_due_at__isnull=True) | Q(email_due_at__lte=now))
        .update(
            email_status=EmailStatus.PENDING,
            email_attempts=F("email_attempts") + 1,
            email_due_at=now + LEASE,
        )
    )
    if not taken:
        return None
    return (
        Notification.objects.filter(pk=notification_id)
        .values_list("email_attempts", flat=True)
        .get()
    )


def digest_rows(notification: Notification) -> list[Notification]:
    """The rows an email carries: the notification alone, or every row of its digest."""
    if not notification.email_digest:
        return [notification]
    rows = list(
        Notification.objects.filter(
            email_digest=notification.email_digest, recipient_id=notification.recipient_id
        ).order_by("kind", "pk")
    )
    return rows or [notification]


def compose_digest(rows: list[Notification]) -> tuple[str, str]:
    """One email for many notifications of one person: each one's title and link, in the
    installation's language (the one the notifications were written in)."""
    from .services import absolute_url

    with translation.override(settings.LANGUAGE_CODE):
        count = len(rows)
        subject = ngettext(
            "%(count)d notification from %(site)s",
            "%(count)d notifications from %(site)s",
            count,
        ) % {"count": count, "site": settings.GUANJIA_SITE_NAME}
        lines = [
            ngettext(
                "You have %(count)d new notification:",
                "You have %(count)d new notifications:",
                count,
            )
            % {"count": count},
            "",
        ]
        for row in rows:
            lines.append("- " + " ".join(row.title.split()))
            if row.url:
                lines.append("  " + absolute_url(row.url))
        lines += ["", "-- ", str(settings.GUANJIA_SITE_NAME)]
    return subject, "\n".join(lines)


def compose(notification: Notification) -> tuple[str, str]:
    """The email's subject and text."""
    from .services import absolute_url

    lines = [notification.body] if notification.body else []
    if notification.url:
        lines.append(_("Open: %(url)s") % {"url": absolute_url(notification.url)})
    lines += ["", "-- ", str(settings.GUANJIA_SITE_NAME)]
    # A subject is one line: collapse whatever whitespace the title carries.
    subject = " ".join(notification.title.split())
    return subject, "\n".join(lines).lstrip("\n")


def message_id(notification: Notification) -> str:
    """The same Message-ID for every try of one notification's email."""
    host = urlsplit(getattr(settings, "GUANJIA_BASE_URL", "") or "").hostname or "guanjia.local"
    stamp = int(notification.created_at.timestamp()) if notification.created_at else 0
    return f"<notification-{notification.pk}-{stamp}@{host}>"


def send(notification_id: int) -> bool:
    """Email one notification once: True if it has gone (now or before), False if there is no
    one to send it to, another try holds it, or this try failed (recorded for the retry)."""
    notification = (
        Notification.objects.select_related("recipient").filter(pk=notification_id).first()
    )
    if notification is None:
        return False
    user = notification.recipient
    if not user.is_active or not user.email:
        Notification.objects.filter(pk=notification.pk, email_status=EmailStatus.PENDING).update(
            email_status=EmailStatus.NONE, email_due_at=None, email_error=NO_ADDRESS
        )
        return False
    if notification.emailed_at is not None:
        return True
    if notification.email_digest and notification.email_status == EmailStatus.NONE:
        return False  # one of a digest's rows: its carrier sends the email
    attempt = claim(notification.pk)
    if attempt is None:
        return Notification.objects.filter(pk=notification.pk, emailed_at__isnull=False).exists()
    rows = digest_rows(notification)
    subject, text = compose(notification) if len(rows) == 1 else compose_digest(rows)
    others = [r.pk for r in rows if r.pk != notification.pk]
    try:
        EmailMessage(
            subject, text, None, [user.email], headers={"Message-ID": message_id(notification)}
        ).send()
    except Exception as exc:  # whatever the mail backend raises: record it, retry later
        logger.warning("email for notification %s failed (try %s)", notification.pk, attempt)
        _failed(notification.pk, attempt, f"{type(exc).__name__}: {exc}", others)
        return False
    Notification.objects.filter(pk__in=[notification.pk, *others], emailed_at__isnull=True).update(
        email_status=EmailStatus.SENT, emailed_at=timezone.now(), email_due_at=None, email_error=""
    )
    return True


def _failed(
    notification_id: int, attempt: int, error: str, others: list[int] | None = None
) -> None:
    """Record a failed try; the last one gives the email up (with the rows of its digest)."""
    now = timezone.now()
    if attempt >= max_attempts():
        status, due = EmailStatus.FAILED, None
    else:
        status, due = EmailStatus.PENDING, now + backoff(attempt)
    Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
        email_status=status, email_due_at=due, email_error=error[:2000]
    )
    if status == EmailStatus.FAILED and others:
        Notification.objects.filter(pk__in=others, emailed_at__isnull=True).update(
            email_status=EmailStatus.FAILED, email_error=error[:2000]
        )


def sweep(now: dt.datetime | None = None) -> int:
    """Send the pending emails that are due (the periodic outbox run); returns how many went."""
    now = now or timezone.now()
    started = time.monotonic()
    # A try that died with the last attempt leaves nothing to retry: record the give-up.
    Notification.objects.filter(
        email_status=EmailStatus.PENDING, email_due_at__lte=now, email_attempts__gte=max_attempts()
    ).update(
        email_status=EmailStatus.FAILED,
        email_due_at=None,
        email_error=Case(
            When(email_error="", then=Value(DIED)),
            default=F("email_error"),
            output_field=TextField(),
        ),
    )
    sent = 0
    for pk in (
        Notification.objects.filter(email_status=EmailStatus.PENDING, email_due_at__lte=now)
        .order_by("email_due_at", "pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    ):
        if time.monotonic() - started > SWEEP_BUDGET_SECONDS:
            break  # the rest stay due for the next sweep
        sent += send(pk)
    return sent
