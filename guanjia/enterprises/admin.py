from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from guanjia.core.admin import AdminOnlyInline, AuditedAdmin

from . import services
from .models import Contact, CreditCodeWhitelist, Enterprise


class ContactForm(forms.ModelForm):
    """The ID number is write-only here: the recorded one is shown masked (revealing it is
    the audited unmask on the enterprise's page); typing a new one replaces it."""

    class Meta:
        model = Contact
        fields = ["name", "title", "phone", "email", "id_number", "is_primary"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.id_number:
            self.initial["id_number"] = ""
            field = self.fields["id_number"]
            field.widget.attrs["placeholder"] = self.instance.masked_id_number
            field.help_text = _("Leave empty to keep the recorded number.")

    def clean_id_number(self) -> str:
        value: str = self.cleaned_data.get("id_number") or ""
        if not value and self.instance.pk:
            return self.instance.id_number  # unchanged
        return value


class ContactInline(AdminOnlyInline, admin.TabularInline):
    model = Contact
    form = ContactForm
    extra = 0


class MergeForm(forms.Form):
    reason = forms.CharField(label=_("reason"))


@admin.register(Enterprise)
class EnterpriseAdmin(AuditedAdmin):
    list_display = ["name", "credit_code", "ownership", "capital_origin", "home_city", "region"]
    list_filter = ["ownership", "capital_origin", "contact_source", "region"]
    search_fields = ["name", "credit_code", "group"]
    inlines = [ContactInline]
    actions = ["merge_selected"]

    @admin.action(description=_("Merge the selected enterprises into the oldest one"))
    def merge_selected(self, request: HttpRequest, queryset) -> None:  # type: ignore[no-untyped-def]
        chosen = list(queryset.order_by("pk"))
        if len(chosen) < 2:
            self.message_user(request, _("choose at least two enterprises"), messages.ERROR)
            return
        keep, rest = chosen[0], chosen[1:]
        try:
            for dupe in rest:
                services.merge(keep, dupe, request.user, reason=str(_("merged in admin")))
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)
            return
        self.message_user(request, _("merged into %(name)s") % {"name": keep.name})


@admin.register(CreditCodeWhitelist)
class CreditCodeWhitelistAdmin(AuditedAdmin):
    list_display = ["code", "reason", "added_by", "added_at"]
    search_fields = ["code", "reason"]
    readonly_fields = ["added_by"]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        if not change:
            obj.added_by = request.user
        super().save_model(request, obj, form, change)
