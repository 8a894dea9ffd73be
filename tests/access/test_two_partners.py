"""What one partner learns when something involves two: overlapping exclusive agreements, a deal
registration conflict, a channel-conflict case opened by a sales import, an announcement to
named partners. A partner may learn that a conflict exists, never with whom: the other partner's
name, code, agreement number and users' names and emails appear on none of its pages, API
answers, notifications or emails. Vendor staff see both sides."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from agreements.services.agreements import Terms, agreement_create, agreement_version_accept
from commissions.services.imports import sales_import
from disputes.models import Case
from partners.models import Membership, Partner, Territory
from partners.services import deal_approve, deal_register
from partners.services.announcements import announcement_create, announcement_publish
from prm.core.models import Event
from tests.agreements.factories import ProductFactory, ProductLineFactory
from tests.commissions.builders import csv_bytes
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
NUMBERS = {"partner": "AG-ACME-01", "other_partner": "AG-BRAVO-77"}
NOTICE = "This agreement's exclusive scope overlaps another agreement; the vendor is reviewing it."


def _agreement(world, partner, number, user):
    agreement = agreement_create(
        actor=world.users["vendor_admin"],
        partner=partner,
        number=number,
        start=TODAY - dt.timedelta(days=30),
        end=TODAY + dt.timedelta(days=335),
        terms=Terms(
            effective_date=TODAY - dt.timedelta(days=30),
            territories=["TW-TPE"],
            product_lines=["NET"],
            exclusive=True,
        ),
    )
    version = agreement.versions.get()
    agreement_version_accept(
        actor=world.users[user], version=version, ip="203.0.113.7", seen_hash=version.terms_hash
    )
    return agreement


def _deal(world, partner, user, customer="Globex Co."):
    return deal_register(
        partner=partner,
        actor=world.users[user],
        customer_name=customer,
        customer_tax_id="24536806",
        territory=Territory.objects.get(code="TW-TPE"),
        product_lines=[ProductLineFactory(code="NET")],
        estimated_value=Decimal("50000.00"),
        currency="TWD",
        expected_close=TODAY + dt.timedelta(days=30),
    )


@pytest.fixture
def two(world, django_capture_on_commit_callbacks):
    """Acme (P-A) and Bravo, renamed so that nothing else on a page could match its code, each
    with an exclusive agreement on TW-TPE / NET (Bravo's accepted second, so its overlap event
    names Acme's agreement), both registering Globex (Acme first, approved), a sale by Bravo to
    Globex imported (a channel-conflict case), and an announcement to both by name."""
    bravo = world.other_partner
    bravo.code, bravo.name, bravo.local_name = "BRAVO-77", "Bravo Distribution", "布拉沃經銷"
    bravo.save(update_fields=["code", "name", "local_name"])
    bravo_sales = UserFactory(email="sales@b.test", full_name="Bruno Bravissimo")
    MembershipFactory(user=bravo_sales, partner=bravo, role=Membership.Role.SALES)
    world.users["other_sales"] = bravo_sales
    ProductLineFactory(code="NET")
    Territory.objects.get_or_create(code="TW-TPE", defaults={"name": "Taipei"})
    ProductFactory(sku="SW-24", line=ProductLineFactory(code="NET"))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        acme_agreement = _agreement(world, world.partner, NUMBERS["partner"], "partner_admin")
        bravo_agreement = _agreement(world, bravo, NUMBERS["other_partner"], "other_partner")
        acme_deal = _deal(world, world.partner, "partner_sales")
        deal_approve(deal=acme_deal, actor=world.users["vendor_admin"], reason="First")
        bravo_deal = _deal(world, bravo, "other_sales", customer="GLOBEX Company Ltd")
        row = f"S-1,{bravo.code},SW-24,Globex Co.,24536806,,TW-TPE,{TODAY},sale,1,1000.00,TWD,"
        sales_import(content=csv_bytes(row), filename="sales.csv")
        announcement = announcement_create(
            actor=world.users["vendor_admin"],
            title="New switch line",
            body="Shipping next month.",
            category="product_update",
            audience="partners",
            partners=[world.partner, bravo],
        )
        announcement_publish(announcement=announcement, actor=world.users["vendor_admin"])
    world.acme_agreement, world.bravo_agreement = acme_agreement, bravo_agreement
    world.acme_deal, world.bravo_deal = acme_deal, bravo_deal
    world.case = Case.objects.get(kind=Case.Kind.CHANNEL_CONFLICT)
    world.announcement = announcement
    return world


def _secrets(world, side: str) -> list[str]:
    """What identifies `side` ("partner" or "other_partner") to the other partner."""
    partner: Partner = getattr(world, side)
    users = [m.user for m in partner.memberships.select_related("user")]
    names = [partner.name, partner.local_name, partner.code, NUMBERS[side]]
    names += [u.email for u in users] + [u.full_name for u in users if u.full_name]
    return [name for name in names if name]


def _pages(world, role: str, side: str) -> dict[str, str]:
    """Everything a partner user reads: pages in both languages, API answers."""
    partner: Partner = getattr(world, side)
    agreement = world.acme_agreement if side == "partner" else world.bravo_agreement
    deal = world.acme_deal if side == "partner" else world.bravo_deal
    urls = [
        reverse("dashboard"),
        reverse("agreement_list"),
        reverse("agreement_detail", args=[agreement.number]),
        reverse("partner_detail", kwargs={"code": partner.code}),
        reverse("deal_list"),
        reverse("deal_detail", kwargs={"pk": deal.pk}),
        reverse("case_list") + "?status=all",
        reverse("case_detail", kwargs={"pk": world.case.pk}),
        reverse("notification_list"),
        reverse("announcement_list"),
        reverse("announcement_detail", kwargs={"pk": world.announcement.pk}),
        reverse("api:deal-list"),
        reverse("api:case-list"),
        reverse("api:notification-list"),
        reverse("api:me"),
    ]
    client = world.client(role)
    seen = {}
    for language in ("en", "zh-hant"):
        for url in urls:
            response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
            if role.endswith("sales") and response.status_code in (403, 404):
                continue  # sales users open neither payouts nor cases they did not raise
            assert response.status_code == 200, (role, url, response.status_code)
            seen[f"{language} {url}"] = response.content.decode()
    return seen


@pytest.mark.parametrize(
    ("role", "side", "other"),
    [
        ("partner_admin", "partner", "other_partner"),
        ("partner_sales", "partner", "other_partner"),
        ("other_partner", "other_partner", "partner"),
        ("other_sales", "other_partner", "partner"),
    ],
)
def test_a_partner_reads_nothing_of_the_other_party(two, role, side, other):
    secrets = _secrets(two, other)
    for where, content in _pages(two, role, side).items():
        leaked = [s for s in secrets if s in content]
        assert leaked == [], where


def test_no_email_names_the_other_party(two):
    assert mail.outbox
    addresses = {
        side: {m.user.email for m in getattr(two, side).memberships.select_related("user")}
        for side in ("partner", "other_partner")
    }
    checked = 0
    for message in mail.outbox:
        text = (
            message.subject
            + message.body
            + "".join(str(content) for content, _mime in getattr(message, "alternatives", []))
        )
        for side, other in (("partner", "other_partner"), ("other_partner", "partner")):
            if set(message.to) & addresses[side]:
                checked += 1
                leaked = [s for s in _secrets(two, other) if s in text]
                assert leaked == [], (message.to, message.subject)
    assert checked >= 4


def test_the_partner_learns_that_its_agreement_overlaps_not_with_whom(two):
    for role, agreement in (
        ("other_partner", two.bravo_agreement),
        ("partner_admin", two.acme_agreement),
    ):
        page = two.client(role).get(reverse("agreement_detail", args=[agreement.number]))
        assert NOTICE in page.content.decode()
        assert "conflicts" not in page.context
    with translation.override("zh-hant"):
        assert translation.gettext(NOTICE) != NOTICE


def test_the_overlap_is_recorded_for_vendor_staff_only(two):
    event = Event.objects.get(verb="agreement.exclusivity_conflict")
    assert event.partner is None
    assert event.after["other"] == NUMBERS["partner"]
    page = two.client("vendor_admin").get(
        reverse("agreement_detail", args=[two.bravo_agreement.number])
    )
    content = page.content.decode()
    assert [other.number for other, _t, _l in page.context["conflicts"]] == [NUMBERS["partner"]]
    assert (
        f"The exclusive scope of {NUMBERS['other_partner']} overlaps {NUMBERS['partner']}"
        in content
    )
    assert NOTICE not in content


def test_the_vendor_dashboard_and_profiles_serve_vendor_staff(two):
    for url in (
        reverse("dashboard"),
        reverse("partner_detail", kwargs={"code": two.other_partner.code}),
    ):
        assert two.client("vendor_admin").get(url).status_code == 200
    # a partner never opens the other's profile
    response = two.client("partner_admin").get(
        reverse("partner_detail", kwargs={"code": two.other_partner.code})
    )
    assert response.status_code == 404
