"""A realistic demo: vendor staff and two distributors (Taiwan and Hong Kong) with their users,
territories, deal registrations (one conflict), jointly set targets, risk and recognition."""

import datetime as dt
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from agreements.demo import load_demo_program
from agreements.models import ProductLine
from commissions.demo import seed_demo_sales
from disputes.demo import seed_demo_cases
from enablement.demo_certificates import seed_demo_certificates
from enablement.demo_learning import seed_demo_learning, seed_demo_workshops
from enablement.demo_resources import seed_demo_resources
from engagement.demo import seed_demo_board, seed_demo_pulse
from engagement.demo_health import seed_demo_engagement
from funds.demo import seed_demo_funds
from funds.demo_protection import seed_demo_price_protection
from partners.demo_announcements import seed_demo_announcements
from partners.demo_reviews import seed_demo_reviews
from partners.models import (
    Award,
    DealRegistration,
    Membership,
    Partner,
    PartnerAward,
    Segment,
    Target,
    Territory,
    Tier,
)
from partners.periods import current_period, period_shift
from partners.services import (
    deal_approve,
    deal_register,
    membership_create,
    partner_assign_account_manager,
    partner_award_grant,
    partner_change_status,
    partner_create,
    partner_risk_update,
    target_proposal_accept,
    target_proposal_counter,
    target_propose,
)
from prm.accounts.models import User
from prm.accounts.services import user_create

# Demo passwords only: printed at the end so a visitor can sign in to each role.
DEMO_PASSWORD = "demo-portal-2026"

TIERS = [
    ("registered", "Registered", "註冊", 1, "0", "Signed reseller agreement.", "Portal access."),
    (
        "silver",
        "Silver",
        "銀級",
        2,
        "8",
        "Two certified engineers; TWD 5M annual sales.",
        "8% default discount, deal registration, quarterly business review.",
    ),
    (
        "gold",
        "Gold",
        "金級",
        3,
        "15",
        "Four certified engineers; TWD 20M annual sales.",
        "15% default discount, marketing development funds, priority support.",
    ),
    (
        "platinum",
        "Platinum",
        "白金級",
        4,
        "22",
        "Eight certified engineers; TWD 60M annual sales.",
        "22% default discount, dedicated channel manager, early access to launches.",
    ),
]

TERRITORIES = [
    ("TW", "Taiwan", "台灣"),
    ("TW-TPE", "Taipei City", "臺北市"),
    ("TW-NWT", "New Taipei City", "新北市"),
    ("TW-HSZ", "Hsinchu City", "新竹市"),
    ("TW-TXG", "Taichung City", "臺中市"),
    ("TW-KHH", "Kaohsiung City", "高雄市"),
    ("HK", "Hong Kong", "香港"),
]
SEGMENTS = [
    ("enterprise", "Enterprise", "大型企業"),
    ("smb", "Small and medium business", "中小企業"),
    ("public-sector", "Public sector", "公部門"),
    ("education", "Education", "教育"),
]
PRODUCT_LINES = [
    ("NET", "Networking", "網路"),
    ("SEC", "Security", "資訊安全"),
    ("WLAN", "Wireless", "無線網路"),
]

VENDOR_USERS = [
    ("admin@vendor.example", "Grace Chen", User.VendorRole.ADMIN, "en"),
    ("cm@vendor.example", "Kevin Lin", User.VendorRole.CHANNEL_MANAGER, "zh-hant"),
]

PARTNERS = [
    {
        "code": "P-FORMOSA",
        "name": "Formosa Network Systems",
        "local_name": "福爾摩沙網通股份有限公司",
        "legal_name": "Formosa Network Systems Co., Ltd.",
        "country": "TW",
        "currency": "TWD",
        "tier": "gold",
        "tax_id": "27654321",
        "territories": ["TW-TPE", "TW-NWT", "TW-HSZ"],
        "segments": ["enterprise", "public-sector"],
        "users": [
            ("admin@formosa.example", "Wang Mei-ling", Membership.Role.ADMIN, "zh-hant"),
            ("finance@formosa.example", "Chang Yu-ting", Membership.Role.FINANCE, "zh-hant"),
            ("sales@formosa.example", "Huang Chih-wei", Membership.Role.SALES, "zh-hant"),
        ],
    },
    {
        "code": "P-HARBOUR",
        "name": "Harbour Digital Distribution",
        "local_name": "港灣數碼分銷有限公司",
        "legal_name": "Harbour Digital Distribution Limited",
        "country": "HK",
        "currency": "HKD",
        "tier": "silver",
        "tax_id": "HK-31234567",
        "territories": ["HK", "TW-KHH"],
        "segments": ["smb", "education"],
        "users": [
            ("admin@harbour.example", "Alice Wong", Membership.Role.ADMIN, "en"),
            ("finance@harbour.example", "Peter Chan", Membership.Role.FINANCE, "en"),
            ("sales@harbour.example", "Cheung Ka-yan", Membership.Role.SALES, "zh-hant"),
        ],
    },
]

