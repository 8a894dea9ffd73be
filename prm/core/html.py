"""`format_html`, `conditional_escape` and `escape` as django.utils.html writes them, for the
template tags that write a page's rows in Python: the same text, without the test for lazy
arguments that Django's versions run on every call (a dashboard makes a few hundred)."""

from __future__ import annotations

import html

from django.utils.functional import Promise
from django.utils.safestring import SafeString


def escape(text) -> SafeString:
    """`text` with the characters special in HTML encoded (django.utils.html.escape)."""
    return SafeString(html.escape(str(text)))


def conditional_escape(text) -> SafeString:
    """`text` escaped unless it is already safe (django.utils.html.conditional_escape)."""
    if type(text) is str:
        return SafeString(html.escape(text))
    if isinstance(text, Promise):
        text = str(text)
    if hasattr(text, "__html__"):
        return text.__html__()
    return SafeString(html.escape(str(text)))


def format_html(format_string: str, *args, **kwargs) -> SafeString:
    """`format_string` (trusted) formatted with `args` and `kwargs` escaped
    (django.utils.html.format_html)."""
    return SafeString(
        format_string.format(
            *[conditional_escape(arg) for arg in args],
            **{name: conditional_escape(value) for name, value in kwargs.items()},
        )
    )
