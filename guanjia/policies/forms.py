"""The policy form: the fields, and a rule builder of condition rows joined by all / any."""

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanjia.core.bounds import HEADCOUNT_MAX
from guanjia.requests.forms import MultipleFileField

from . import rules
from .models import Policy

ROWS = 6
FACT_CHOICES = [
    ("", "—"),
    ("industry", _("industry (codes)")),
    ("ownership", _("ownership")),
    ("region", _("region (codes)")),
    ("investment_wan", _("project investment (10k yuan)")),
    ("headcount", _("headcount")),
    ("high_tech", _("high-tech (yes/no)")),
    ("tag", _("tags")),
]
OP_CHOICES = [
    ("in", _("is one of")),
    ("within", _("within")),
    ("gte", _("at least")),
    ("lte", _("at most")),
    ("eq", _("equals")),
]
COMBINE_CHOICES = [("all", _("all conditions hold")), ("any", _("any condition holds"))]


def _value(fact: str, op: str, raw: str) -> Any:
    text = raw.strip()
    if op == "in":
        return [v.strip() for v in text.replace("，", ",").split(",") if v.strip()]
    if fact == "high_tech":
        return text.lower() in ("1", "true", "yes", "y", "是")
    if fact == "headcount":
        try:
            return int(text)
        except ValueError:
            return text
    return text


def rows_from_rule(rule: dict[str, Any]) -> tuple[str, list[dict[str, str]]] | None:
    """A flat rule (one group of conditions) as builder rows; None if it is nested."""
    if not rule:
        return "all", []
    kind = "all" if "all" in rule else "any" if "any" in rule else None
    children = rule[kind] if kind else [rule]
    if any("fact" not in c for c in children):
        return None
    rows = []
    for c in children:
        value = c["value"]
        if isinstance(value, list):
            shown = ", ".join(value)
        elif isinstance(value, bool):
            shown = "yes" if value else "no"
        else:
            shown = str(value)
        rows.append({"fact": c["fact"], "op": c["op"], "value": shown})
    return kind or "all", rows


class PolicyForm(forms.ModelForm):
    documents = MultipleFileField(label=_("Add documents"))
    combine = forms.ChoiceField(label=_("Eligible when"), choices=COMBINE_CHOICES)
    rule_json = forms.CharField(
        label=_("Rule as JSON"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For nested all / any groups; when filled it replaces the rows above."),
    )

    class Meta:
        model = Policy
        fields = [
            "title",
            "issuer",
            "doc_number",
            "valid_from",
            "valid_to",
            "apply_from",
            "apply_to",
            "benefit",
            "automatic",
            "active",
        ]
        widgets = {
            f: forms.DateInput(attrs={"type": "date"})
            for f in ("valid_from", "valid_to", "apply_from", "apply_to")
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for i in range(ROWS):
            self.fields[f"fact_{i}"] = forms.ChoiceField(
                label=_("Fact"), choices=FACT_CHOICES, required=False
            )
            self.fields[f"op_{i}"] = forms.ChoiceField(
                label=_("Condition"), choices=OP_CHOICES, required=False
            )
            self.fields[f"value_{i}"] = forms.CharField(label=_("Value"), required=False)
        if not self.is_bound and self.instance.pk:
            flat = rows_from_rule(self.instance.rule)
            if flat is None:
                self.initial["rule_json"] = json.dumps(self.instance.rule, ensure_ascii=False)
            else:
                self.initial["combine"] = flat[0]
                for i, row in enumerate(flat[1][:ROWS]):
                    self.initial[f"fact_{i}"] = row["fact"]
                    self.initial[f"op_{i}"] = row["op"]
                    self.initial[f"value_{i}"] = row["value"]

    def rows(self) -> list[tuple[forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [(self[f"fact_{i}"], self[f"op_{i}"], self[f"value_{i}"]) for i in range(ROWS)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        raw = (data.get("rule_json") or "").strip()
        if raw:
            try:
                rule = json.loads(raw)
            except ValueError as exc:
                raise forms.ValidationError({"rule_json": str(exc)}) from exc
        else:
            conditions = [
                {
                    "fact": data[f"fact_{i}"],
                    "op": data.get(f"op_{i}") or "",
                    "value": _value(
                        data[f"fact_{i}"], data.get(f"op_{i}") or "", data.get(f"value_{i}", "")
                    ),
                }
                for i in range(ROWS)
                if data.get(f"fact_{i}")
            ]
            rule = {data.get("combine") or "all": conditions} if conditions else {}
        try:
            rules.validate(rule)
        except rules.RuleError as exc:
            raise forms.ValidationError(str(exc)) from exc
        self.instance.rule = rule
        return data


class ProfileForm(forms.Form):
    headcount = forms.IntegerField(
        label=_("Headcount"), required=False, min_value=0, max_value=HEADCOUNT_MAX
    )
    high_tech = forms.BooleanField(label=_("High-tech enterprise"), required=False)
    tags = forms.CharField(label=_("Tags"), required=False, max_length=300)
