"""`{% load i18n %}` is Django's library with a constant `{% translate %}` written once per
language: every form of the tag renders what Django's renders, in each language and escaping
mode, however often and in whatever order it is rendered."""

import pytest
from django.template import Context, Engine, Template, engines
from django.utils import translation

from prm.core.template_i18n import KeptTranslateNode

FORMS = [
    '{% translate "Dashboard" %}',
    '{% trans "Skip to content" %}',
    '{% translate "Dashboard" as title %}[{{ title }}]',
    '{% translate "Dashboard" as title %}{% translate "Skip to content" as title %}{{ title }}',
    '{% translate "Dashboard"|upper %}',
    '{% translate "Term" context "a clause of an agreement" %}',
    '{% translate "Dashboard" noop %}',
    "{% translate word %}",
    '{% translate "Fish & <chips> 100%% \\"sure\\"" %}',
    '{% autoescape off %}{% translate "Fish & <chips>" %}{% endautoescape %}',
    '{% for _ in "abc" %}{% translate "Dashboard" %}|{% endfor %}',
]


def _django_engine() -> Engine:
    """An engine whose `i18n` is Django's own library."""
    return Engine(libraries={"i18n": "django.templatetags.i18n"})


@pytest.mark.parametrize("form", FORMS)
def test_every_form_renders_what_django_renders_in_each_language(form):
    source = "{% load i18n %}" + form
    ours = engines["django"].from_string(source)
    theirs = _django_engine().from_string(source)
    context = {"word": "Dashboard"}
    for language in ["en", "zh-hant", "en", None, "zh-hant"]:
        with translation.override(language):
            assert ours.render(context) == theirs.render(Context(context))


def test_a_constant_text_is_kept_per_language():
    template = engines["django"].from_string('{% load i18n %}{% translate "Dashboard" %}')
    nodes = template.template.nodelist.get_nodes_by_type(KeptTranslateNode)
    assert len(nodes) == 1
    with translation.override("zh-hant"):
        assert template.render({}) == "儀表板"
    with translation.override("en"):
        assert template.render({}) == "Dashboard"
    assert nodes[0].kept == {("zh-hant", True): "儀表板", ("en", True): "Dashboard"}


@pytest.mark.parametrize(
    "form",
    [
        "{% translate word %}",
        '{% translate "Dashboard"|upper %}',
        '{% translate "Term" context "a clause of an agreement" %}',
        '{% translate "Dashboard" noop %}',
    ],
)
def test_a_text_that_may_change_between_renders_is_not_kept(form):
    template = Template("{% load i18n %}" + form, engine=engines["django"].engine)
    assert not template.nodelist.get_nodes_by_type(KeptTranslateNode)


def test_the_library_has_every_tag_and_filter_of_django_s():
    from django.templatetags import i18n

    from prm.core import template_i18n

    assert set(template_i18n.register.tags) == set(i18n.register.tags)
    assert set(template_i18n.register.filters) == set(i18n.register.filters)
