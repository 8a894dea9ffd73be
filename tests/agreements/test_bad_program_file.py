"""The bad-input corpus for channel program files (`load_program`): each bad file is reported
entry by entry, naming the entry and field, and nothing of it is applied."""

import pytest

from agreements.models import Product, ProductLine
from agreements.services.program import ProgramFileError, program_load, program_parse
from partners.models import Partner

pytestmark = pytest.mark.django_db

LINE = "product_lines: [{code: NET, name: Networking}]\n"


def product(**fields: str) -> str:
    values = {"sku": "A", "name": "A", "line": "NET", "list_price": "'1.00'", "currency": "TWD"}
    values.update(fields)
    return LINE + "products: [{" + ", ".join(f"{k}: {v}" for k, v in values.items()) + "}]\n"


KNOWN = (
    "unknown section (known: agreements, certifications, certified_people, commission_plans, "
    "exchange_rates, mdf_funds, obligations, partners, price_effective, price_overrides, "
    "product_lines, products, promotions, targets, tier_policy, tiers)"
)
CASES = {
    "invalid YAML": ("f.yaml", b"products: [{sku: A\n", "f.yaml: not valid YAML or JSON"),
    "invalid JSON": ("f.json", b'{"products": [', "f.json: not valid YAML or JSON"),
    "a list at the top": (
        "f.yaml",
        b"- a\n- b\n",
        "f.yaml: the top level must be a mapping of sections",
    ),
    "a section that is not a list": ("f.yaml", b"products: 5\n", "products: must be a list"),
    "an entry that is not a mapping": (
        "f.yaml",
        b"products: [5]\n",
        "products[0]: must be a mapping",
    ),
    "a list where text is expected": (
        "f.yaml",
        product(name="[1]").encode(),
        "products[0].name: not a string",
    ),
    "a YAML float amount": (
        "f.yaml",
        product(list_price="12.5").encode(),
        'products[0].list_price: not a decimal (write it as a string, e.g. "12.50")',
    ),
    "YAML .nan": (
        "f.yaml",
        product(list_price=".nan").encode(),
        'products[0].list_price: not a decimal (write it as a string, e.g. "12.50")',
    ),
    "NaN as text": (
        "f.yaml",
        product(list_price="'NaN'").encode(),
        "products[0].list_price: not a decimal",
    ),
    "Infinity as text": (
        "f.yaml",
        product(list_price="'Infinity'").encode(),
        "products[0].list_price: not a decimal",
    ),
    "a boolean amount": (
        "f.yaml",
        product(list_price="true").encode(),
        'products[0].list_price: not a decimal (write it as a string, e.g. "12.50")',
    ),
    "a huge amount in exponent notation": (
        "f.yaml",
        product(list_price="'1e30'").encode(),
        "products[0].list_price: too large",
    ),
    "a huge whole number": (
        "f.yaml",
        product(list_price="99999999999999999999").encode(),
        "products[0].list_price: too large",
    ),
    "three decimals": (
        "f.yaml",
        product(list_price="'1.005'").encode(),
        "products[0].list_price: more than 2 decimal places",
    ),
    "a negative price": (
        "f.yaml",
        product(list_price="'-1.00'").encode(),
        "products[0].list_price: must be at least 0",
    ),
    "an escaped NUL in JSON": (
        "f.json",
        b'{"product_lines": [{"code": "NET", "name": "Net\\u0000"}]}',
        "product_lines[0].name: contains a NUL byte",
    ),
    "an escaped NUL in YAML": (
        "f.yaml",
        LINE.replace("Networking", '"Net\\0work"').encode(),
        "product_lines[0].name: contains a NUL byte",
    ),
    "a control character in a name": (
        "f.yaml",
        LINE.replace("Networking", '"Net\\x07"').encode(),
        "product_lines[0].name: contains a control character (U+0007)",
    ),
    "a raw NUL byte": (
        "f.yaml",
        b"product_lines: [{code: NET, name: Net\x00}]\n",
        "f.yaml: not valid YAML or JSON (unacceptable character #x0000",
    ),
    "not UTF-8": (
        "f.yaml",
        "product_lines: [{code: NET, name: Café}]\n".encode("latin-1"),
        "f.yaml: not UTF-8 text (byte 37); save it as UTF-8",
    ),
    "an impossible YAML date": (
        "f.yaml",
        b"partners: [{code: P, name: P, currency: TWD}]\n"
        b"agreements: [{number: A, partner: P, plan: X, start: 2026-13-45}]\n",
        "f.yaml: not valid YAML or JSON (month must be in 1..12)",
    ),
    "an unknown section": ("f.yaml", b"gadgets: [1]\n", f"gadgets: {KNOWN}"),
    "duplicate codes": (
        "f.yaml",
        b"product_lines: [{code: NET, name: A}, {code: NET, name: B}]\n",
        "product_lines[1].code: duplicate of product_lines[0]",
    ),
    "a code longer than its column": (
        "f.yaml",
        ("product_lines: [{code: " + "N" * 300 + ", name: A}]\n").encode(),
        "product_lines[0].code: longer than 32 characters",
    ),
    "an unknown currency": (
        "f.yaml",
        product(currency="XYZ").encode(),
        "products[0].currency: unknown currency 'XYZ'",
    ),
    "a Python object tag": (
        "f.yaml",
        b"products: !!python/object/apply:os.system ['echo hi']\n",
        "f.yaml: not valid YAML or JSON (could not determine a constructor",
    ),
}


@pytest.mark.reliability("bad input", "program file")
@pytest.mark.parametrize(("name", "content", "expected"), CASES.values(), ids=list(CASES))
def test_a_bad_program_file_is_reported_and_nothing_is_applied(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)

    with pytest.raises(ProgramFileError) as raised:
        program_load(program_parse(path))

    assert any(error.startswith(expected) for error in raised.value.errors), raised.value.errors
    assert not ProductLine.objects.exists()
    assert not Product.objects.exists()
    assert not Partner.objects.exists()


@pytest.mark.reliability("bad input", "program file")
def test_a_50_mb_program_file_is_refused_unread(tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)

    with pytest.raises(ProgramFileError) as raised:
        program_parse(path)

    assert raised.value.errors == ["huge.yaml: larger than 10 MB; nothing was read"]


@pytest.mark.reliability("bad input", "program file")
def test_one_bad_entry_among_good_ones_applies_nothing(tmp_path):
    path = tmp_path / "mixed.yaml"
    path.write_text(
        "product_lines: [{code: NET, name: Networking}, {code: SEC, name: Security}]\n"
        "products:\n"
        "  - {sku: A, name: A, line: NET, list_price: '1.00', currency: TWD}\n"
        "  - {sku: B, name: B, line: SEC, list_price: 'NaN', currency: TWD}\n"
    )

    with pytest.raises(ProgramFileError) as raised:
        program_load(program_parse(path))

    assert raised.value.errors == ["products[1].list_price: not a decimal"]
    assert not ProductLine.objects.exists()
