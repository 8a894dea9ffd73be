"""The commission rule's arithmetic, one rule at a time, with its explanation.

Per rule, over the rule's net volume V and quantity Q in the period:
  percent          V × rate%
  per_unit         Q × amount
  tiered_marginal  each part of V inside a bracket × that bracket's rate%
  tiered_flat      all of V × the rate% of the bracket V falls in
A bracket holds the amounts above the previous bracket's `upto`, up to and including its own.
A negative V earns V × the first bracket's rate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

HUNDRED = Decimal("100")


@dataclass
class Step:
    """One piece of arithmetic: base × factor = result, with what it is."""

    label: str
    base: Decimal
    factor: Decimal
    unit: str  # "%" for rates, "×" for multipliers and per-unit amounts
    result: Decimal

    def as_dict(self) -> dict[str, str]:
        return {
            "label": self.label,
            "base": str(self.base),
            "factor": str(self.factor),
            "unit": self.unit,
            "result": str(self.result),
        }


@dataclass
class RuleResult:
    amount: Decimal
    steps: list[Step] = field(default_factory=list)


def _brackets(raw: list[dict]) -> list[tuple[Decimal | None, Decimal]]:
    return [
        (Decimal(b["upto"]) if b.get("upto") not in (None, "") else None, Decimal(b["rate"]))
        for b in raw
    ]


def rule_amount(
    *, kind: str, volume: Decimal, quantity: Decimal, rate=None, amount=None, brackets=()
) -> RuleResult:
    """The unrounded amount one rule earns, with the steps that produce it."""
    if kind == "percent":
        value = volume * Decimal(rate) / HUNDRED
        return RuleResult(value, [Step("percent", volume, Decimal(rate), "%", value)])
    if kind == "per_unit":
        value = quantity * Decimal(amount)
        return RuleResult(value, [Step("per_unit", quantity, Decimal(amount), "×", value)])
    table = _brackets(list(brackets))
    if not table:
        raise ValueError("a tiered rule needs brackets")
    if volume < 0:
        first_rate = table[0][1]
        value = volume * first_rate / HUNDRED
        return RuleResult(value, [Step("bracket 1", volume, first_rate, "%", value)])
    if kind == "tiered_marginal":
        steps, total, lower = [], Decimal("0"), Decimal("0")
        for index, (upto, bracket_rate) in enumerate(table, start=1):
            if volume <= lower:
                break
            top = volume if upto is None else min(volume, upto)
            part = top - lower
            if part > 0:
                value = part * bracket_rate / HUNDRED
                steps.append(Step(f"bracket {index}", part, bracket_rate, "%", value))
                total += value
            if upto is None:
                break
            lower = upto
        if not steps:
            steps.append(Step("bracket 1", volume, table[0][1], "%", Decimal("0")))
        return RuleResult(total, steps)
    if kind == "tiered_flat":
        for index, (upto, bracket_rate) in enumerate(table, start=1):
            if upto is None or volume <= upto:
                value = volume * bracket_rate / HUNDRED
                return RuleResult(
                    value, [Step(f"bracket {index}", volume, bracket_rate, "%", value)]
                )
        # Above the last bounded bracket with no open-ended one: the last bracket's rate.
        last = len(table)
        value = volume * table[-1][1] / HUNDRED
        return RuleResult(value, [Step(f"bracket {last}", volume, table[-1][1], "%", value)])
    raise ValueError(f"unknown rule kind {kind!r}")
