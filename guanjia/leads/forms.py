"""Forms of the lead pages: they parse what was typed and take their choices from `access`
and `accounts.scope` (what the user may name); `services` check and save."""

from typing import Any, cast

from django import forms
from django.db.models import Case, Q, QuerySet, When
from django.utils.translation import gettext_lazy as _

from guanjia.accounts.choices import region_choices
from guanjia.accounts.models import User
from guanjia.accounts.scope import referenceable
from guanjia.core.forms import AmountField, model_choice_field
from guanjia.core.widgets import DateInput
from guanjia.enterprises.models import ContactSource, Enterprise, Ownership
from guanjia.industries.models import Industry
from guanjia.projects.stages import Stage
from guanjia.regions.models import Region

from . import access, counts
from .models import Kind, Lead, NegotiationRecord, Status

# A search matching at most this many investors passes their ids; more stay a subquery.
SEARCH_ID_LIMIT = 200

SORTS = {
    "-updated": "-updated_at",
    "updated": "updated_at",
    "name": "name",
    "-name": "-name",
    "investor": "investor__name",
    "-investor": "-investor__name",
    "investment": "investment_wan",
    "-investment": "-investment_wan",
    "last_contact": "last_contact_on",
    "-last_contact": "-last_contact_on",
    "follow_up": "next_follow_up_on",
    "-follow_up": "-next_follow_up_on",
    "status": "status",
    "-status": "-status",
}
SORT_CHOICES = [
    ("-updated", _("Latest change first")),
    ("-investment", _("Largest investment first")),
    ("follow_up", _("Next follow-up first")),
    ("last_contact", _("Longest without contact first")),
    ("name", _("Project name")),
    ("investor", _("Investor")),
]


