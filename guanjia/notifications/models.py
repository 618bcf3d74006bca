"""Notifications: the in-app inbox, and the outgoing webhooks a city connects its messaging to."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanjia.core.bounds import ERROR_MAX, TEXT_MAX, bounded_text


class EmailStatus(models.TextChoices):
    NONE = "", _("Not emailed")
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Notification(models.Model):
    """One message in one user's inbox, and the email that goes with it (the outbox).

    A notification for someone with an email address is created `pending`: the task queued
    when the change commits sends it, and the sweep sends what that task never got to (a
    worker killed between the commit and the enqueue) or retries what failed. Rows older
    than the outbox are `""` (not emailed by it).
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    # A dotted event name, e.g. "request.escalated"; webhooks filter on its prefix.
    kind = models.CharField(_("kind"), max_length=60)
    title = models.CharField(_("title"), max_length=200)
    body = bounded_text(_("text"), TEXT_MAX, blank=True)
    # A path on this site ("/projects/5/"); absolute in emails and webhooks.
    url = models.CharField(_("link"), max_length=300, blank=True)
    # What the notification is about: a model label (e.g. "projects.project") and its key.
    target_type = models.CharField(_("about (type)"), max_length=60, blank=True)
    target_id = models.CharField(_("about (id)"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    email_status = models.CharField(
        _("email status"),
        max_length=10,
        choices=EmailStatus.choices,
        default=EmailStatus.NONE,
        blank=True,
    )
    # Every claim counts, a try whose worker died included.
    email_attempts = models.PositiveSmallIntegerField(_("email attempts"), default=0)
    # When the sweep may next take a pending email: a grace after creation (the task queued
    # on commit goes first), the lease of a try in progress, or the back-off after a failure.
    email_due_at = models.DateTimeField(_("email due"), null=True, blank=True)
    email_error = bounded_text(_("last email error"), ERROR_MAX, blank=True)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notif_recipient_read"),
            models.Index(fields=["recipient", "-created_at"], name="notif_recipient_created"),
            # The outbox sweep's index: only the pending few of millions of rows are in it.
            models.Index(
                fields=["email_due_at"],
                name="notif_email_pending",
                condition=models.Q(email_status="pending"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(email_status__in=EmailStatus.values),
                name="notification_email_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class WebhookEndpoint(models.Model):
    """A receiver (a city's messaging platform) that gets every matching event as signed JSON."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(
        _("secret"),
        max_length=200,
        help_text=_("Shared with the receiver, which checks the X-Guanjia-Signature header."),
    )
    kinds = models.CharField(
        _("event kinds"),
        max_length=300,
        blank=True,
        help_text=_(
            'Comma-separated prefixes of the event kinds to send, e.g. "request.,project.stalled"; '
            "empty sends every event."
        ),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    # The secret stays out of the audit log.
    secret.audit_exclude = True  # type: ignore[attr-defined]

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def wants(self, kind: str) -> bool:
        """Whether an event of this kind goes to this endpoint."""
        prefixes = [p.strip() for p in self.kinds.split(",") if p.strip()]
        return not prefixes or any(kind.startswith(p) for p in prefixes)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    """One event to one endpoint, tried until it is accepted or the attempts run out."""

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("endpoint"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    notification_kind = models.CharField(_("event kind"), max_length=60)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # When a pending delivery is next due; an attempt in progress pushes it ahead (a lease).
    next_attempt_at = models.DateTimeField(_("next attempt"), db_index=True)
    last_error = bounded_text(_("last error"), ERROR_MAX, blank=True)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=DeliveryStatus.values),
                name="webhook_delivery_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.notification_kind} → {self.endpoint_id} ({self.status})"
