"""Element guarantees (要素保障): land, energy, environment, finance and utilities a project
needs before a stage, and the city admin's recorded overrides."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guanjia.core.bounds import ENERGY_TCE_MAX, LAND_MU_MAX, amount_validators
from guanjia.projects.stages import Stage


class Kind(models.TextChoices):
    LAND = "land", _("Land")
    ENERGY = "energy", _("Energy quota")
    ENVIRONMENT = "environment", _("Environmental assessment")
    FINANCE = "finance", _("Finance")
    WATER = "water", _("Water connection")
    POWER = "power", _("Power connection")
    GAS = "gas", _("Gas connection")


class Status(models.TextChoices):
    NOT_SUPPLIED = "not_supplied", _("Not supplied")
    LISTED = "listed", _("Listed for sale")
    TRANSFERRED = "transferred", pgettext_lazy("land", "Transferred")
    DELIVERED = "delivered", pgettext_lazy("land", "Delivered")
    NOT_STARTED = "not_started", _("Not started")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    NEEDED = "needed", _("Needed")
    ALLOCATED = "allocated", _("Allocated")
    PARTLY_SECURED = "partly_secured", _("Partly secured")
    SECURED = "secured", _("Secured")
    APPLIED = "applied", _("Applied for")
    CONNECTED = "connected", _("Connected")


# Per kind, its statuses in order; the last one means the guarantee is met.
STATUSES: dict[str, list[str]] = {
    Kind.LAND: [Status.NOT_SUPPLIED, Status.LISTED, Status.TRANSFERRED, Status.DELIVERED],
    Kind.ENVIRONMENT: [Status.NOT_STARTED, Status.SUBMITTED, Status.APPROVED],
    Kind.ENERGY: [Status.NEEDED, Status.ALLOCATED],
    Kind.FINANCE: [Status.NEEDED, Status.PARTLY_SECURED, Status.SECURED],
    Kind.WATER: [Status.NEEDED, Status.APPLIED, Status.CONNECTED],
    Kind.POWER: [Status.NEEDED, Status.APPLIED, Status.CONNECTED],
    Kind.GAS: [Status.NEEDED, Status.APPLIED, Status.CONNECTED],
}

# The stage each kind must be met before; finance is informational.
BLOCKS: dict[str, str | None] = {
    Kind.LAND: Stage.CONSTRUCTION,
    Kind.ENVIRONMENT: Stage.CONSTRUCTION,
    Kind.ENERGY: Stage.CONSTRUCTION,
    Kind.WATER: Stage.OPERATION,
    Kind.POWER: Stage.OPERATION,
    Kind.GAS: Stage.OPERATION,
    Kind.FINANCE: None,
}


class Guarantee(models.Model):
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="guarantees",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    land_mu = models.DecimalField(
        _("land area (mu)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=amount_validators(LAND_MU_MAX),
    )
    energy_tce = models.DecimalField(
        _("energy quota (tonnes of standard coal)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=amount_validators(ENERGY_TCE_MAX),
    )
    env_level = models.CharField(_("assessment level"), max_length=40, blank=True)
    approval_number = models.CharField(_("approval number"), max_length=80, blank=True)
    finance_needed_wan = models.DecimalField(
        _("finance needed (10k yuan)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=amount_validators(),
    )
    finance_secured_wan = models.DecimalField(
        _("finance secured (10k yuan)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=amount_validators(),
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("responsible department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="guarantees",
    )
    due_on = models.DateField(_("due date"), null=True, blank=True)
    met_on = models.DateField(_("met on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("element guarantee")
        verbose_name_plural = _("element guarantees")
        ordering = ["project", "kind"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=Status.values), name="guarantee_status_valid"
            ),
            models.UniqueConstraint(fields=["project", "kind"], name="guarantee_unique_kind"),
        ]
        indexes = [models.Index(fields=["met_on", "due_on"])]

    def __str__(self) -> str:
        return f"{self.project_id} {self.get_kind_display()}: {self.get_status_display()}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.kind in STATUSES and self.status not in STATUSES[self.kind]:
            raise ValidationError({"status": _("this status does not apply to this guarantee")})

    @property
    def is_met(self) -> bool:
        return self.status == STATUSES[self.kind][-1]

    @property
    def blocks(self) -> str | None:
        return BLOCKS.get(self.kind)


class GuaranteeOverride(models.Model):
    """A city admin lets a project reach a stage although guarantees for it are unmet."""

    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="guarantee_overrides",
    )
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices)
    reason = models.CharField(_("reason"), max_length=300)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("guarantee override")
        verbose_name_plural = _("guarantee overrides")
        ordering = ["-at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(stage__in=Stage.values), name="guarantee_override_stage_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} → {self.get_stage_display()}: {self.reason}"
