"""Leads (招商线索) and their negotiation records (洽谈记录): the front of the lifecycle.

A lead is an intended project of an investor (an `enterprises.Enterprise`, in the city or
not yet), with what it needs, where it came from, the team that owns it and its owner. Its
status moves 线索 → 初步接洽 → 实质性洽谈 → 签约, or off the line to 放弃 / 暂缓 with a reason,
only through the steps of `services.STEPS`. Signing creates or continues the ledger project
(`projects.services`), so a signed lead is the project's start and nothing is typed twice.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guanjia.core.bounds import (
    ENERGY_TCE_MAX,
    HEADCOUNT_MAX,
    LAND_MU_MAX,
    NOTE_MAX,
    TEXT_MAX,
    amount_validators,
    bounded_text,
    validate_name,
)
from guanjia.enterprises.models import ContactSource


class LeadStatus(models.TextChoices):
    LEAD = "lead", _("Lead")  # 线索
    CONTACT = "contact", _("First contact")  # 初步接洽
    NEGOTIATING = "negotiating", _("In negotiation")  # 实质性洽谈
    SIGNED = "signed", _("Signed")  # 签约
    PAUSED = "paused", _("On hold")  # 暂缓
    DROPPED = "dropped", _("Dropped")  # 放弃


# The name the rest of the app uses; the class is LeadStatus so that the API's schema has its
# own component, apart from the requests' Status.
Status = LeadStatus


# The pipeline, in order (the board's columns); paused and dropped are off the line.
LINE = [Status.LEAD, Status.CONTACT, Status.NEGOTIATING, Status.SIGNED]
OPEN = [Status.LEAD, Status.CONTACT, Status.NEGOTIATING]
# The date a lead reached each status (one column each: time in stage is a query).
DATE_FIELD: dict[str, str] = {
    Status.LEAD: "lead_on",
    Status.CONTACT: "contact_on",
    Status.NEGOTIATING: "negotiating_on",
    Status.SIGNED: "signed_on",
    Status.PAUSED: "paused_on",
    Status.DROPPED: "dropped_on",
}


def _decimal(verbose_name: Any, maximum: Decimal, **kwargs: Any) -> models.DecimalField:
    return models.DecimalField(
        verbose_name,
        max_digits=18,
        decimal_places=4,
        null=True,
        blank=True,
        validators=amount_validators(maximum),
        **kwargs,
    )


class Lead(models.Model):
    investor = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("investor"),
        on_delete=models.PROTECT,
        related_name="leads",
    )
    name = models.CharField(_("intended project"), max_length=200, validators=[validate_name])
    industry = models.ForeignKey(
        "industries.Industry",
        verbose_name=_("industry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leads",
    )
    investment_wan = models.DecimalField(
        _("intended investment (10k yuan)"),
        max_digits=18,
        decimal_places=4,
        default=Decimal(0),
        validators=amount_validators(),
    )
    # What the project would need: land, power, energy, water, workers.
    land_mu = _decimal(_("land (mu)"), LAND_MU_MAX)
    power_kva = _decimal(_("power (kVA)"), Decimal(10) ** 9)
    energy_tce = _decimal(_("energy (tce a year)"), ENERGY_TCE_MAX)
    water_tons = _decimal(_("water (tonnes a day)"), Decimal(10) ** 9)
    workers = models.PositiveIntegerField(
        _("workers"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(HEADCOUNT_MAX)],
    )
    # What the land would have to offer beyond its size and power (the land matching).
    needs_port = models.BooleanField(_("needs a port"), default=False)
    needs_rail = models.BooleanField(_("needs a rail siding"), default=False)
    max_price_wan_per_mu = _decimal(_("land price at most (10k yuan per mu)"), Decimal(100_000))
    source = models.CharField(_("source"), max_length=20, choices=ContactSource.choices)
    # The owning team: the area (county, district, zone: where the project would land) and,
    # for a bureau's promotion team (招商小分队), its department.
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("area"), on_delete=models.PROTECT, related_name="leads"
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leads",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_leads",
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default="lead")
    status_reason = models.CharField(_("reason"), max_length=300, blank=True)
    paused_from = models.CharField(max_length=20, blank=True, editable=False)
    lead_on = models.DateField(_("lead since"), null=True, blank=True)
    contact_on = models.DateField(_("first contact on"), null=True, blank=True)
    negotiating_on = models.DateField(_("negotiating since"), null=True, blank=True)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    paused_on = models.DateField(_("on hold since"), null=True, blank=True)
    dropped_on = models.DateField(_("dropped on"), null=True, blank=True)
    # The ledger project this lead is (created or continued at signing, or named at entry).
    project = models.OneToOneField(
        "projects.Project",
        verbose_name=_("ledger project"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="lead",
    )
    notes = bounded_text(pgettext_lazy("lead", "notes"), TEXT_MAX, blank=True)
    # Kept by the negotiation records: the last contact and the next follow-up.
    last_contact_on = models.DateField(_("last contact"), null=True, blank=True)
    next_follow_up_on = models.DateField(_("next follow-up"), null=True, blank=True)
    # Which follow-up date the sweep has reminded the owner of / escalated to the leader.
    reminded_for = models.DateField(null=True, blank=True, editable=False)
    escalated_for = models.DateField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("entered"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["region", "status"], name="lead_region_status"),
            models.Index(fields=["owner", "status"], name="lead_owner_status"),
            models.Index(fields=["next_follow_up_on"], name="lead_follow_up"),
            # The list's and the board's default order (most recently changed first), alone
            # and within a status (a board column): the first page is an index walk.
            models.Index(fields=["-updated_at", "-id"], name="lead_updated"),
            models.Index(fields=["status", "-updated_at", "-id"], name="lead_status_updated"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=Status.values), name="lead_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(source__in=ContactSource.values), name="lead_source_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    def stage_date(self, status: str) -> dt.date | None:
        value: dt.date | None = getattr(self, DATE_FIELD[status])
        return value

    def is_stale(self, today: dt.date, days: int) -> bool:
        """An open lead with no contact for `days` days (since its entry if never contacted)."""
        if not self.is_open:
            return False
        last = self.last_contact_on or self.lead_on
        return last is not None and (today - last).days > days


class Kind(models.TextChoices):
    VISIT_RECEIVED = "visit_received", _("Visit received")  # 来访接待
    TRIP_OUT = "trip_out", _("Trip out")  # 外出招商
    MEETING = "meeting", _("Meeting")  # 会谈
    CALL = "call", _("Phone or video call")  # 电话/视频
    OTHER = "other", _("Other")


class NegotiationRecord(models.Model):
    """洽谈记录: one meeting with the investor; visits received and trips out are made of them."""

    lead = models.ForeignKey(
        Lead, verbose_name=_("lead"), on_delete=models.CASCADE, related_name="records"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default="meeting")
    date = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=200, blank=True, validators=[validate_name])
    our_side = models.CharField(_("our side"), max_length=300, validators=[validate_name])
    their_side = models.CharField(_("their side"), max_length=300, validators=[validate_name])
    asked = bounded_text(_("what they asked"), NOTE_MAX, blank=True)
    offered = bounded_text(_("what we offered"), NOTE_MAX, blank=True)
    outcome = bounded_text(_("outcome"), NOTE_MAX)
    next_step = models.CharField(_("next step"), max_length=300, blank=True)
    next_follow_up_on = models.DateField(_("next follow-up"), null=True, blank=True)
    # The trip out or the visit received this meeting belongs to, if any.
    trip = models.ForeignKey(
        "Trip",
        verbose_name=_("trip out"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="records",
    )
    visit = models.ForeignKey(
        "Visit",
        verbose_name=_("visit received"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="records",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("entered"), auto_now_add=True)

    class Meta:
        verbose_name = _("negotiation record")
        verbose_name_plural = _("negotiation records")
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=Kind.values), name="negotiationrecord_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.lead}"


class Visit(models.Model):
    """来访接待: an investor delegation received. Its meetings are negotiation records that
    name it; the leads it touched are named on it."""

    date = models.DateField(_("date"))
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("area"), on_delete=models.PROTECT, related_name="visits"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_visits",
    )
    investors = models.ManyToManyField(
        "enterprises.Enterprise", verbose_name=_("investors"), related_name="visits"
    )
    visitors = models.CharField(_("who came"), max_length=300, validators=[validate_name])
    hosts = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("received by"), blank=True, related_name="+"
    )
    host_names = models.CharField(
        _("received by (names)"), max_length=300, blank=True, validators=[validate_name]
    )
    sites = bounded_text(_("what was seen"), NOTE_MAX, blank=True)
    leads = models.ManyToManyField(
        Lead, verbose_name=_("leads touched"), blank=True, related_name="visits"
    )
    notes = bounded_text(pgettext_lazy("visit", "notes"), TEXT_MAX, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("entered"), auto_now_add=True)

    class Meta:
        verbose_name = _("visit received")
        verbose_name_plural = _("visits received")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.visitors}"


class Trip(models.Model):
    """外出招商: a team's trip out. Each meeting on the road is a negotiation record naming
    the trip; its report (出访报告) is drawn from those records."""

    destinations = models.CharField(
        _("destination cities"), max_length=200, validators=[validate_name]
    )
    start_on = models.DateField(_("from"))
    end_on = models.DateField(_("to"))
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("area"), on_delete=models.PROTECT, related_name="trips"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("leader of the team"),
        on_delete=models.PROTECT,
        related_name="owned_trips",
    )
    team = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("team"), blank=True, related_name="trips"
    )
    purpose = bounded_text(_("purpose"), NOTE_MAX, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("entered"), auto_now_add=True)

    class Meta:
        verbose_name = _("trip out")
        verbose_name_plural = _("trips out")
        ordering = ["-start_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_on__gte=models.F("start_on")), name="trip_dates_in_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.start_on:%Y-%m-%d} {self.destinations}"
