"""Row tallies follow every write to their table, however it is made, and read beside counts."""

import pytest
from django.db import connection, transaction

from partners.models import ActionItem, DealRegistration
from prm.core.models import RowTally
from prm.core.prepared import PreparedCounts, Total
from prm.core.tally import (
    _prefix,
    tallies_recount,
    tally_install,
    tally_remove,
    tally_slots,
    tally_total,
)
from tests.partners.factories import DealRegistrationFactory

pytestmark = pytest.mark.django_db

PENDING = DealRegistration.PENDING_TALLY


def _pending() -> int:
    return DealRegistration.objects.filter(status="pending").count()


def test_the_tally_follows_inserts_updates_and_deletes():
    deals = DealRegistrationFactory.create_batch(4)
    DealRegistrationFactory(status="expired")
    assert tally_total(PENDING) == _pending() == 4

    deals[0].status = "expired"
    deals[0].save()
    DealRegistration.objects.filter(pk=deals[1].pk).update(status="rejected")
    assert tally_total(PENDING) == _pending() == 2

    DealRegistration.objects.filter(status="expired").update(status="pending")
    assert tally_total(PENDING) == _pending() == 4

    DealRegistration.objects.filter(pk__in=[deals[2].pk, deals[3].pk]).delete()
    DealRegistration.objects.filter(status="rejected").update(customer_name="Renamed")
    assert tally_total(PENDING) == _pending() == 2


def test_a_write_rolled_back_leaves_the_tally_as_it_was():
    DealRegistrationFactory()

    def register_then_fail():
        with transaction.atomic():
            DealRegistrationFactory.create_batch(3)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        register_then_fail()

    assert tally_total(PENDING) == _pending() == 1


def test_install_counts_the_rows_there_are_and_remove_forgets_them():
    DealRegistrationFactory.create_batch(2)
    DealRegistrationFactory(status="expired")
    table = DealRegistration._meta.db_table

    tally_install(
        connection, name="test.expired", table=table, condition="{row}.status = 'expired'"
    )
    assert tally_total("test.expired") == 1
    DealRegistrationFactory(status="expired")
    assert tally_total("test.expired") == 2

    tally_remove(connection, name="test.expired", table=table)
    DealRegistrationFactory(status="expired")
    assert not RowTally.objects.filter(name="test.expired").exists()
    assert tally_total(PENDING) == _pending() == 2


@pytest.mark.parametrize("name", ["", "Deals", "deals;drop", "deals'", "d\u00e9als"])
def test_a_tally_name_is_safe_to_write_into_sql(name):
    with pytest.raises(ValueError, match="tally's name"):
        _prefix(name)


def test_a_total_reads_beside_counts_in_one_query(django_assert_num_queries):
    DealRegistrationFactory.create_batch(3)
    DealRegistrationFactory(status="rejected")
    counts = PreparedCounts(
        lambda: {
            "kept": Total(tally_slots(PENDING), "total"),
            "counted": DealRegistration.objects.filter(status="pending"),
            "none": Total(tally_slots("no.such.tally"), "total"),
        }
    )

    with django_assert_num_queries(1):
        assert counts() == {"kept": 3, "counted": 3, "none": 0}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE on PostgreSQL")
def test_a_table_truncated_leaves_its_tallies_at_nothing():
    DealRegistrationFactory.create_batch(3)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE partners_dealregistration CASCADE")

    assert tally_total(PENDING) == _pending() == 0
    DealRegistrationFactory()
    assert tally_total(PENDING) == _pending() == 1


def test_the_tally_of_every_deal_follows_inserts_and_deletes():
    every = DealRegistration.ALL_TALLY
    deals = DealRegistrationFactory.create_batch(3)
    DealRegistrationFactory(status="rejected")
    assert tally_total(every) == DealRegistration.objects.count() == 4

    DealRegistration.objects.filter(pk=deals[0].pk).update(status="expired")
    assert tally_total(every) == 4
    DealRegistration.objects.filter(pk__in=[deals[1].pk, deals[2].pk]).delete()
    assert tally_total(every) == DealRegistration.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_tallies_hold_after_a_flush():
    from django.core.management import call_command

    DealRegistrationFactory.create_batch(3)
    call_command("flush", interactive=False, verbosity=0)
    assert tally_total(PENDING) == tally_total(DealRegistration.ALL_TALLY) == 0
    assert tally_total(ActionItem.OPEN_TALLY) == 0

    DealRegistrationFactory.create_batch(2)
    assert tally_total(PENDING) == tally_total(DealRegistration.ALL_TALLY) == 2


def test_a_recount_counts_the_kept_tallies_afresh_and_leaves_the_others():
    DealRegistrationFactory.create_batch(2)
    slot = RowTally.objects.filter(name=PENDING).order_by("slot").first()
    RowTally.objects.filter(pk=slot.pk).update(total=-7)
    RowTally.objects.filter(name=DealRegistration.ALL_TALLY).delete()

    tallies_recount()

    assert tally_total(PENDING) == 2
    assert not RowTally.objects.filter(name=DealRegistration.ALL_TALLY).exists()


def test_the_tally_of_flagged_partners_follows_their_limits_and_ratings():
    from partners.models import FLAGGED_Q, Partner
    from tests.factories import PartnerFactory

    def flagged() -> int:
        return Partner.objects.filter(FLAGGED_Q).count()

    a, b, _c = PartnerFactory.create_batch(3)
    assert tally_total(Partner.FLAGGED_TALLY) == flagged() == 0
    Partner.objects.filter(pk=a.pk).update(risk_rating="high")
    Partner.objects.filter(pk=b.pk).update(credit_limit=100, overdue_receivables=250)
    assert tally_total(Partner.FLAGGED_TALLY) == flagged() == 2
    Partner.objects.filter(pk=b.pk).update(overdue_receivables=100)
    assert tally_total(Partner.FLAGGED_TALLY) == flagged() == 1
