"""The rule arithmetic (spec, Commission, step 4), case by case against hand-computed figures."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commissions.rules import rule_amount

D = Decimal
MARGINAL = [{"upto": "100000", "rate": "3"}, {"upto": None, "rate": "6"}]
FLAT = [{"upto": "50000", "rate": "2"}, {"upto": None, "rate": "4"}]
THREE = [
    {"upto": "10000", "rate": "1"},
    {"upto": "50000", "rate": "2"},
    {"upto": None, "rate": "5"},
]


@pytest.mark.parametrize(
    ("volume", "rate", "expected"),
    [
        ("108000", "5", "5400"),
        ("1234.56", "2.5", "30.864"),
        ("0.50", "5", "0.025"),
        ("0", "5", "0"),
        ("-12000", "5", "-600"),
        ("100", "0", "0"),
    ],
)
def test_percent_is_volume_times_rate(volume, rate, expected):
    result = rule_amount(kind="percent", volume=D(volume), quantity=D("1"), rate=D(rate))

    assert result.amount == D(expected)
    assert [(s.label, s.base, s.factor, s.unit) for s in result.steps] == [
        ("percent", D(volume), D(rate), "%")
    ]


@pytest.mark.parametrize(
    ("quantity", "amount", "expected"),
    [
        ("3", "100.00", "300.00"),
        ("2.5", "10.10", "25.25"),
        ("0", "100.00", "0"),
        ("-1", "100.00", "-100.00"),
    ],
)
def test_per_unit_is_quantity_times_amount_whatever_the_volume(quantity, amount, expected):
    result = rule_amount(
        kind="per_unit", volume=D("999999"), quantity=D(quantity), amount=D(amount)
    )

    assert result.amount == D(expected)
    assert [(s.label, s.base, s.factor, s.unit) for s in result.steps] == [
        ("per_unit", D(quantity), D(amount), "×")
    ]


@pytest.mark.parametrize(
    ("volume", "expected", "steps"),
    [
        ("0", "0", [("bracket 1", "0", "3")]),
        ("0.01", "0.0003", [("bracket 1", "0.01", "3")]),
        ("99999.99", "2999.9997", [("bracket 1", "99999.99", "3")]),
        ("100000", "3000", [("bracket 1", "100000", "3")]),
        # 100,000 × 3% + 0.01 × 6%
        ("100000.01", "3000.0006", [("bracket 1", "100000", "3"), ("bracket 2", "0.01", "6")]),
        # 100,000 × 3% + 50,000 × 6%
        ("150000", "6000", [("bracket 1", "100000", "3"), ("bracket 2", "50000", "6")]),
        # a negative volume earns V × the first bracket's rate
        ("-100000", "-3000", [("bracket 1", "-100000", "3")]),
        ("-150000", "-4500", [("bracket 1", "-150000", "3")]),
    ],
)
def test_tiered_marginal_two_brackets(volume, expected, steps):
    result = rule_amount(
        kind="tiered_marginal", volume=D(volume), quantity=D("1"), brackets=MARGINAL
    )

    assert result.amount == D(expected)
    assert [(s.label, s.base, s.factor) for s in result.steps] == [
        (label, D(base), D(rate)) for label, base, rate in steps
    ]


@pytest.mark.parametrize(
    ("volume", "expected"),
    [
        ("10000", "100"),  # 10,000 × 1%
        ("10000.01", "100.0002"),  # + 0.01 × 2%
        ("50000", "900"),  # 100 + 40,000 × 2%
        ("60000", "1400"),  # 100 + 800 + 10,000 × 5%
    ],
)
def test_tiered_marginal_three_brackets(volume, expected):
    result = rule_amount(kind="tiered_marginal", volume=D(volume), quantity=D("1"), brackets=THREE)

    assert result.amount == D(expected)


@pytest.mark.parametrize(
    ("volume", "expected", "label", "rate"),
    [
        ("0", "0", "bracket 1", "2"),
        ("49999.99", "999.9998", "bracket 1", "2"),
        ("50000", "1000", "bracket 1", "2"),  # the bracket includes its own `upto`
        ("50000.01", "2000.0004", "bracket 2", "4"),  # all of V at the second rate
        ("200000", "8000", "bracket 2", "4"),
        ("-100", "-2", "bracket 1", "2"),  # negative: the first bracket's rate
        ("-80000", "-1600", "bracket 1", "2"),
    ],
)
def test_tiered_flat(volume, expected, label, rate):
    result = rule_amount(kind="tiered_flat", volume=D(volume), quantity=D("1"), brackets=FLAT)

    assert result.amount == D(expected)
    assert [(s.label, s.base, s.factor) for s in result.steps] == [(label, D(volume), D(rate))]


@pytest.mark.parametrize(
    ("volume", "expected"),
    [("10000", "100"), ("10000.01", "200.0002"), ("50000", "1000"), ("50000.01", "2500.0005")],
)
def test_tiered_flat_three_brackets(volume, expected):
    result = rule_amount(kind="tiered_flat", volume=D(volume), quantity=D("1"), brackets=THREE)

    assert result.amount == D(expected)


def test_brackets_may_be_given_as_decimals_from_the_database():
    brackets = [{"upto": "100000.00", "rate": "3.0000"}, {"upto": None, "rate": "6.0000"}]

    result = rule_amount(
        kind="tiered_marginal", volume=D("150000"), quantity=D("1"), brackets=brackets
    )

    assert result.amount == D("6000")


@pytest.mark.parametrize("kind", ["tiered_marginal", "tiered_flat"])
def test_tiered_rule_without_brackets_is_refused(kind):
    with pytest.raises(ValueError, match="brackets"):
        rule_amount(kind=kind, volume=D("1"), quantity=D("1"), brackets=[])


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown rule kind"):
        rule_amount(kind="bonus", volume=D("1"), quantity=D("1"), brackets=FLAT)


# Properties -------------------------------------------------------------------------------------

cents = st.integers(min_value=0, max_value=10**10).map(lambda n: D(n) / 100)
signed_cents = st.integers(min_value=-(10**10), max_value=10**10).map(lambda n: D(n) / 100)
rates = st.integers(min_value=0, max_value=10000).map(lambda n: D(n) / 100)


@st.composite
def bracket_tables(draw, rate=rates):
    uptos = sorted(draw(st.sets(st.integers(min_value=1, max_value=10**9), min_size=0, max_size=4)))
    table = [{"upto": str(D(u) / 100), "rate": str(draw(rate))} for u in uptos]
    table.append({"upto": None, "rate": str(draw(rate))})
    return table


def _marginal(volume, table):
    return rule_amount(kind="tiered_marginal", volume=volume, quantity=D("1"), brackets=table)


def _flat(volume, table):
    return rule_amount(kind="tiered_flat", volume=volume, quantity=D("1"), brackets=table)


@settings(max_examples=200, deadline=None)
@given(table=bracket_tables(), a=cents, b=cents)
def test_marginal_is_monotonic_for_non_negative_rates(table, a, b):
    low, high = sorted([a, b])

    assert _marginal(low, table).amount <= _marginal(high, table).amount


@settings(max_examples=200, deadline=None)
@given(table=bracket_tables(), volume=cents, step=st.integers(1, 10**6).map(lambda n: D(n) / 100))
def test_marginal_is_continuous(table, volume, step):
    # Adding `step` to V adds at most step × the highest rate, and at least step × the lowest.
    top = max(D(b["rate"]) for b in table)
    bottom = min(D(b["rate"]) for b in table)

    grown = _marginal(volume + step, table).amount - _marginal(volume, table).amount

    assert step * bottom / 100 <= grown <= step * top / 100


@settings(max_examples=200, deadline=None)
@given(table=bracket_tables(), volume=cents)
def test_marginal_is_the_sum_of_its_steps_and_the_steps_cover_the_volume(table, volume):
    result = _marginal(volume, table)

    assert result.amount == sum((s.result for s in result.steps), D("0"))
    assert sum((s.base for s in result.steps), D("0")) == volume


@settings(max_examples=200, deadline=None)
@given(table=bracket_tables(), volume=cents)
def test_flat_is_volume_times_the_rate_of_the_bracket_it_falls_in(table, volume):
    bracket = next(b for b in table if b["upto"] is None or volume <= D(b["upto"]))

    assert _flat(volume, table).amount == volume * D(bracket["rate"]) / 100


@settings(max_examples=200, deadline=None)
@given(
    table=bracket_tables(rate=st.integers(0, 100).map(D)).filter(
        lambda t: [D(b["rate"]) for b in t] == sorted(D(b["rate"]) for b in t)
    ),
    volume=cents,
)
def test_flat_never_pays_less_than_marginal_when_rates_rise(table, volume):
    assert _flat(volume, table).amount >= _marginal(volume, table).amount


@settings(max_examples=200, deadline=None)
@given(table=bracket_tables(), volume=st.integers(-(10**10), -1).map(lambda n: D(n) / 100))
def test_negative_volume_earns_the_first_rate_in_both_tiered_kinds(table, volume):
    expected = volume * D(table[0]["rate"]) / 100

    assert _marginal(volume, table).amount == expected
    assert _flat(volume, table).amount == expected


@settings(max_examples=200, deadline=None)
@given(rate=rates, volume=signed_cents)
def test_one_open_bracket_is_a_percent_rule(rate, volume):
    table = [{"upto": None, "rate": str(rate)}]
    percent = rule_amount(kind="percent", volume=volume, quantity=D("1"), rate=rate).amount

    assert _marginal(volume, table).amount == percent
    assert _flat(volume, table).amount == percent


@settings(max_examples=200, deadline=None)
@given(rate=rates, a=signed_cents, b=signed_cents)
def test_percent_is_additive(rate, a, b):
    def pct(v):
        return rule_amount(kind="percent", volume=v, quantity=D("1"), rate=rate).amount

    assert pct(a + b) == pct(a) + pct(b)
