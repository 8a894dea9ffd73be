"""Access-matrix entries for announcements."""

from .base import Entry

ENTRIES: dict[str, Entry] = {}
