"""Enterprises, their contacts and the whitelist of real credit codes that fail the check."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guanjia.accounts.masking import mask_phone
from guanjia.core.bounds import TEXT_MAX, bounded_text, validate_name

from . import creditcode, idnumber


class Ownership(models.TextChoices):
    CENTRAL_SOE = "central_soe", _("Central SOE")
    CENTRAL_SOE_SUB = "central_soe_sub", _("Central SOE subsidiary")
    LOCAL_SOE = "local_soe", _("Local SOE")
    PRIVATE = "private", _("Private")
    FOREIGN = "foreign", _("Foreign")
    JOINT_VENTURE = "joint_venture", _("Joint venture")


class CapitalOrigin(models.TextChoices):
    STATE = "state", _("State capital")
    PRIVATE = "private", _("Private capital")
    FOREIGN = "foreign", _("Foreign capital")


class ContactSource(models.TextChoices):
    """How the bureau came to know an investor (and a lead): the channels bureaus report."""

    CENTRAL_SOE = "central_soe", _("Central SOE matchmaking")  # 央企对接
    BY_BUSINESS = "by_business", _("Introduced by a business")  # 以商招商
    EXPO = "expo", _("Trade fair")  # 展会
    AGENCY = "agency", _("Agency or chamber of commerce")  # 中介/商会
    RESIDENT = "resident", _("Resident promotion office")  # 驻外招商
    ONLINE = "online", _("Online")  # 网络
    WALK_IN = "walk_in", pgettext_lazy("source of contact", "Walk-in")  # 上门


class CreditCodeWhitelist(models.Model):
    """A real code that fails the GB 32100 check (old registrations exist); kept with a reason."""

    code = models.CharField(_("credit code"), max_length=18, unique=True)
    reason = models.CharField(_("reason"), max_length=300)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("whitelisted credit code")
        verbose_name_plural = _("whitelisted credit codes")

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        self.code = creditcode.normalise(self.code)
        if len(self.code) != 18:
            raise ValidationError({"code": _("a credit code has 18 characters")})
        if not self.reason.strip():
            raise ValidationError({"reason": _("say why this code is genuine")})


def validate_credit_code(value: str) -> None:
    """Raise a ValidationError naming every problem unless the code is whitelisted."""
    code = creditcode.normalise(value)
    found = creditcode.problems(code)
    if found and not CreditCodeWhitelist.objects.filter(code=code).exists():
        raise ValidationError(found, code="invalid_credit_code")


class Enterprise(models.Model):
    name = models.CharField(_("name"), max_length=120, db_index=True, validators=[validate_name])
    # Unique where present; blank for a foreign investor not yet registered in China.
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        null=True,
        blank=True,
    )
    ownership = models.CharField(
        _("ownership"), max_length=20, choices=Ownership.choices, default=Ownership.PRIVATE
    )
    capital_origin = models.CharField(
        _("capital origin"),
        max_length=20,
        choices=CapitalOrigin.choices,
        default=CapitalOrigin.PRIVATE,
    )
    home_city = models.CharField(_("home city"), max_length=40, blank=True)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("local region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="enterprises",
        help_text=_("Where the enterprise is registered or settled in this city, if it is."),
    )
    industry = models.ForeignKey(
        "industries.Industry",
        verbose_name=_("industry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="enterprises",
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    # As an investor (客商): the group it belongs to (国家电投 for its subsidiaries), the
    # industries it is interested in, and how the bureau came to know it.
    group = models.CharField(
        _("group"),
        max_length=120,
        blank=True,
        db_index=True,
        validators=[validate_name],
        help_text=_("The group (集团) the enterprise belongs to, e.g. 国家电投."),
    )
    interests = models.ManyToManyField(
        "industries.Industry",
        verbose_name=_("industry interests"),
        blank=True,
        related_name="interested_enterprises",
    )
    contact_source = models.CharField(
        _("source of contact"), max_length=20, choices=ContactSource.choices, blank=True
    )
    description = bounded_text(_("description"), TEXT_MAX, blank=True)
    steward = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("steward"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stewarded_enterprises",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(contact_source__in=["", *ContactSource.values]),
                name="enterprise_contact_source_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.credit_code:
            self.credit_code = creditcode.normalise(self.credit_code)
            try:
                validate_credit_code(self.credit_code)
            except ValidationError as exc:
                raise ValidationError({"credit_code": exc.messages}) from exc
        else:
            self.credit_code = None


class Contact(models.Model):
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=40, validators=[validate_name])
    title = models.CharField(_("title"), max_length=60, blank=True, validators=[validate_name])
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)
    # The legal representative's or the contact's resident ID (居民身份证号码): masked
    # wherever contacts are shown, revealed one at a time with the unmask permission (audited).
    id_number = models.CharField(
        _("ID number"),
        max_length=18,
        blank=True,
        validators=[idnumber.validate_id_number],
        help_text=_("Mainland resident ID card number, 18 characters."),
    )
    is_primary = models.BooleanField(_("primary contact"), default=False)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_primary", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.id_number = idnumber.normalise(self.id_number)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone) if self.phone else ""

    @property
    def masked_id_number(self) -> str:
        return idnumber.mask_id_number(self.id_number) if self.id_number else ""


# The audit log keeps the ID number masked, with a fingerprint that shows a change.
Contact._meta.get_field("id_number").audit_mask = idnumber.audit_value  # type: ignore[attr-defined]