class LeadFilterForm(forms.Form):
    """The list's and the board's filters; `apply` narrows a queryset by what is valid."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Project or investor")}),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *Status.choices]
    )
    team = forms.ChoiceField(label=_("Team"), required=False)
    owner = forms.ChoiceField(label=_("Owner"), required=False)
    area = forms.ChoiceField(label=_("Area"), required=False)
    industry = forms.ChoiceField(label=_("Industry"), required=False)
    source = forms.ChoiceField(
        label=_("Source"), required=False, choices=[("", _("All sources")), *ContactSource.choices]
    )
    stale = forms.BooleanField(label=_("Stale only"), required=False)
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORT_CHOICES)

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        seen = access.leads_for(user)
        choices = cast(dict[str, forms.ChoiceField], self.fields)
        # "Of the leads the user sees": a scan of every lead seen (200,000 for the city, 50-85 ms
        # a page in bench/leads.py), so cached under the data's version (see `counts`).
        departments = referenceable(user, "department").filter(
            pk__in=counts.distinct_ids(seen, "department_id")
        )
        choices["team"].choices = [
            ("", _("All teams")),
            *[(str(d.pk), d.name) for d in departments],
        ]
        people = (
            User.objects.filter(pk__in=counts.distinct_ids(seen, "owner_id"))
            .only("display_name", "first_name", "last_name", "username")  # what str() shows
            .order_by("display_name", "username")
        )
        choices["owner"].choices = [("", _("All owners")), *[(str(u.pk), str(u)) for u in people]]
        regions = Region.objects.filter(
            pk__in=counts.distinct_ids(seen, "region_id")
        ) | referenceable(user, "region")
        choices["area"].choices = [
            ("", _("All areas")),
            *region_choices(regions.distinct().only("name", "path", "sort_order")),
        ]
        choices["industry"].choices = [
            ("", _("All industries")),
            *[(str(i.pk), i.name) for i in Industry.objects.filter(active=True)],
        ]

    def apply(self, qs: QuerySet[Lead], *, stale_before: Any = None) -> QuerySet[Lead]:
        self.is_valid()  # a bad value is ignored, not an error page
        data = {k: v for k, v in getattr(self, "cleaned_data", {}).items() if v}
        if "q" in data:
            q = data["q"].strip()
            # The investors matched first, as a short list of ids when it is short: each side
            # then uses its own trigram index on PostgreSQL (an OR across a join cannot).
            investors = Enterprise.objects.filter(
                Q(name__icontains=q) | Q(group__icontains=q)
            ).values_list("pk", flat=True)
            ids = list(investors[: SEARCH_ID_LIMIT + 1])
            matched = ids if len(ids) <= SEARCH_ID_LIMIT else investors
            qs = qs.filter(Q(name__icontains=q) | Q(investor__in=matched))
        for key, field in (
            ("status", "status"),
            ("team", "department_id"),
            ("owner", "owner_id"),
            ("industry", "industry_id"),
            ("source", "source"),
        ):
            if key in data:
                qs = qs.filter(**{field: data[key]})
        if "area" in data:
            area = Region.objects.filter(pk=data["area"]).first()
            if area is not None:
                qs = qs.filter(
                    region__in=Region.objects.filter(path__startswith=area.path).values("pk")
                )
        if data.get("stale") and stale_before is not None:
            qs = qs.filter(status__in=[Status.LEAD, Status.CONTACT, Status.NEGOTIATING]).filter(
                Q(last_contact_on__lt=stale_before)
                | Q(last_contact_on__isnull=True, lead_on__lt=stale_before)
            )
        return qs.order_by(SORTS.get(data.get("sort", ""), "-updated_at"), "-id")

    @property
    def filtered(self) -> bool:
        return any(v for k, v in getattr(self, "cleaned_data", {}).items() if k != "sort")


class LeadForm(forms.Form):
    """A lead: an existing investor (one the user may name), or a new one typed here."""

    investor = forms.ModelChoiceField(
        label=_("Investor"), queryset=Enterprise.objects.none(), required=False
    )
    new_investor = forms.CharField(
        label=_("Or a new investor"),
        required=False,
        max_length=120,
        help_text=_("The enterprise's name, when it is not in the list yet."),
    )
    new_home_city = forms.CharField(label=_("Its home city"), required=False, max_length=40)
    new_group = forms.CharField(label=_("Its group"), required=False, max_length=120)
    new_ownership = forms.ChoiceField(
        label=_("Its ownership"), required=False, choices=Ownership.choices
    )
    different = forms.BooleanField(
        label=_("It is a different enterprise from those suggested"), required=False
    )
    name = forms.CharField(label=_("Intended project"), max_length=200)
    industry = forms.ModelChoiceField(
        label=_("Industry"), queryset=Industry.objects.none(), required=False
    )
    investment_wan = AmountField(label=_("Intended investment"), required=False)
    land_mu = forms.DecimalField(
        label=_("Land (mu)"), required=False, min_value=0, max_digits=18, decimal_places=4
    )
    power_kva = forms.DecimalField(
        label=_("Power (kVA)"), required=False, min_value=0, max_digits=18, decimal_places=4
    )
    energy_tce = forms.DecimalField(
        label=_("Energy (tce a year)"), required=False, min_value=0, max_digits=18, decimal_places=4
    )
    water_tons = forms.DecimalField(
        label=_("Water (tonnes a day)"),
        required=False,
        min_value=0,
        max_digits=18,
        decimal_places=4,
    )
    workers = forms.IntegerField(label=_("Workers"), required=False, min_value=0)
    needs_port = forms.BooleanField(label=_("Needs a port"), required=False)
    needs_rail = forms.BooleanField(label=_("Needs a rail siding"), required=False)
    max_price_wan_per_mu = forms.DecimalField(
        label=_("Land price at most (10k yuan per mu)"),
        required=False,
        min_value=0,
        max_digits=18,
        decimal_places=4,
    )
    source = forms.ChoiceField(label=_("Source"), choices=ContactSource.choices)
    region = forms.ModelChoiceField(label=_("Area"), queryset=Region.objects.none())
    department = forms.ModelChoiceField(
        label=_("Team"), queryset=Region.objects.none(), required=False
    )
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none(), required=False)
    project = forms.ModelChoiceField(
        label=_("Ledger project it continues"),
        queryset=Region.objects.none(),
        required=False,
        help_text=_("Only when the project is already in the ledger as a lead or in negotiation."),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    FACTS = (
        "name", "industry", "investment_wan", "land_mu", "power_kva", "energy_tce",
        "water_tons", "workers", "needs_port", "needs_rail", "max_price_wan_per_mu", "source", "region", "department", "owner", "project", "notes",
    )  # fmt: skip

    def __init__(self, *args: Any, user: User, lead: Lead | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.user = user
        self.lead = lead
        self.suggestions: list[Enterprise] = []
        keep = lambda f: Q(pk=getattr(lead, f"{f}_id")) if lead else Q(pk__in=[])  # noqa: E731
        model_choice_field(self, "investor").queryset = Enterprise.objects.filter(
            Q(pk__in=referenceable(user, "enterprise").values("pk")) | keep("investor")
        )
        model_choice_field(self, "industry").queryset = Industry.objects.filter(active=True)
        model_choice_field(self, "region").queryset = referenceable(user, "region")
        model_choice_field(self, "department").queryset = referenceable(user, "department")
        model_choice_field(self, "owner").queryset = access.referenceable_owners(user).order_by(
            "display_name", "username"
        )
        # Projects the user may name that no lead continues yet; the service says which stages
        # a lead may continue (lead, negotiating), ordered first here.
        model_choice_field(self, "project").queryset = (
            referenceable(user, "project")
            .filter(Q(lead__isnull=True) | keep("project"))
            .order_by(
                Case(
                    When(stage__in=[Stage.LEAD, Stage.NEGOTIATING], then=0),
                    default=1,
                ),
                "name",
            )
        )
        if lead is not None:
            for name in (
                "new_investor",
                "new_home_city",
                "new_group",
                "new_ownership",
                "different",
            ):
                del self.fields[name]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.lead is not None:
            return data
        from guanjia.enterprises.services import similar_enterprises

        new = (data.get("new_investor") or "").strip()
        if data.get("investor") is None and not new:
            self.add_error("investor", _("Choose the investor, or type a new one's name."))
        elif data.get("investor") is not None and new:
            self.add_error("new_investor", _("Choose an investor or type a new one, not both."))
        elif new and not data.get("different"):
            self.suggestions = [
                e for e, _score in similar_enterprises(new, referenceable(self.user, "enterprise"))
            ]
            if self.suggestions:
                self.add_error(
                    "new_investor",
                    _("Perhaps the same as: %(names)s. Choose it above, or tick the box below.")
                    % {"names": "、".join(e.name for e in self.suggestions)},
                )
        return data

    def new_investor_fields(self) -> dict[str, Any] | None:
        new = (self.cleaned_data.get("new_investor") or "").strip()
        if not new:
            return None
        return {
            "name": new,
            "home_city": self.cleaned_data.get("new_home_city", "").strip(),
            "group": self.cleaned_data.get("new_group", "").strip(),
            "ownership": self.cleaned_data.get("new_ownership") or Ownership.PRIVATE,
            "contact_source": self.cleaned_data.get("source", ""),
        }

    def service_kwargs(self) -> dict[str, Any]:
        data = {name: self.cleaned_data.get(name) for name in self.FACTS}
        if self.cleaned_data.get("investor") is not None:
            data["investor"] = self.cleaned_data["investor"]
        elif self.lead is None:
            data["new_investor"] = self.new_investor_fields()
        data["notes"] = data["notes"] or ""
        return data


class RecordForm(forms.ModelForm):
    class Meta:
        model = NegotiationRecord
        fields = [
            "kind", "date", "place", "our_side", "their_side", "asked", "offered", "outcome",
            "next_step", "next_follow_up_on",
        ]  # fmt: skip
        widgets = {
            "date": DateInput(),
            "next_follow_up_on": DateInput(),
            "asked": forms.Textarea(attrs={"rows": 2}),
            "offered": forms.Textarea(attrs={"rows": 2}),
            "outcome": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = Kind.choices  # type: ignore[attr-defined]


class StepForm(forms.Form):
    """One step of a lead (a button on its page, a card's form on the board)."""

    on = forms.DateField(label=_("Date"), required=False, widget=DateInput())
    reason = forms.CharField(label=_("Reason"), required=False, max_length=300)
    confirm = forms.BooleanField(label=_("I confirm"), required=False)


class EventChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.date:%Y-%m-%d} {obj.name}"


