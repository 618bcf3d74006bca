"""Confirming a destructive action: every withdrawal, termination, rejection and deletion asks
for a reason and a ticked confirmation, in a form that works without JavaScript (the CSP
forbids inline scripts). The reason is stored on the record or event and in the audit row."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

REASON_MAX_LENGTH = 300


class ConfirmForm(forms.Form):
    """The reason (required) and the confirmation box (must be ticked)."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept with the record and in the audit log."),
    )
    confirm = forms.BooleanField(
        label=_("Yes, I am sure"),
        error_messages={"required": _("Tick the box to confirm.")},
    )

    def __init__(
        self, *args: Any, confirm_label: Any = None, prefix_id: str = "", **kwargs: Any
    ) -> None:
        kwargs.setdefault("label_suffix", "")
        if prefix_id:
            kwargs.setdefault("auto_id", f"{prefix_id}-%s")
        super().__init__(*args, **kwargs)
        if confirm_label:
            self.fields["confirm"].label = confirm_label

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("This field is required."))
        return reason


def confirmed_reason(data: Any, confirm_label: Any = None) -> tuple[str | None, ConfirmForm]:
    """The reason when `data` (a POST) carries a reason and the ticked box, else None and the
    form with its errors."""
    form = ConfirmForm(data, confirm_label=confirm_label)
    if form.is_valid():
        return form.cleaned_data["reason"], form
    return None, form
