"""Projects: the ledger's rows, their stage history, milestones and stall rules."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guanjia.core.bounds import (
    TEXT_MAX,
    amount_validators,
    bounded_text,
    validate_name,
    year_validators,
)
from guanjia.core.versioned import Versioned

from .stages import Stage


def money_field(verbose_name: Any, **kwargs) -> models.DecimalField:  # type: ignore[no-untyped-def]
    """万元 to the yuan: 18 digits with 4 after the point."""
    kwargs.setdefault("default", Decimal(0))
    kwargs.setdefault("validators", amount_validators())
    return models.DecimalField(verbose_name, max_digits=18, decimal_places=4, **kwargs)


class Level(models.TextChoices):
    PROVINCIAL = "provincial", _("Provincial key")
    MUNICIPAL = "municipal", _("Municipal key")
    GENERAL = "general", _("General")


class StallKind(models.TextChoices):
    SIGNED_NOT_REGISTERED = "signed_not_registered", _("Signed but not registered")
    REGISTERED_NOT_STARTED = "registered_not_started", _("Registered but not started")
    STARTED_NOT_COMPLETED = "started_not_completed", _("Started but not completed")


# Which stages each stall list watches, and the date its clock runs from.
STALL_WATCH: dict[str, tuple[list[str], str]] = {
    StallKind.SIGNED_NOT_REGISTERED: ([Stage.SIGNED], "signed_on"),
    StallKind.REGISTERED_NOT_STARTED: ([Stage.REGISTERED, Stage.APPROVALS], "registered_on"),
    StallKind.STARTED_NOT_COMPLETED: ([Stage.CONSTRUCTION], "construction_on"),
}
DEFAULT_STALL_DAYS = {
    StallKind.SIGNED_NOT_REGISTERED: 90,
    StallKind.REGISTERED_NOT_STARTED: 180,
    StallKind.STARTED_NOT_COMPLETED: 730,
}


class StallRule(models.Model):
    """How long a project may sit in one state before the stall lists show it."""

    kind = models.CharField(_("list"), max_length=30, choices=StallKind.choices)
    level = models.CharField(
        _("level"),
        max_length=20,
        choices=Level.choices,
        blank=True,
        help_text=_("Blank applies to every level without a rule of its own."),
    )
    days = models.PositiveIntegerField(_("days allowed"))

    class Meta:
        verbose_name = _("stall rule")
        verbose_name_plural = _("stall rules")
        constraints = [models.UniqueConstraint(fields=["kind", "level"], name="stallrule_unique")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.get_level_display() or '*'}: {self.days}"


# The stall rules, kept in the cache under a version every save or delete of a rule moves
# (connected in `apps.ready`): read by every project answer and every list's stall filter.
STALL_RULES = Versioned("stallrules", local=True)


def stall_limits() -> dict[tuple[str, str], int]:
    """(kind, level) → days; level '' is the default for that kind."""

    def compute() -> dict[tuple[str, str], int]:
        limits: dict[tuple[str, str], int] = {
            (str(kind), ""): days for kind, days in DEFAULT_STALL_DAYS.items()
        }
        for rule in StallRule.objects.all():
            limits[(rule.kind, rule.level)] = rule.days
        return limits

    return dict(STALL_RULES.cached("limits", compute))


def is_stalled(project: "Project", today: dt.date) -> bool:
    """Whether `project` is past its stall limit: `stalled_q` for one project in hand."""
    limits = stall_limits()
    for stall_kind, (stages, date_field) in STALL_WATCH.items():
        if project.stage not in stages:
            continue
        since = getattr(project, date_field)
        days = limits.get((stall_kind, project.level)) if project.level else None
        if days is None:
            days = limits[(stall_kind, "")]
        if since is not None and since < today - dt.timedelta(days=days):
            return True
    return False


def stalled_q(today: dt.date, kind: str | None = None) -> Q:
    """A filter for projects past their stall limit (all three lists, or one)."""
    limits = stall_limits()
    result = Q(pk__in=[])
    for stall_kind, (stages, date_field) in STALL_WATCH.items():
        if kind and stall_kind != kind:
            continue
        specific_levels = [lvl for (k, lvl) in limits if k == stall_kind and lvl]
        for level in specific_levels:
            cutoff = today - dt.timedelta(days=limits[(stall_kind, level)])
            result |= Q(stage__in=stages, level=level, **{f"{date_field}__lt": cutoff})
        cutoff = today - dt.timedelta(days=limits[(stall_kind, "")])
        result |= Q(stage__in=stages, **{f"{date_field}__lt": cutoff}) & ~Q(
            level__in=specific_levels
        )
    return result


class ProjectQuerySet(models.QuerySet["Project"]):
    def stalled(self, today: dt.date, kind: str | None = None) -> "ProjectQuerySet":
        return self.filter(stalled_q(today, kind))

    def active(self) -> "ProjectQuerySet":
        return self.exclude(stage=Stage.WITHDRAWN)


class Project(models.Model):
    name = models.CharField(_("project name"), max_length=200, validators=[validate_name])
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("investor"),
        on_delete=models.PROTECT,
        related_name="projects",
    )
    partners = models.ManyToManyField(
        "enterprises.Enterprise",
        verbose_name=_("other enterprises"),
        blank=True,
        related_name="partner_projects",
    )
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="projects",
    )
    industry = models.ForeignKey(
        "industries.Industry",
        verbose_name=_("industry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="projects",
    )
    level = models.CharField(
        _("level"), max_length=20, choices=Level.choices, default=Level.GENERAL
    )
    total_investment_wan = money_field(_("total investment (10k yuan)"))
    plan_year = models.PositiveSmallIntegerField(
        _("plan year"), null=True, blank=True, validators=year_validators()
    )
    planned_investment_year_wan = money_field(_("planned investment this year (10k yuan)"))
    completed_investment_year_wan = money_field(_("completed investment this year (10k yuan)"))
    funds_in_place_wan = money_field(_("funds in place (10k yuan)"))
    construction_content = bounded_text(_("construction content"), TEXT_MAX, blank=True)
    steward = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("steward"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stewarded_projects",
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("leader in charge"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_projects",
    )
    task_force = models.CharField(
        _("task force"), max_length=100, blank=True, validators=[validate_name]
    )

    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.LEAD)
    # One date per stage makes time-in-stage and the rates a query, not a reconstruction.
    lead_on = models.DateField(_("lead since"), null=True, blank=True)
    negotiating_on = models.DateField(_("negotiating since"), null=True, blank=True)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    registered_on = models.DateField(_("registered on"), null=True, blank=True)
    approvals_on = models.DateField(_("approvals from"), null=True, blank=True)
    construction_on = models.DateField(_("construction started"), null=True, blank=True)
    operation_on = models.DateField(_("in operation from"), null=True, blank=True)
    full_capacity_on = models.DateField(_("full capacity from"), null=True, blank=True)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    withdrawn_reason = models.CharField(_("reason for withdrawal"), max_length=300, blank=True)

    # A key project the city publishes on its public portal (name, area, industry, stage,
    # dates, investment; never its contacts or notes).
    public = models.BooleanField(_("shown on the public portal"), default=False, db_index=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ProjectQuerySet.as_manager()

    # Set on rows fetched by guanjia.projects.ledger.fetch_page (not a column).
    is_stalled: bool

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["region", "stage"]),
            models.Index(fields=["stage", "signed_on"]),
            models.Index(fields=["industry"]),
            models.Index(fields=["level"]),
            models.Index(fields=["-total_investment_wan"]),
            models.Index(fields=["name"]),
            models.Index(fields=["updated_at"]),  # the ledger summary's cache version
            # The stalled lists: each list's projects in its order (longest stalled first)
            # off a partial index of its stages. The region comes last (after the unique id
            # it changes no order) so that an area's list and its count are read off the
            # index alone.
            *(
                models.Index(
                    fields=[date_field, "id", "region"],
                    name=f"project_stall_{kind.split('_')[0]}",
                    condition=Q(stage__in=stages),
                )
                for kind, (stages, date_field) in STALL_WATCH.items()
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(stage__in=Stage.values), name="project_stage_valid"),
            models.CheckConstraint(
                condition=Q(total_investment_wan__gte=0), name="project_investment_nonnegative"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def stage_date(self, stage: str) -> dt.date | None:
        return getattr(self, f"{stage}_on")

    def stall_kinds(self, today: dt.date) -> list[str]:
        """Which stall lists this project is on today (usually none, at most one)."""
        if self.pk is None:
            return []
        # The rule of `stalled_q`, read off this row (one query for the rules, not three).
        limits = stall_limits()
        kinds = []
        for kind, (stages, date_field) in STALL_WATCH.items():
            since = getattr(self, date_field)
            if self.stage not in stages or since is None:
                continue
            days = limits.get((kind, self.level), limits[(kind, "")])
            if since < today - dt.timedelta(days=days):
                kinds.append(kind)
        return kinds


class StageChange(models.Model):
    """One row per move or correction: the project's lifecycle history."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(_("from"), max_length=20, choices=Stage.choices, blank=True)
    to_stage = models.CharField(_("to"), max_length=20, choices=Stage.choices)
    effective_on = models.DateField(_("date"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    evidence = models.CharField(_("evidence"), max_length=300, blank=True)
    is_correction = models.BooleanField(_("correction"), default=False)
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["effective_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(from_stage__in=[*Stage.values, ""]),
                name="stage_change_from_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(to_stage__in=Stage.values), name="stage_change_to_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id}: {self.from_stage} → {self.to_stage}"


class Milestone(models.Model):
    """Planned date for reaching a stage; the actual date is the project's stage stamp."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices)
    planned_on = models.DateField(_("planned date"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["planned_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(stage__in=Stage.values), name="milestone_stage_valid"
            ),
            models.UniqueConstraint(fields=["project", "stage"], name="milestone_unique_stage"),
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} {self.planned_on}"

    @property
    def actual_on(self) -> dt.date | None:
        return self.project.stage_date(self.stage)


class StallNotice(models.Model):
    """That a project's steward and leader were told it is stalled (once per list and date)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="stall_notices")
    kind = models.CharField(max_length=30, choices=StallKind.choices)
    since = models.DateField()  # the stage date the stall is counted from
    notified_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("stall notice")
        verbose_name_plural = _("stall notices")
        constraints = [
            models.UniqueConstraint(fields=["project", "kind", "since"], name="stallnotice_once")
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.kind} {self.since}"
