"""The project's form renderer writes selects and inputs to the byte as Django's templates do."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from prm.core.form_renderer import WidgetRenderer

CHOICES = [
    ("", "Any <status>"),
    ("a&b", 'Quote " and <tag>'),
    (3, 1234567),
    ("lazy", gettext_lazy("Status")),
]
GROUPED = [
    ("", "None"),
    ("Fruit & veg", [("apple", "Apple"), ("pear", "Pear")]),
    (gettext_lazy("Status"), [("x", "X")]),
]

WIDGETS = [
    (forms.Select(choices=CHOICES, attrs={"class": "form-select"}), "status", ""),
    (forms.Select(choices=CHOICES), "status", "a&b"),
    (forms.Select(choices=CHOICES), "status", 3),
    (forms.Select(choices=CHOICES), "status", None),
    (forms.Select(choices=GROUPED, attrs={"disabled": True, "hidden": False}), "fruit", "pear"),
    (forms.Select(choices=[]), "empty", None),
    (forms.SelectMultiple(choices=CHOICES), "many", ["a&b", "lazy"]),
    (forms.NullBooleanSelect(), "maybe", None),
    (forms.NullBooleanSelect(), "maybe", True),
    (forms.TextInput(attrs={"class": "form-control", "maxlength": 100}), "q", 'a <b> & "c"'),
    (forms.TextInput(), "q", None),
    (forms.TextInput(attrs={"placeholder": mark_safe("<i>safe</i>")}), "q", mark_safe("<b>")),
    (forms.SearchInput(attrs={"required": True, "autofocus": False}), "q", ""),
    (forms.NumberInput(attrs={"step": Decimal("0.01"), "min": 0}), "amount", Decimal("1234.50")),
    (forms.NumberInput(), "count", 1234567),
    (forms.EmailInput(), "email", "x@example.com"),
    (forms.PasswordInput(render_value=True), "password", "secret"),
    (forms.PasswordInput(), "password", "secret"),
    (forms.HiddenInput(), "sort", "-code"),
    (forms.DateInput(attrs={"type": "date"}), "day", dt.date(2026, 3, 4)),
    (forms.DateTimeInput(), "at", dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)),
    (forms.TimeInput(), "time", dt.time(9, 30)),
    (forms.URLInput(), "url", "https://example.com/?a=1&b=2"),
    (forms.CheckboxInput(attrs={"class": "form-check-input"}), "flagged", True),
    (forms.CheckboxInput(), "flagged", False),
    (forms.CheckboxInput(), "flagged", "on"),
    (forms.FileInput(), "upload", None),
    (forms.ClearableFileInput(), "upload", None),
    (forms.Textarea(), "body", "text & more"),
    (forms.RadioSelect(choices=CHOICES), "choice", "a&b"),
    (forms.CheckboxSelectMultiple(choices=CHOICES), "choices", ["lazy"]),
]


@pytest.mark.parametrize("language", ["en", "zh-hant"])
@pytest.mark.parametrize(("widget", "name", "value"), WIDGETS)
def test_widget_renders_as_django_templates_do(widget, name, value, language):
    with translation.override(language):
        attrs = {"id": f"id_{name}"}
        expected = widget.render(name, value, attrs=attrs, renderer=DjangoTemplates())
        built = widget.render(name, value, attrs=attrs, renderer=WidgetRenderer())
    assert built == expected


def test_the_project_renders_forms_with_it():
    assert isinstance(get_default_renderer(), WidgetRenderer)


def test_a_bound_form_field_renders_the_same():
    class Filters(forms.Form):
        status = forms.ChoiceField(choices=CHOICES, required=False)
        q = forms.CharField(required=False)
        flagged = forms.BooleanField(required=False)

    data = {"status": "a&b", "q": "<x>", "flagged": "on"}
    fast = Filters(data, renderer=WidgetRenderer())
    slow = Filters(data, renderer=DjangoTemplates())
    for name in ("status", "q", "flagged"):
        assert str(fast[name]) == str(slow[name])
    assert str(fast) == str(slow)
