"""Notifications: the in-app inbox, and the outgoing webhooks a city connects its messaging to."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanjia.core.bounds import ERROR_MAX, TEXT_MAX, bounded_text, validate_name


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
    # The notifications of one person emailed together as one digest (a sweep that tells
    # someone of many requests): the same key on each. The first row carries the email
    # (`pending`); the others wait with no status of their own and are marked sent with it.
    email_digest = models.CharField(_("email digest"), max_length=32, blank=True, default="")

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
            # The rows of one digest, found when it is sent; most rows have none.
            models.Index(
                fields=["email_digest"],
                name="notif_email_digest",
                condition=~models.Q(email_digest=""),
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


# --- Channels: group robots (企业微信, 钉钉, 飞书) and SMS --------------------------------------


class Channel(models.TextChoices):
    WECOM = "wecom", _("WeCom group robot (企业微信)")
    DINGTALK = "dingtalk", _("DingTalk group robot (钉钉)")
    FEISHU = "feishu", _("Feishu group robot (飞书)")
    SMS = "sms", _("SMS")


ROBOT_CHANNELS = [Channel.WECOM, Channel.DINGTALK, Channel.FEISHU]


class MessageFormat(models.TextChoices):
    TEXT = "text", _("Text")
    MARKDOWN = "markdown", _("Markdown")


class GroupRobot(models.Model):
    """A chat group's robot (企业微信, 钉钉 or 飞书) that gets the notifications of a department's
    or an area's people. Its address holds the robot's key (企业微信: `key=`, 钉钉:
    `access_token=`, 飞书: the hook id) and its signing secret (钉钉, 飞书) are credentials: a city
    admin types them once and they are never shown again (nor written to the audit log)."""

    name = models.CharField(_("name"), max_length=100, validators=[validate_name])
    platform = models.CharField(
        _("platform"),
        max_length=10,
        choices=[(c.value, c.label) for c in ROBOT_CHANNELS],
    )
    url = models.URLField(
        _("webhook address"),
        max_length=500,
        help_text=_("The robot's webhook address as the platform shows it; not shown again."),
    )
    secret = models.CharField(
        _("signing secret"),
        max_length=200,
        blank=True,
        help_text=_(
            "钉钉 and 飞书 robots with signing on (加签): the secret (SEC…); not shown again."
        ),
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("area"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("The robot gets the notifications of the people of this area (its subtree)."),
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
    message_format = models.CharField(
        _("message format"),
        max_length=10,
        choices=MessageFormat.choices,
        default=MessageFormat.MARKDOWN,
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    url.audit_exclude = True  # type: ignore[attr-defined]
    secret.audit_exclude = True  # type: ignore[attr-defined]

    class Meta:
        verbose_name = _("group robot")
        verbose_name_plural = _("group robots")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(platform__in=[c.value for c in ROBOT_CHANNELS]),
                name="grouprobot_platform_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(department__isnull=False) | models.Q(region__isnull=False),
                name="grouprobot_department_or_area",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def wants(self, kind: str) -> bool:
        return wants(self.kinds, kind, empty=True)


def wants(prefixes: str, kind: str, *, empty: bool) -> bool:
    """Whether `kind` matches one of the comma-separated `prefixes` (`empty` when there are none)."""
    items = [p.strip() for p in prefixes.split(",") if p.strip()]
    if not items:
        return empty
    return "*" in items or any(kind.startswith(p) for p in items)


class SmsTemplate(models.Model):
    """The SMS provider's pre-approved template (模板) for a kind of notification, and what fills
    its variables: SMS providers send only approved templates with parameters."""

    kind = models.CharField(
        _("event kind"),
        max_length=60,
        unique=True,
        help_text=_('An event kind or its prefix, e.g. "request.escalated" or "request.".'),
    )
    code = models.CharField(_("template code"), max_length=40, help_text=_("e.g. SMS_154950909"))
    params = models.CharField(
        _("template variables"),
        max_length=300,
        blank=True,
        help_text=_(
            'Each variable and what fills it, e.g. "title=title,link=url": '
            "title, body, url, kind or number (the request's number from the title)."
        ),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("SMS template")
        verbose_name_plural = _("SMS templates")
        ordering = ["kind"]

    def __str__(self) -> str:
        return f"{self.kind} → {self.code}"


class ChannelSettings(models.Model):
    """One person's choice of channels: which kinds of notification also go by SMS (to this
    phone) and to their department's or area's group robot. Email and the inbox stay as they
    are. Without a row: nothing by SMS, everything the robots take."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="channel_settings",
    )
    sms_phone = models.CharField(_("mobile phone for SMS"), max_length=20, blank=True)
    sms_kinds = models.CharField(_("kinds sent by SMS"), max_length=300, blank=True)
    robot_kinds = models.CharField(
        _("kinds sent to the group robot"), max_length=300, blank=True, default="*"
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("channel settings")
        verbose_name_plural = _("channel settings")

    def __str__(self) -> str:
        return str(self.user)


class ChannelDelivery(models.Model):
    """One notification to one group robot or one phone, tried until the platform accepts it
    (errcode 0, Code OK) or the attempts run out or the platform refuses it for good."""

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    robot = models.ForeignKey(
        GroupRobot,
        verbose_name=_("group robot"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    notification_kind = models.CharField(_("event kind"), max_length=60)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    last_error = bounded_text(_("last error"), ERROR_MAX, blank=True)
    # The platform's own answer: errcode (robots) or Code (SMS), with the HTTP status.
    response_code = models.CharField(_("answer code"), max_length=60, blank=True)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("channel delivery")
        verbose_name_plural = _("channel deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="channel_delivery_pending",
                condition=models.Q(status="pending"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=DeliveryStatus.values),
                name="channel_delivery_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(channel__in=Channel.values),
                name="channel_delivery_channel_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.notification_kind} → {self.channel} ({self.status})"
