"""Targets (目标): indicators, the values set for a period and region, and the actuals.

Values are Decimal, kept in the indicator's base unit: money in 万元 (shown in 亿元 or 万元 as
the indicator says), counts as counts, percentages as percentages.
"""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guanjia.core.bounds import TARGET_VALUE_MAX, validate_name, year_validators

from .periods import Period, PeriodError

YI_IN_WAN = Decimal(10_000)


class Unit(models.TextChoices):
    YI = "亿元", _("100 million yuan (亿元)")
    WAN = "万元", _("10k yuan (万元)")
    COUNT = "个", _("count (个)")
    PERCENT = "%", _("percent (%)")


class Source(models.TextChoices):
    ENTERED = "entered", _("Entered by period")
    COMPUTED = "computed", _("Computed from the ledger")


class Computation(models.TextChoices):
    KEY_PROJECTS_LANDED = "key_projects_landed", _("Key projects landed")
    SIGNED_INVESTMENT = "signed_investment", _("Signed investment")
    # The assessment's indicators (招商考核), from the leads and the signings' follow-through.
    NEW_LEADS = "new_leads", _("New leads")
    SIGNED_PROJECTS = "signed_projects", _("Signed projects")
    FUNDS_IN_PLACE = "funds_in_place", _("Funds in place")
    PROJECTS_LANDED = "projects_landed", _("Projects landed")


class SubjectKind(models.TextChoices):
    """Who a target is set for: an area (the default), a team (招商小分队) or a person."""

    AREA = "area", pgettext_lazy("subject", "Area")
    TEAM = "team", _("Team")
    PERSON = "person", _("Person")


class Aggregation(models.TextChoices):
    SUM = "sum", _("Sum over areas")
    NONE = "none", _("Not summable")


class Indicator(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100, validators=[validate_name])
    unit = models.CharField(_("unit"), max_length=4, choices=Unit.choices)
    source = models.CharField(_("actuals"), max_length=10, choices=Source.choices)
    computation = models.CharField(
        _("computation"), max_length=30, choices=Computation.choices, blank=True
    )
    aggregation = models.CharField(
        _("aggregation"), max_length=10, choices=Aggregation.choices, default=Aggregation.SUM
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    description = models.CharField(_("description"), max_length=300, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["sort_order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(source="computed") & ~Q(computation=""))
                | (Q(source="entered") & Q(computation="")),
                name="indicator_computation_iff_computed",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.source == Source.COMPUTED and not self.computation:
            raise ValidationError({"computation": _("say which computation gives the actuals")})
        if self.source == Source.ENTERED and self.computation:
            raise ValidationError({"computation": _("an entered indicator has no computation")})

    @property
    def is_money(self) -> bool:
        return self.unit in (Unit.YI, Unit.WAN)

    @property
    def summable(self) -> bool:
        return self.aggregation == Aggregation.SUM

    @property
    def is_computed(self) -> bool:
        return self.source == Source.COMPUTED

    def to_unit(self, stored: Decimal | None) -> Decimal | None:
        """A stored value in the unit the indicator is shown in."""
        if stored is None:
            return None
        return stored / YI_IN_WAN if self.unit == Unit.YI else stored

    def from_unit(self, shown: Decimal) -> Decimal:
        return shown * YI_IN_WAN if self.unit == Unit.YI else shown


def value_field(verbose_name: Any) -> models.DecimalField:
    return models.DecimalField(
        verbose_name,
        max_digits=20,
        decimal_places=4,
        validators=[MinValueValidator(-TARGET_VALUE_MAX), MaxValueValidator(TARGET_VALUE_MAX)],
    )


class PeriodFields(models.Model):
    year = models.PositiveSmallIntegerField(_("year"), validators=year_validators())
    quarter = models.PositiveSmallIntegerField(
        _("quarter"), default=0, validators=[MaxValueValidator(4)], help_text=_("0: none")
    )
    month = models.PositiveSmallIntegerField(
        _("month"), default=0, validators=[MaxValueValidator(12)], help_text=_("0: none")
    )

    class Meta:
        abstract = True

    @property
    def period(self) -> Period:
        return Period(self.year, self.quarter, self.month)

    def clean(self) -> None:
        try:
            Period(self.year, self.quarter, self.month)
        except PeriodError as exc:
            raise ValidationError(str(exc)) from exc


class Target(PeriodFields):
    """A target for a period: an area's (region alone), or a team's or a person's, kept with
    the region the team or person belongs to (so the area rules of scope apply to it)."""

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.PROTECT, related_name="targets"
    )
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    team = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    value = value_field(_("target"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("set by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    set_at = models.DateTimeField(_("set at"), auto_now=True)

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["indicator", "year", "quarter", "month", "region__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "year", "quarter", "month", "region"],
                condition=Q(team__isnull=True, person__isnull=True),
                name="target_unique",
            ),
            models.UniqueConstraint(
                fields=["indicator", "year", "quarter", "month", "team"],
                condition=Q(team__isnull=False),
                name="target_unique_team",
            ),
            models.UniqueConstraint(
                fields=["indicator", "year", "quarter", "month", "person"],
                condition=Q(person__isnull=False),
                name="target_unique_person",
            ),
            models.CheckConstraint(
                condition=Q(team__isnull=True) | Q(person__isnull=True),
                name="target_one_subject",
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="target_nonnegative"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.period} {self.subject}: {self.value}"

    @property
    def subject_kind(self) -> str:
        if self.team_id:
            return SubjectKind.TEAM
        if self.person_id:
            return SubjectKind.PERSON
        return SubjectKind.AREA

    @property
    def subject(self) -> Any:
        return self.team or self.person or self.region


class Actual(PeriodFields):
    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.PROTECT, related_name="actuals"
    )
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    value = value_field(_("actual"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    entered_at = models.DateTimeField(_("entered at"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)
    source_note = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("actual")
        verbose_name_plural = _("actuals")
        ordering = ["indicator", "year", "quarter", "month", "region__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "year", "quarter", "month", "region"], name="actual_unique"
            ),
        ]
        indexes = [models.Index(fields=["indicator", "year"])]

    def __str__(self) -> str:
        return f"{self.indicator} {self.period} {self.region}: {self.value}"
