"""The enquiry form: who asks, and what the project would need."""

from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from guanjia.core.bounds import validate_name
from guanjia.industries.models import Industry

# The field a person never sees (hidden by the stylesheet, skipped by screen readers): a
# robot that fills it in is refused.
HONEYPOT = "website"


def _amount(label: Any, maximum: int) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(maximum))],
    )


class EnquiryForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=40, validators=[validate_name])
    organisation = forms.CharField(
        label=_("Organisation"), max_length=120, validators=[validate_name]
    )
    contact = forms.CharField(
        label=_("Phone or email"), max_length=120, help_text=_("How the bureau can reach you.")
    )
    industry = forms.ModelChoiceField(
        label=_("Industry"), queryset=Industry.objects.none(), required=False
    )
    interest = forms.CharField(
        label=_("Your project or interest"),
        max_length=200,
        required=False,
        validators=[validate_name],
    )
    land_mu = _amount(_("Land needed (mu)"), 1_000_000)
    power_kva = _amount(_("Power needed (kVA)"), 10**9)
    investment_wan = _amount(_("Planned investment (10k yuan)"), 10**9)
    website = forms.CharField(label=_("Leave this field empty"), required=False)

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        industry = self.fields["industry"]
        assert isinstance(industry, forms.ModelChoiceField)
        industry.queryset = Industry.objects.filter(active=True).order_by("sort_order", "pk")
        self.fields[HONEYPOT].widget.attrs.update({"autocomplete": "off", "tabindex": "-1"})

    def is_robot(self) -> bool:
        return bool((self.data.get(HONEYPOT) or "").strip())
