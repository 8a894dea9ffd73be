"""Receivers of the signals sent by the apps below disputes; connected in DisputesConfig.ready()."""

from __future__ import annotations

from typing import Any

from commissions.services.compute import line_key

from .models import Case
from .services import channel_conflict_cases_open


def open_channel_conflict_cases(sender, *, sales: list[dict[str, Any]], **kwargs: Any) -> None:
    """An import's new sales to a customer protected by another partner's deal open a case."""
    channel_conflict_cases_open(sales=sales)


class DisputedLines:
    """Keeps a case's disputed statement line across a recompute that rewrites the lines."""

    @staticmethod
    def release(statements) -> dict[int, tuple]:
        """Cases disputing a line of a statement about to be rewritten: {case id: line identity}.
        Their link is cleared so the old lines can go; `relink` restores it."""
        rows = Case.objects.filter(statement_line__statement__in=statements).values_list(
            "pk",
            "statement_line__statement_id",
            "statement_line__kind",
            "statement_line__rule_id",
            "statement_line__adjustment_id",
            "statement_line__restates_id",
        )
        disputed = {pk: tuple(rest) for pk, *rest in rows}
        if disputed:
            Case.objects.filter(pk__in=list(disputed)).update(statement_line=None)
        return disputed

    @staticmethod
    def relink(disputed: dict[int, tuple], new_lines) -> None:
        """Point each disputed case at the recomputed line for the same rule (or adjustment) of
        the same statement. When that rule no longer yields a line, the link stays empty rather
        than pointing at a line about something else; the case keeps its subject and description."""
        by_key = {}
        for line in new_lines:
            by_key.setdefault(line_key(line), line.pk)
        for case_id, key in disputed.items():
            line_id = by_key.get(key)
            if line_id is not None:
                Case.objects.filter(pk=case_id).update(statement_line_id=line_id)
