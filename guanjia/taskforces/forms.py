from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanjia.core.bounds import text_limit, validate_name
from guanjia.core.forms import DateInput
from guanjia.projects.models import Project

from . import services
from .models import Decision, Meeting


class MeetingForm(forms.Form):
    held_on = forms.DateField(label=_("Held on"), widget=DateInput())
    title = forms.CharField(label=_("Subject"), max_length=200, validators=[validate_name])
    attendees = forms.CharField(label=_("Attendees"), max_length=500, required=False)
    minutes = forms.CharField(
        label=_("Minutes"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=text_limit(Meeting, "minutes"),
    )


class ActionItemForm(forms.Form):
    text = forms.CharField(label=_("What is to be done"), max_length=300)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=services.User.objects.none())
    due_on = forms.DateField(label=_("Due on"), widget=DateInput())

    def __init__(self, project: Project, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = services.owners_for(project)  # type: ignore[attr-defined]


class DecisionForm(forms.Form):
    decided_on = forms.DateField(label=_("Decided on"), widget=DateInput())
    subject = forms.CharField(label=_("Matter"), max_length=200)
    decision = forms.CharField(
        label=_("Decision"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=text_limit(Decision, "decision"),
    )
    decided_by = forms.CharField(label=_("Decided by"), max_length=100)
