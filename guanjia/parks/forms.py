"""The parks' forms: fields and widgets; they hand cleaned data to `services` and take their
choices from `access`."""

import json
from typing import Any

from django import forms
from django.forms.models import fields_for_model, model_to_dict
from django.utils.translation import gettext_lazy as _

from guanjia.accounts.choices import scoped_regions
from guanjia.core.widgets import DateInput
from guanjia.industries.models import Industry
from guanjia.regions.models import Region

from . import access, geo, services
from .models import Building, FileKind, LandUse, Park, ParkKind, Plot, Status, Utility

PARK_PLAIN = [f for f in services.PARK_FIELDS if f not in ("point", "outline")]
PLOT_PLAIN = [
    f for f in services.PLOT_FIELDS if f not in ("point", "outline", "utilities", "code", "name")
]
BUILDING_PLAIN = [f for f in services.BUILDING_FIELDS if f not in ("point", "plot", "code", "name")]


class _Located(forms.Form):
    """A record's location: longitude and latitude, and (optionally) an outline in GeoJSON."""

    lng = forms.DecimalField(label=_("Longitude"), required=False, max_digits=11, decimal_places=7)
    lat = forms.DecimalField(label=_("Latitude"), required=False, max_digits=10, decimal_places=7)
    outline_text = forms.CharField(
        label=_("Outline (GeoJSON Polygon)"),
        required=False,
        max_length=200_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    has_outline = True

    def _load(self, instance: Any) -> None:
        if instance is None:
            return
        found = geo.lng_lat(instance.point)
        if found:
            self.initial["lng"], self.initial["lat"] = found
        if getattr(instance, "outline", None):
            self.initial["outline_text"] = json.dumps(instance.outline)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lng, lat = data.get("lng"), data.get("lat")
        if (lng is None) != (lat is None):
            self.add_error("lng", _("Give both the longitude and latitude."))
        elif lng is not None:
            try:
                data["point"] = geo.point(lng, lat)
            except forms.ValidationError as exc:
                self.add_error("lng", exc)
        else:
            data["point"] = None
        if self.has_outline:
            text = (data.get("outline_text") or "").strip()
            data["outline"] = None
            if text:
                try:
                    data["outline"] = geo.clean_polygon(json.loads(text))
                except ValueError:
                    self.add_error("outline_text", _("This is not GeoJSON."))
                except forms.ValidationError as exc:
                    self.add_error("outline_text", exc)
        return data

    def values(self, names: list[str]) -> dict[str, Any]:
        data = self.cleaned_data
        out = {name: data.get(name) for name in names if name in self.fields}
        out["point"] = data.get("point")
        if self.has_outline:
            out["outline"] = data.get("outline")
        return out


class ParkForm(_Located):
    region = forms.ModelChoiceField(queryset=Region.objects.none(), label=_("Area"))
    industries = forms.ModelMultipleChoiceField(
        queryset=Industry.objects.none(),
        required=False,
        label=_("Leading industries"),
        widget=forms.CheckboxSelectMultiple,
    )
    incentives = forms.ModelMultipleChoiceField(
        queryset=Industry.objects.none(),
        required=False,
        label=_("Incentives"),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, user: Any, *args: Any, instance: Park | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields.update(fields_for_model(Park, fields=PARK_PLAIN))
        self.fields["region"].queryset = scoped_regions(user)  # type: ignore[attr-defined]
        self.fields["industries"].queryset = Industry.objects.filter(active=True)  # type: ignore[attr-defined]
        self.fields["incentives"].queryset = services.policy_choices()  # type: ignore[attr-defined]
        self.order_fields(["name", "kind", "region", "whole_area", "industries"])
        if instance is not None:
            self.initial.update(model_to_dict(instance, fields=[*PARK_PLAIN, "region"]))
            self.initial["industries"] = list(instance.industries.all())
            self.initial["incentives"] = list(instance.incentives.all())
            self._load(instance)

    def values(self, names: list[str] | None = None) -> dict[str, Any]:
        out = super().values([*PARK_PLAIN, "region", "industries", "incentives"])
        return out


class PlotForm(_Located):
    code = forms.CharField(label=_("Number"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=120, required=False)
    utilities = forms.MultipleChoiceField(
        label=_("Utilities at the boundary"),
        choices=Utility.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    park = forms.ModelChoiceField(queryset=Park.objects.none(), label=_("Park"))

    def __init__(self, user: Any, *args: Any, instance: Plot | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["park"].queryset = access.kept_parks(user)  # type: ignore[attr-defined]
        self.fields.update(fields_for_model(Plot, fields=PLOT_PLAIN))
        self.order_fields(["park", "code", "name"])
        if instance is not None:
            self.initial.update(
                model_to_dict(instance, fields=[*PLOT_PLAIN, "park", "code", "name"])
            )
            self.initial["utilities"] = instance.utilities
            self._load(instance)

    def values(self, names: list[str] | None = None) -> dict[str, Any]:
        return super().values([*PLOT_PLAIN, "park", "code", "name", "utilities"])


class BuildingForm(_Located):
    has_outline = False
    code = forms.CharField(label=_("Number"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=120, required=False)

    park = forms.ModelChoiceField(queryset=Park.objects.none(), label=_("Park"))
    plot = forms.ModelChoiceField(queryset=Plot.objects.none(), label=_("On plot"), required=False)

    def __init__(self, user: Any, *args: Any, instance: Building | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        del self.fields["outline_text"]
        kept = access.kept_parks(user)
        self.fields["park"].queryset = kept  # type: ignore[attr-defined]
        self.fields["plot"].queryset = Plot.objects.filter(park__in=kept).select_related("park")  # type: ignore[attr-defined]
        self.fields.update(fields_for_model(Building, fields=BUILDING_PLAIN))
        self.order_fields(["park", "code", "name", "plot"])
        if instance is not None:
            self.initial.update(
                model_to_dict(instance, fields=[*BUILDING_PLAIN, "park", "plot", "code", "name"])
            )
            self._load(instance)

    def values(self, names: list[str] | None = None) -> dict[str, Any]:
        return super().values([*BUILDING_PLAIN, "park", "plot", "code", "name"])


class StepForm(forms.Form):
    """The inputs of a plot's or building's step (only those the step declares are kept)."""

    lead: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=None, label=_("Lead"), required=False
    )
    until = forms.DateField(label=_("Reserved until"), required=False, widget=DateInput)
    project: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=None, label=_("Project"), required=False
    )
    on = forms.DateField(label=_("Date"), required=False, widget=DateInput)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=300)

    def __init__(self, user: Any, *args: Any, **kwargs: Any):
        from guanjia.accounts.scope import referenceable

        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = referenceable(user, "lead")  # type: ignore[attr-defined]
        self.fields["project"].queryset = referenceable(user, "project")  # type: ignore[attr-defined]


class FileForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=FileKind.choices)
    file = forms.FileField(label=_("File"))


class SubstationForm(forms.Form):
    name = forms.CharField(label=_("Substation"), max_length=100)
    voltage_kv = forms.DecimalField(label=_("Voltage (kV)"), required=False, min_value=0)
    capacity_kva = forms.DecimalField(label=_("Capacity (kVA)"), required=False, min_value=0)
    spare_kva = forms.DecimalField(label=_("Spare capacity (kVA)"), required=False, min_value=0)


class _Filter(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.is_valid()

    def get(self, name: str) -> Any:
        return self.cleaned_data.get(name) if hasattr(self, "cleaned_data") else None


class ParkFilter(_Filter):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", "—"), *ParkKind.choices], required=False
    )
    industry = forms.TypedChoiceField(
        label=_("Industry"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args: Any, **kwargs: Any):
        forms.Form.__init__(self, *args, **kwargs)
        self.fields["industry"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *Industry.objects.filter(active=True).values_list("pk", "name"),
        ]
        self.is_valid()


class OfferFilter(_Filter):
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", "—"), *Status.choices], required=False
    )
    park = forms.TypedChoiceField(label=_("Park"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, **kwargs: Any):
        forms.Form.__init__(self, *args, **kwargs)
        self.fields["park"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *Park.objects.order_by("region__path", "name").values_list("pk", "name"),
        ]
        self.is_valid()


class PlotFilter(OfferFilter):
    land_use = forms.ChoiceField(
        label=_("Land use"), choices=[("", "—"), *LandUse.choices], required=False
    )
    min_mu = forms.DecimalField(label=_("At least (mu)"), required=False, min_value=0)


class MapFilter(forms.Form):
    """The land map's filters: industry of the park, size (亩), power (kVA) and price."""

    industry = forms.TypedChoiceField(
        label=_("Industry"), required=False, coerce=int, empty_value=None
    )
    min_mu = forms.DecimalField(label=_("At least (mu)"), required=False, min_value=0)
    max_mu = forms.DecimalField(label=_("At most (mu)"), required=False, min_value=0)
    min_kva = forms.DecimalField(label=_("Power at least (kVA)"), required=False, min_value=0)
    max_price = forms.DecimalField(
        label=_("Price at most (10k yuan per mu)"), required=False, min_value=0
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", "—"), *Status.choices], required=False
    )
    land_use = forms.ChoiceField(
        label=_("Land use"), choices=[("", "—"), *LandUse.choices], required=False
    )

    def __init__(self, *args: Any, public: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["industry"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *Industry.objects.filter(active=True).values_list("pk", "name"),
        ]
        if public:  # only available plots are shown: no status to choose
            del self.fields["status"]
        self.is_valid()

    def filters(self) -> Any:
        from .mapdata import MapFilters

        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return MapFilters(**{k: data.get(k) or None for k in self.fields})
