"""Forms for the project pages. They parse and check what a clerk typed; services change data."""

import datetime as dt
from typing import Any

from django import forms
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.db.models.fields import BLANK_CHOICE_LABEL
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from guanjia.accounts.choices import region_choices, scoped_regions, staff
from guanjia.accounts.models import Role, User
from guanjia.accounts.scope import region_path
from guanjia.core.forms import AmountField, DateInput, choice_field, model_choice_field
from guanjia.enterprises.access import referenceable_enterprises
from guanjia.enterprises.models import Enterprise
from guanjia.industries.models import Industry
from guanjia.projects.access import can_create_in
from guanjia.projects.ledger import DEFAULT_SORT
from guanjia.projects.models import Level, Project, StallKind
from guanjia.projects.services import allowed_moves
from guanjia.projects.stages import LINE, ORDER, Stage
from guanjia.regions.models import Region

# A select of every enterprise would be megabytes at province scale; the form lists this many
# (plus the ones already chosen) and the search box fetches the rest.
ENTERPRISE_CHOICES_SHOWN = 200


def _both_ways(key: str, label: Any) -> list[tuple[str, Any]]:
    return [
        (key, format_lazy("{} ↑", label)),
        (f"-{key}", format_lazy("{} ↓", label)),
    ]


SORT_CHOICES: list[tuple[str, Any]] = [
    (DEFAULT_SORT, _("Newest entries first")),
    *_both_ways("name", _("Project name")),
    *_both_ways("investment", _("Total investment")),
    *_both_ways("stage", _("Stage")),
    *_both_ways("signed_on", _("Signed on")),
    *_both_ways("region", _("Region")),
]


class LedgerFilterForm(forms.Form):
    """The ledger list's filters; only for showing them: `LedgerFilter` applies them."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Project, enterprise or credit code")}
        ),
    )
    region = forms.ChoiceField(label=_("Region"), required=False)
    industry = forms.ChoiceField(label=_("Industry"), required=False)
    stage = forms.ChoiceField(
        label=_("Stage"), required=False, choices=[("", _("All stages")), *Stage.choices]
    )
    level = forms.ChoiceField(
        label=_("Level"), required=False, choices=[("", _("All levels")), *Level.choices]
    )
    stalled = forms.ChoiceField(
        label=_("Stalled"),
        required=False,
        choices=[("", _("Any")), ("1", _("Stalled (any list)")), *StallKind.choices],
    )
    # Links from the cockpit: a stage set (reached, i.e. at it or beyond) and a period on a
    # stage's date (signed by default), e.g. ?period=2026&reached=registered.
    reached = forms.ChoiceField(
        label=_("Reached"),
        required=False,
        choices=[("", _("Any")), *((s, Stage(s).label) for s in LINE)],
    )
    dated = forms.ChoiceField(
        label=_("Date of"),
        required=False,
        choices=[("", Stage.SIGNED.label), *((s, Stage(s).label) for s in LINE[3:7])],
    )
    period = forms.CharField(
        label=_("Period"),
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"placeholder": _("2026 or 2026-03"), "size": 8}),
    )
    # The column headers sort too; this select is for phones, where the headers fold away.
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORT_CHOICES)

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        regions, industries = filter_choices(user)
        choice_field(self, "region").choices = [("", _("All regions")), *regions]
        choice_field(self, "industry").choices = [("", _("All industries")), *industries]


REFERENCE_VERSION = "ledger:reference-version"


def reference_changed(**kwargs: Any) -> None:
    """A region or an industry was saved or deleted: cached filter choices are stale."""
    cache.set(REFERENCE_VERSION, timezone.now().timestamp(), None)


def reference_version() -> Any:
    """The regions' and industries' version: `reference_changed` moves it."""
    return cache.get_or_set(REFERENCE_VERSION, lambda: timezone.now().timestamp(), None)


def filter_choices(user: User) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The ledger filters' region and industry options for the user's part of the tree. Every
    list page shows them, and they change only when the reference data does (see
    `reference_changed`), so they are cached under its version."""
    version = reference_version()
    key = f"ledger:filter-choices:{version}:{region_path(user) or '*'}"
    found = cache.get(key)
    if found is None:
        found = (
            region_choices(scoped_regions(user)),
            [(str(i.pk), i.name) for i in Industry.objects.filter(active=True)],
        )
        cache.set(key, found, 3600)
    return found


def _chosen_ids(value: Any) -> list[int]:
    values = value if isinstance(value, list | tuple) else [value]
    ids = []
    for v in values:
        v = getattr(v, "pk", v)
        if isinstance(v, int) or (isinstance(v, str) and v.isdigit()):
            ids.append(int(v))
    return ids


