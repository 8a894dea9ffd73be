"""Deal registration services: conflict detection over customer-name variants, decisions,
protection and its expiry."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from partners.models import DealConflict, DealRegistration
from partners.services import (
    deal_approve,
    deal_expiry_warnings_send,
    deal_protections_expire,
    deal_register,
    deal_reject,
)
from partners.tasks import deal_expiry_warnings_send_task, deal_protections_expire_task
from prm.core.errors import DomainError, InvalidTransitionError
from prm.core.models import Event

from ..factories import PartnerFactory
from .factories import DealLineFactory, DealRegistrationFactory, TerritoryFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 2)


def _register(partner, actor, *, name, tax_id="", domain="", lines=("NET",), **extra):
    return deal_register(
        partner=partner,
        actor=actor,
        customer_name=name,
        customer_tax_id=tax_id,
        customer_domain=domain,
        territory=TerritoryFactory(),
        product_lines=[DealLineFactory(code=code) for code in lines],
        estimated_value=extra.pop("value", Decimal("250000.00")),
        currency="TWD",
        expected_close=extra.pop("close", timezone.localdate() + dt.timedelta(days=30)),
        **extra,
    )


@pytest.fixture
def rivals(world):
    """world.partner (P-A) registers first; other_partner (P-B) registers second."""
    return (
        world.partner,
        world.other_partner,
        world.users["partner_sales"],
        world.users["other_partner"],
    )


# Each pair: what P-A registered, what P-B registers, and whether that is the same customer.
# Names alone decide here (different tax ids), so this is the normalisation table end to end.
NAME_CASES = [
    ("Acme Inc.", "ACME, Inc", True),
    ("Acme Inc.", "acme", True),
    ("ACME Co., Ltd.", "Acme Corporation", True),
    ("Acme Trading Company Limited", "ACME TRADING", True),
    ("  Ａｃｍｅ　Ｉｎｃ．", "acme", True),
    ("Smith & Sons Ltd", "Smith and Sons", True),
    ("台灣積體電路製造股份有限公司", "台灣積體電路製造", True),
    ("臺灣積體電路製造股份有限公司", "台灣積體電路製造有限公司", True),
    ("鴻海精密工業股份有限公司", "鴻海精密工業(股)公司", True),
    ("Acme Inc.", "Acme Industries Inc.", False),
    ("Acme", "Apex", False),
    ("台灣積體電路製造", "台灣電路製造", False),
]


@pytest.mark.parametrize(("first", "second", "same"), NAME_CASES)
def test_conflict_by_customer_name_variants(rivals, first, second, same):
    a, b, a_user, b_user = rivals
    earlier = _register(a, a_user, name=first, tax_id="11111111")

    later = _register(b, b_user, name=second, tax_id="22222222")

    earlier.refresh_from_db()
    assert later.has_conflict is same
    assert earlier.has_conflict is same
    assert DealConflict.objects.filter(deal=later, other=earlier).exists() is same
    assert DealConflict.objects.filter(deal=earlier, other=later).exists() is same


@pytest.mark.parametrize(
    ("first", "second", "matched_on"),
    [
        ({"tax_id": "22-099 131"}, {"tax_id": "22099131"}, "tax_id"),
        ({"domain": "https://www.acme.com/about"}, {"domain": "buyer@ACME.com"}, "domain"),
        ({"tax_id": "1"}, {"tax_id": "2"}, "name"),
    ],
)
def test_conflict_by_tax_id_or_domain_even_with_other_names(rivals, first, second, matched_on):
    a, b, a_user, b_user = rivals
    names = ("Alpha Holdings", "阿爾法控股") if matched_on != "name" else ("Acme", "ACME Inc.")
    _register(a, a_user, name=names[0], **first)
    later = _register(b, b_user, name=names[1], **second)
    assert later.has_conflict
    assert later.conflicts.get().matched_on == matched_on


def test_no_conflict_without_an_overlapping_product_line(rivals):
    a, b, a_user, b_user = rivals
    _register(a, a_user, name="Acme", tax_id="1", lines=("NET", "SEC"))
    assert not _register(b, b_user, name="Acme", tax_id="1", lines=("WLAN",)).has_conflict
    assert _register(b, b_user, name="Acme", tax_id="1", lines=("WLAN", "SEC")).has_conflict


def test_the_same_partner_registering_twice_is_not_a_channel_conflict(rivals):
    a, _b, a_user, _ = rivals
    _register(a, a_user, name="Acme", tax_id="1")
    assert not _register(a, a_user, name="Acme", tax_id="1").has_conflict


@pytest.mark.parametrize(
    ("status", "protected_days_left", "conflicts"),
    [
        ("pending", None, True),
        ("approved", 0, True),  # protected through today
        ("approved", -1, False),  # protection ended yesterday, not yet expired by the task
        ("rejected", None, False),
        ("expired", None, False),
    ],
)
def test_only_live_registrations_conflict(rivals, status, protected_days_left, conflicts):
    a, b, _a_user, b_user = rivals
    protected_until = (
        timezone.localdate() + dt.timedelta(days=protected_days_left)
        if protected_days_left is not None
        else None
    )
    DealRegistrationFactory(
        partner=a,
        customer_name="Acme",
        customer_tax_id="1",
        status=status,
        protected_until=protected_until,
    )
    assert _register(b, b_user, name="Acme", tax_id="9").has_conflict is conflicts


def test_conflict_never_names_the_other_partner_to_the_partner(
    rivals, django_capture_on_commit_callbacks
):
    a, b, a_user, b_user = rivals
    earlier = _register(a, a_user, name="Acme", tax_id="1")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        _register(b, b_user, name="ACME Inc.", tax_id="2")

    flagged = Event.objects.get(verb="deal.conflict_flagged")
    assert flagged.partner == a
    assert flagged.actor is None  # the registering user belongs to the other partner
    assert flagged.target_id == str(earlier.pk)
    assert b.code not in str(flagged.after)
    assert b.name not in str(flagged.after)
    to_a = [m for m in mail.outbox if set(m.to) & {"sales@a.test", "admin@a.test"}]
    assert to_a, "partner A hears about the conflict"
    for message in to_a:
        assert b.name not in message.body
        assert b.code not in message.body
        assert b.name not in message.subject
    # P-B has no account manager: vendor admins review, and they see both partners.
    to_vendor = [m for m in mail.outbox if m.to == ["admin@vendor.test"]]
    assert "P-B" in to_vendor[0].subject
    assert "conflicts" in to_vendor[0].subject


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "  ", "tax_id": "1"}, "customer_name"),
        ({"name": "Acme"}, "customer_tax_id"),
        ({"name": "Acme", "tax_id": "1", "lines": ()}, "product_lines"),
        ({"name": "Acme", "tax_id": "1", "value": Decimal("0")}, "estimated_value"),
        (
            {"name": "Acme", "tax_id": "1", "close": dt.date(2020, 1, 1)},
            "expected_close",
        ),
    ],
)
def test_register_refuses_bad_input(world, change, field):
    with pytest.raises(DomainError) as exc:
        _register(world.partner, world.users["partner_sales"], **change)
    assert exc.value.field == field
    assert not DealRegistration.objects.exists()


def test_register_refuses_money_as_float(world):
    with pytest.raises(TypeError):
        _register(world.partner, world.users["partner_sales"], name="Acme", tax_id="1", value=1.5)


@pytest.mark.parametrize("status", ["prospect", "suspended", "terminated"])
def test_only_active_partners_register(world, status):
    partner = PartnerFactory(status=status)
    with pytest.raises(DomainError):
        _register(partner, world.users["partner_sales"], name="Acme", tax_id="1")


def test_register_stores_normalised_keys_and_records_the_event(world):
    deal = _register(
        world.partner,
        world.users["partner_sales"],
        name="台灣積體電路製造股份有限公司",
        tax_id="22-099 131",
        domain="https://www.tsmc.com/",
    )
    assert (deal.customer_key, deal.customer_tax_id_key, deal.customer_domain_key) == (
        "台灣積體電路製造",
        "22099131",
        "tsmc.com",
    )
    event = Event.objects.get(verb="deal.registered")
    assert event.partner == world.partner
    assert event.after["number"] == deal.number == f"DR-{deal.pk:06d}"


def test_approve_protects_for_the_protection_days(world, django_capture_on_commit_callbacks):
    deal = _register(world.partner, world.users["partner_sales"], name="Acme", tax_id="1")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        deal_approve(
            deal=deal, actor=world.users["cm_assigned"], reason="Confirmed", protection_days=30
        )

    deal.refresh_from_db()
    assert deal.status == DealRegistration.Status.APPROVED
    assert deal.protected_until == timezone.localdate() + dt.timedelta(days=30)
    assert (deal.decided_by, deal.decision_reason) == (world.users["cm_assigned"], "Confirmed")
    event = Event.objects.get(verb="deal.approved")
    assert (event.reason, event.before, event.after["status"]) == (
        "Confirmed",
        {"status": "pending"},
        "approved",
    )
    decided = [m for m in mail.outbox if "was approved" in m.subject]
    assert {m.to[0] for m in decided} == {"sales@a.test", "admin@a.test"}
    assert "Confirmed" in decided[0].body
    # The partner's first approved deal is also celebrated (tests/partners/test_milestones.py).
    assert {m.to[0] for m in mail.outbox if "Congratulations" in m.subject} == {
        "admin@a.test",
        "finance@a.test",
        "sales@a.test",
        "cm@vendor.test",
    }


def test_default_protection_is_ninety_days(world):
    deal = _register(world.partner, world.users["partner_sales"], name="Acme", tax_id="1")
    deal_approve(deal=deal, actor=world.users["vendor_admin"], reason="OK")
    deal.refresh_from_db()
    assert deal.protected_until == timezone.localdate() + dt.timedelta(days=90)


def test_approval_is_refused_while_another_partner_is_protected(rivals, world):
    a, b, a_user, b_user = rivals
    first = _register(a, a_user, name="Acme", tax_id="1")
    second = _register(b, b_user, name="Acme Inc", tax_id="1")
    deal_approve(deal=first, actor=world.users["vendor_admin"], reason="First to register")

    with pytest.raises(DomainError, match="protected until"):
        deal_approve(deal=second, actor=world.users["vendor_admin"], reason="Also")

    deal_reject(
        deal=second, actor=world.users["vendor_admin"], reason="Protected for another partner"
    )
    second.refresh_from_db()
    assert second.status == DealRegistration.Status.REJECTED
    assert second.decision_reason == "Protected for another partner"


def test_decisions_need_vendor_staff_a_reason_and_a_pending_deal(world):
    deal = _register(world.partner, world.users["partner_sales"], name="Acme", tax_id="1")
    with pytest.raises(DomainError):
        deal_approve(deal=deal, actor=world.users["partner_admin"], reason="Self-approval")
    with pytest.raises(DomainError) as exc:
        deal_reject(deal=deal, actor=world.users["vendor_admin"], reason=" ")
    assert exc.value.field == "reason"
    deal_reject(deal=deal, actor=world.users["vendor_admin"], reason="No budget")
    with pytest.raises(InvalidTransitionError):
        deal_approve(deal=deal, actor=world.users["vendor_admin"], reason="Changed my mind")


def _approved(world, *, protected_until, **kwargs):
    return DealRegistrationFactory(
        partner=world.partner,
        registered_by=world.users["partner_sales"],
        status=DealRegistration.Status.APPROVED,
        protected_until=protected_until,
        **kwargs,
    )


def test_protections_expire_once(world, django_capture_on_commit_callbacks):
    ended = _approved(world, protected_until=TODAY - dt.timedelta(days=1))
    live = _approved(world, protected_until=TODAY)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert deal_protections_expire(today=TODAY) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert deal_protections_expire(today=TODAY) == 0

    ended.refresh_from_db()
    live.refresh_from_db()
    assert ended.status == DealRegistration.Status.EXPIRED
    assert ended.expired_at is not None
    assert live.status == DealRegistration.Status.APPROVED
    assert Event.objects.filter(verb="deal.expired").count() == 1
    assert len([m for m in mail.outbox if "has ended" in m.subject]) == 2  # sales + admin


def test_expiry_warning_goes_out_fourteen_days_ahead_and_only_once(
    world, django_capture_on_commit_callbacks
):
    due = _approved(world, protected_until=TODAY + dt.timedelta(days=14))
    soon = _approved(world, protected_until=TODAY + dt.timedelta(days=3))
    _approved(world, protected_until=TODAY + dt.timedelta(days=15))
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert deal_expiry_warnings_send(today=TODAY) == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert deal_expiry_warnings_send(today=TODAY) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert deal_expiry_warnings_send(today=TODAY + dt.timedelta(days=1)) == 1

    subjects = sorted(m.subject for m in mail.outbox if m.to == ["sales@a.test"])
    assert len(subjects) == 3
    assert any(due.number in s for s in subjects)
    assert any(soon.number in s for s in subjects)
    body = next(m.body for m in mail.outbox if due.number in m.subject)
    assert "14 days" in body


def test_beat_tasks_call_the_services(world, settings):
    _approved(world, protected_until=timezone.localdate() - dt.timedelta(days=1))
    _approved(world, protected_until=timezone.localdate() + dt.timedelta(days=5))
    assert deal_protections_expire_task.delay().get() == 1
    assert deal_expiry_warnings_send_task.delay().get() == 1
    assert deal_expiry_warnings_send_task.delay().get() == 0
    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "partners.tasks.deal_protections_expire_task",
        "partners.tasks.deal_expiry_warnings_send_task",
    } <= schedule
