"""Access-matrix entries for reviews."""

from .base import Entry

ENTRIES: dict[str, Entry] = {}
