"""Forms of the event pages: planning, the guest list, the signing list. They parse what was
typed and take their choices from the access rules; `services` applies the rules."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from guanjia.accounts.choices import scoped_regions
from guanjia.accounts.models import User
from guanjia.core.forms import AmountField, model_choice_field
from guanjia.core.widgets import DateInput
from guanjia.enterprises.access import referenceable_enterprises
from guanjia.enterprises.models import Enterprise
from guanjia.industries.models import Industry
from guanjia.projects.access import referenceable_projects
from guanjia.projects.models import Project
from guanjia.regions.models import Region

from . import services
from .models import EventKind


class EventForm(forms.Form):
    """Plan an event: when, where, who organises it, its theme industries and its agenda."""

    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=EventKind.choices)
    date = forms.DateField(label=_("Date"), widget=DateInput())
    region = forms.ModelChoiceField(label=_("Host region"), queryset=Region.objects.none())
    location = forms.CharField(label=_("Venue"), max_length=120, required=False)
    organiser = forms.CharField(label=_("Organiser"), max_length=120, required=False)
    industries = forms.ModelMultipleChoiceField(
        label=_("Theme industries"),
        queryset=Industry.objects.filter(active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False)
    agenda = forms.CharField(
        label=_("Agenda"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        help_text=_("One item a line: time | title | speaker, e.g. 09:00 | 开幕致辞 | 市长"),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "region").queryset = scoped_regions(user)

    def clean_agenda(self) -> list[dict[str, str]]:
        try:
            return services.parse_agenda(self.cleaned_data.get("agenda") or "")
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["agenda"]) from None


def _enterprises(user: User) -> Any:
    return referenceable_enterprises(user).order_by("name")


class GuestForm(forms.Form):
    """Invite an enterprise (the city it comes from defaults to its home city)."""

    enterprise = forms.ModelChoiceField(label=_("Enterprise"), queryset=Enterprise.objects.none())
    city = forms.CharField(label=_("Comes from"), max_length=40, required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "enterprise").queryset = _enterprises(user)


class AttendeeForm(forms.Form):
    name = forms.CharField(label=_("Attendee"), max_length=60)
    title = forms.CharField(label=_("Title"), max_length=60, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)


class WalkInForm(GuestForm, AttendeeForm):
    """A walk-in: the enterprise and who came, added and checked in at once."""

    name = forms.CharField(label=_("Attendee"), max_length=60, required=False)


class RowForm(forms.Form):
    """A row of the signing list, prepared before the day."""

    project = forms.ModelChoiceField(label=_("Project"), queryset=Project.objects.none())
    government = forms.ModelChoiceField(
        label=_("Signing government"), queryset=Region.objects.none()
    )
    enterprises = forms.ModelMultipleChoiceField(
        label=_("Signing enterprises"),
        queryset=Enterprise.objects.none(),
        required=False,
        help_text=_("Leave empty for the project's own enterprise."),
    )
    amount_wan = AmountField(label=_("Contracted amount"))
    position = forms.IntegerField(label=_("Order"), min_value=1, max_value=999, required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "project").queryset = referenceable_projects(user).order_by("name")
        model_choice_field(self, "government").queryset = scoped_regions(user)
        model_choice_field(self, "enterprises").queryset = _enterprises(user)
