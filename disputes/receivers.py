"""Receivers of the signals sent by the apps below disputes; connected in DisputesConfig.ready()."""

from __future__ import annotations

from typing import Any

from .services import channel_conflict_cases_open


def open_channel_conflict_cases(sender, *, sales: list[dict[str, Any]], **kwargs: Any) -> None:
    """An import's new sales to a customer protected by another partner's deal open a case."""
    channel_conflict_cases_open(sales=sales)
