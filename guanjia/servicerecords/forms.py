"""Forms for the service pages: they parse what was typed; `services` applies the rules."""

import datetime as dt
from typing import Any, cast

from django import forms
from django.db.models import Q, QuerySet
from django.db.models.fields import BLANK_CHOICE_LABEL
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from guanjia.accounts.models import Role, User
from guanjia.accounts.scope import ReferenceOutOfScope, region_path, region_q
from guanjia.core.widgets import DateInput
from guanjia.enterprises.access import referenceable_enterprises, referenced_enterprise
from guanjia.enterprises.models import Enterprise
from guanjia.projects.access import projects_for, referenceable_projects
from guanjia.projects.models import Project
from guanjia.regions.models import Region
from guanjia.requests.access import referenceable_requests, requests_for
from guanjia.requests.models import ServiceRequest

from . import access
from .models import Kind, ServiceRecord

# The enterprise select renders this many (plus the chosen one); the search box finds the rest.
ENTERPRISE_CHOICES_SHOWN = 200
PROJECT_CHOICES_SHOWN = 200
REQUEST_CHOICES_SHOWN = 50
MAX_PROBLEMS = 999


def _field(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:
    return cast(forms.ModelChoiceField, form.fields[name])


def _chosen_id(value: Any) -> int | None:
    value = getattr(value, "pk", value)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def stewards_in_scope(user: User) -> QuerySet[User]:
    """Active stewards whose own region is in the user's subtree (every one for city-wide)."""
    qs = User.objects.filter(role=Role.STEWARD, is_active=True).order_by("display_name", "username")
    if user.is_superuser or region_path(user) is None:
        return qs
    return qs.filter(region_q(user, "region"))


def regions_in_scope(user: User) -> QuerySet[Region]:
    qs = Region.objects.active()
    if user.is_superuser:
        return qs
    return qs.filter(region_q(user, ""))


def region_choices(regions: QuerySet[Region]) -> list[tuple[str, str]]:
    """Regions as select options, indented under their parents."""
    found = list(regions)
    top = min((r.level for r in found), default=0)
    return [(str(r.pk), "\u3000" * (r.level - top) + r.name) for r in found]


class _EnterpriseField(forms.ModelChoiceField):
    """The enterprise chosen, among those the user may name (the queryset, for the choices
    shown): checked by `referenced_enterprise` — its row by id, the scope's query only when
    the row does not show it is in scope — rather than the scope's query each time."""

    user: User | None = None

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        if isinstance(value, Enterprise):
            value = value.pk
        try:
            pk = int(value)
            return referenced_enterprise(self.user, pk, "enterprise")  # type: ignore[arg-type]
        except (TypeError, ValueError, ReferenceOutOfScope):
            raise forms.ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            ) from None


