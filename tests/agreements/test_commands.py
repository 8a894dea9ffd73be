import json
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from agreements.models import Agreement, AgreementVersion, PriceOverride, Product, Promotion
from partners.models import Membership, Partner
from prm.core.models import Event

pytestmark = pytest.mark.django_db
EXAMPLE = Path(__file__).with_name("program_example.yaml")


def _load(path) -> str:
    out = StringIO()
    call_command("load_program", str(path), stdout=out)
    return out.getvalue()


def _export(*args) -> str:
    out = StringIO()
    call_command("export_prices", *args, stdout=out)
    return out.getvalue()


def test_load_program_example_then_export_prices():
    _load(EXAMPLE)
    rows = json.loads(_export("--partner", "P-ACME", "--date", "2026-11-15"))
    assert rows == [
        {
            "sku": "SW-24",
            "list_price": "12000.00",
            "discount": "30",
            "promotion": "5",
            "net_price": "7980.00",
            "map_price": "11000.00",
            "currency": "TWD",
        }
    ]
    # Outside the promotion's dates: 12000 x 0.70 = 8400.
    before = json.loads(_export("--partner", "P-ACME", "--date", "2026-09-30"))
    assert (before[0]["promotion"], before[0]["net_price"]) == (None, "8400.00")


def test_load_program_creates_everything_with_its_relations():
    output = _load(EXAMPLE)
    partner = Partner.objects.get(code="P-ACME")
    assert partner.tier.code == "gold"
    assert partner.status == Partner.Status.ACTIVE
    assert list(partner.territories.values_list("code", flat=True)) == ["TW-TPE"]
    membership = Membership.objects.get(partner=partner)
    assert (membership.user.email, membership.role) == ("fin@acme.example", "finance")
    assert PriceOverride.objects.get(partner=partner).discount == 30
    assert list(Promotion.objects.get(code="Q4NET").tiers.values_list("code", flat=True)) == [
        "gold"
    ]
    agreement = Agreement.objects.get(number="AG-001")
    version = agreement.versions.get()
    assert (version.status, str(version.in_force_from), version.commission_plan) == (
        "accepted",
        "2026-01-01",
        "STD",
    )
    assert version.price_notice_days == 30
    assert version.termination_notice_days == 90
    assert "commission_plans: 1 created, 0 updated, 0 unchanged" in output
    assert "targets: 1 created, 0 updated, 0 unchanged" in output


def test_load_program_is_idempotent():
    _load(EXAMPLE)
    counts = _counts()
    second = _load(EXAMPLE)
    assert _counts() == counts
    assert " created" in second
    assert all("0 created, 0 updated" in line for line in second.splitlines() if "created," in line)


def _counts():
    return (
        Product.objects.count(),
        Partner.objects.count(),
        AgreementVersion.objects.count(),
        Event.objects.count(),
        Promotion.objects.count(),
    )


def test_load_program_json(tmp_path):
    data = yaml.safe_load(EXAMPLE.read_text())
    path = tmp_path / "program.json"
    path.write_text(json.dumps(data, default=str))
    _load(path)
    assert Product.objects.filter(sku="SW-24").exists()


def test_a_bad_file_is_reported_by_path_and_nothing_is_applied(tmp_path):
    data = yaml.safe_load(EXAMPLE.read_text())
    data["products"].append(
        {"sku": "SW-48", "name": "48-port", "line": "NET", "list_price": "abc", "currency": "TWD"}
    )
    data["products"].append(
        {"sku": "SW-96", "name": "96-port", "line": "NOPE", "list_price": "1.00", "currency": "XYZ"}
    )
    data["partners"][0]["users"][0]["role"] = "boss"
    data["agreements"][0]["end"] = "2025-01-01"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was applied"):
        call_command("load_program", str(path), stderr=err)
    errors = err.getvalue()
    assert "products[1].list_price: not a decimal" in errors
    assert "products[2].line: unknown product line 'NOPE'" in errors
    assert "products[2].currency: unknown currency 'XYZ'" in errors
    assert "partners[0].users[0].role: must be one of admin, finance, sales" in errors
    assert "agreements[0].end: before start" in errors
    assert not Product.objects.exists()
    assert not Partner.objects.exists()


def test_float_amounts_are_refused(tmp_path):
    path = tmp_path / "float.yaml"
    path.write_text(
        "product_lines: [{code: NET, name: Networking}]\n"
        "products: [{sku: A, name: A, line: NET, list_price: 12.5, currency: TWD}]\n"
    )
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("load_program", str(path), stderr=err)
    assert "products[0].list_price: not a decimal" in err.getvalue()


def test_price_change_inside_the_notice_period_is_refused(tmp_path):
    _load(EXAMPLE)
    data = yaml.safe_load(EXAMPLE.read_text())
    data["products"][0]["list_price"] = "13000.00"
    path = tmp_path / "raise.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("load_program", str(path), stderr=err)
    assert (
        "products[0].list_price: Agreement AG-001 (P-ACME) requires 30 days' notice"
        in err.getvalue()
    )
    # Far enough ahead, the change is accepted and dated.
    data["price_effective"] = "2099-01-01"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    _load(path)
    rows = json.loads(_export("--partner", "P-ACME", "--date", "2099-01-01"))
    assert rows[0]["list_price"] == "13000.00"
    rows = json.loads(_export("--partner", "P-ACME", "--date", "2098-12-31"))
    assert rows[0]["list_price"] == "12000.00"


def test_changed_agreement_terms_become_a_new_version_awaiting_acceptance(tmp_path):
    _load(EXAMPLE)
    data = yaml.safe_load(EXAMPLE.read_text())
    data["agreements"][0]["price_notice_days"] = 60
    path = tmp_path / "terms.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    _load(path)
    versions = list(AgreementVersion.objects.order_by("number").values_list("number", "status"))
    assert versions == [(1, "accepted"), (2, "awaiting_acceptance")]
    _load(path)  # idempotent: no third version
    assert AgreementVersion.objects.count() == 2


def test_export_prices_csv_and_errors():
    _load(EXAMPLE)
    text = _export("--partner", "P-ACME", "--date", "2026-11-15", "--format", "csv")
    assert text.splitlines() == [
        "sku,list_price,discount,promotion,net_price,map_price,currency",
        "SW-24,12000.00,30,5,7980.00,11000.00,TWD",
    ]
    with pytest.raises(CommandError, match="unknown partner"):
        _export("--partner", "NOPE")
    with pytest.raises(CommandError, match="not a date"):
        _export("--partner", "P-ACME", "--date", "2026-13-01")


def test_load_program_missing_file(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("load_program", str(tmp_path / "missing.yaml"))
