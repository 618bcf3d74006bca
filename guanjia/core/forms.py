"""Form pieces the pages of several apps share: date inputs, amounts as people type them.
The choices of regions and staff a user may name are `guanjia.accounts.choices`."""

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from guanjia.core.amounts import AmountError, parse_amount_wan
from guanjia.core.widgets import DateInput

# Django 6.1's own zh_Hans catalogue lacks its new blank-choice label; marking it here puts
# it in ours (LOCALE_PATHS wins over Django's), so every select reads in Chinese.
gettext_noop("- Select an option -")


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


__all__ = ["AmountField", "DateInput", "choice_field", "model_choice_field"]
