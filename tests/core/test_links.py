"""prm.core.links: paths filled by string formatting are those reverse() builds."""

import pytest
from django.urls import reverse

from prm.core.links import link, linker


@pytest.mark.parametrize(
    ("name", "argument"),
    [
        ("agreement_detail", "AG-7"),
        ("agreement_detail", "AG 7ü?&#"),
        ("partner_detail", "P-ACME"),
        ("partner_detail", "p_a.b~c-9"),
        ("partner_detail", "P 1ü~"),
        ("deal_detail", 12),
    ],
)
def test_link_and_linker_give_what_reverse_gives(name, argument):
    expected = reverse(name, args=[argument])
    assert link(name, argument) == expected
    assert linker(name)(argument) == expected