class SigningListForm(forms.Form):
    """Put a lead on the signing list of an event the user runs (not yet finished)."""

    event = EventChoiceField(label=_("Event"), queryset=Region.objects.none())

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        from guanjia.events.access import can_manage, events_for
        from guanjia.events.models import EventStatus

        super().__init__(*args, **kwargs)
        upcoming = events_for(user).exclude(status=EventStatus.FINISHED).select_related("region")
        ids = [e.pk for e in upcoming.order_by("date", "id")[:100] if can_manage(user, e)]
        model_choice_field(self, "event").queryset = upcoming.filter(pk__in=ids).order_by(
            "date", "id"
        )


class MergeForm(forms.Form):
    duplicate = forms.ModelChoiceField(label=_("Same as"), queryset=Enterprise.objects.none())
    reason = forms.CharField(label=_("Reason"), max_length=300)

    def __init__(self, *args: Any, user: User, keep: Enterprise, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        model_choice_field(self, "duplicate").queryset = referenceable(user, "enterprise").exclude(
            pk=keep.pk
        )


class InvestorFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name, group or city")}),
    )
    source = forms.ChoiceField(
        label=_("Source"), required=False, choices=[("", _("All sources")), *ContactSource.choices]
    )
    ownership = forms.ChoiceField(
        label=_("Ownership"),
        required=False,
        choices=[("", _("All kinds of ownership")), *Ownership.choices],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def apply(self, qs: QuerySet[Enterprise]) -> QuerySet[Enterprise]:
        self.is_valid()
        data = {k: v for k, v in getattr(self, "cleaned_data", {}).items() if v}
        if "q" in data:
            q = data["q"].strip()
            qs = qs.filter(Q(name__icontains=q) | Q(group__icontains=q) | Q(home_city__icontains=q))
        if "source" in data:
            qs = qs.filter(contact_source=data["source"])
        if "ownership" in data:
            qs = qs.filter(ownership=data["ownership"])
        return qs


# --- visits received and trips out ---------------------------------------------------------------


def _kept(qs: QuerySet[Any], obj: Any, name: str) -> QuerySet[Any]:
    """The choices the user may name, plus what the record already names (an edit keeps it)."""
    if obj is None or obj.pk is None:
        return qs
    held = getattr(obj, name).values("pk")
    return qs.model.objects.filter(Q(pk__in=qs.values("pk")) | Q(pk__in=held))


class OutingFilterForm(forms.Form):
    """The visits' and trips' lists: a date range, the area, the owner."""

    start = forms.DateField(label=_("From"), required=False, widget=DateInput())
    end = forms.DateField(label=_("To"), required=False, widget=DateInput())
    area = forms.ChoiceField(label=_("Area"), required=False)
    owner = forms.ChoiceField(label=_("Owner"), required=False)

    def __init__(self, user: User, seen: QuerySet[Any], *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        choices = cast(dict[str, forms.ChoiceField], self.fields)
        people = User.objects.filter(pk__in=seen.values("owner_id")).order_by(
            "display_name", "username"
        )
        choices["owner"].choices = [("", _("All owners")), *[(str(u.pk), str(u)) for u in people]]
        regions = Region.objects.filter(pk__in=seen.values("region_id")) | referenceable(
            user, "region"
        )
        choices["area"].choices = [
            ("", _("All areas")),
            *region_choices(regions.distinct().only("name", "path", "sort_order")),
        ]

    def apply(self, qs: QuerySet[Any], date_from: str, date_to: str) -> QuerySet[Any]:
        """`date_from`/`date_to`: the model's first and last date (the same for a visit)."""
        self.is_valid()
        data = {k: v for k, v in getattr(self, "cleaned_data", {}).items() if v}
        if "start" in data:
            qs = qs.filter(**{f"{date_to}__gte": data["start"]})
        if "end" in data:
            qs = qs.filter(**{f"{date_from}__lte": data["end"]})
        if "owner" in data:
            qs = qs.filter(owner_id=data["owner"])
        if "area" in data:
            area = Region.objects.filter(pk=data["area"]).first()
            if area is not None:
                qs = qs.filter(
                    region__in=Region.objects.filter(path__startswith=area.path).values("pk")
                )
        return qs

    @property
    def filtered(self) -> bool:
        return any(getattr(self, "cleaned_data", {}).values())


class VisitForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DateInput())
    region = forms.ModelChoiceField(label=_("Area"), queryset=Region.objects.none())
    investors = forms.ModelMultipleChoiceField(
        label=_("Investors"), queryset=Enterprise.objects.none()
    )
    visitors = forms.CharField(
        label=_("Who came"), max_length=300, help_text=_("Their people: names and titles.")
    )
    hosts = forms.ModelMultipleChoiceField(
        label=_("Received by"), queryset=User.objects.none(), required=False
    )
    host_names = forms.CharField(
        label=_("Received by (other names)"),
        max_length=300,
        required=False,
        help_text=_("Leaders and others who are not users here."),
    )
    sites = forms.CharField(
        label=_("What was seen"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Parks, plots, enterprises visited."),
    )
    leads = forms.ModelMultipleChoiceField(
        label=_("Leads touched"), queryset=Lead.objects.none(), required=False
    )
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none(), required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, user: User, visit: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        staff = access.referenceable_staff(user).order_by("display_name", "username")
        model_choice_field(self, "region").queryset = referenceable(user, "region")
        model_choice_field(self, "investors").queryset = _kept(
            referenceable(user, "enterprise"), visit, "investors"
        ).order_by("name")
        model_choice_field(self, "hosts").queryset = _kept(staff, visit, "hosts")
        model_choice_field(self, "leads").queryset = _kept(
            access.referenceable_leads(user), visit, "leads"
        ).select_related("investor")
        model_choice_field(self, "owner").queryset = staff

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if data.get("owner") is None:
            data.pop("owner", None)
        return data


class TripForm(forms.Form):
    destinations = forms.CharField(
        label=_("Destination cities"), max_length=200, help_text=_("e.g. 北京、上海")
    )
    start_on = forms.DateField(label=_("From"), widget=DateInput())
    end_on = forms.DateField(label=_("To"), widget=DateInput())
    region = forms.ModelChoiceField(label=_("Area"), queryset=Region.objects.none())
    owner = forms.ModelChoiceField(
        label=_("Leader of the team"), queryset=User.objects.none(), required=False
    )
    team = forms.ModelMultipleChoiceField(
        label=_("Team"), queryset=User.objects.none(), required=False
    )
    purpose = forms.CharField(
        label=_("Purpose"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, user: User, trip: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        staff = access.referenceable_staff(user).order_by("display_name", "username")
        model_choice_field(self, "region").queryset = referenceable(user, "region")
        model_choice_field(self, "owner").queryset = staff
        model_choice_field(self, "team").queryset = _kept(staff, trip, "team")

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if data.get("owner") is None:
            data.pop("owner", None)
        return data


class MeetingForm(forms.ModelForm):
    """One meeting of a trip or a visit: a negotiation record of the lead chosen here."""

    lead = forms.ModelChoiceField(label=_("Lead"), queryset=Lead.objects.none())

    class Meta:
        model = NegotiationRecord
        fields = [
            "date", "place", "our_side", "their_side", "asked", "offered", "outcome",
            "next_step", "next_follow_up_on",
        ]  # fmt: skip
        widgets = RecordForm.Meta.widgets

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        model_choice_field(self, "lead").queryset = (
            access.referenceable_leads(user).select_related("investor").order_by("-id")
        )
        self.order_fields(["lead"])
