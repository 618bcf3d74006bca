"""Forms of the event pages: planning, the guest list, the signing list. They parse what was
typed and take their choices from the access rules; `services` applies the rules."""

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
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


def _lookup(queryset: Any, by: tuple[str, ...], text: str) -> Any:
    """The one row of `queryset` whose id or exact `by` field (name, credit code) is `text`."""
    cond = Q()
    for field in by:
        cond |= Q(**{field: text})
    if text.isdigit() and len(text) < 16:
        cond |= Q(pk=int(text))
    found = list(queryset.filter(cond)[:2])
    if len(found) != 1:
        raise ValidationError(
            _("“%(value)s” names no single one you may choose: type its full name or code."),
            code="invalid_choice",
            params={"value": text},
        )
    return found[0]


class LookupField(forms.ModelChoiceField):
    """A choice among thousands of rows (enterprises, projects) typed rather than picked from
    a list: its full name (or credit code) or its id. A select of every enterprise made the
    guest list page take seconds at 20,000 enterprises (bench/leads.py)."""

    def __init__(self, *args: Any, by: tuple[str, ...] = ("name",), **kwargs: Any) -> None:
        self.by = by
        kwargs.setdefault("widget", forms.TextInput)
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        return _lookup(self.queryset, self.by, str(value).strip())

    def prepare_value(self, value: Any) -> Any:
        if hasattr(value, "_meta"):
            return getattr(value, self.by[0])
        return value


class LookupMultipleField(forms.ModelMultipleChoiceField):
    """Several rows typed, one a line (or separated by commas): see `LookupField`."""

    widget = forms.Textarea(attrs={"rows": 2})

    def __init__(self, *args: Any, by: tuple[str, ...] = ("name",), **kwargs: Any) -> None:
        self.by = by
        kwargs.setdefault("queryset", Enterprise.objects.none())
        super().__init__(*args, **kwargs)

    def clean(self, value: Any) -> Any:
        parts = value if isinstance(value, (list, tuple)) else [value]
        texts = [
            t.strip()
            for part in parts
            for t in re.split(r"[\n,，;；]", str(part or ""))
            if t.strip()
        ]
        if not texts and self.required:
            raise ValidationError(self.error_messages["required"], code="required")
        found = [_lookup(self.queryset, self.by, t) for t in texts]
        return Enterprise.objects.filter(pk__in=[row.pk for row in found])

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return "\n".join(str(getattr(v, self.by[0], v)) for v in value)
        return value


class GuestForm(forms.Form):
    """Invite an enterprise (the city it comes from defaults to its home city)."""

    enterprise = LookupField(
        label=_("Enterprise"),
        queryset=Enterprise.objects.none(),
        by=("name", "credit_code"),
        help_text=_("Its full name or unified social credit code."),
    )
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

    project = LookupField(
        label=_("Project"),
        queryset=Project.objects.none(),
        help_text=_("Its full name as in the ledger, or its number."),
    )
    government = forms.ModelChoiceField(
        label=_("Signing government"), queryset=Region.objects.none()
    )
    enterprises = LookupMultipleField(
        label=_("Signing enterprises"),
        by=("name", "credit_code"),
        required=False,
        help_text=_(
            "Full names or credit codes, one a line; leave empty for the project's own enterprise."
        ),
    )
    amount_wan = AmountField(label=_("Contracted amount"))
    position = forms.IntegerField(label=_("Order"), min_value=1, max_value=999, required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "project").queryset = referenceable_projects(user).order_by("name")
        model_choice_field(self, "government").queryset = scoped_regions(user)
        model_choice_field(self, "enterprises").queryset = _enterprises(user)
