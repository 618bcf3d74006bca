"""Entering an actual and setting a target: the value is typed as people write it."""

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guanjia.accounts.models import Department, User
from guanjia.regions.models import Region

from .models import Indicator
from .periods import Period, PeriodError
from .services import parse_value


class ValueForm(forms.Form):
    indicator = forms.ModelChoiceField(label=_("Indicator"), queryset=Indicator.objects.none())
    period = forms.CharField(
        label=_("Period"),
        max_length=20,
        help_text=_("A year (2026), a quarter (2026Q3) or a month (2026-09)."),
    )
    region = forms.ModelChoiceField(
        label=_("Region"), queryset=Region.objects.none(), required=False
    )
    # A target may be a team's (招商小分队) or a person's instead of an area's.
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Department.objects.none(),
        required=False,
        help_text=_("For a team's target (assessment); leave the region empty."),
    )
    person = forms.ModelChoiceField(
        label=_("Person"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("For a person's target (assessment); leave the region empty."),
    )
    value = forms.CharField(
        label=pgettext_lazy("target", "Value"),
        max_length=40,
        help_text=_("In the indicator's unit, or with a unit: 612亿元, 3500万元, 120."),
    )
    note = forms.CharField(label=_("Source or note"), max_length=300, required=False)

    def __init__(
        self,
        *args: Any,
        indicators: QuerySet[Indicator],
        regions: QuerySet[Region],
        teams: QuerySet[Department] | None = None,
        people: QuerySet[User] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["indicator"].queryset = indicators  # type: ignore[attr-defined]
        self.fields["region"].queryset = regions  # type: ignore[attr-defined]
        if teams is None:  # entering an actual: an area's only
            del self.fields["team"], self.fields["person"]
            self.fields["region"].required = True
        else:
            self.fields["team"].queryset = teams  # type: ignore[attr-defined]
            self.fields["person"].queryset = people  # type: ignore[attr-defined]

    def clean_period(self) -> Period:
        try:
            return Period.parse(self.cleaned_data["period"])
        except PeriodError as exc:
            raise ValidationError(str(exc)) from exc

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        named = [f for f in ("region", "team", "person") if data.get(f)]
        if "team" in self.fields and len(named) != 1 and not self.errors:
            self.add_error(None, _("Name one of an area, a team or a person."))
        indicator = data.get("indicator")
        if indicator is not None and "value" in data:
            try:
                data["stored"] = parse_value(indicator, data["value"])
            except ValidationError as exc:
                self.add_error("value", exc)
        return data

    @property
    def stored(self) -> Decimal:
        return self.cleaned_data["stored"]
