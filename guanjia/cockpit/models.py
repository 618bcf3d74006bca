"""Rollup tables behind the leaders' cockpit (领导驾驶舱).

Each table holds grouped counts and sums, recomputed together by `services.refresh()` (a
periodic task every 30 s) with set-based SQL. The cockpit reads only these small tables, so
its figures cost the same for a county as for a province. Rows are keyed by the region a
record sits on (a leaf, usually); an area's figures are the sum over its subtree.
"""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanjia.projects.models import money_field

# Sums over many projects: never negative, but not capped like one project's amount.
SUM_VALIDATORS = [MinValueValidator(Decimal(0))]


class ProjectRollup(models.Model):
    """Projects now, by region, industry, current stage and the year they were signed.

    `signed_year` is null for projects not signed yet (leads, negotiations).
    """

    region_id = models.BigIntegerField(db_index=True)
    industry_id = models.BigIntegerField(null=True)
    stage = models.CharField(max_length=20)
    signed_year = models.PositiveSmallIntegerField(null=True)
    projects = models.PositiveIntegerField(default=0)
    total_investment_wan = money_field(_("total investment (10k yuan)"), validators=SUM_VALIDATORS)
    funds_in_place_wan = money_field(_("funds in place (10k yuan)"), validators=SUM_VALIDATORS)

    class Meta:
        verbose_name = _("project rollup")
        verbose_name_plural = _("project rollups")
        indexes = [models.Index(fields=["signed_year", "region_id"], name="cockpit_proj_year")]

    def __str__(self) -> str:
        return f"{self.region_id} {self.industry_id} {self.stage} {self.signed_year}"


class Milestone(models.TextChoices):
    SIGNED = "signed", _("Signed")
    REGISTERED = "registered", _("Registered")
    CONSTRUCTION = "construction", _("Started")
    OPERATION = "operation", _("In operation")


class FlowRollup(models.Model):
    """Projects reaching a milestone, by region, industry and the month they reached it.

    For `signed` the counting rule applies: `projects` counts first signings and `amount_wan`
    the counted amounts (a re-signing or expansion adds only its increase, in its own month);
    a project signed without a signing record counts once with its total investment. For the
    other milestones `amount_wan` is the projects' total investment.
    """

    region_id = models.BigIntegerField(db_index=True)
    industry_id = models.BigIntegerField(null=True)
    milestone = models.CharField(max_length=20, choices=Milestone.choices)
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    projects = models.PositiveIntegerField(default=0)
    amount_wan = money_field(_("amount (10k yuan)"), validators=SUM_VALIDATORS)

    class Meta:
        verbose_name = _("milestone rollup")
        verbose_name_plural = _("milestone rollups")
        indexes = [models.Index(fields=["year", "milestone"], name="cockpit_flow_year")]

    def __str__(self) -> str:
        return f"{self.region_id} {self.industry_id} {self.milestone} {self.year}-{self.month}"


class RequestRollup(models.Model):
    """Requests and services by region and month, each count on its own date.

    submitted: by `submitted_at`; replied and on_time: by `replied_at`; rated and satisfied
    (satisfied or basically satisfied): by `rated_at`, as guanjia.servicerecords.figures
    counts them; services: service records by `date`; overdue: open requests past their
    deadline at the refresh, on rows with year and month 0.
    """

    region_id = models.BigIntegerField(db_index=True)
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    submitted = models.PositiveIntegerField(default=0)
    replied = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    rated = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)
    overdue = models.PositiveIntegerField(default=0)
    services = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("request rollup")
        verbose_name_plural = _("request rollups")
        indexes = [models.Index(fields=["year", "month"], name="cockpit_req_year")]

    def __str__(self) -> str:
        return f"{self.region_id} {self.year}-{self.month}"


class StewardRollup(models.Model):
    """Per steward, region and year: services logged and requests handled.

    A request counts for its steward and for its assignee when that is someone else, as on
    the stewards' figures page: answered (and on time) by `replied_at`, rated (and
    satisfied) by `rated_at`.
    """

    steward_id = models.BigIntegerField()
    region_id = models.BigIntegerField()
    year = models.PositiveSmallIntegerField()
    services = models.PositiveIntegerField(default=0)
    replied = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    rated = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("steward rollup")
        verbose_name_plural = _("steward rollups")
        indexes = [models.Index(fields=["year", "region_id"], name="cockpit_stew_year")]

    def __str__(self) -> str:
        return f"{self.steward_id} {self.region_id} {self.year}: {self.services}"


class RefreshState(models.Model):
    """One row: when the rollups were last recomputed (also the refresh's lock)."""

    key = models.CharField(max_length=20, unique=True)
    refreshed_at = models.DateTimeField(null=True)
    seconds = models.FloatField(default=0)

    class Meta:
        verbose_name = _("rollup refresh")
        verbose_name_plural = _("rollup refreshes")

    def __str__(self) -> str:
        return f"{self.key} {self.refreshed_at}"
