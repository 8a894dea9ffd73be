import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from partners.normalise import normalise_customer_name, normalise_domain, normalise_tax_id


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("Acme Inc.", "ACME, Inc"),
        ("Acme Inc.", "acme"),
        ("ACME Co., Ltd.", "Acme"),
        ("Acme Corporation", "acme corp"),
        ("Acme Trading Company Limited", "ACME TRADING"),
        ("Acme-Trading Ltd", "Acme Trading"),
        ("  Ａｃｍｅ　Ｉｎｃ．", "acme"),  # full-width letters and spaces
        ("Smith & Sons Ltd", "Smith and Sons"),
        ("台灣積體電路製造股份有限公司", "台灣積體電路製造"),
        ("臺灣積體電路製造股份有限公司", "台灣積體電路製造"),
        ("鴻海精密工業股份有限公司", "鴻海精密工業(股)公司"),
        ("港灣數碼分銷有限公司", "港灣數碼分銷"),
        ("聯發科技股份有限公司 ", "聯發科技"),
        ("Foxconn Technology Group", "FOXCONN TECHNOLOGY"),
    ],
)
def test_variants_of_one_customer_match(left, right):
    assert normalise_customer_name(left) == normalise_customer_name(right)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("Acme Inc.", "Acme Industries Inc."),
        ("Acme", "Apex"),
        ("台灣積體電路製造", "台灣電路製造"),
        ("Company", "Acme Company"),
    ],
)
def test_different_customers_do_not_match(left, right):
    assert normalise_customer_name(left) != normalise_customer_name(right)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Acme Inc.", "acme"),
        ("台灣積體電路製造股份有限公司", "台灣積體電路製造"),
        ("Limited", "limited"),
        ("公司", "公司"),
    ],
)
def test_normalised_forms(raw, expected):
    assert normalise_customer_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://www.acme.com/contact", "acme.com"),
        ("buyer@Acme.COM", "acme.com"),
        ("acme.com.tw", "acme.com.tw"),
        ("WWW.ACME.COM:443", "acme.com"),
    ],
)
def test_domains(raw, expected):
    assert normalise_domain(raw) == expected


def test_tax_ids_ignore_spacing_and_punctuation():
    assert normalise_tax_id("22-099 131") == normalise_tax_id("22099131") == "22099131"


@given(st.text(max_size=60))
def test_name_normalisation_is_idempotent(text):
    once = normalise_customer_name(text)
    assert normalise_customer_name(once) == once


@given(st.text(max_size=60))
def test_domain_and_tax_id_normalisation_are_idempotent(text):
    assert normalise_domain(normalise_domain(text)) == normalise_domain(text)
    assert normalise_tax_id(normalise_tax_id(text)) == normalise_tax_id(text)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Acme Inc 股份有限公司", "acme"),
        ("台灣積體電路製造 股份有限公司 Ltd.", "台灣積體電路製造"),
        ("有限公司", "有限"),
        ("Inc 公司", "inc"),
    ],
)
def test_mixed_legal_forms(raw, expected):
    assert normalise_customer_name(raw) == expected


LEGAL_FORMS = [
    "Inc.",
    "Co., Ltd.",
    "Limited",
    "Corp",
    "GmbH",
    "股份有限公司",
    "有限公司",
    "(股)公司",
]


@given(st.text(max_size=40), st.sampled_from(LEGAL_FORMS))
def test_a_legal_form_added_to_a_name_does_not_change_its_key(name, legal_form):
    key = normalise_customer_name(name)
    assume(key)
    assert normalise_customer_name(f"{name} {legal_form}") == key


@pytest.mark.parametrize("raw", ["0\r:", "www.www.acme.com", " .acme.com. ", "acme.com:\t"])
def test_domain_keys_settle_in_one_call(raw):
    once = normalise_domain(raw)
    assert normalise_domain(once) == once
