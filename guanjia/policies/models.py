"""Policies (政策), the enterprise facts they are matched on, and the deliveries (matches)."""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guanjia.core import files
from guanjia.core.bounds import (
    HEADCOUNT_MAX,
    LONG_TEXT_MAX,
    amount_validators,
    bounded_text,
    validate_name,
)


def normalise_tags(raw: str) -> str:
    """ "a, b，c" → ",a,b,c," so that "has tag x" is one LIKE '%,x,%' in SQL."""
    tags = sorted({t.strip() for t in raw.replace("，", ",").split(",") if t.strip()})
    return f",{','.join(tags)}," if tags else ""


class EnterpriseProfile(models.Model):
    """Facts about an enterprise that policies ask about and the enterprise record lacks."""

    enterprise = models.OneToOneField(
        "enterprises.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.CASCADE,
        related_name="policy_profile",
    )
    headcount = models.PositiveIntegerField(
        _("headcount"), null=True, blank=True, validators=[MaxValueValidator(HEADCOUNT_MAX)]
    )
    high_tech = models.BooleanField(_("high-tech enterprise"), default=False)
    tags = models.CharField(
        _("tags"), max_length=300, blank=True, help_text=_("Comma separated, e.g. 专精特新")
    )

    class Meta:
        verbose_name = _("enterprise profile")
        verbose_name_plural = _("enterprise profiles")

    def __str__(self) -> str:
        return str(self.enterprise)

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self.tags = normalise_tags(self.tags)
        super().save(*args, **kwargs)

    def tag_list(self) -> list[str]:
        return [t for t in self.tags.split(",") if t]


class Policy(models.Model):
    title = models.CharField(
        pgettext_lazy("policy", "title"), max_length=200, validators=[validate_name]
    )
    issuer = models.CharField(_("issuer"), max_length=120, validators=[validate_name])
    doc_number = models.CharField(_("document number"), max_length=80, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    benefit = bounded_text(_("benefit"), LONG_TEXT_MAX, blank=True)
    apply_from = models.DateField(_("applications open"), null=True, blank=True)
    apply_to = models.DateField(_("applications close"), null=True, blank=True)
    automatic = models.BooleanField(
        _("granted without application"),
        default=False,
        help_text=_("免申即享: a match is recorded as granted straight away."),
    )
    active = models.BooleanField(_("active"), default=True)
    # Published on the public portal with its documents (the library itself is internal).
    public = models.BooleanField(_("shown on the public portal"), default=False, db_index=True)
    rule = models.JSONField(_("eligibility rule"), default=dict, blank=True)  # {}: everyone
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("policy")
        verbose_name_plural = _("policies")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from .rules import RuleError, validate

        try:
            validate(self.rule)
        except RuleError as exc:
            raise ValidationError({"rule": str(exc)}) from exc
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("ends before it starts")})
        if self.apply_from and self.apply_to and self.apply_to < self.apply_from:
            raise ValidationError({"apply_to": _("closes before it opens")})


class MatchStatus(models.TextChoices):
    NEW = "new", _("New")
    READ = "read", _("Read")
    APPLIED = "applied", _("Applied")
    GRANTED = "granted", _("Granted")
    REJECTED = "rejected", _("Rejected")


# A match in these states is the enterprise's history: re-matching never removes it.
KEPT_STATUSES = (MatchStatus.APPLIED, MatchStatus.GRANTED, MatchStatus.REJECTED)


class PolicyMatch(models.Model):
    """One policy delivered to one enterprise (送政策上门), and what became of it."""

    policy = models.ForeignKey(
        Policy,
        verbose_name=_("policy"),
        on_delete=models.CASCADE,
        related_name="matches",
        db_index=False,  # the unique (policy, enterprise) serves
        # Deliveries are derived rows written a million at a time by the full re-match; a
        # database-level foreign key check per row tripled its time. Deletion still cascades
        # (Django does it), and only the matching code writes this table.
        db_constraint=False,
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.CASCADE,
        related_name="policy_matches",
        db_index=False,  # the (enterprise, status) index serves
        db_constraint=False,  # as above
    )
    status = models.CharField(
        _("status"), max_length=10, choices=MatchStatus.choices, default=MatchStatus.NEW
    )
    matched_at = models.DateTimeField(_("matched at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    granted_at = models.DateTimeField(_("granted at"), null=True, blank=True)
    granted_amount_wan = models.DecimalField(
        _("amount granted (10k yuan)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=amount_validators(),
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("granted recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    class Meta:
        verbose_name = _("policy match")
        verbose_name_plural = _("policy matches")
        ordering = ["-matched_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=MatchStatus.values), name="policymatch_status_valid"
            ),
            models.UniqueConstraint(fields=["policy", "enterprise"], name="policymatch_unique"),
        ]
        indexes = [models.Index(fields=["enterprise", "status"])]

    def __str__(self) -> str:
        return f"{self.policy} → {self.enterprise}"


class PolicyDocument(models.Model):
    """A policy's own file (the document itself, an application form, guidance), checked by
    content and stored privately; served to whoever may see the policy."""

    policy = models.ForeignKey(
        Policy, verbose_name=_("policy"), on_delete=models.CASCADE, related_name="documents"
    )
    file = models.FileField(_("file"), storage=files.PrivateStorage(), upload_to="policies/")
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("policy document")
        verbose_name_plural = _("policy documents")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.name
