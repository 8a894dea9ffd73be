"""A realistic demo: vendor staff and two distributors (Taiwan and Hong Kong) with their users."""

from django.core.management.base import BaseCommand
from django.db import transaction

from partners.models import Membership, Partner, Tier
from partners.services import (
    membership_create,
    partner_assign_account_manager,
    partner_change_status,
    partner_create,
)
from prm.accounts.models import User
from prm.accounts.services import user_create

# Demo passwords only: printed at the end so a visitor can sign in to each role.
DEMO_PASSWORD = "demo-portal-2026"

TIERS = [
    ("registered", "Registered", 1),
    ("silver", "Silver", 2),
    ("gold", "Gold", 3),
    ("platinum", "Platinum", 4),
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
        for code, name, rank in TIERS:
            tiers[code], _ = Tier.objects.get_or_create(
                code=code, defaults={"name": name, "rank": rank}
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
                    country=spec["country"],
                    currency=spec["currency"],
                    tier=tiers[spec["tier"]],
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

        self.stdout.write(
            self.style.SUCCESS("Demo data is ready. Sign in at /accounts/login/ with:")
        )
        rows = [(e, "vendor " + r.label) for e, _, r, _ in VENDOR_USERS]
        for spec in PARTNERS:
            rows += [(e, f"{spec['code']} {r.label}") for e, _, r, _ in spec["users"]]
        rows.append((SHARED_USER[0], "P-FORMOSA finance + P-HARBOUR sales"))
        for email, label in rows:
            self.stdout.write(f"  {email:<40} {DEMO_PASSWORD}   ({label})")

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
