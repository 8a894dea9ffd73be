"""The nightly runs and the program file's obligations."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from agreements.services.program import ProgramFileError, program_load
from engagement.models import CommitmentMiss, HealthSnapshot, Obligations
from engagement.services import commitment_misses_record, health_snapshots_take
from engagement.tasks import commitments_measure_task, health_snapshots_task
from prm.notifications.models import Notification
from tests.factories import PartnerFactory, VendorAdminFactory

from .helpers import NOW, at, review, statement

pytestmark = pytest.mark.django_db

# The misses already recorded, partners and terms, one query per commitment (six, fund
# requests and claims apart), the insert, the claimed rows, the admins, and the notifications
# (recipients' preferences, one insert, channels): a number that does not grow with partners.
MISS_QUERIES = 16


def test_a_miss_tells_the_vendor_admins_once(world, django_capture_on_commit_callbacks):
    second_admin = VendorAdminFactory(email="admin2@vendor.test")
    statement(world.partner, dt.date(2026, 4, 30), paid_on=dt.date(2026, 5, 31))  # day 31
    statement(world.partner, dt.date(2026, 3, 31), paid_on=dt.date(2026, 4, 30))  # day 30

    with django_capture_on_commit_callbacks(execute=True):
        assert commitment_misses_record(now=NOW) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert commitment_misses_record(now=NOW) == 0

    miss = CommitmentMiss.objects.get()
    assert (miss.partner, miss.kind, miss.label, miss.due, miss.done) == (
        world.partner,
        "payout",
        "2026-04",
        dt.date(2026, 5, 30),
        dt.date(2026, 5, 31),
    )
    told = Notification.objects.filter(url=f"/commitments/partners/{world.partner.code}/")
    assert sorted(n.recipient.email for n in told) == [second_admin.email, "admin@vendor.test"]
    assert told.filter(recipient=world.users["cm_assigned"]).count() == 0
    assert "P-A" in told.first().title


def test_an_old_miss_is_recorded_without_a_notice(world):
    # Paid on 5 March, due 2 March: found on 17 June, more than a month later.
    statement(world.partner, dt.date(2026, 1, 31), paid_on=dt.date(2026, 3, 5))

    assert commitment_misses_record(now=NOW) == 0

    assert CommitmentMiss.objects.get().label == "2026-01"
    assert not Notification.objects.exists()


def test_the_task_finds_yesterdays_misses(world):
    # A review due yesterday and never held is missed, on 1 January too.
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    review(world.partner, scheduled=yesterday)

    assert commitments_measure_task() == {"missed": 1}


def test_a_miss_due_on_new_years_eve_is_recorded_and_announced_once_in_january(
    world, django_capture_on_commit_callbacks
):
    # Due on 31 December and never held: not yet missed that day, found on 2 January.
    review(world.partner, scheduled=dt.date(2025, 12, 31))
    assert commitment_misses_record(now=at(dt.date(2025, 12, 31), 23, 35)) == 0

    with django_capture_on_commit_callbacks(execute=True):
        assert commitment_misses_record(now=at(dt.date(2026, 1, 2), 9, 35)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert commitment_misses_record(now=at(dt.date(2026, 1, 2), 10, 35)) == 0
        assert commitment_misses_record(now=at(dt.date(2026, 1, 20), 10, 35)) == 0

    miss = CommitmentMiss.objects.get()
    assert (miss.partner, miss.kind, miss.due, miss.done) == (
        world.partner, "review", dt.date(2025, 12, 31), None,
    )  # fmt: skip
    told = Notification.objects.filter(url=f"/commitments/partners/{world.partner.code}/")
    assert [n.recipient.email for n in told] == ["admin@vendor.test"]


@pytest.mark.parametrize("extra", [0, 10])
def test_misses_run_in_a_constant_number_of_queries(world, extra, django_assert_num_queries):
    partners = [world.partner, world.other_partner, *PartnerFactory.create_batch(extra)]
    for partner in partners:
        statement(partner, dt.date(2026, 4, 30), paid_on=dt.date(2026, 5, 31))
    mail.outbox.clear()

    with django_assert_num_queries(MISS_QUERIES):
        assert commitment_misses_record(now=NOW) == len(partners)


def test_snapshots_store_this_quarters_score_once_per_partner(world):
    assert health_snapshots_take(now=NOW) == 2
    assert health_snapshots_take(now=NOW + dt.timedelta(days=1)) == 2

    snapshots = HealthSnapshot.objects.filter(partner=world.partner)
    assert [(s.quarter, s.taken_at) for s in snapshots] == [("2026-Q2", NOW + dt.timedelta(days=1))]
    assert snapshots[0].score == 100  # no open case, no incident; nothing else measured
    assert set(snapshots[0].parts) == {
        "attainment",
        "open_cases",
        "compliance",
        "reviews",
        "commitments",
        "pulse",
    }
    assert health_snapshots_task() == {"partners": 2}


def test_the_program_file_sets_default_and_agreement_obligations(world):
    data = {
        "product_lines": [{"code": "NET", "name": "Networking"}],
        "obligations": {"payout_days": 21, "mdf_decision_days": 7},
        "agreements": [
            {
                "number": "AG-001", "partner": "P-A", "start": "2026-01-01", "end": "2026-12-31",
                "notice_days": 90, "price_notice_days": 30, "lines": ["NET"],
                "obligations": {"payout_days": 14},
            }
        ],
    }  # fmt: skip

    report = program_load(data, today=dt.date(2026, 1, 1))

    assert report.created["obligations"] == 1
    assert report.created["agreement_obligations"] == 1
    default = Obligations.objects.get(agreement_version__isnull=True)
    assert (
        default.payout_days,
        default.mdf_decision_days,
        default.price_protection_decision_days,
    ) == (21, 7, 15)
    own = Obligations.objects.get(agreement_version__agreement__number="AG-001")
    assert (own.payout_days, own.mdf_decision_days) == (14, 7)
    assert program_load(data, today=dt.date(2026, 1, 1)).unchanged["obligations"] == 1


@pytest.mark.parametrize(
    ("section", "message"),
    [
        (
            {"payout_days": -1},
            "obligations.payout_days: must be a whole number of days from 0 to 365",
        ),
        ({"payout_days": "30"}, "obligations.payout_days: must be a whole number of days"),
        ({"payout_weeks": 4}, "obligations.payout_weeks: unknown obligation"),
        ([1, 2], "obligations: must be a mapping"),
    ],
)
def test_bad_obligations_are_reported_by_their_path(world, section, message):
    with pytest.raises(ProgramFileError) as raised:
        program_load({"obligations": section})

    assert any(error.startswith(message) for error in raised.value.errors), raised.value.errors
    assert not Obligations.objects.exists()
