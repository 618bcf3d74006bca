"""Forms for the enterprise pages. They parse and check what a clerk typed; services change
data."""

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guanjia.accounts.choices import scoped_regions, staff
from guanjia.accounts.models import Role, User
from guanjia.core.forms import model_choice_field
from guanjia.enterprises import creditcode
from guanjia.enterprises.access import may_move
from guanjia.enterprises.models import Enterprise, Ownership, validate_credit_code
from guanjia.industries.models import Industry
from guanjia.regions.models import Region


class EnterpriseFilterForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name or credit code")}),
    )
    ownership = forms.ChoiceField(
        label=_("Ownership"),
        required=False,
        choices=[("", _("All kinds of ownership")), *Ownership.choices],
    )


class EnterpriseForm(forms.ModelForm):
    credit_code = forms.CharField(
        label=_("Unified social credit code"),
        required=False,
        max_length=40,
        help_text=_(
            "18 characters (GB 32100-2015). Leave empty for an investor not yet "
            "registered in China."
        ),
    )

    class Meta:
        model = Enterprise
        fields = [
            "name",
            "credit_code",
            "ownership",
            "capital_origin",
            "home_city",
            "group",
            "contact_source",
            "interests",
            "region",
            "industry",
            "address",
            "description",
            "steward",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "interests": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        regions = scoped_regions(user)
        if self.instance.region_id and not may_move(user, self.instance):
            # registered in another area (seen through a project here): it stays there
            regions = Region.objects.filter(pk=self.instance.region_id)
        elif self.instance.region_id:
            regions = Region.objects.filter(Q(pk__in=regions) | Q(pk=self.instance.region_id))
        model_choice_field(self, "region").queryset = regions
        model_choice_field(self, "industry").queryset = Industry.objects.filter(active=True)
        model_choice_field(self, "interests").queryset = Industry.objects.filter(active=True)
        model_choice_field(self, "steward").queryset = staff(
            Role.STEWARD, user, self.instance.steward_id
        )

    def clean_credit_code(self) -> str | None:
        code = creditcode.normalise(self.cleaned_data.get("credit_code") or "")
        if not code:
            return None
        validate_credit_code(code)  # every problem, in words, unless the code is whitelisted
        return code

    def validate_unique(self) -> None:
        # The service checks the code is new and names the enterprise that already has it,
        # which helps more than the model's generic "already exists".
        return
