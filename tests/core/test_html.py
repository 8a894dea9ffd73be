"""prm.core.html writes what django.utils.html writes."""

from decimal import Decimal

import pytest
from django.utils import html as django_html
from django.utils.functional import lazy
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy, override

from prm.core import html


class _Tagged:
    def __html__(self):
        return "<b>kept</b>"


VALUES = [
    "plain",
    "<script>alert('x') & \"y\"</script>",
    "",
    mark_safe("<i>safe</i>"),
    gettext_lazy("Partner"),
    lazy(lambda: "<lazy & unsafe>", str)(),
    lazy(lambda: mark_safe("<em>lazy safe</em>"), SafeString)(),
    12345,
    Decimal("1234.50"),
    None,
    _Tagged(),
    "\u5408\u4f5c\u5925\u4f34 <\u7b2c\u4e00>",
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_escapes_as_django_does(value):
    with override("zh-hant"):
        written = html.conditional_escape(value)
        assert written == django_html.conditional_escape(value)
        assert type(written) is type(django_html.conditional_escape(value))
        if not hasattr(value, "__html__") and not isinstance(value, SafeString):
            assert html.escape(value) == django_html.escape(value)


def test_formats_as_django_does():
    template = '<a href="{}" title="{title}">{}</a> {}'
    args = (VALUES[1], VALUES[3], VALUES[4])
    kwargs = {"title": VALUES[5]}

    written = html.format_html(template, *args, **kwargs)

    assert written == django_html.format_html(template, *args, **kwargs)
    assert isinstance(written, SafeString)
    assert "&lt;script&gt;" in written
    assert "<i>safe</i>" in written
