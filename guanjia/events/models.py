"""Events (对接会, 推介会, 论坛) and signings, with the bureau's counting rule."""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guanjia.core.bounds import TEXT_MAX, bounded_text, validate_name
from guanjia.projects.models import money_field


class EventKind(models.TextChoices):
    MATCHMAKING = "matchmaking", _("Matchmaking conference")
    PROMOTION = "promotion", _("Promotion meeting")
    FORUM = "forum", _("Forum")
    OTHER = "other", _("Other")


class EventStatus(models.TextChoices):
    PLANNING = "planning", _("In preparation")
    ONGOING = "ongoing", _("Under way")
    FINISHED = "finished", _("Finished")


class EventQuerySet(models.QuerySet["Event"]):
    def with_figures(self) -> "EventQuerySet":
        """Annotate the headline figures, each computed from records by its own subquery."""
        # django-stubs cannot see through the auto-created through model's annotations.
        participants: Any = Event.participants.through.objects.filter(event=OuterRef("pk"))
        enterprise_count = participants.values("event").annotate(n=Count("enterprise")).values("n")
        city_count = (
            participants.exclude(enterprise__home_city="")
            .values("event")
            .annotate(n=Count("enterprise__home_city", distinct=True))
            .values("n")
        )
        counted = Signing.objects.filter(event=OuterRef("pk"))
        signing_count = (
            counted.filter(is_first=True).values("event").annotate(n=Count("pk")).values("n")
        )
        invested = counted.values("event").annotate(s=Sum("counted_amount_wan")).values("s")
        return self.annotate(
            enterprise_count=Coalesce(Subquery(enterprise_count), 0),
            city_count=Coalesce(Subquery(city_count), 0),
            signing_count=Coalesce(Subquery(signing_count), 0),
            signed_investment_wan=Coalesce(
                Subquery(
                    invested, output_field=models.DecimalField(max_digits=20, decimal_places=4)
                ),
                Decimal(0),
                output_field=models.DecimalField(max_digits=20, decimal_places=4),
            ),
        )


