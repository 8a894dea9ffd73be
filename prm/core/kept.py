"""What a page writes once per process for each combination of what it depends on (a filter
bar, a sortable header, a select), kept in a bounded store."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class Kept(Generic[T]):
    """Values written by `write()` the first time their key is asked for, then kept. When it
    holds `size` keys it forgets them all: a key may hold what users type (a query string, a
    search), which must not fill the process's memory."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: dict[Hashable, T] = {}

    def get(self, key: Hashable, write: Callable[[], T]) -> T:
        value = self._values.get(key)
        if value is None:
            if len(self._values) >= self.size:
                self._values.clear()
            value = self._values[key] = write()
        return value

    def __len__(self) -> int:
        return len(self._values)
