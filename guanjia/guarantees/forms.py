from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanjia.accounts.models import Department, User
from guanjia.accounts.scope import referenceable_departments
from guanjia.core.bounds import AMOUNT_WAN_MAX, ENERGY_TCE_MAX, LAND_MU_MAX
from guanjia.projects.stages import Stage

from .models import Kind, Status


class GuaranteeForm(forms.Form):
    """One guarantee's update; only the fields the form posts are changed."""

    kind = forms.ChoiceField(label=_("kind"), choices=Kind.choices)
    status = forms.ChoiceField(label=_("status"), choices=Status.choices, required=False)
    land_mu = forms.DecimalField(
        label=_("land area (mu)"), required=False, min_value=0, max_value=LAND_MU_MAX
    )
    energy_tce = forms.DecimalField(
        label=_("energy quota (tce)"), required=False, min_value=0, max_value=ENERGY_TCE_MAX
    )
    env_level = forms.CharField(label=_("assessment level"), required=False, max_length=40)
    approval_number = forms.CharField(label=_("approval number"), required=False, max_length=80)
    finance_needed_wan = forms.DecimalField(
        label=_("finance needed (10k yuan)"),
        required=False,
        min_value=0,
        max_value=AMOUNT_WAN_MAX,
    )
    finance_secured_wan = forms.DecimalField(
        label=_("finance secured (10k yuan)"),
        required=False,
        min_value=0,
        max_value=AMOUNT_WAN_MAX,
    )
    department = forms.ModelChoiceField(
        label=_("responsible department"), queryset=Department.objects.all(), required=False
    )
    due_on = forms.DateField(label=_("due date"), required=False)
    note = forms.CharField(label=_("note"), required=False, max_length=300)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Departments of the user's area and above (`scope.referenceable_departments`).
        field = self.fields["department"]
        field.queryset = referenceable_departments(user)  # type: ignore[attr-defined]


class OverrideForm(forms.Form):
    stage = forms.ChoiceField(label=_("stage"), choices=Stage.choices)
    reason = forms.CharField(label=_("reason"), max_length=300)
