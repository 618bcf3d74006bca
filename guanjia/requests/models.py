"""Enterprise requests (诉求) through the direct line (政企直通车), their timeline and clock.

A request moves through the closed loop 受理 → 派单 → 签收 → 办理 → 答复 → 办结 → 回访 → 评价;
`guanjia.requests.services` holds the one function per step. Deadlines are stored (and
indexed) so queues sort by them and the escalation sweep finds what is due with an index scan.
"""

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guanjia.accounts.models import Role
from guanjia.core import files
from guanjia.core.bounds import NOTE_MAX, TEXT_MAX, bounded_text, validate_name


class Priority(models.TextChoices):
    URGENT = "urgent", _("Urgent")
    GENERAL = "general", _("General")
    COMPLEX = "complex", _("Complex")


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")  # waiting for 受理
    ACCEPTED = "accepted", _("Accepted")  # 受理: waiting for 派单
    DISPATCHED = "dispatched", _("Dispatched")  # 派单: waiting for 签收
    HANDLING = "handling", _("In hand")  # 签收 → 办理
    AWAITING_INFO = "awaiting_info", _("Waiting for the enterprise")  # the only pause
    BOUNCED = "bounced", _("Bounced")  # 退单: waiting for the dispatcher's arbitration
    REPLIED = "replied", _("Answered")  # 答复
    CLOSED = "closed", _("Closed")  # 办结
    WITHDRAWN = "withdrawn", pgettext_lazy("request status", "Withdrawn")
    MERGED = "merged", _("Merged into another")  # a duplicate, closed into another request


OPEN_STATUSES = [
    Status.SUBMITTED,
    Status.ACCEPTED,
    Status.DISPATCHED,
    Status.HANDLING,
    Status.AWAITING_INFO,
    Status.BOUNCED,
]
# Where the service clock runs (it starts at dispatch and pauses only for the enterprise).
CLOCK_STATUSES = [Status.DISPATCHED, Status.HANDLING, Status.BOUNCED]


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY = "basically", _("Basically satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")


class Source(models.TextChoices):
    WEB = "web", _("Web")
    API = "api", _("API")
    OPEN311 = "open311", _("Open311 / 12345")
    STAFF = "staff", _("Entered by staff")


def days_field(verbose_name: Any, default: str) -> models.DecimalField:
    return models.DecimalField(
        verbose_name,
        max_digits=5,
        decimal_places=2,
        default=Decimal(default),
        validators=[MinValueValidator(Decimal("0.1")), MaxValueValidator(Decimal(365))],
    )


