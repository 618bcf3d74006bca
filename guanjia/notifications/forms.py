"""The channels page's form: which kinds of notification go by SMS and to the group robot."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

# The kinds a person can route, by their prefix ("request." is every direct-line notice).
KIND_CHOICES = [
    ("request.", _("Direct-line requests (政企直通车)")),
    ("project.", _("Projects")),
    ("lead.", _("Leads")),
    ("policy.", _("Policies")),
    ("taskforce.", _("Task forces")),
    ("parks.", _("Parks and plots")),
    ("import.", _("Excel imports")),
]
KNOWN = {value for value, _label in KIND_CHOICES}


def _initial(kinds: str) -> list[str]:
    items = [k.strip() for k in kinds.split(",") if k.strip()]
    if "*" in items:
        return sorted(KNOWN)
    return [k for k in items if k in KNOWN]


class ChannelsForm(forms.Form):
    sms_phone = forms.CharField(
        label=_("Mobile phone for SMS"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        help_text=_("A mainland mobile number, e.g. 13812345678."),
    )
    sms_kinds = forms.MultipleChoiceField(
        label=_("By SMS"),
        choices=KIND_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    robot_kinds = forms.MultipleChoiceField(
        label=_("To my department's or area's group robot"),
        choices=KIND_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    @classmethod
    def initial_for(cls, row: Any) -> dict[str, Any]:
        return {
            # Until a number is chosen, the SMS go to the phone on the account.
            "sms_phone": row.sms_phone or getattr(row.user, "phone", ""),
            "sms_kinds": _initial(row.sms_kinds),
            "robot_kinds": _initial(row.robot_kinds),
        }
