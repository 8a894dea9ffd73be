"""Every kind of net-price fall opens claims (list price, override, tier, a tier's discount table),
and the impact of a change is known before it is saved: `load_program --preview` and the impact
figures, against hand-computed figures and with exact query counts."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from agreements.models import (
    AgreementVersion,
    PriceList,
    PriceListItem,
    PriceOverride,
    TierLineDiscount,
)
from agreements.services.program import program_load
from funds.models import PriceProtectionClaim, PurchaseInvoiceLine
from funds.protection import Prices, impacts, price_cuts
from partners.models import Tier
from tests.agreements.factories import (
    AgreementFactory,
    AgreementVersionFactory,
    PriceListFactory,
    PriceListItemFactory,
    ProductFactory,
    ProductLineFactory,
)
from tests.factories import PartnerFactory, TierFactory

T = PriceProtectionClaim.Trigger
D = Decimal


def protect(partner, days=30):
    agreement = AgreementFactory(
        partner=partner, start=dt.date(2026, 1, 1), end=dt.date(2030, 12, 31)
    )
    AgreementVersionFactory(
        agreement=agreement,
        status=AgreementVersion.Status.ACCEPTED,
        in_force_from=dt.date(2026, 1, 1),
        price_protection_days=days,
        price_notice_days=0,
    )


def buy(partner, product, invoice, days_ago, units, price):
    PurchaseInvoiceLine.objects.create(
        invoice_number=invoice,
        line=1,
        partner=partner,
        product=product,
        invoice_date=timezone.localdate() - dt.timedelta(days=days_ago),
        quantity=D(units),
        unit_net_price=D(price),
        currency=partner.currency,
    )


@pytest.fixture
def shop(world):
    """Tier silver (10 %) holds A and B (both protected 30 days) and C (no protection). Line NET:
    SW-24 at 1,000 and SW-48 at 2,000; line WIFI: AP-1 at 500. A bought 4 SW-24 three days ago
    and 2 SW-24 forty days ago (outside its window); B bought 10 SW-48 a day ago."""
    silver = TierFactory(code="silver", name="Silver")
    silver.default_discount = D("10")
    silver.save()
    net, wifi = ProductLineFactory(code="NET"), ProductLineFactory(code="WIFI")
    base = PriceListFactory(code="BASE", effective_from=dt.date(2026, 1, 1))
    sw24 = ProductFactory(sku="SW-24", line=net)
    sw48 = ProductFactory(sku="SW-48", line=net)
    ap1 = ProductFactory(sku="AP-1", line=wifi)
    for product, price in ((sw24, "1000.00"), (sw48, "2000.00"), (ap1, "500.00")):
        PriceListItemFactory(price_list=base, product=product, list_price=D(price))
    a, b = world.partner, world.other_partner
    c = PartnerFactory(code="P-C")
    for partner in (a, b, c):
        partner.tier = silver
        partner.save()
    protect(a)
    protect(b)
    buy(a, sw24, "A-1", 3, "4", "900.00")
    buy(a, sw24, "A-0", 40, "2", "900.00")
    buy(b, sw48, "B-1", 1, "10", "1800.00")
    return {"tier": silver, "a": a, "b": b, "c": c, "sw24": sw24, "sw48": sw48, "ap1": ap1}


def claims():
    return {
        (c.partner.code, c.product.sku): (c.previous_net_price, c.new_net_price, c.trigger)
        for c in PriceProtectionClaim.objects.select_related("partner", "product")
    }


def test_a_tier_default_discount_cut_opens_claims_for_every_protected_partner(shop):
    tier = Tier.objects.get(code="silver")
    tier.default_discount = D("20")
    tier.save()
    assert claims() == {
        ("P-A", "SW-24"): (D("900.00"), D("800.00"), T.TIER_DISCOUNT),
        ("P-A", "SW-48"): (D("1800.00"), D("1600.00"), T.TIER_DISCOUNT),
        ("P-A", "AP-1"): (D("450.00"), D("400.00"), T.TIER_DISCOUNT),
        ("P-B", "SW-24"): (D("900.00"), D("800.00"), T.TIER_DISCOUNT),
        ("P-B", "SW-48"): (D("1800.00"), D("1600.00"), T.TIER_DISCOUNT),
        ("P-B", "AP-1"): (D("450.00"), D("400.00"), T.TIER_DISCOUNT),
    }
    assert set(PriceProtectionClaim.objects.values_list("effective_date", flat=True)) == {
        timezone.localdate()
    }
    # Saving it unchanged, or raising the price back, opens nothing more.
    tier.save()
    tier.default_discount = D("5")
    tier.save()
    assert PriceProtectionClaim.objects.count() == 6


def test_a_line_discount_added_changed_and_deleted(shop):
    line = TierLineDiscount.objects.create(tier=shop["tier"], line=shop["sw24"].line, percent=D(15))
    # 10 % → 15 % on NET only: 900 → 850 and 1,800 → 1,700, for A and B.
    assert claims() == {
        ("P-A", "SW-24"): (D("900.00"), D("850.00"), T.TIER_DISCOUNT),
        ("P-A", "SW-48"): (D("1800.00"), D("1700.00"), T.TIER_DISCOUNT),
        ("P-B", "SW-24"): (D("900.00"), D("850.00"), T.TIER_DISCOUNT),
        ("P-B", "SW-48"): (D("1800.00"), D("1700.00"), T.TIER_DISCOUNT),
    }
    # A further cut the same day lowers the claims still awaiting their declaration.
    line = TierLineDiscount.objects.get(pk=line.pk)
    line.percent = D("25")
    line.save()
    assert claims()[("P-A", "SW-24")] == (D("900.00"), D("750.00"), T.TIER_DISCOUNT)
    assert PriceProtectionClaim.objects.count() == 4
    # Deleting a line discount below the tier's default is a cut too (tomorrow's claims).
    PriceProtectionClaim.objects.all().delete()
    line.percent = D("5")
    line.save()  # a rise: nothing
    assert not PriceProtectionClaim.objects.exists()
    TierLineDiscount.objects.get(pk=line.pk).delete()  # 5 % → the default 10 %
    assert claims()[("P-B", "SW-48")] == (D("1900.00"), D("1800.00"), T.TIER_DISCOUNT)
    assert PriceProtectionClaim.objects.count() == 4


def test_an_override_discount_change_opens_a_claim_and_an_unchanged_save_nothing(shop):
    override = PriceOverride.objects.create(
        partner=shop["a"], product=shop["sw24"], discount=D("12")
    )
    assert claims() == {("P-A", "SW-24"): (D("900.00"), D("880.00"), T.OVERRIDE)}
    PriceOverride.objects.get(pk=override.pk).save()
    assert PriceProtectionClaim.objects.count() == 1


def test_impact_is_set_based_and_matches_hand_figures(shop, django_assert_num_queries):
    partners = [shop["a"], shop["b"], shop["c"]]
    today = timezone.localdate()
    ids = [shop["sw24"].pk, shop["sw48"].pk]
    with django_assert_num_queries(11):
        found = impacts(
            price_cuts(
                partners=partners,
                product_ids=ids,
                effective=today,
                after=Prices(default_discount_of={shop["tier"].pk: D("20")}),
            )
        )
    # units × drop: A 4 SW-24 (the purchase of 40 days ago is outside the window) × 100;
    # B 10 SW-48 × 200.
    assert [(i.partner.code, i.product.sku, i.units, i.drop, i.exposure) for i in found] == [
        ("P-A", "SW-24", D("4"), D("100.00"), D("400.00")),
        ("P-A", "SW-48", D("0"), D("200.00"), D("0.00")),
        ("P-B", "SW-24", D("0"), D("100.00"), D("0.00")),
        ("P-B", "SW-48", D("10"), D("200.00"), D("2000.00")),
    ]
    assert not PriceProtectionClaim.objects.exists()
    # The same number of queries for ten more protected partners.
    for n in range(10):
        more = PartnerFactory(code=f"P-M{n}", tier=shop["tier"])
        protect(more)
        partners.append(more)
    with django_assert_num_queries(11):
        found = impacts(
            price_cuts(
                partners=partners,
                product_ids=ids,
                effective=today,
                after=Prices(default_discount_of={shop["tier"].pk: D("20")}),
            )
        )
    assert len(found) == 24


PROGRAM = {
    "product_lines": [{"code": "NET", "name": "Networking"}, {"code": "WIFI", "name": "Wi-Fi"}],
    "tiers": [{"code": "silver", "name": "Silver", "default_discount": "10", "discounts": {}}],
}


def run(path, *args):
    out = io.StringIO()
    call_command("load_program", str(path), *args, stdout=out)
    return out.getvalue()


def test_load_program_previews_the_impact_then_opens_the_claims(shop, tmp_path):
    import json

    path = tmp_path / "program.json"
    data = {
        **PROGRAM,
        "tiers": [
            {
                "code": "silver",
                "name": "Silver",
                "default_discount": "20",
                "discounts": {"NET": "25"},
            }
        ],
    }
    path.write_text(json.dumps(data))
    preview = run(path, "--preview")
    d = timezone.localdate().isoformat()
    # NET at 25 % (A: 4 × 150 on SW-24; B: 10 × 300 on SW-48), WIFI at the default 20 %.
    assert (
        "price protection: 6 claim(s) for 2 partner(s); credit at most units bought in the "
        "window × drop (no units on hand declared yet)\n"
        "  P-A: at most 600.00 TWD\n"
        f"    AP-1 from {d}: 450.00 -> 400.00, 0 unit(s) bought in 30 days, at most 0.00 TWD\n"
        f"    SW-24 from {d}: 900.00 -> 750.00, 4 unit(s) bought in 30 days, at most 600.00 TWD\n"
        f"    SW-48 from {d}: 1800.00 -> 1500.00, 0 unit(s) bought in 30 days, at most 0.00 TWD\n"
        "  P-B: at most 3000.00 TWD\n"
    ) in preview
    assert "Preview of program.json: nothing was written." in preview
    assert not PriceProtectionClaim.objects.exists()
    assert Tier.objects.get(code="silver").default_discount == D("10")
    assert not TierLineDiscount.objects.exists()

    loaded = run(path)
    assert "price protection: 6 claim(s) for 2 partner(s)" in loaded
    assert "  P-B: at most 3000.00 TWD" in loaded
    assert claims()[("P-A", "SW-24")] == (D("900.00"), D("750.00"), T.TIER_DISCOUNT)
    assert claims()[("P-A", "AP-1")] == (D("450.00"), D("400.00"), T.TIER_DISCOUNT)
    assert PriceProtectionClaim.objects.count() == 6

    # Idempotent: a second run changes nothing and opens nothing.
    assert "price protection: no claim" in run(path)
    assert PriceProtectionClaim.objects.count() == 6


def test_load_program_tier_change_of_a_partner_and_a_rise(shop, tmp_path):
    import json

    gold = TierFactory(code="gold", name="Gold")
    gold.default_discount = D("30")
    gold.save()
    path = tmp_path / "program.json"
    path.write_text(json.dumps({**PROGRAM, "tiers": [
        {"code": "silver", "name": "Silver", "default_discount": "5", "discounts": {}},
    ]}))  # fmt: skip
    assert "price protection: no claim" in run(path)  # a rise opens nothing
    assert not PriceProtectionClaim.objects.exists()
    report = program_load(
        {
            "partners": [
                {"code": "P-A", "name": shop["a"].name, "tier": "gold", "currency": "TWD"},
            ]
        }
    )
    # 5 % → 30 %: 950 → 700 on SW-24, 4 units bought in the window.
    assert "  P-A: at most 1000.00 TWD" in report.notes
    assert claims()[("P-A", "SW-24")] == (D("950.00"), D("700.00"), T.TIER)


# The confirmation step in Django admin


def tier_form(tier, **changes):
    return {
        "code": tier.code,
        "name": tier.name,
        "local_name": tier.local_name,
        "rank": tier.rank,
        "default_discount": str(tier.default_discount),
        "requirements": "",
        "benefits": "",
        "_save": "Save",
        **changes,
    }


def test_admin_tier_discount_cut_is_confirmed_before_it_is_saved(shop, world):
    client = world.client("vendor_admin")
    url = reverse("admin:partners_tier_change", args=[shop["tier"].pk])
    answer = client.post(url, tier_form(shop["tier"], default_discount="20"))
    assert answer.status_code == 200
    assert answer.templates[0].name == "admin/funds/protection_preview.html"
    page = answer.content.decode()
    assert "opens 6 price-protection claims for 2 partners" in page
    # A: 4 SW-24 × 100; B: 10 SW-48 × 200; the rest bought nothing in the window.
    groups = {g.partner.code: g.exposure for g in answer.context["groups"]}
    assert groups == {"P-A": D("400.00"), "P-B": D("2000.00")}
    assert "at most 400.00 TWD" in page
    assert "at most 2000.00 TWD" in page
    assert f'href="{url}"' in page  # back to the form
    assert 'name="_protection_confirmed"' in page
    assert 'name="default_discount" value="20"' in page
    # Nothing written: the tier, the claims, the admin log.
    assert Tier.objects.get(pk=shop["tier"].pk).default_discount == D("10")
    assert not PriceProtectionClaim.objects.exists()
    # No success message, here or later, for a save that did not happen.
    assert "changed successfully" not in page
    assert not list(client.get(reverse("admin:index")).context["messages"])

    confirmed = client.post(
        url, tier_form(shop["tier"], default_discount="20", _protection_confirmed="1")
    )
    assert confirmed.status_code == 302
    assert Tier.objects.get(pk=shop["tier"].pk).default_discount == D("20")
    assert PriceProtectionClaim.objects.count() == 6


def test_admin_change_without_impact_saves_directly(shop, world):
    client = world.client("vendor_admin")
    url = reverse("admin:partners_tier_change", args=[shop["tier"].pk])
    answer = client.post(url, tier_form(shop["tier"], name="Silver+", default_discount="5"))
    assert answer.status_code == 302
    assert "was changed successfully" in str(list(client.get(answer.url).context["messages"]))
    tier = Tier.objects.get(pk=shop["tier"].pk)
    assert (tier.name, tier.default_discount) == ("Silver+", D("5"))
    # An invalid form is shown again with its error, as always.
    answer = client.post(url, tier_form(shop["tier"], default_discount="120"))
    assert answer.status_code == 200
    assert "default_discount" in answer.context["adminform"].form.errors


def test_admin_override_and_line_discount_are_confirmed(shop, world):
    client = world.client("vendor_admin")
    form = {"partner": shop["b"].pk, "product": shop["sw48"].pk, "net_price": "1700.00"}
    answer = client.post(reverse("admin:agreements_priceoverride_add"), {**form, "_save": "1"})
    assert answer.status_code == 200
    (group,) = answer.context["groups"]
    assert [(i.product.sku, i.previous, i.new, i.units, i.exposure) for i in group.lines] == [
        ("SW-48", D("1800.00"), D("1700.00"), D("10"), D("1000.00"))
    ]
    assert not PriceOverride.objects.exists()
    answer = client.post(
        reverse("admin:agreements_priceoverride_add"), {**form, "_protection_confirmed": "1"}
    )
    assert answer.status_code == 302
    assert claims() == {("P-B", "SW-48"): (D("1800.00"), D("1700.00"), T.OVERRIDE)}

    form = {"tier": shop["tier"].pk, "line": shop["ap1"].line_id, "percent": "30"}
    answer = client.post(reverse("admin:agreements_tierlinediscount_add"), form)
    assert answer.status_code == 200
    # AP-1: 450 → 350 for A and B, nothing bought.
    assert [g.exposure for g in answer.context["groups"]] == [D("0.00"), D("0.00")]
    assert answer.context["claims"] == 2
    assert not TierLineDiscount.objects.exists()


def test_admin_list_price_cut_is_confirmed(shop, world):
    client = world.client("vendor_admin")
    today = timezone.localdate()
    form = {
        "code": "CUT",
        "name": "Cut",
        "currency": "TWD",
        "effective_from": today.isoformat(),
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
        "items-0-product": shop["sw24"].pk,
        "items-0-list_price": "800.00",
        "_save": "1",
    }
    answer = client.post(reverse("admin:agreements_pricelist_add"), form)
    assert answer.status_code == 200
    # SW-24: 900 → 720 for A (4 units: 720.00) and B (none).
    assert {g.partner.code: g.exposure for g in answer.context["groups"]} == {
        "P-A": D("720.00"),
        "P-B": D("0.00"),
    }
    assert not PriceList.objects.filter(code="CUT").exists()
    answer = client.post(
        reverse("admin:agreements_pricelist_add"), {**form, "_protection_confirmed": "1"}
    )
    assert answer.status_code == 302
    assert PriceListItem.objects.get(price_list__code="CUT").list_price == D("800.00")
    assert claims()[("P-A", "SW-24")] == (D("900.00"), D("720.00"), T.LIST_PRICE)


def test_admin_deleting_an_override_is_confirmed(shop, world):
    override = PriceOverride.objects.create(
        partner=shop["b"], product=shop["sw48"], net_price=D("1900.00")
    )
    client = world.client("vendor_admin")
    url = reverse("admin:agreements_priceoverride_delete", args=[override.pk])
    answer = client.post(url, {"post": "yes"})
    assert answer.status_code == 200
    (group,) = answer.context["groups"]
    # Without the override B pays the tier's 1,800: 10 units × 100.
    assert (group.partner.code, group.exposure) == ("P-B", D("1000.00"))
    assert PriceOverride.objects.filter(pk=override.pk).exists()
    answer = client.post(url, {"post": "yes", "_protection_confirmed": "1"})
    assert answer.status_code == 302
    assert not PriceOverride.objects.filter(pk=override.pk).exists()
    assert claims() == {("P-B", "SW-48"): (D("1900.00"), D("1800.00"), T.OVERRIDE)}


def _fields(form, prefix=""):
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        key = f"{prefix}{name}"
        if isinstance(value, list | tuple):
            data[key] = [str(x) for x in value]
        else:
            data[key] = "on" if value is True else str(value)
    return data


def change_form_data(context) -> dict:
    """What the browser posts back from an admin change form left as it is."""
    data = _fields(context["adminform"].form)
    for inline in context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        data.update({management.add_prefix(k): str(v) for k, v in management.initial.items()})
        for i, sub in enumerate(formset.forms):
            data.update(_fields(sub, f"{formset.prefix}-{i}-"))
    return data


def test_admin_partner_tier_change_is_confirmed(shop, world):
    gold = TierFactory(code="gold", name="Gold")
    gold.default_discount = D("30")
    gold.save()
    client = world.client("vendor_admin")
    url = reverse("admin:partners_partner_change", args=[shop["a"].pk])
    data = {**change_form_data(client.get(url).context), "tier": str(gold.pk), "_save": "1"}
    answer = client.post(url, data)
    assert answer.status_code == 200
    # A moves from silver (10 %) to gold (30 %): 4 SW-24 bought × 200.
    (group,) = answer.context["groups"]
    assert (group.partner.code, group.exposure) == ("P-A", D("800.00"))
    shop["a"].refresh_from_db()
    assert shop["a"].tier == shop["tier"]
    answer = client.post(url, {**data, "_protection_confirmed": "1"})
    assert answer.status_code == 302
    assert claims()[("P-A", "SW-24")] == (D("900.00"), D("700.00"), T.TIER)
