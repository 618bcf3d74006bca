"""Forms for request pages: they parse what people typed; services decide and change."""

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from guanjia.accounts.models import Department, Role, User
from guanjia.core.bounds import validate_name
from guanjia.enterprises.access import referenceable_enterprises
from guanjia.enterprises.models import Enterprise
from guanjia.projects.access import referenceable_projects
from guanjia.projects.models import Project

from . import refcache
from .access import assignable_departments, assignable_people, is_enterprise_contact
from .attachments import ACCEPT
from .models import Category, Priority, Rating, ServiceRequest, Status


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by `attachments.check` in the service."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("PDF, JPG, PNG, DOCX or XLSX, up to 20 MB each."))
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class CategoryField(forms.ModelChoiceField):
    """A category in use; the one chosen is looked up in the cached reference data
    (`refcache`), not read again."""

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        try:
            key = int(value)
        except (TypeError, ValueError):
            key = None
        category = refcache.active_categories().get(key) if key is not None else None
        if category is None:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return category


class SubmitForm(forms.Form):
    enterprise = forms.ModelChoiceField(queryset=Enterprise.objects.none(), label=_("Enterprise"))
    category = CategoryField(queryset=Category.objects.filter(active=True), label=_("Category"))
    project = forms.ModelChoiceField(
        queryset=Project.objects.none(), label=_("Project"), required=False
    )
    title = forms.CharField(label=_("Title"), max_length=200, validators=[validate_name])
    text = forms.CharField(
        label=_("What is needed"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
        help_text=_("What is stuck, since when, and what you need from the government."),
    )
    attachments = MultipleFileField(label=_("Attachments"))

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if is_enterprise_contact(user):
            del self.fields["enterprise"]
            # With what a submission reads of it (its area, its steward): one query.
            self.own_enterprise: Enterprise | None = (
                Enterprise.objects.select_related("region", "steward")
                .filter(pk=user.enterprise_id)
                .first()
                if user.enterprise_id
                else None
            )
        else:
            self.own_enterprise = None
            field = self.fields["enterprise"]
            field.queryset = referenceable_enterprises(user).order_by("name")  # type: ignore[attr-defined]
            field.help_text = _(
                "Staff may file a request on an enterprise's behalf (a call, a visit)."
            )
        projects = referenceable_projects(user)
        self.fields["project"].queryset = projects.order_by("-id")  # type: ignore[attr-defined]

    def clean_project(self) -> Project | None:
        return self.cleaned_data.get("project")


def assignees_for(sr: ServiceRequest) -> QuerySet[User]:
    """Who a request can go to: `access.assignable_people`."""
    return assignable_people(None, sr)


# The picker's value for a department's queue: "dept:<id>" (a person is their id).
DEPARTMENT_PREFIX = "dept:"


class AssignForm(forms.Form):
    """Whom a request goes to: a person (`to`) or a department's queue (`department`). The
    page shows both in one grouped select (`picker_groups`); a "dept:<id>" value is the
    department."""

    to = forms.ModelChoiceField(queryset=User.objects.none(), label=_("Send to"), required=False)
    department = forms.ModelChoiceField(
        queryset=Department.objects.none(), label=_("Department queue"), required=False
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=500)

    def __init__(self, sr: ServiceRequest, data: Any = None, *args: Any, **kwargs: Any) -> None:
        if data is not None:
            data = split_target(data)
        super().__init__(data, *args, **kwargs)
        field = self.fields["to"]
        field.queryset = assignees_for(sr)  # type: ignore[attr-defined]
        field.label_from_instance = lambda u: (  # type: ignore[attr-defined]
            f"{u} · {u.department or u.get_role_display()}"
        )
        self.fields["department"].queryset = assignable_departments(None, sr)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and not data.get("to") and not data.get("department"):
            raise forms.ValidationError(_("Choose who takes the request."))
        return data


def split_target(data: Any) -> dict[str, Any]:
    """The posted "to" as the form's two fields: "dept:<id>" is a department's queue."""
    picked = str(data.get("to") or "")
    values = {key: data.get(key) for key in ("to", "department", "note") if key in data}
    if picked.startswith(DEPARTMENT_PREFIX):
        values["to"], values["department"] = "", picked.removeprefix(DEPARTMENT_PREFIX)
    return values


def picker_groups(
    people: Any,
    departments: Any,
    *,
    chosen: str = "",
    suggested: list[tuple[str, str]] = (),  # type: ignore[assignment]
) -> list[tuple[str, list[tuple[str, str, bool]]]]:
    """The "send to" select as <optgroup>s: the suggestions first, then the departments'
    queues, then people grouped by area and department (or role). Each option is (value,
    label, selected); without a posted choice the first suggestion is selected."""
    default = chosen or (suggested[0][0] if suggested else "")
    groups: list[tuple[str, list[tuple[str, str, bool]]]] = []
    if suggested:
        groups.append((str(_("Suggested")), [(v, label, v == default) for v, label in suggested]))
        default = chosen  # selected once, in the suggestions
    queues = [
        (f"{DEPARTMENT_PREFIX}{d.pk}", f"{d.name} · {d.region.name}", False) for d in departments
    ]
    if queues:
        queues = [(v, label, v == default) for v, label, _s in queues]
        groups.append((str(_("Department queues (to claim)")), queues))
    by_group: dict[str, list[tuple[str, str, bool]]] = {}
    # The roles' names translated once, not per person (get_role_display hashes the lazy
    # choices on every call: most of the queue page's CPU when it lists every colleague).
    roles = {value: str(label) for value, label in Role.choices}
    for u in people:
        area = u.region.name if u.region_id and u.region else ""
        unit = u.department.name if u.department_id and u.department else roles.get(u.role, u.role)
        by_group.setdefault(f"{area} · {unit}", []).append(
            (str(u.pk), str(u), str(u.pk) == default)
        )
    groups += sorted(by_group.items())
    return groups


RATING_CHOICES = Rating.choices
PRIORITY_CHOICES = Priority.choices
STATUS_CHOICES = [("", _("Any status")), ("open", _("Open")), *Status.choices]
