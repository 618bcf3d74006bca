"""The city's industry taxonomy ("6+1+2"), each mapped to GB/T 4754 for national statistics."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from guanjia.core.bounds import validate_name


class Industry(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=60, unique=True, validators=[validate_name])
    group = models.CharField(
        _("group"), max_length=20, blank=True, help_text=_("e.g. 6 pillar, 1 emerging, 2 featured")
    )
    # GB/T 4754-2017 sections or divisions, comma separated ("C25,C26").
    gbt4754 = models.CharField(_("GB/T 4754 codes"), max_length=200, blank=True)
    aliases = models.CharField(
        _("aliases"),
        max_length=300,
        blank=True,
        help_text=_("Other names other offices use, comma separated; used when importing."),
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("industry")
        verbose_name_plural = _("industries")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name

    def gbt4754_codes(self) -> list[str]:
        return [c.strip() for c in self.gbt4754.split(",") if c.strip()]

    def alias_list(self) -> list[str]:
        return [a.strip() for a in self.aliases.replace("，", ",").split(",") if a.strip()]