class Category(models.Model):
    """What a request is about; also the Open311 service list."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60, validators=[validate_name])
    description = models.CharField(_("description"), max_length=300, blank=True)
    group = models.CharField(_("group"), max_length=60, blank=True)
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("usual department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    default_priority = models.CharField(
        _("default priority"), max_length=10, choices=Priority.choices, default=Priority.GENERAL
    )
    active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("request category")
        verbose_name_plural = _("request categories")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class SlaPolicy(models.Model):
    """Working days allowed for each step; a blank category is the default for a priority."""

    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="policies",
    )
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices)
    sign_days = days_field(_("sign for within (working days)"), "1")
    reply_days = days_field(_("first reply within (working days)"), "3")
    resolve_days = days_field(_("resolve within (working days)"), "5")
    max_resolve_days = days_field(_("resolve within, with extensions, at most"), "30")

    class Meta:
        verbose_name = _("service level")
        verbose_name_plural = _("service levels")
        constraints = [
            models.UniqueConstraint(
                fields=["category", "priority"],
                condition=Q(category__isnull=False),
                name="slapolicy_unique",
            ),
            models.UniqueConstraint(
                fields=["priority"],
                condition=Q(category__isnull=True),
                name="slapolicy_unique_default",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category or '*'} {self.get_priority_display()}"


class IntakeLimit(models.Model):
    """受理时限: working hours from submission to acceptance for a category's requests, for one
    channel or (blank) all of them. A request takes the category's limit for its channel, else
    the category's for all channels, else settings.GUANJIA_INTAKE_HOURS."""

    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.CASCADE,
        related_name="intake_limits",
    )
    source = models.CharField(
        _("channel"),
        max_length=10,
        choices=Source.choices,
        blank=True,
        help_text=_("Blank: every channel without a limit of its own."),
    )
    hours = models.DecimalField(
        _("accept within (working hours)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.1")), MaxValueValidator(Decimal(200))],
    )

    class Meta:
        verbose_name = _("intake limit")
        verbose_name_plural = _("intake limits")
        ordering = ["category", "source"]
        constraints = [
            models.UniqueConstraint(fields=["category", "source"], name="intakelimit_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.category} {self.get_source_display() or '*'} {self.hours}h"


class ServiceRequest(models.Model):
    number = models.CharField(_("number"), max_length=20, unique=True)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="requests",
    )
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requests",
    )
    # The area that answers for it (the project's, else the enterprise's): access and queues.
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="requests"
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.GENERAL
    )
    title = models.CharField(
        pgettext_lazy("request", "title"), max_length=200, validators=[validate_name]
    )
    text = bounded_text(_("what is needed"), TEXT_MAX)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default="web")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted"), db_index=True)

    status = models.CharField(
        _("status"), max_length=15, choices=Status.choices, default=Status.SUBMITTED
    )
    # The enterprise's named steward owns the request throughout; the assignee holds it now.
    steward = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("steward"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stewarded_requests",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_requests",
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="requests",
    )
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("dispatched by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status_before_bounce = models.CharField(max_length=15, blank=True)
    bounce_reason = models.CharField(_("reason for bouncing"), max_length=500, blank=True)

    # The intake clock (受理时限): from submission to acceptance, in working hours (0: none).
    intake_hours = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal(0))
    intake_due_at = models.DateTimeField(_("accept by"), null=True, blank=True)
    # The clock. Windows in working days come from the SLA policy at dispatch.
    sign_days = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal(1))
    reply_days = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal(3))
    resolve_days = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal(5))
    max_resolve_days = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal(30))
    extension_days = models.DecimalField(
        _("extension granted (working days)"), max_digits=5, decimal_places=2, default=Decimal(0)
    )
    dispatched_at = models.DateTimeField(_("dispatched"), null=True, blank=True)
    sign_started_at = models.DateTimeField(null=True, blank=True)
    clock_started_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(_("paused since"), null=True, blank=True)
    paused_minutes = models.FloatField(default=0)
    sign_due_at = models.DateTimeField(_("sign for by"), null=True, blank=True)
    reply_due_at = models.DateTimeField(_("first reply by"), null=True, blank=True)
    resolve_due_at = models.DateTimeField(_("resolve by"), null=True, blank=True)
    # The deadline that matters now (sign-for, else resolution); null when closed or paused.
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    # The next reminder or escalation mark and when it falls: the sweep's work list.
    next_mark = models.CharField(max_length=20, blank=True)
    next_mark_at = models.DateTimeField(null=True, blank=True)
    dispatch_round = models.PositiveSmallIntegerField(default=0)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    supervised = models.BooleanField(_("under supervision"), default=False)

    accepted_at = models.DateTimeField(pgettext_lazy("request", "accepted"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signed for"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    replied_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answer = bounded_text(_("answer"), TEXT_MAX, blank=True)
    on_time = models.BooleanField(_("answered on time"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    rating = models.CharField(_("rating"), max_length=12, choices=Rating.choices, blank=True)
    rating_comment = models.CharField(_("rating comment"), max_length=500, blank=True)
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    revisit_required = models.BooleanField(_("revisit required"), default=False)
    revisited_at = models.DateTimeField(_("revisited"), null=True, blank=True)
    revisit_due_at = models.DateTimeField(_("revisit by"), null=True, blank=True)
    # A duplicate merged into another request of the same enterprise (status MERGED).
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
    )
    # 催办: the enterprise pressed for an answer (a late or nearly late request), how often
    # and last when; the handler, the steward and the leader in charge see it.
    press_count = models.PositiveSmallIntegerField(_("times pressed"), default=0)
    pressed_at = models.DateTimeField(_("last pressed"), null=True, blank=True)

    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        ordering = ["-submitted_at"]
        indexes = [
            models.Index(
                fields=["next_mark_at"],
                name="request_sweep",
                condition=Q(next_mark_at__isnull=False),
            ),
            models.Index(fields=["assignee", "status", "due_at"], name="request_assignee_q"),
            models.Index(fields=["steward", "status", "due_at"], name="request_steward_q"),
            models.Index(fields=["department", "status", "due_at"], name="request_dept_q"),
            models.Index(fields=["region", "status", "due_at"], name="request_area_q"),
            models.Index(fields=["enterprise", "-submitted_at"], name="request_enterprise"),
            models.Index(fields=["resolve_due_at"], name="request_resolve_due"),
            # The queues' default order ("due": deadline first, none last, then newest) over the
            # open requests only: a city-wide queue's first page reads its rows off this index
            # instead of sorting every open request. PostgreSQL's ascending order puts NULLs
            # last, as the queue's ORDER BY does; keep the two in step (queue.SORTS["due"]).
            models.Index(
                fields=["due_at", "-submitted_at"],
                name="request_open_due",
                condition=Q(status__in=OPEN_STATUSES),
            ),
            # The same order within one department (its queue and the unclaimed queue).
            models.Index(
                fields=["department", "due_at", "-submitted_at"],
                name="request_dept_open_due",
                condition=Q(status__in=OPEN_STATUSES),
            ),
            # The queues' other orders over the open requests, for the same reason:
            # "submitted" / "-submitted" (one index read either way), and on PostgreSQL "-due"
            # (latest deadline first, none still last: not the backward walk of the index
            # above, which would put them first) — `request_open_due_desc` on (due_at DESC
            # NULLS LAST, submitted_at DESC), made by migration 0010 and not listed here
            # because SQLite cannot express it. Keep them in step with queue.SORTS.
            models.Index(
                fields=["submitted_at", "id"],
                name="request_open_submitted",
                condition=Q(status__in=OPEN_STATUSES),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=Status.values), name="request_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_paused(self) -> bool:
        return self.status == Status.AWAITING_INFO


class EventKind(models.TextChoices):
    SUBMIT = "submit", _("Submitted")
    ACCEPT = "accept", _("Accepted")
    DISPATCH = "dispatch", _("Dispatched")
    SIGN = "sign", _("Signed for")
    TRANSFER = "transfer", _("Transferred")
    BOUNCE = "bounce", _("Bounced")
    ARBITRATE = "arbitrate", _("Bounce arbitrated")
    ASK_INFO = "ask_info", _("Information asked for")
    GIVE_INFO = "give_info", _("Information given")
    NOTE = "note", _("Progress note")
    REPLY = "reply", _("Answered")
    CLOSE = "close", _("Closed")
    RATE = "rate", _("Rated")
    REOPEN = "reopen", _("Reopened")
    REVISIT = "revisit", _("Revisited")
    WITHDRAW = "withdraw", _("Withdrawn")
    EXTENSION_ASKED = "extension_asked", _("Extension asked for")
    EXTENSION_DECIDED = "extension_decided", _("Extension decided")
    SUPERVISE = "supervise", _("Supervised")
    REMIND = "remind", _("Reminder")
    ESCALATE = "escalate", _("Escalated")
    INTERNAL_NOTE = "internal_note", _("Internal note")
    MERGE = "merge", _("Merged into another request")
    MERGED_IN = "merged_in", _("A duplicate merged in")
    PRESS = "press", _("Pressed by the enterprise")
    # Department queues and co-handling (主办 / 协办)
    CLAIM = "claim", _("Claimed from the department queue")
    ASSIST = "assist", _("Assistance asked for")
    PART_SIGN = "part_sign", _("Part signed for")
    PART_REPLY = "part_reply", _("Part answered")
    PART_DECLINE = "part_decline", _("Part declined")


class Audience(StrEnum):
    """Who may read a part of a request's timeline (never stored: `TIMELINE` decides)."""

    EVERYONE = "everyone"  # whoever may see the request, the enterprise contact too
    STAFF = "staff"  # every role but the enterprise contact


@dataclass(frozen=True)
class Shown:
    """What of one kind of timeline entry reaches whom.

    `entry`: that it happened (its kind, time, actor, status change, whom it went to, rating);
    `note`: its text (a dispatch note, a bounce reason, an answer) and the files attached to
    it; `progress`: the text reports progress on the request, so it is the latest news where
    a channel shows one (Open311's status_notes, the export's "Latest progress").
    """

    entry: Audience
    note: Audience
    progress: bool = False


_E, _S = Audience.EVERYONE, Audience.STAFF

# What each role sees of a request's timeline, kind by kind: the one table every reader goes
# through (the request page, the API, Open311, notifications, exports) and that
# tests/test_request_visibility.py walks. A new kind without an entry here is a KeyError.
# Staff (every role but the enterprise contact, within what access lets them see) read all
# of it. Routing inside the government (accept, dispatch, sign-for, transfer) is a fact the
# enterprise sees — "dispatched to 自然资源局" — but the steward's note on it is internal.
TIMELINE: dict[str, Shown] = {
    EventKind.SUBMIT: Shown(_E, _E),
    EventKind.ACCEPT: Shown(_E, _S),
    EventKind.DISPATCH: Shown(_E, _S),
    EventKind.SIGN: Shown(_E, _S),
    EventKind.TRANSFER: Shown(_E, _S),
    EventKind.BOUNCE: Shown(_S, _S),
    EventKind.ARBITRATE: Shown(_S, _S),
    EventKind.ASK_INFO: Shown(_E, _E, progress=True),
    EventKind.GIVE_INFO: Shown(_E, _E),
    EventKind.NOTE: Shown(_E, _E, progress=True),
    EventKind.INTERNAL_NOTE: Shown(_S, _S, progress=True),
    EventKind.REPLY: Shown(_E, _E, progress=True),
    EventKind.CLOSE: Shown(_E, _E, progress=True),
    EventKind.RATE: Shown(_E, _E),
    EventKind.REOPEN: Shown(_E, _E),
    EventKind.REVISIT: Shown(_E, _E, progress=True),
    EventKind.WITHDRAW: Shown(_E, _E, progress=True),
    EventKind.EXTENSION_ASKED: Shown(_S, _S),
    EventKind.EXTENSION_DECIDED: Shown(_S, _S),
    EventKind.SUPERVISE: Shown(_S, _S),
    EventKind.REMIND: Shown(_S, _S),
    EventKind.ESCALATE: Shown(_S, _S),
    EventKind.MERGE: Shown(_E, _E, progress=True),
    EventKind.MERGED_IN: Shown(_E, _E),
    # The enterprise's own 催办 and its words: its contacts and the staff read both.
    EventKind.PRESS: Shown(_E, _E),
    # Claiming from a department's queue is a sign-for: the enterprise sees that it happened.
    EventKind.CLAIM: Shown(_E, _S),
    # Co-handling (协办) is the government's inside work: the enterprise sees the lead's
    # answer, not the assistants' parts.
    EventKind.ASSIST: Shown(_S, _S),
    EventKind.PART_SIGN: Shown(_S, _S),
    EventKind.PART_REPLY: Shown(_S, _S),
    EventKind.PART_DECLINE: Shown(_S, _S),
}

STAFF_ROLES = frozenset(
    {Role.CITY_ADMIN, Role.AREA_OFFICIAL, Role.STEWARD, Role.HANDLER, Role.LEADER}
)


def audiences(user: Any) -> frozenset[Audience]:
    """The audiences `user` belongs to; None is the public (Open311's 12345 relay)."""
    if user is not None and user.is_active and (user.is_superuser or user.role in STAFF_ROLES):
        return frozenset({_E, _S})
    return frozenset({_E})


def kinds_seen(user: Any, part: str = "entry", *, progress: bool = False) -> list[str]:
    """The event kinds whose `part` ("entry" or "note") `user` may read (progress ones only)."""
    mine = audiences(user)
    return [
        str(kind)
        for kind, shown in TIMELINE.items()
        if getattr(shown, part) in mine and (shown.progress or not progress)
    ]


# Entries the enterprise does not see at all (kept on each row as `internal` too).
INTERNAL_EVENTS = {kind for kind, shown in TIMELINE.items() if shown.entry == _S}


class RequestEventQuerySet(models.QuerySet["RequestEvent"]):
    def visible_to(self, user: Any) -> "RequestEventQuerySet":
        """The entries `user` may see (of requests they may see: `access` decides that)."""
        return self.filter(kind__in=kinds_seen(user))

    def progress_for(self, user: Any) -> "RequestEventQuerySet":
        """Entries whose text `user` may read and that report progress, with a text."""
        return self.filter(kind__in=kinds_seen(user, "note", progress=True)).exclude(note="")


class RequestEvent(models.Model):
    """One line of a request's timeline: every step, message, reminder and escalation.

    Who sees what of it is `TIMELINE`; read it through `visible_to` and `note_for`.
    """

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("what"), max_length=20, choices=EventKind.choices)
    from_status = models.CharField(max_length=15, blank=True)
    to_status = models.CharField(max_length=15, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("when"))
    note = bounded_text(_("note"), TEXT_MAX, blank=True)
    data = models.JSONField(default=dict, blank=True)
    # A copy of TIMELINE[kind].entry == staff, for readers outside the application.
    internal = models.BooleanField(default=False)

    objects = RequestEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("request event")
        verbose_name_plural = _("request events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["request", "at"])]

    def __str__(self) -> str:
        return f"{self.request_id} {self.kind}"

    @property
    def shown(self) -> Shown:
        return TIMELINE[self.kind]

    @property
    def note_is_internal(self) -> bool:
        return self.shown.note == Audience.STAFF

    def visible_to(self, user: Any) -> bool:
        return self.shown.entry in audiences(user)

    def note_for(self, user: Any) -> str:
        """The note if `user` may read it, else ""."""
        return self.note if self.shown.note in audiences(user) else ""

    def files_for(self, user: Any) -> list["Attachment"]:
        """Its attachments if `user` may read its note (files go with the text)."""
        return list(self.attachments.all()) if self.shown.note in audiences(user) else []


class AttachmentQuerySet(models.QuerySet["Attachment"]):
    def visible_to(self, user: Any) -> "AttachmentQuerySet":
        """The request's own files, and those of entries whose text `user` may read."""
        return self.filter(Q(event__isnull=True) | Q(event__kind__in=kinds_seen(user, "note")))


class Attachment(models.Model):
    request = models.ForeignKey(
        ServiceRequest, on_delete=models.CASCADE, related_name="attachments"
    )
    event = models.ForeignKey(
        RequestEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    file = models.FileField(storage=files.PrivateStorage(), upload_to="%Y/%m/")
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


class RevisitChannel(models.TextChoices):
    PHONE = "phone", _("Phone")
    VISIT = "visit", _("Visit")
    MESSAGE = "message", _("Message")


class RevisitOutcome(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")


class Revisit(models.Model):
    """回访: the steward's (or area staff's) follow-up with the enterprise on a request, by
    phone, visit or message, and what the enterprise answered. Recorded by the `revisit` step;
    a request rated 不满意 owes one before it can be closed again."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="revisits")
    channel = models.CharField(_("channel"), max_length=10, choices=RevisitChannel.choices)
    outcome = models.CharField(
        _("the enterprise's answer"), max_length=12, choices=RevisitOutcome.choices
    )
    answer = bounded_text(_("what the enterprise said"), NOTE_MAX)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revisited by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("when"))

    class Meta:
        verbose_name = _("revisit")
        verbose_name_plural = _("revisits")
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(channel__in=RevisitChannel.values), name="revisit_channel_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(outcome__in=RevisitOutcome.values), name="revisit_outcome_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} {self.channel} {self.outcome}"


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class Extension(models.Model):
    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="extensions")
    days = models.DecimalField(_("working days"), max_digits=5, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=500)
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    asked_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("extension")
        verbose_name_plural = _("extensions")
        ordering = ["asked_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ExtensionStatus.values), name="extension_status_valid"
            ),
            # One open question at a time per request.
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(status="pending"),
                name="extension_one_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} +{self.days}"


class Escalation(models.Model):
    """A mark crossed and acted on. The unique key makes a second sweep a no-op."""

    request = models.ForeignKey(
        ServiceRequest, on_delete=models.CASCADE, related_name="escalations"
    )
    key = models.CharField(max_length=30)  # mark and clock round, e.g. "sign100:1"
    mark = models.CharField(max_length=20)
    level = models.PositiveSmallIntegerField(default=0)  # 0 reminder, 1 area, 2 leader, 3 city
    at = models.DateTimeField()
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True)

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["at"]
        constraints = [
            models.UniqueConstraint(fields=["request", "key"], name="escalation_once_per_mark")
        ]

    def __str__(self) -> str:
        return f"{self.request_id} {self.key}"


class ReplyTemplate(models.Model):
    """答复模板: a ready answer for a category's common requests, kept by the bureau.

    Its text may name `{enterprise}`, `{steward}`, `{deadline}`, `{request_no}`, `{title}`
    and `{category}`; `replies.fill` puts the request's values in (plain names only: no
    attribute or index lookups). A template is for the requests of its area and the areas
    below it; a blank category makes it one for every category.
    """

    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("area"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Used for the requests of this area and the areas below it."),
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reply_templates",
        help_text=_("Blank: offered for every category."),
    )
    name = models.CharField(_("name"), max_length=60, validators=[validate_name])
    text = bounded_text(
        _("text"),
        TEXT_MAX,
        help_text=_(
            "May name {enterprise}, {steward}, {deadline}, {request_no}, {title} and "
            "{category}; each is replaced by the request's own value."
        ),
    )
    active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")
        ordering = ["sort_order", "name", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from .replies import unknown_placeholders

        unknown = unknown_placeholders(self.text)
        if unknown:
            raise ValidationError(
                {
                    "text": _("Unknown placeholders: %(names)s.")
                    % {"names": ", ".join("{" + n + "}" for n in unknown)}
                }
            )


class PartStatus(models.TextChoices):
    ASKED = "asked", _("Asked")  # waiting for the assistant's sign-for
    SIGNED = "signed", _("Signed for")
    ANSWERED = "answered", _("Answered")
    DECLINED = "declined", _("Declined")


OPEN_PARTS = [PartStatus.ASKED, PartStatus.SIGNED]


class RequestPart(models.Model):
    """协办: one assisting handler's part of a request. The request's assignee is its lead
    handler (主办), who answers the enterprise; an assistant signs for their part and answers
    it (or declines it, saying why) to the lead. Staff only: the enterprise sees the lead's
    answer (`models.TIMELINE`)."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="parts")
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assisting handler"),
        on_delete=models.PROTECT,
        related_name="request_parts",
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ask = models.CharField(_("what is asked"), max_length=500)
    status = models.CharField(
        _("status"), max_length=10, choices=PartStatus.choices, default=PartStatus.ASKED
    )
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    asked_at = models.DateTimeField(_("asked"))
    signed_at = models.DateTimeField(_("signed for"), null=True, blank=True)
    answer = bounded_text(_("answer"), TEXT_MAX, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    decline_reason = models.CharField(_("reason for declining"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("assisting part")
        verbose_name_plural = _("assisting parts")
        ordering = ["asked_at", "id"]
        indexes = [models.Index(fields=["handler", "status"], name="requestpart_handler")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=PartStatus.values), name="requestpart_status_valid"
            ),
            # One open part per person per request.
            models.UniqueConstraint(
                fields=["request", "handler"],
                condition=Q(status__in=["asked", "signed"]),
                name="requestpart_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} {self.handler_id} {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_PARTS
