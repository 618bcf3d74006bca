"""Form pieces the pages of several apps share: date inputs, amounts as people type them, and
the choices of regions and staff a user may name."""

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from guanjia.accounts.models import User
from guanjia.accounts.scope import referenceable_people, referenceable_regions
from guanjia.core.amounts import AmountError, parse_amount_wan
from guanjia.regions.models import Region

# Django 6.1's own zh_Hans catalogue lacks its new blank-choice label; marking it here puts
# it in ours (LOCALE_PATHS wins over Django's), so every select reads in Chinese.
gettext_noop("- Select an option -")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class AmountField(forms.CharField):
    """An amount typed as people write it ("3.5亿元", "35000"), cleaned to Decimal 万元."""

    def __init__(self, *, default_unit: str = "万元", **kwargs: Any) -> None:
        kwargs.setdefault(
            "help_text", _("In 10k yuan, or with a unit: 3.5亿元, 35000万元, 800万元.")
        )
        super().__init__(**kwargs)
        self.default_unit = default_unit

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Decimal):
            return f"{value.normalize():f}"
        return value

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        text = super().to_python(value)
        if text in self.empty_values:
            return None if self.required else Decimal(0)
        text = str(text)
        if len(text) > 40:
            raise ValidationError(_("This is too long for an amount."), code="invalid_amount")
        try:
            return parse_amount_wan(text, self.default_unit)
        except AmountError as exc:
            raise ValidationError(str(exc), code="invalid_amount") from exc


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    return cast(forms.ChoiceField, form.fields[name])


def model_choice_field(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:
    return cast(forms.ModelChoiceField, form.fields[name])


def scoped_regions(user: User) -> QuerySet[Region]:
    """Active regions within the user's part of the tree (`scope.referenceable_regions`)."""
    return referenceable_regions(user)


def region_choices(regions: QuerySet[Region]) -> list[tuple[str, str]]:
    """Regions as select options, indented under their parents."""
    regions_list = list(regions)
    top = min((r.level for r in regions_list), default=0)
    return [(str(r.pk), "\u3000" * (r.level - top) + r.name) for r in regions_list]


def staff(role: str, user: User, keep: int | None = None) -> QuerySet[User]:
    """Active users of a role the user may name (`scope.referenceable_people`: their area and
    the areas above it), plus `keep`, the one already assigned."""
    qs = referenceable_people(user, role)
    if keep:
        qs = User.objects.filter(Q(pk__in=qs.values("pk")) | Q(pk=keep, role=role))
    return qs.order_by("display_name", "username")