class ProjectForm(forms.ModelForm):
    """A project's facts. The stage is changed by a stage move, never here."""

    total_investment_wan = AmountField(label=_("Total investment"))
    planned_investment_year_wan = AmountField(
        label=_("Planned investment this year"), required=False
    )
    completed_investment_year_wan = AmountField(
        label=_("Completed investment this year"), required=False
    )
    funds_in_place_wan = AmountField(label=_("Funds in place"), required=False)

    class Meta:
        model = Project
        fields = [
            "name",
            "enterprise",
            "partners",
            "region",
            "industry",
            "level",
            "total_investment_wan",
            "plan_year",
            "planned_investment_year_wan",
            "completed_investment_year_wan",
            "funds_in_place_wan",
            "construction_content",
            "steward",
            "leader",
            "task_force",
        ]
        widgets = {"construction_content": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.user = user
        enterprises = referenceable_enterprises(user).order_by("name")
        model_choice_field(self, "enterprise").queryset = enterprises
        model_choice_field(self, "partners").queryset = enterprises
        self._show_some_enterprises("enterprise", enterprises)
        self._show_some_enterprises("partners", enterprises)
        regions = scoped_regions(user)
        if self.instance.region_id:  # a project may stay where it is, not move out of scope
            regions = Region.objects.filter(Q(pk__in=regions) | Q(pk=self.instance.region_id))
        model_choice_field(self, "region").queryset = regions
        model_choice_field(self, "industry").queryset = Industry.objects.filter(active=True)
        model_choice_field(self, "steward").queryset = staff(
            Role.STEWARD, user, self.instance.steward_id
        )
        model_choice_field(self, "leader").queryset = staff(
            Role.LEADER, user, self.instance.leader_id
        )

    def _show_some_enterprises(self, name: str, qs: QuerySet[Enterprise]) -> None:
        """Render the first enterprises by name plus the chosen ones; validation sees all."""
        field = self.fields[name]
        chosen = _chosen_ids(self[name].value())
        shown = list(qs[:ENTERPRISE_CHOICES_SHOWN])
        missing = set(chosen) - {e.pk for e in shown}
        if missing:
            shown = list(qs.filter(pk__in=missing)) + shown
        choices = [(e.pk, e.name) for e in shown]
        field.widget.choices = (
            choices if name == "partners" else [("", BLANK_CHOICE_LABEL), *choices]
        )

    def clean_steward(self) -> User | None:
        steward = self.cleaned_data.get("steward")
        if steward is None and self.user.role == Role.STEWARD and not self.instance.pk:
            return self.user  # a steward who enters a project serves it
        return steward


class ProjectCreateForm(ProjectForm):
    stage = forms.ChoiceField(
        label=_("Starting stage"), choices=[(s, Stage(s).label) for s in LINE], initial=Stage.LEAD
    )
    stage_on = forms.DateField(
        label=_("Stage reached on"),
        required=False,
        widget=DateInput(),
        help_text=_("Leave empty for today."),
    )

    field_order = [*ProjectForm.Meta.fields[:6], "stage", "stage_on"]

    def clean_region(self) -> Region | None:
        region = self.cleaned_data.get("region")
        if region is not None and not can_create_in(self.user, region.pk):
            raise ValidationError(
                _("You cannot add projects in %(region)s."), params={"region": region}
            )
        return region

    def clean_stage_on(self) -> dt.date | None:
        on = self.cleaned_data.get("stage_on")
        if on and on > timezone.localdate():
            raise ValidationError(_("A stage cannot be reached in the future."))
        return on


def correction_targets(project: Project) -> list[str]:
    """Earlier stages a project may be corrected back to (with a reason)."""
    if project.stage == Stage.WITHDRAWN:
        return [s for s in LINE if project.stage_date(s)] or list(LINE)
    return list(LINE[: ORDER[project.stage]])


class TransitionForm(forms.Form):
    """A stage move. The choices offered are the lifecycle's; the service has the last word."""

    to_stage = forms.ChoiceField(label=_("Move to"), choices=Stage.choices)
    on = forms.DateField(label=_("Date"), widget=DateInput(), initial=timezone.localdate)
    evidence = forms.CharField(
        label=_("Evidence"),
        required=False,
        max_length=300,
        help_text=_("The document, licence or meeting that shows the move."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=300,
        help_text=_("Needed to withdraw a project or to correct it back to an earlier stage."),
    )
    confirm = forms.BooleanField(
        label=_("Yes, withdraw this project"),
        required=False,
        help_text=_("Needed to withdraw a project: a withdrawn project leaves the pipeline."),
    )

    def __init__(self, project: Project, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        # Offer only the moves that make sense; any other posted stage still reaches
        # `transition`, whose refusal says why (rather than a bare "invalid choice").
        groups: list[tuple[str, list[tuple[str, Any]]]] = []
        forward = allowed_moves(project)
        if forward:
            groups.append((str(_("Next stage")), [(s, Stage(s).label) for s in forward]))
        back = correction_targets(project)
        if back:
            groups.append(
                (str(_("Correct back to (give a reason)")), [(s, Stage(s).label) for s in back])
            )
        self.fields["to_stage"].widget.choices = groups

    def clean(self) -> dict[str, Any]:
        """Withdrawing (终止) is destructive: it takes a reason and the ticked confirmation."""
        data = super().clean() or {}
        if data.get("to_stage") == Stage.WITHDRAWN:
            if not (data.get("reason") or "").strip():
                self.add_error("reason", _("say why the project is withdrawn"))
            if not data.get("confirm"):
                self.add_error("confirm", _("Tick the box to confirm."))
        return data
