"""Approval items per project (立项备案, 施工许可, ...) and acceptance with tolerated gaps (容缺受理).

An item may be accepted with non-core materials missing against a written commitment and a
promised date no later than the department's own deadline. The sweep reminds before that
date, suspends the item when it lapses and returns it some working days later.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guanjia.core import files
from guanjia.core.bounds import validate_name


class ApprovalKind(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True, validators=[validate_name])
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    deadline_days = models.PositiveSmallIntegerField(
        _("department deadline (working days)"), default=20
    )
    remind_days = models.PositiveSmallIntegerField(
        _("remind before the promised date (working days)"), default=2
    )
    return_after_days = models.PositiveSmallIntegerField(
        _("return after suspension (working days)"), default=15
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("approval kind")
        verbose_name_plural = _("approval kinds")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class Material(models.Model):
    kind = models.ForeignKey(
        ApprovalKind,
        verbose_name=_("approval kind"),
        on_delete=models.CASCADE,
        related_name="materials",
    )
    name = models.CharField(_("name"), max_length=100, validators=[validate_name])
    core = models.BooleanField(_("core"), default=False)

    class Meta:
        verbose_name = _("required material")
        verbose_name_plural = _("required materials")
        ordering = ["kind", "-core", "name"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "name"], name="approval_material_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Status(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    TOLERATED = "accepted_tolerated", _("Accepted with tolerated gaps")
    SUSPENDED = "suspended", _("Suspended")
    RETURNED = "returned", _("Returned")
    APPROVED = "approved", _("Approved")


class Step(models.TextChoices):
    REMIND = "remind", _("Remind")
    SUSPEND = "suspend", _("Suspend")
    RETURN = "return", _("Return")


class ApprovalItem(models.Model):
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="approval_items",
    )
    kind = models.ForeignKey(
        ApprovalKind, verbose_name=_("approval kind"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    provided = models.ManyToManyField(
        Material, verbose_name=_("materials provided"), blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    commitment = models.FileField(
        _("written commitment"), storage=files.PrivateStorage(), upload_to="approvals/", blank=True
    )
    commitment_name = models.CharField(_("commitment file name"), max_length=200, blank=True)
    promised_on = models.DateField(_("promised date"), null=True, blank=True)
    deadline_on = models.DateField(_("department deadline"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    suspended_at = models.DateTimeField(_("suspended at"), null=True, blank=True)
    return_due_at = models.DateTimeField(_("return due at"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    next_step = models.CharField(max_length=10, choices=Step.choices, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("approval item")
        verbose_name_plural = _("approval items")
        ordering = ["project", "kind__order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=Status.values), name="approval_item_status_valid"
            ),
            models.UniqueConstraint(fields=["project", "kind"], name="approval_item_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.kind}"

    def missing(self) -> list[Material]:
        """The kind's materials not yet provided."""
        have = {m.pk for m in self.provided.all()}
        return [m for m in self.kind.materials.all() if m.pk not in have]


class EventKind(models.TextChoices):
    CREATED = "created", _("Item added")
    SUBMITTED = "submitted", _("Materials submitted")
    ACCEPTED = "accepted", _("Accepted")
    TOLERATED = "tolerated", _("Accepted with tolerated gaps")
    SUPPLIED = "supplied", _("Missing materials supplied")
    REMINDED = "reminded", _("Reminder sent")
    SUSPENDED = "suspended", _("Suspended: commitment lapsed")
    RETURNED = "returned", _("Returned")
    APPROVED = "approved", _("Approved")


class ApprovalEvent(models.Model):
    """One line on the project's timeline for an approval item."""

    item = models.ForeignKey(ApprovalItem, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(
        pgettext_lazy("approval", "event"), max_length=20, choices=EventKind.choices
    )
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("approval event")
        verbose_name_plural = _("approval events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.item} · {self.get_kind_display()}"


class FlagKind(models.TextChoices):
    BROKEN_COMMITMENT = "broken_commitment", _("Broken commitment")
    BAD_CREDIT = "bad_credit", _("Bad credit")


class EnterpriseFlag(models.Model):
    """A mark that bars an enterprise from acceptance with tolerated gaps while active."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.CASCADE,
        related_name="approval_flags",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=FlagKind.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    active = models.BooleanField(_("active"), default=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("enterprise flag")
        verbose_name_plural = _("enterprise flags")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.get_kind_display()}"
