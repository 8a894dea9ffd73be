import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from agreements.models import (
    Agreement,
    AgreementReminder,
    AgreementVersion,
    PublishedVersionImmutableError,
)
from agreements.selectors import version_in_force
from agreements.services.agreements import (
    Terms,
    agreement_create,
    agreement_question_ask,
    agreement_reminders_send,
    agreement_terminate,
    agreement_version_accept,
    agreement_version_propose,
    exclusivity_conflicts,
    termination_effective_date,
    terms_hash,
)
from agreements.services.prices import price_list_item_set
from partners.models import Territory
from prm.core.errors import DomainError, InvalidTransitionError

from ..factories import MembershipFactory, PartnerFactory, VendorAdminFactory
from .factories import PriceListFactory, PriceListItemFactory, ProductFactory, ProductLineFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def setup(world):
    ProductLineFactory(code="NET")
    ProductLineFactory(code="SEC")
    Territory.objects.create(code="TW-TPE", name="Taipei")
    Territory.objects.create(code="TW-TXG", name="Taichung")
    return world


def _create(world, number="AG-1", partner=None, **terms):
    return agreement_create(
        actor=world.users["vendor_admin"],
        partner=partner or world.partner,
        number=number,
        start=TODAY - dt.timedelta(days=30),
        end=TODAY + dt.timedelta(days=335),
        terms=Terms(effective_date=TODAY - dt.timedelta(days=30), **terms),
    )


def _accept(world, version, user="partner_admin"):
    return agreement_version_accept(
        actor=world.users[user], version=version, ip="203.0.113.7", seen_hash=version.terms_hash
    )


