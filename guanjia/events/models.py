"""Events (对接会, 推介会, 论坛) and signings, with the bureau's counting rule."""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from guanjia.core.bounds import TEXT_MAX, bounded_text, validate_name
from guanjia.projects.models import money_field


class EventKind(models.TextChoices):
    MATCHMAKING = "matchmaking", _("Matchmaking conference")
    PROMOTION = "promotion", _("Promotion meeting")
    FORUM = "forum", _("Forum")
    OTHER = "other", _("Other")


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
