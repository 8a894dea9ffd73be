"""The form renderer: Django's templates, with the commonest widgets written out in Python.

A filter bar of seven selects cost a page about 3 ms through the widget templates (an include per
option and per attribute). `<select>`, its `<option>`s and the `<input>` widgets are built here
instead, to the byte what Django's templates in `django/forms/widgets/` give (the test
`tests/core/test_form_renderer.py` renders each widget both ways); any other template, or a widget
whose values these builders do not know, goes to the templates.
"""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.functional import Promise
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData

_WIDGETS = "django/forms/widgets/"
SELECT_TEMPLATES = frozenset({_WIDGETS + "select.html"})
OPTION_TEMPLATE = _WIDGETS + "select_option.html"
# The widget templates that are nothing but `{% include "django/forms/widgets/input.html" %}`.
INPUT_TEMPLATES = frozenset(
    _WIDGETS + name
    for name in (
        "input.html",
        "checkbox.html",
        "color.html",
        "date.html",
        "datetime.html",
        "email.html",
        "file.html",
        "hidden.html",
        "number.html",
        "password.html",
        "search.html",
        "tel.html",
        "text.html",
        "time.html",
        "url.html",
    )
)


class _UnknownValueError(Exception):
    """A value the template would print in a way not reproduced here."""


def _formatted(value) -> str:
    """`{{ value|stringformat:'s' }}`: the value as %s, escaped unless it was safe."""
    if isinstance(value, tuple):
        value = str(value)
    text = str(value)
    return text if isinstance(value, SafeData) else escape(text)


def _printed(value) -> str:
    """`{{ value }}` for a text or a number."""
    if isinstance(value, bool) or not isinstance(value, str | int | Promise):
        raise _UnknownValueError
    value = localize(value)
    return conditional_escape(value if isinstance(value, str) else str(value))


def _attrs(attrs: dict) -> str:
    """`django/forms/widgets/attrs.html`."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(f" {_printed(name)}")
        if value is not True:
            parts.append(f'="{_formatted(value)}"')
    return "".join(parts)


def _input(widget: dict) -> str:
    value = "" if widget["value"] is None else f' value="{_formatted(widget["value"])}"'
    return (
        f'<input type="{_printed(widget["type"])}" name="{_printed(widget["name"])}"'
        f"{value}{_attrs(widget['attrs'])}>"
    )


def _option(option: dict) -> str:
    if option["template_name"] != OPTION_TEMPLATE:
        raise _UnknownValueError
    return (
        f'<option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>'
        f"{_printed(option['label'])}</option>\n"
    )


def _select(widget: dict) -> str:
    parts = [f'<select name="{_printed(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_printed(group_name)}">')
        parts.extend("\n  " + _option(option) for option in group_choices)
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


class WidgetRenderer(DjangoTemplates):
    """Django's default renderer, with selects and inputs built without their templates."""

    def render(self, template_name, context, request=None):
        if template_name in SELECT_TEMPLATES:
            build = _select
        elif template_name in INPUT_TEMPLATES:
            build = _input
        else:
            return super().render(template_name, context, request=request)
        try:
            return build(context["widget"]).strip()
        except _UnknownValueError:
            return super().render(template_name, context, request=request)
