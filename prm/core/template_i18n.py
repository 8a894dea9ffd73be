"""Django's `i18n` template library, with `{% translate %}` of a constant text written once per
process for each language.

`{% load i18n %}` loads this library in the templates of `DjangoTemplates` (the TEMPLATES
backend): every tag and filter is Django's.
A `{% translate "text" %}` (or `trans`, with or without `as name`) that has no filter, no
context and no `noop` gives the same output for every render in one language and escaping mode;
its node keeps that output the first time it renders it, so a page's headings and labels cost
a dictionary lookup each instead of a catalogue lookup, an escape and a copy. A text with a
filter, a context or a variable renders as Django renders it. makemessages reads the tags as
before: their syntax is Django's."""

from django.template import Library, Variable
from django.template.backends import django as django_backend
from django.templatetags import i18n
from django.utils.translation import get_language

register = Library()
register.tags.update(i18n.register.tags)
register.filters.update(i18n.register.filters)


class KeptTranslateNode(i18n.TranslateNode):
    """A TranslateNode of a constant text: its output kept per (language, autoescape)."""

    def render(self, context):
        key = (get_language(), context.autoescape)
        kept = self.__dict__.setdefault("kept", {})
        value = kept.get(key)
        if value is None:
            output = super().render(context)
            value = kept[key] = context[self.asvar] if self.asvar else output
        if self.asvar:
            context[self.asvar] = value
            return ""
        return value


def _constant(node: i18n.TranslateNode) -> bool:
    """Whether `node` translates a literal text, unfiltered, without a context or noop."""
    expression = node.filter_expression
    return (
        not node.noop
        and node.message_context is None
        and not expression.filters
        and isinstance(expression.var, Variable)
        and expression.var.lookups is None
        and isinstance(expression.var.literal, str)
    )


@register.tag("translate")
@register.tag("trans")
def do_translate(parser, token):
    node = i18n.do_translate(parser, token)
    if type(node) is i18n.TranslateNode and _constant(node):
        node.__class__ = KeptTranslateNode
    return node


class DjangoTemplates(django_backend.DjangoTemplates):
    """Django's template backend, whose templates load this library as `i18n`. The library
    takes the place of Django's in the engine rather than in the `libraries` option, where two
    modules under one name would be reported by the system checks as a mistake."""

    def __init__(self, params):
        super().__init__(params)
        self.engine.template_libraries["i18n"] = register
