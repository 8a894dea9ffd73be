"""Reading numbers from query strings: anything but a plain, in-range number is no number.

`str.isdigit()` accepts "²" and "٣", which `int()` then rejects or a database column cannot
hold; `query_int` accepts only ASCII digits up to the largest bigint.
"""

from __future__ import annotations

from collections.abc import Mapping

BIGINT_MAX = 2**63 - 1


def parse_int(value: object, *, maximum: int = BIGINT_MAX) -> int | None:
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        return None
    if len(value) > len(str(maximum)):
        return None
    number = int(value)
    return number if number <= maximum else None


def query_int(params: Mapping, name: str, *, maximum: int = BIGINT_MAX) -> int | None:
    """The parameter as a non-negative integer, or None when absent or not such a number."""
    return parse_int(params.get(name, ""), maximum=maximum)