class Event(models.Model):
    name = models.CharField(_("name"), max_length=200, validators=[validate_name])
    kind = models.CharField(
        _("kind"), max_length=20, choices=EventKind.choices, default=EventKind.MATCHMAKING
    )
    date = models.DateField(_("date"), db_index=True)
    organiser = models.CharField(
        _("organiser"), max_length=120, blank=True, validators=[validate_name]
    )
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("host region"),
        on_delete=models.PROTECT,
        related_name="events",
    )
    location = models.CharField(_("location"), max_length=120, blank=True)
    description = bounded_text(_("description"), TEXT_MAX, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=EventStatus.choices, default=EventStatus.PLANNING
    )
    industries = models.ManyToManyField(
        "industries.Industry", verbose_name=_("theme industries"), blank=True, related_name="+"
    )
    participants = models.ManyToManyField(
        "enterprises.Enterprise",
        verbose_name=_("participating enterprises"),
        blank=True,
        related_name="events",
    )
    # The figures a report gave (e.g. an ingested news item), shown beside the ledger's own:
    # the headline figures are always computed from records, these are kept for comparison.
    reported_enterprise_count = models.PositiveIntegerField(
        _("reported enterprises"), null=True, blank=True
    )
    reported_city_count = models.PositiveIntegerField(_("reported cities"), null=True, blank=True)
    reported_signing_count = models.PositiveIntegerField(
        _("reported projects signed"), null=True, blank=True
    )
    reported_investment_wan = money_field(
        _("reported investment (10k yuan)"), null=True, blank=True, default=None
    )

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=EventStatus.values), name="event_status_valid"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Signing(models.Model):
    """A contract signed for a project, by a government body, for an amount.

    `amount_wan` is the project's contracted total after this signing. The counting rule
    (a project counts once, at its first signing; later signings count only the increase)
    is applied by `guanjia.events.services.recount` into `is_first` and `counted_amount_wan`.
    """

    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="signings",
    )
    event = models.ForeignKey(
        Event,
        verbose_name=_("event"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signings",
    )
    government = models.ForeignKey(
        "regions.Region",
        verbose_name=_("signing government"),
        on_delete=models.PROTECT,
        related_name="signings",
    )
    enterprises = models.ManyToManyField(
        "enterprises.Enterprise",
        verbose_name=_("signing enterprises"),
        blank=True,
        related_name="signings",
    )
    signed_on = models.DateField(_("signed on"), db_index=True)
    amount_wan = money_field(_("contracted amount (10k yuan)"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    is_first = models.BooleanField(_("first signing"), default=False, editable=False)
    counted_amount_wan = money_field(_("counted amount (10k yuan)"), editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("signing")
        verbose_name_plural = _("signings")
        ordering = ["signed_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project"], condition=Q(is_first=True), name="signing_one_first_per_project"
            )
        ]

    def __str__(self) -> str:
        return f"{self.project} {self.signed_on}"


class AgendaItem(models.Model):
    """One item of an event's agenda, in order: a time, a title and who speaks."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="agenda")
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    time = models.CharField(_("time"), max_length=20, blank=True)
    title = models.CharField(_("title"), max_length=200, validators=[validate_name])
    speaker = models.CharField(_("speaker"), max_length=120, blank=True, validators=[validate_name])

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["event", "position", "id"]

    def __str__(self) -> str:
        return f"{self.time} {self.title}".strip()


class GuestStatus(models.TextChoices):
    INVITED = "invited", _("Invited")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    CHECKED_IN = "checked_in", _("Checked in")


class Guest(models.Model):
    """An enterprise invited to an event (or walked in), with the city it comes from.

    Its status is a step (`guanjia.events.steps.GUEST_STEPS`): invited → accepted / declined,
    and checked in on the day (by its QR code or from the list). A checked-in guest is recorded
    among the event's participants, which is what the headline figures count."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="guests")
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="invitations",
    )
    city = models.CharField(_("comes from"), max_length=40, blank=True, validators=[validate_name])
    status = models.CharField(
        _("status"), max_length=20, choices=GuestStatus.choices, default=GuestStatus.INVITED
    )
    walk_in = models.BooleanField(_("walk-in"), default=False)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    seat = models.CharField(_("seat"), max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("guest")
        verbose_name_plural = _("guests")
        ordering = ["event", "city", "enterprise__name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "enterprise"], name="guest_once_per_event"),
            models.CheckConstraint(
                condition=Q(status__in=GuestStatus.values), name="guest_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} @ {self.event}"


class Attendee(models.Model):
    """A person a guest enterprise sends: name, title, phone (masked in every list)."""

    guest = models.ForeignKey(Guest, on_delete=models.CASCADE, related_name="attendees")
    name = models.CharField(_("name"), max_length=60, validators=[validate_name])
    title = models.CharField(_("title"), max_length=60, blank=True, validators=[validate_name])
    phone = models.CharField(_("phone"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("attendee")
        verbose_name_plural = _("attendees")
        ordering = ["guest", "id"]

    def __str__(self) -> str:
        return self.name


class RowStatus(models.TextChoices):
    PLANNED = "planned", _("To be signed")
    SIGNED = "signed", pgettext_lazy("a signing-list row", "Signed")
    NOT_SIGNED = "not_signed", _("Not signed")


class SigningListRow(models.Model):
    """One row of an event's signing list (签约清单), prepared before the day.

    A row is not a signing: it counts nowhere until it is confirmed at the ceremony
    (拟签 → 已签), which records the `Signing` the counting rule reads. 未签 rows stay out."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="signing_list")
    position = models.PositiveSmallIntegerField(_("signing order"), default=0)
    project = models.ForeignKey(
        "projects.Project", verbose_name=_("project"), on_delete=models.PROTECT, related_name="+"
    )
    government = models.ForeignKey(
        "regions.Region",
        verbose_name=_("signing government"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    enterprises = models.ManyToManyField(
        "enterprises.Enterprise", verbose_name=_("signing enterprises"), related_name="+"
    )
    amount_wan = money_field(_("contracted amount (10k yuan)"))
    status = models.CharField(
        _("status"), max_length=20, choices=RowStatus.choices, default=RowStatus.PLANNED
    )
    signing = models.OneToOneField(
        Signing, null=True, blank=True, on_delete=models.SET_NULL, related_name="list_row"
    )

    class Meta:
        verbose_name = _("signing list row")
        verbose_name_plural = _("signing list rows")
        ordering = ["event", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RowStatus.values), name="signinglistrow_status_valid"
            ),
            models.UniqueConstraint(fields=["event", "project"], name="signing_row_once"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.project}"
