"""Role fixtures shared by every test: one world with a user for each role."""

import time
from dataclasses import dataclass

import pytest
from django.test import Client

from partners.models import Membership, Partner
from partners.services import partner_assign_account_manager
from prm.celery import app

from .factories import (
    ChannelManagerFactory,
    MembershipFactory,
    PartnerFactory,
    UserFactory,
    VendorAdminFactory,
)

pytest_plugins = ["tests.reliability"]

ROLES = [
    "anonymous",
    "vendor_admin",
    "cm_assigned",
    "cm_unassigned",
    "partner_admin",
    "partner_finance",
    "partner_sales",
    "other_partner",
]


@dataclass
class World:
    partner: Partner
    other_partner: Partner
    users: dict

    def client(self, role: str, *, mfa: bool = False) -> Client:
        client = Client()
        if role != "anonymous":
            client.force_login(self.users[role])
            if mfa:
                session_mark_mfa_used(client, self.users[role])
        return client


def session_mark_mfa_used(client: Client, user) -> None:
    """What allauth writes into a session whose sign-in passed the password and TOTP steps."""
    now = time.time()
    session = client.session
    session["account_authentication_methods"] = [
        {"method": "password", "at": now, "email": user.email},
        {"method": "mfa", "at": now, "id": 1, "type": "totp"},
    ]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()


@pytest.fixture
def world(db) -> World:
    """Partner A (managed by cm_assigned) with admin, finance and sales users; partner B with
    its own admin; a vendor admin; a channel manager assigned to nobody."""
    vendor_admin = VendorAdminFactory(email="admin@vendor.test")
    cm_assigned = ChannelManagerFactory(email="cm@vendor.test")
    cm_unassigned = ChannelManagerFactory(email="cm2@vendor.test")
    partner = PartnerFactory(code="P-A", name="Acme Trading")
    other = PartnerFactory(code="P-B", name="Bravo Distribution")
    partner_assign_account_manager(partner=partner, manager=cm_assigned, actor=vendor_admin)
    users = {
        "vendor_admin": vendor_admin,
        "cm_assigned": cm_assigned,
        "cm_unassigned": cm_unassigned,
    }
    for role in ("admin", "finance", "sales"):
        user = UserFactory(email=f"{role}@a.test")
        MembershipFactory(user=user, partner=partner, role=role)
        users[f"partner_{role}"] = user
    other_user = UserFactory(email="admin@b.test")
    MembershipFactory(user=other_user, partner=other, role=Membership.Role.ADMIN)
    users["other_partner"] = other_user
    return World(partner=partner, other_partner=other, users=users)


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _mail_through_celery(settings):
    """Django's test runner swaps in the locmem backend; put the project's Celery backend back so
    tests exercise the real path (eager task, then PRM_EMAIL_BACKEND = locmem)."""
    settings.EMAIL_BACKEND = "prm.core.mail.CeleryEmailBackend"


@pytest.fixture
def broker_down():
    """A real Redis transport pointed at a port where nothing listens."""
    saved = (app.conf.task_always_eager, app.conf.broker_url)
    app.set_current()
    app.conf.task_always_eager = False
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    app._pool = None
    app.amqp.__dict__.pop("producer_pool", None)
    app.amqp._producer_pool = None
    yield
    app.conf.task_always_eager, app.conf.broker_url = saved
    app._pool = None
    app.amqp._producer_pool = None