class RecordForm(forms.Form):
    """Log or correct one service. Laid out for a phone: one column, native date picker."""

    steward = forms.ModelChoiceField(label=_("Steward"), queryset=User.objects.none())
    enterprise = _EnterpriseField(label=_("Enterprise"), queryset=Enterprise.objects.none())
    project = forms.ModelChoiceField(
        label=_("Project"),
        queryset=Project.objects.none(),
        required=False,
        help_text=_("Optional: the enterprise's project the service was about."),
    )
    kind = forms.ChoiceField(label=_("Kind of service"), choices=Kind.choices)
    date = forms.DateField(label=_("Date"), widget=DateInput())
    summary = forms.CharField(
        label=_("What was done"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    problems_solved = forms.IntegerField(
        label=_("Problems solved"), min_value=0, max_value=MAX_PROBLEMS, initial=0
    )
    request = forms.ModelChoiceField(
        label=_("About request"),
        queryset=ServiceRequest.objects.none(),
        required=False,
        help_text=_("Optional: the enterprise's request this service answered."),
    )

    def __init__(
        self, *args: Any, user: User, record: ServiceRecord | None = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("label_suffix", "")
        if record is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "steward": record.steward_id,
                "enterprise": record.enterprise_id,
                "project": record.project_id,
                "kind": record.kind,
                "date": record.date,
                "summary": record.summary,
                "problems_solved": record.problems_solved,
                "request": record.request_id,
            }
        super().__init__(*args, **kwargs)
        self.user = user
        self.record = record
        today = timezone.localdate()
        self.fields["date"].initial = today
        self.fields["date"].widget.attrs["max"] = today.isoformat()
        if access.logs_for_others(user):
            keep = record.steward_id if record is not None else None
            stewards = access.referenceable_stewards(user)
            if keep:
                stewards = User.objects.filter(Q(pk__in=stewards.values("pk")) | Q(pk=keep))
            _field(self, "steward").queryset = stewards.select_related("region").order_by(
                "display_name", "username"
            )
        else:
            del self.fields["steward"]
        # The enterprise with its area, which logging the service reads.
        enterprises = referenceable_enterprises(user).select_related("region").order_by("name")
        _field(self, "enterprise").queryset = enterprises
        cast(_EnterpriseField, self.fields["enterprise"]).user = user
        self._enterprises = enterprises
        _field(self, "project").queryset = referenceable_projects(user)
        _field(self, "request").queryset = referenceable_requests(user)

    def chosen_enterprise(self) -> int | None:
        return _chosen_id(self["enterprise"].value())

    def limit_choices(self) -> "RecordForm":
        """Render a few options (validation still sees the whole queryset); called when the
        form is shown — a valid POST that logs the service reads none of them.

        The enterprise select shows the first enterprises by name plus the chosen one; the
        project and request selects show the chosen enterprise's own.
        """
        enterprises = self._enterprises
        chosen = self.chosen_enterprise()
        shown = list(enterprises[:ENTERPRISE_CHOICES_SHOWN])
        if chosen and all(e.pk != chosen for e in shown):
            shown = list(enterprises.filter(pk=chosen)) + shown
        self.fields["enterprise"].widget.choices = [
            ("", BLANK_CHOICE_LABEL),
            *[(e.pk, e.name) for e in shown],
        ]
        projects: list[tuple[Any, Any]] = []
        requests: list[tuple[Any, Any]] = []
        if chosen:
            of_enterprise = Q(enterprise_id=chosen) | Q(partners=chosen)
            projects = [
                (p.pk, p.name)
                for p in projects_for(self.user)
                .filter(of_enterprise)
                .distinct()
                .order_by("name")[:PROJECT_CHOICES_SHOWN]
            ]
            requests = [
                (r.pk, f"{r.number} {r.title}")
                for r in requests_for(self.user)
                .filter(enterprise_id=chosen)
                .order_by("-submitted_at")[:REQUEST_CHOICES_SHOWN]
            ]
        self.fields["project"].widget.choices = [("", _("— none —")), *projects]
        self.fields["request"].widget.choices = [("", _("— none —")), *requests]
        return self

    def clean_date(self) -> dt.date:
        date = self.cleaned_data["date"]
        if date > timezone.localdate():
            raise forms.ValidationError(_("A service cannot be logged in the future."))
        return date

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.setdefault("steward", None)
        return data


def _both_ways(key: str, label: Any) -> list[tuple[str, Any]]:
    return [(key, format_lazy("{} ↑", label)), (f"-{key}", format_lazy("{} ↓", label))]


DEFAULT_SORT = "-date"
SORTS = {
    "date": ("date", "id"),
    "steward": ("steward__display_name", "steward__username", "id"),
    "enterprise": ("enterprise__name", "id"),
    "kind": ("kind", "id"),
    "region": ("region__path", "id"),
    "problems": ("problems_solved", "id"),
}
SORT_CHOICES: list[tuple[str, Any]] = [
    (DEFAULT_SORT, _("Newest first")),
    ("date", _("Oldest first")),
    *_both_ways("steward", _("Steward")),
    *_both_ways("enterprise", _("Enterprise")),
    *_both_ways("kind", _("Kind of service")),
    *_both_ways("region", _("Area")),
    *_both_ways("problems", _("Problems solved")),
]


def order_by(sort: str) -> list[str]:
    key = sort.lstrip("-")
    fields = SORTS.get(key) or SORTS["date"]
    descending = sort.startswith("-") if key in SORTS else True
    return [f"-{f}" for f in fields] if descending else list(fields)


class RecordFilterForm(forms.Form):
    """The list's filters; `apply` narrows a queryset by whatever is valid among them."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("What was done, or enterprise")}
        ),
    )
    kind = forms.ChoiceField(
        label=_("Kind of service"), required=False, choices=[("", _("All kinds")), *Kind.choices]
    )
    steward = forms.ChoiceField(label=_("Steward"), required=False)
    area = forms.ChoiceField(label=_("Area"), required=False)
    start = forms.DateField(label=_("From"), required=False, widget=DateInput())
    end = forms.DateField(label=_("To"), required=False, widget=DateInput())
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORT_CHOICES)

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.user = user
        staff = access.logs_for_others(user) or user.role == Role.LEADER
        if staff:
            stewards = stewards_in_scope(user)
            people = User.objects.filter(
                Q(pk__in=stewards.values("pk"))
                | Q(pk__in=access.records_for(user).values("steward_id"))
            ).order_by("display_name", "username")
            cast(forms.ChoiceField, self.fields["steward"]).choices = [
                ("", _("All stewards")),
                *[(str(u.pk), str(u)) for u in people],
            ]
            cast(forms.ChoiceField, self.fields["area"]).choices = [
                ("", _("All areas")),
                *region_choices(regions_in_scope(user)),
            ]
        else:
            del self.fields["steward"]
            del self.fields["area"]

    def apply(self, qs: QuerySet[ServiceRecord]) -> QuerySet[ServiceRecord]:
        self.is_valid()  # a bad value is ignored, not an error page
        data = {k: v for k, v in getattr(self, "cleaned_data", {}).items() if v}
        if "q" in data:
            q = data["q"].strip()
            qs = qs.filter(Q(summary__icontains=q) | Q(enterprise__name__icontains=q))
        if "kind" in data:
            qs = qs.filter(kind=data["kind"])
        if "steward" in data:
            qs = qs.filter(steward_id=data["steward"])
        if "area" in data:
            area = Region.objects.filter(pk=data["area"]).first()
            if area is not None:
                qs = qs.filter(
                    region__in=Region.objects.filter(path__startswith=area.path).values("pk")
                )
        if "start" in data:
            qs = qs.filter(date__gte=data["start"])
        if "end" in data:
            qs = qs.filter(date__lte=data["end"])
        return qs.order_by(*order_by(data.get("sort") or DEFAULT_SORT))

    @property
    def filtered(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return any(data.get(k) for k in ("q", "kind", "steward", "area", "start", "end"))


PERIOD_CHOICES = [
    ("month", _("This month")),
    ("quarter", _("This quarter")),
    ("year", _("This year")),
    ("custom", _("Custom")),
]


class FiguresForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=PERIOD_CHOICES, required=False)
    start = forms.DateField(label=_("From"), required=False, widget=DateInput())
    end = forms.DateField(label=_("To"), required=False, widget=DateInput())
    area = forms.ChoiceField(label=_("Area"), required=False)
    by = forms.ChoiceField(
        label=_("Intake and reply by"),
        required=False,
        choices=[
            ("area", _("Area")),
            ("department", _("Department")),
            ("category", _("Category")),
        ],
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        if access.figures_scope(user) == "self":
            del self.fields["area"]
            del self.fields["by"]
        else:
            cast(forms.ChoiceField, self.fields["area"]).choices = [
                ("", _("My whole area")),
                *region_choices(regions_in_scope(user)),
            ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if data.get("period") == "custom":
            if not start or not end:
                raise forms.ValidationError(_("A custom period needs both dates."))
            if start > end:
                raise forms.ValidationError(_("The period ends before it starts."))
            if (end - start).days > 3660:
                raise forms.ValidationError(_("A period of at most ten years, please."))
        return data