# One consultant works for both distributors and switches between them.
SHARED_USER = ("consultant@channel-advisors.example", "Daniel Liu", "en")


class Command(BaseCommand):
    help = "Create demo users and partners (idempotent); prints the demo logins."

    @transaction.atomic
    def handle(self, *args, **options):
        tiers = {}
        for code, name, local_name, rank, discount, requirements, benefits in TIERS:
            tiers[code], _ = Tier.objects.get_or_create(
                code=code,
                defaults={
                    "name": name,
                    "local_name": local_name,
                    "rank": rank,
                    "default_discount": Decimal(discount),
                    "requirements": requirements,
                    "benefits": benefits,
                },
            )
        territories = {
            code: Territory.objects.get_or_create(
                code=code, defaults={"name": name, "local_name": local_name}
            )[0]
            for code, name, local_name in TERRITORIES
        }
        segments = {
            code: Segment.objects.get_or_create(
                code=code, defaults={"name": name, "local_name": local_name}
            )[0]
            for code, name, local_name in SEGMENTS
        }
        for code, name, local_name in PRODUCT_LINES:
            ProductLine.objects.get_or_create(
                code=code, defaults={"name": name, "local_name": local_name}
            )
        users = {}
        for email, full_name, role, language in VENDOR_USERS:
            users[email] = self._user(email, full_name, language, vendor_role=role)
        admin = users["admin@vendor.example"]
        manager = users["cm@vendor.example"]
        for spec in PARTNERS:
            partner = Partner.objects.filter(code=spec["code"]).first()
            if partner is None:
                partner = partner_create(
                    actor=admin,
                    code=spec["code"],
                    name=spec["name"],
                    local_name=spec["local_name"],
                    legal_name=spec["legal_name"],
                    tax_id=spec["tax_id"],
                    country=spec["country"],
                    currency=spec["currency"],
                    tier=tiers[spec["tier"]],
                    territories=[territories[code] for code in spec["territories"]],
                    segments=[segments[code] for code in spec["segments"]],
                )
                partner_change_status(
                    partner=partner,
                    status=Partner.Status.ONBOARDING,
                    actor=admin,
                    reason="Distribution agreement signed.",
                )
                partner_change_status(
                    partner=partner,
                    status=Partner.Status.ACTIVE,
                    actor=admin,
                    reason="Onboarding training completed.",
                )
            if partner.account_manager_id is None:
                partner_assign_account_manager(partner=partner, manager=manager, actor=admin)
            for email, full_name, role, language in spec["users"]:
                user = self._user(email, full_name, language)
                self._member(partner, user, role, admin)
        shared = self._user(SHARED_USER[0], SHARED_USER[1], SHARED_USER[2])
        self._member(Partner.objects.get(code="P-FORMOSA"), shared, Membership.Role.FINANCE, admin)
        self._member(Partner.objects.get(code="P-HARBOUR"), shared, Membership.Role.SALES, admin)
        self._channel_activity(admin, manager)
        seed_demo_announcements(admin=admin, manager=manager)
        load_demo_program(actor=admin)
        seed_demo_sales()
        seed_demo_reviews(manager=manager)
        seed_demo_cases()
        seed_demo_certificates(actor=admin)
        seed_demo_learning()
        seed_demo_workshops()
        seed_demo_resources(actor=admin)
        seed_demo_funds()
        seed_demo_price_protection()
        seed_demo_pulse()
        seed_demo_board()
        seed_demo_engagement()

        self.stdout.write(
            self.style.SUCCESS("Demo data is ready. Sign in at /accounts/login/ with:")
        )
        rows = [(e, "vendor " + r.label) for e, _, r, _ in VENDOR_USERS]
        for spec in PARTNERS:
            rows += [(e, f"{spec['code']} {r.label}") for e, _, r, _ in spec["users"]]
        rows.append((SHARED_USER[0], "P-FORMOSA finance + P-HARBOUR sales"))
        for email, label in rows:
            self.stdout.write(f"  {email:<40} {DEMO_PASSWORD}   ({label})")

    def _channel_activity(self, admin, manager):
        """Deals (one conflict), targets, risk and awards, once."""
        formosa = Partner.objects.get(code="P-FORMOSA")
        harbour = Partner.objects.get(code="P-HARBOUR")
        lines = {line.code: line for line in ProductLine.objects.all()}
        today = timezone.localdate()
        if not DealRegistration.objects.filter(partner__in=[formosa, harbour]).exists():
            formosa_sales = User.objects.get(email="sales@formosa.example")
            harbour_sales = User.objects.get(email="sales@harbour.example")
            approved = deal_register(
                partner=formosa,
                actor=formosa_sales,
                customer_name="Taiwan Semiconductor Manufacturing Co., Ltd.",
                customer_tax_id="22099131",
                customer_domain="tsmc.com",
                territory=Territory.objects.get(code="TW-HSZ"),
                product_lines=[lines["NET"], lines["SEC"]],
                estimated_value=Decimal("4800000.00"),
                currency="TWD",
                expected_close=today + dt.timedelta(days=75),
                description="Campus core switch refresh, two fabs.",
            )
            deal_approve(
                deal=approved,
                actor=manager,
                reason="Customer confirmed Formosa as the implementation partner.",
            )
            deal_register(
                partner=formosa,
                actor=formosa_sales,
                customer_name="國立臺灣大學",
                customer_domain="ntu.edu.tw",
                territory=Territory.objects.get(code="TW-TPE"),
                product_lines=[lines["WLAN"]],
                estimated_value=Decimal("1250000.00"),
                currency="TWD",
                expected_close=today + dt.timedelta(days=40),
            )
            deal_register(
                partner=harbour,
                actor=harbour_sales,
                customer_name="台灣積體電路製造股份有限公司",
                customer_tax_id="22-099-131",
                territory=Territory.objects.get(code="TW-KHH"),
                product_lines=[lines["NET"]],
                estimated_value=Decimal("980000.00"),
                currency="HKD",
                expected_close=today + dt.timedelta(days=30),
                description="Kaohsiung fab network upgrade.",
            )
        if not Target.objects.filter(partner=formosa).exists():
            formosa_admin = User.objects.get(email="admin@formosa.example")
            this_month = current_period()
            first = target_propose(
                partner=formosa,
                period=this_month,
                amount=Decimal("6000000"),
                actor=manager,
                note="Based on last year's run rate plus 10%.",
            )
            counter = target_proposal_counter(
                proposal=first,
                actor=formosa_admin,
                amount=Decimal("5200000"),
                note="Two large projects slipped into next quarter.",
            )
            target_proposal_accept(proposal=counter, actor=manager)
            target_propose(
                partner=formosa,
                period=period_shift(this_month, 1),
                amount=Decimal("6500000"),
                actor=manager,
            )
        if not harbour.risk_assessments.exists():
            partner_risk_update(
                partner=harbour,
                actor=admin,
                risk_rating=Partner.RiskRating.MEDIUM,
                credit_limit=Decimal("2000000.00"),
                overdue_receivables=Decimal("2350000.00"),
                reason="Two invoices over 60 days overdue.",
            )
        if not formosa.risk_assessments.exists():
            partner_risk_update(
                partner=formosa,
                actor=admin,
                risk_rating=Partner.RiskRating.LOW,
                credit_limit=Decimal("8000000.00"),
                overdue_receivables=Decimal("0"),
                reason="Annual credit review: always pays on time.",
            )
        award, _ = Award.objects.get_or_create(
            code="distributor-of-the-year",
            defaults={
                "name": "Distributor of the Year",
                "local_name": "年度最佳經銷商",
                "kind": Award.Kind.AWARD,
            },
        )
        badge, _ = Award.objects.get_or_create(
            code="certified-security",
            defaults={
                "name": "Certified Security Partner",
                "local_name": "資安認證合作夥伴",
                "kind": Award.Kind.BADGE,
            },
        )
        if not PartnerAward.objects.filter(partner=formosa).exists():
            partner_award_grant(
                partner=formosa,
                award=award,
                awarded_on=dt.date(today.year - 1, 12, 15),
                citation="Highest growth in the region.",
                actor=admin,
            )
            partner_award_grant(
                partner=formosa, award=badge, awarded_on=dt.date(today.year, 3, 1), actor=admin
            )

    def _user(self, email, full_name, language, vendor_role=""):
        user = User.objects.filter(email=email).first()
        if user is None:
            user = user_create(
                email=email,
                password=DEMO_PASSWORD,
                full_name=full_name,
                vendor_role=vendor_role,
                language=language,
                email_verified=True,
            )
        return user

    def _member(self, partner, user, role, actor):
        if not Membership.objects.filter(partner=partner, user=user).exists():
            membership_create(partner=partner, user=user, role=role, actor=actor)
