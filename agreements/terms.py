"""Presenting agreement terms: labels, values and the difference between two versions."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import AgreementVersion

LABELS = {
    "effective_date": gettext_lazy("Effective date"),
    "territories": gettext_lazy("Territories"),
    "product_lines": gettext_lazy("Product lines"),
    "segments": gettext_lazy("Customer segments"),
    "exclusive": gettext_lazy("Exclusive"),
    "commission_plan": gettext_lazy("Commission plan"),
    "payment_terms_days": gettext_lazy("Payment terms (days)"),
    "payment_terms": gettext_lazy("Payment terms"),
    "price_notice_days": gettext_lazy("Price-change notice (days)"),
    "price_protection_days": gettext_lazy("Price protection (days)"),
    "termination_notice_days": gettext_lazy("Termination notice (days)"),
    "termination_compensation": gettext_lazy("Termination compensation"),
    "review_cadence": gettext_lazy("Business review cadence"),
}
LIST_KEYS = {"territories", "product_lines", "segments"}


@dataclass
class TermRow:
    key: str
    label: str
    old: str
    new: str
    added: list[str]
    removed: list[str]

    @property
    def changed(self) -> bool:
        return self.old != self.new


def _display(key: str, value) -> str:
    if key in LIST_KEYS:
        return ", ".join(value) if value else "—"
    if key == "exclusive":
        return _("Yes") if value else _("No")
    if key == "review_cadence":
        return str(AgreementVersion.Cadence(value).label) if value else "—"
    if key == "price_protection_days":
        return str(value or 0)
    if value in ("", None):
        return "—"
    return str(value)


def terms_rows(version: AgreementVersion) -> list[TermRow]:
    """The terms of one version, in a fixed order, ready to show."""
    return terms_diff(None, version)


def terms_diff(old: AgreementVersion | None, new: AgreementVersion) -> list[TermRow]:
    """Each term of `new` beside its value in `old` (None: nothing to compare with)."""
    rows = []
    for key, label in LABELS.items():
        new_value = new.terms.get(key)
        old_value = old.terms.get(key) if old is not None else new_value
        added = removed = []
        if key in LIST_KEYS:
            added = sorted(set(new_value or []) - set(old_value or []))
            removed = sorted(set(old_value or []) - set(new_value or []))
        rows.append(
            TermRow(
                key=key,
                label=str(label),
                old=_display(key, old_value),
                new=_display(key, new_value),
                added=added,
                removed=removed,
            )
        )
    return rows