def test_create_publishes_version_one_for_acceptance(setup, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        agreement = _create(setup, territories=["TW-TPE"], product_lines=["NET"])
    version = agreement.versions.get()
    assert agreement.status == Agreement.Status.AWAITING_ACCEPTANCE
    assert version.status == AgreementVersion.Status.AWAITING_ACCEPTANCE
    assert version.terms["territories"] == ["TW-TPE"]
    assert version.terms_hash == terms_hash(version.terms)
    assert [m.to for m in mail.outbox] == [["admin@a.test"]]  # the partner admin is told


def test_acceptance_records_who_when_where_and_the_hash(setup):
    version = _create(setup).versions.get()
    accepted = _accept(setup, version)
    assert accepted.status == AgreementVersion.Status.ACCEPTED
    assert accepted.accepted_by == setup.users["partner_admin"]
    assert accepted.accepted_ip == "203.0.113.7"
    assert accepted.accepted_hash == version.terms_hash
    assert accepted.accepted_at is not None
    # Effective in the past: in force from the day of acceptance.
    assert accepted.in_force_from == TODAY
    assert accepted.agreement.status == Agreement.Status.ACTIVE


def test_in_force_from_is_the_later_of_acceptance_and_effective_date(setup):
    agreement = _create(setup)
    _accept(setup, agreement.versions.get())
    future = TODAY + dt.timedelta(days=45)
    proposal = agreement_version_propose(
        actor=setup.users["vendor_admin"],
        agreement=agreement,
        terms=Terms(effective_date=future, price_notice_days=60),
    )
    accepted = _accept(setup, proposal)
    assert accepted.in_force_from == future
    assert version_in_force(agreement=agreement, on=TODAY).number == 1
    assert version_in_force(agreement=agreement, on=future).number == 2


def test_acceptance_refuses_a_stale_hash(setup):
    version = _create(setup).versions.get()
    with pytest.raises(DomainError, match="changed while you were reading"):
        agreement_version_accept(
            actor=setup.users["partner_admin"], version=version, ip=None, seen_hash="0" * 64
        )
    version.refresh_from_db()
    assert version.status == AgreementVersion.Status.AWAITING_ACCEPTANCE


def test_a_version_is_accepted_once(setup):
    version = _create(setup).versions.get()
    _accept(setup, version)
    with pytest.raises(InvalidTransitionError):
        _accept(setup, version)


def test_a_new_proposal_withdraws_the_one_still_waiting(setup):
    agreement = _create(setup)
    agreement_version_propose(
        actor=setup.users["vendor_admin"], agreement=agreement, terms=Terms(effective_date=TODAY)
    )
    statuses = list(agreement.versions.order_by("number").values_list("number", "status"))
    assert statuses == [(1, "withdrawn"), (2, "awaiting_acceptance")]


class TestImmutability:
    def test_model_refuses_to_change_published_terms(self, setup):
        version = _create(setup).versions.get()
        version.price_notice_days = 1
        with pytest.raises(PublishedVersionImmutableError, match="price_notice_days"):
            version.save()
        version.refresh_from_db()
        assert version.price_notice_days == 30

    def test_queryset_update_is_not_used_to_bypass_it(self, setup):
        # The admin and the services save through the model, so the guard above holds there.
        version = _create(setup).versions.get()
        version.effective_date = TODAY + dt.timedelta(days=3)
        with pytest.raises(PublishedVersionImmutableError):
            version.save(update_fields=["effective_date"])

    def test_scope_of_a_published_version_cannot_change(self, setup):
        version = _create(setup, territories=["TW-TPE"]).versions.get()
        taichung = Territory.objects.get(code="TW-TXG")
        with (
            pytest.raises(PublishedVersionImmutableError, match="territories"),
            transaction.atomic(),
        ):
            version.territories.add(taichung)
        with pytest.raises(PublishedVersionImmutableError), transaction.atomic():
            taichung.agreement_versions.add(version)
        assert list(version.territories.values_list("code", flat=True)) == ["TW-TPE"]

    def test_accepting_does_not_count_as_a_change(self, setup):
        version = _create(setup).versions.get()
        assert _accept(setup, version).status == "accepted"


@pytest.mark.parametrize(
    ("requested_offset", "notice", "expected_offset"),
    [(0, 90, 90), (120, 90, 120), (90, 90, 90), (10, 0, 10), (-5, 30, 30)],
)
def test_termination_effective_date_rule(requested_offset, notice, expected_offset):
    today = dt.date(2026, 11, 27)
    assert termination_effective_date(
        requested=today + dt.timedelta(days=requested_offset), notified_on=today, notice_days=notice
    ) == today + dt.timedelta(days=expected_offset)


def test_termination_from_the_partner_side(setup, django_capture_on_commit_callbacks):
    agreement = _create(
        setup, termination_notice_days=60, termination_compensation="Buy-back of stock"
    )
    _accept(setup, agreement.versions.get())
    with django_capture_on_commit_callbacks(execute=True):
        agreement = agreement_terminate(
            actor=setup.users["partner_admin"],
            agreement=agreement,
            side=Agreement.Side.PARTNER,
            reason="Strategy change",
            requested=TODAY + dt.timedelta(days=10),
        )
    assert agreement.termination_effective == TODAY + dt.timedelta(days=60)
    assert agreement.termination_requested_by == "partner"
    assert agreement.status == Agreement.Status.ACTIVE  # until the effective date
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == ["admin@a.test", "admin@vendor.test", "cm@vendor.test"]
    with pytest.raises(InvalidTransitionError):
        agreement_terminate(
            actor=setup.users["vendor_admin"],
            agreement=agreement,
            side="vendor",
            reason="again",
            requested=TODAY,
        )


def test_termination_needs_a_reason(setup):
    agreement = _create(setup)
    _accept(setup, agreement.versions.get())
    with pytest.raises(DomainError):
        agreement_terminate(
            actor=setup.users["vendor_admin"],
            agreement=agreement,
            side="vendor",
            reason=" ",
            requested=TODAY,
        )


def test_question_notifies_vendor_staff(setup, django_capture_on_commit_callbacks):
    version = _create(setup).versions.get()
    with django_capture_on_commit_callbacks(execute=True):
        agreement_question_ask(
            actor=setup.users["partner_finance"], version=version, text="Why 30 days?"
        )
    assert sorted(m.to[0] for m in mail.outbox) == ["admin@vendor.test", "cm@vendor.test"]
    assert "Why 30 days?" in mail.outbox[0].body


def test_partner_emails_are_in_the_recipients_language(setup, django_capture_on_commit_callbacks):
    admin = setup.users["partner_admin"]
    admin.language = "zh-hant"
    admin.save()
    with django_capture_on_commit_callbacks(execute=True):
        _create(setup)
    from django.utils import translation

    with translation.override("zh-hant"):
        expected = translation.gettext("New terms for agreement %(number)s await your acceptance")
    assert expected != "New terms for agreement %(number)s await your acceptance"
    assert mail.outbox[0].subject == expected % {"number": "AG-1"}


class TestExclusivity:
    def test_overlap_with_an_exclusive_agreement_is_reported(
        self, setup, django_capture_on_commit_callbacks
    ):
        first = _create(setup, territories=["TW-TPE"], product_lines=["NET"], exclusive=True)
        _accept(setup, first.versions.get())
        other_partner = setup.other_partner
        second = _create(
            setup,
            number="AG-2",
            partner=other_partner,
            territories=["TW-TPE", "TW-TXG"],
            product_lines=["NET", "SEC"],
        )
        with django_capture_on_commit_callbacks(execute=True):
            _accept(setup, second.versions.get(), user="other_partner")
        conflicts = exclusivity_conflicts(agreement=second, version=second.versions.get())
        assert [(a.number, t, lines) for a, t, lines in conflicts] == [
            ("AG-1", ["TW-TPE"], ["NET"])
        ]
        assert [m.to for m in mail.outbox if "conflict" in m.subject.lower()] == [
            ["admin@vendor.test"]
        ]

    @pytest.mark.parametrize(
        ("exclusive", "territories", "lines", "conflict"),
        [
            (False, ["TW-TPE"], ["NET"], False),  # neither exclusive
            (True, ["TW-TXG"], ["NET"], False),  # other territory
            (True, ["TW-TPE"], ["SEC"], False),  # other line
            (True, ["TW-TPE"], ["NET"], True),
        ],
    )
    def test_rules(self, setup, exclusive, territories, lines, conflict):
        first = _create(setup, territories=["TW-TPE"], product_lines=["NET"])
        _accept(setup, first.versions.get())
        second = _create(
            setup,
            number="AG-2",
            partner=setup.other_partner,
            territories=territories,
            product_lines=lines,
            exclusive=exclusive,
        )
        version = _accept(setup, second.versions.get(), user="other_partner")
        assert bool(exclusivity_conflicts(agreement=second, version=version)) is conflict


class TestReminders:
    def _agreement(self, setup, end_in_days, auto_renew=False):
        agreement = _create(setup)
        _accept(setup, agreement.versions.get())
        agreement.refresh_from_db()
        agreement.end = TODAY + dt.timedelta(days=end_in_days)
        agreement.auto_renew = auto_renew
        agreement.save()
        return agreement

    @pytest.mark.parametrize(
        ("days", "key_suffix"), [(90, "90d"), (30, "30d"), (7, "7d"), (3, "7d")]
    )
    def test_reminder_before_the_end_is_sent_once(
        self, setup, days, key_suffix, django_capture_on_commit_callbacks
    ):
        agreement = self._agreement(setup, days)
        with django_capture_on_commit_callbacks(execute=True):
            first = agreement_reminders_send(today=TODAY)
            second = agreement_reminders_send(today=TODAY)
        assert (first["reminders"], second["reminders"]) == (1, 0)
        assert AgreementReminder.objects.get().key.endswith(key_suffix)
        agreement.refresh_from_db()
        assert agreement.status == Agreement.Status.EXPIRING
        assert len({m.to[0] for m in mail.outbox}) == len(mail.outbox) == 3

    def test_no_reminder_earlier_than_90_days(self, setup):
        self._agreement(setup, 91)
        assert agreement_reminders_send(today=TODAY)["reminders"] == 0

    def test_each_threshold_sends_its_own_reminder(self, setup):
        agreement = self._agreement(setup, 90)
        agreement_reminders_send(today=TODAY)
        agreement_reminders_send(today=TODAY + dt.timedelta(days=60))
        agreement_reminders_send(today=TODAY + dt.timedelta(days=61))
        agreement_reminders_send(today=TODAY + dt.timedelta(days=83))
        keys = sorted(
            AgreementReminder.objects.filter(agreement=agreement).values_list("key", flat=True)
        )
        assert [k.rsplit("-", 1)[1] for k in keys] == ["30d", "7d", "90d"]

    def test_expiry_and_renewal(self, setup):
        expiring = self._agreement(setup, 5)
        renewing = _create(setup, number="AG-R")
        _accept(setup, renewing.versions.get())
        renewing.refresh_from_db()
        renewing.end = TODAY - dt.timedelta(days=1)
        renewing.start = renewing.end - dt.timedelta(days=364)
        renewing.auto_renew = True
        renewing.save()
        result = agreement_reminders_send(today=TODAY + dt.timedelta(days=6))
        expiring.refresh_from_db()
        renewing.refresh_from_db()
        assert expiring.status == Agreement.Status.EXPIRED
        assert renewing.status == Agreement.Status.ACTIVE
        assert renewing.start == TODAY
        assert result["expired"] == 1
        assert result["renewed"] == 1

    def test_termination_takes_effect_on_its_date(self, setup):
        agreement = _create(setup, termination_notice_days=0)
        _accept(setup, agreement.versions.get())
        agreement_terminate(
            actor=setup.users["vendor_admin"],
            agreement=agreement,
            side="vendor",
            reason="Breach",
            requested=TODAY + dt.timedelta(days=2),
        )
        agreement_reminders_send(today=TODAY + dt.timedelta(days=1))
        agreement.refresh_from_db()
        assert agreement.status == Agreement.Status.ACTIVE
        agreement_reminders_send(today=TODAY + dt.timedelta(days=2))
        agreement.refresh_from_db()
        assert agreement.status == Agreement.Status.TERMINATED


class TestPriceChangeNotice:
    def test_change_inside_notice_is_refused_naming_the_agreement(self, setup):
        agreement = _create(setup, product_lines=["NET"], price_notice_days=30)
        _accept(setup, agreement.versions.get())
        product = ProductFactory(sku="SW-1", line=ProductLineFactory(code="NET"))
        base = PriceListFactory(code="BASE")
        PriceListItemFactory(price_list=base, product=product, list_price=Decimal("100.00"))
        soon = PriceListFactory(code="SOON", effective_from=TODAY + dt.timedelta(days=10))
        with pytest.raises(DomainError, match=r"AG-1 \(P-A\) requires 30 days' notice"):
            price_list_item_set(
                actor=None,
                price_list=soon,
                product=product,
                list_price=Decimal("120.00"),
                map_price=None,
                today=TODAY,
            )
        later = PriceListFactory(code="LATER", effective_from=TODAY + dt.timedelta(days=30))
        item = price_list_item_set(
            actor=None,
            price_list=later,
            product=product,
            list_price=Decimal("120.00"),
            map_price=None,
            today=TODAY,
        )
        assert item.list_price == Decimal("120.00")

    def test_unaffected_line_and_new_products_need_no_notice(self, setup):
        agreement = _create(setup, product_lines=["SEC"], price_notice_days=30)
        _accept(setup, agreement.versions.get())
        product = ProductFactory(sku="SW-1", line=ProductLineFactory(code="NET"))
        base = PriceListFactory(code="BASE")
        PriceListItemFactory(price_list=base, product=product, list_price=Decimal("100.00"))
        soon = PriceListFactory(code="SOON", effective_from=TODAY)
        price_list_item_set(
            actor=None,
            price_list=soon,
            product=product,
            list_price=Decimal("120.00"),
            map_price=None,
            today=TODAY,
        )
        fresh = ProductFactory(sku="SEC-1", line=ProductLineFactory(code="SEC"))
        price_list_item_set(
            actor=None,
            price_list=soon,
            product=fresh,
            list_price=Decimal("5.00"),
            map_price=None,
            today=TODAY,
        )


def test_partner_admin_of_another_partner_is_not_notified(
    setup, django_capture_on_commit_callbacks
):
    MembershipFactory(partner=PartnerFactory(), role="admin")
    with django_capture_on_commit_callbacks(execute=True):
        _create(setup)
    assert [m.to for m in mail.outbox] == [["admin@a.test"]]


def test_closed_agreement_gets_no_new_terms(setup):
    agreement = _create(setup)
    Agreement.objects.filter(pk=agreement.pk).update(status=Agreement.Status.EXPIRED)
    with pytest.raises(InvalidTransitionError):
        agreement_version_propose(
            actor=VendorAdminFactory(), agreement=agreement, terms=Terms(effective_date=TODAY)
        )
