"""Paths of pages, reversed once per process and filled by string formatting: a list of rows
links each row without resolving the URL patterns again (`{% url %}` per row does)."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from urllib.parse import quote

from django.urls import get_script_prefix, reverse
from django.utils.encoding import iri_to_uri

# What reverse() leaves unquoted in an argument (django.urls.resolvers), so a path built here
# equals the one reverse() builds.
_SAFE = "!$&'()*+,;=/~:@"
# A stand-in argument every converter accepts (int, str, slug) and no path contains by itself.
_SLOT = "918273645546372819"


@cache
def _template(name: str, arity: int, prefix: str) -> str:
    path = reverse(name, args=[_SLOT] * arity) if arity else reverse(name)
    return path.replace("{", "{{").replace("}", "}}").replace(_SLOT, "{}")


# Text that quoting leaves as it is: letters, digits and the other unreserved characters.
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*").fullmatch


def _quoted(arg) -> str | int:
    """`arg` as reverse() writes it into a path (an id, or a code of unreserved characters, as
    it is)."""
    if type(arg) is int:
        return arg
    text = str(arg)
    return text if _UNRESERVED(text) else iri_to_uri(quote(text, safe=_SAFE))


def link(name: str, *args) -> str:
    """The path of the URL named `name` with `args`, as reverse(name, args=args) gives it."""
    template = _template(name, len(args), get_script_prefix())
    return template.format(*map(_quoted, args))


def nav(name: str) -> str:
    """The path of an argument-free URL (the navigation bar, list pages), reversed once."""
    return _template(name, 0, get_script_prefix())


def linker(name: str, arity: int = 1) -> Callable[..., str]:
    """`link` for the URL named `name` with `arity` arguments, its pattern looked up once: for
    a table that links each of its rows."""
    template = _template(name, arity, get_script_prefix())

    def linked(*args) -> str:
        return template.format(*map(_quoted, args))

    return linked
