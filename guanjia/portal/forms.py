"""The enquiry form: who asks, and what the project would need."""

from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from guanjia.core.bounds import LAND_MU_MAX, validate_name
from guanjia.industries.models import Industry
from guanjia.parks.models import LandUse, Park, Plot, Status

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
    # The plot the enquiry is about ("enquire about this plot" on a plot's card); it must still
    # be on offer when the enquiry is sent.
    plot = forms.ModelChoiceField(
        queryset=Plot.objects.none(),
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("This plot is no longer available.")},
    )
    website = forms.CharField(label=_("Leave this field empty"), required=False)

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        industry = self.fields["industry"]
        assert isinstance(industry, forms.ModelChoiceField)
        industry.queryset = Industry.objects.filter(active=True).order_by("sort_order", "pk")
        plot = self.fields["plot"]
        assert isinstance(plot, forms.ModelChoiceField)
        plot.queryset = Plot.objects.filter(status=Status.AVAILABLE).select_related("park")
        self.fields[HONEYPOT].widget.attrs.update({"autocomplete": "off", "tabindex": "-1"})

    def is_robot(self) -> bool:
        return bool((self.data.get(HONEYPOT) or "").strip())


class PlotSearch(forms.Form):
    """The portal's land search: industry, size (亩), spare power (kVA), land use, park."""

    industry = forms.ModelChoiceField(
        label=_("Industry"), queryset=Industry.objects.none(), required=False, empty_label="—"
    )
    min_mu = _amount(_("Land at least (mu)"), int(LAND_MU_MAX))
    min_kva = _amount(_("Spare power at least (kVA)"), 10**9)
    land_use = forms.ChoiceField(
        label=_("Land use"), choices=[("", "—"), *LandUse.choices], required=False
    )
    park = forms.ModelChoiceField(
        label=_("Park"), queryset=Park.objects.none(), required=False, empty_label="—"
    )

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        industry = self.fields["industry"]
        assert isinstance(industry, forms.ModelChoiceField)
        industry.queryset = Industry.objects.filter(active=True).order_by("sort_order", "pk")
        park = self.fields["park"]
        assert isinstance(park, forms.ModelChoiceField)
        park.queryset = Park.objects.order_by("name")
        self.is_valid()

    def filters(self) -> dict[str, Any]:
        """The valid filters as `access.find_plots` takes them (a wrong one is left out)."""
        data = getattr(self, "cleaned_data", {})
        industry, park = data.get("industry"), data.get("park")
        return {
            "industry": industry.pk if industry else None,
            "min_mu": data.get("min_mu"),
            "min_kva": data.get("min_kva"),
            "land_use": data.get("land_use") or None,
            "park": park.pk if park else None,
        }
