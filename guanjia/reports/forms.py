"""The report list's filters and the "generate now" form."""

import datetime as dt
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanjia.accounts.models import User
from guanjia.core.forms import DateInput
from guanjia.regions.models import Region
from guanjia.servicerecords.forms import region_choices

from . import access
from .models import Report, ReportKind

ALL = "all"


def _last_week() -> dt.date:
    return timezone.localdate() - dt.timedelta(days=7)


class ReportFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All reports")), *ReportKind.choices]
    )
    area = forms.ChoiceField(label=_("Area"), required=False)

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["area"]).choices = [
            ("", _("All areas")),
            *region_choices(access.areas_for(user)),
        ]

    def apply(self, qs: QuerySet[Report]) -> QuerySet[Report]:
        if not self.is_valid():
            return qs
        if self.cleaned_data["kind"]:
            qs = qs.filter(kind=self.cleaned_data["kind"])
        if self.cleaned_data["area"]:
            qs = qs.filter(region_id=self.cleaned_data["area"])
        return qs

    @property
    def filtered(self) -> bool:
        return self.is_valid() and any(self.cleaned_data.values())


class GenerateForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ReportKind.choices)
    day = forms.DateField(
        label=_("A day in the period"),
        widget=DateInput(),
        initial=_last_week,
        help_text=_("The report covers the week (Monday to Sunday) or month of this day."),
    )
    area = forms.ChoiceField(label=_("Area"))

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        choices = region_choices(access.areas_for(user))
        if access.may_report_on_all(user):
            choices = [(ALL, str(_("All areas"))), *choices]
        cast(forms.ChoiceField, self.fields["area"]).choices = choices

    def clean_day(self) -> dt.date:
        day: dt.date = self.cleaned_data["day"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("A report covers a period that has begun."))
        return day

    def region(self) -> Region | None:
        value = self.cleaned_data["area"]
        return None if value == ALL else Region.objects.get(pk=value)
