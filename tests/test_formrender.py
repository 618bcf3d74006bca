"""The Python widget renderer writes exactly the HTML Django's widget templates write."""

import datetime as dt

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from guanjia.core.formrender import FastTemplates

CHOICES = [("", "---"), (1, "甲 & 乙"), (2, mark_safe("<b>safe</b>")), ('x"y', "quote")]
GROUPED = [("Group <1>", [(1, "one"), (2, "two")]), (3, "three")]


class Everything(forms.Form):
    name = forms.CharField(label="Name & <title>", max_length=20, help_text="help")
    count = forms.IntegerField(min_value=0, required=False)
    amount = forms.DecimalField(max_digits=8, decimal_places=2)
    email = forms.EmailField(required=False)
    on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    at = forms.DateTimeField(required=False)
    secret = forms.CharField(widget=forms.PasswordInput, required=False)
    hidden = forms.CharField(widget=forms.HiddenInput, required=False)
    agree = forms.BooleanField(required=False)
    kind = forms.ChoiceField(choices=CHOICES, required=False)
    grouped = forms.ChoiceField(choices=GROUPED)
    many = forms.MultipleChoiceField(choices=GROUPED, required=False)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "data-x": '"<>'}))
    empty_note = forms.CharField(widget=forms.Textarea, required=False)
    radio = forms.ChoiceField(choices=CHOICES[1:], widget=forms.RadioSelect, required=False)


BOUND = {
    "name": "<script>alert(1)</script>",
    "count": "-1",
    "amount": "12.5",
    "on": "2026-02-30",
    "at": "2026-01-02 03:04",
    "agree": "on",
    "kind": 'x"y',
    "grouped": "2",
    "many": ["1", "3"],
    "note": "a & b\n<i>",
    "radio": "1",
}
INITIAL = {"name": "甲", "on": dt.date(2026, 1, 2), "count": 3, "kind": 1, "agree": True}


def render_all(form: forms.Form) -> list[str]:
    return [
        html
        for bound in form
        for html in (str(bound), bound.label_tag(), str(bound.errors), str(form.non_field_errors()))
    ]


@pytest.mark.parametrize(
    "make",
    [
        lambda r: Everything(renderer=r),
        lambda r: Everything(initial=INITIAL, renderer=r),
        lambda r: Everything(BOUND, renderer=r),
        lambda r: Everything({}, renderer=r),
    ],
    ids=["empty", "initial", "bound-with-errors", "bound-blank"],
)
def test_same_html_as_django(make) -> None:  # type: ignore[no-untyped-def]
    fast, stock = make(FastTemplates()), make(DjangoTemplates())
    fast.is_valid(), stock.is_valid()
    assert render_all(fast) == render_all(stock)
    assert str(fast) == str(stock)


def test_the_site_uses_it(settings) -> None:  # type: ignore[no-untyped-def]
    assert settings.FORM_RENDERER == "guanjia.core.formrender.FastTemplates"
