"""Vendor reporting: open cases by age, SLA attainment, mean times, satisfaction."""

import datetime as dt

import pytest
from django.db.utils import ConnectionDoesNotExist
from django.urls import reverse
from django.utils import timezone

from disputes.models import Case
from disputes.selectors import case_report
from disputes.services import case_open

H = dt.timedelta(hours=1)


def _case(world, subject="Q"):
    return case_open(
        actor=world.users["partner_admin"],
        partner=world.partner,
        kind="other",
        subject=subject,
        description="?",
    )


def test_the_report_counts_ages_attainment_times_and_ratings(world):
    fresh, old, done = _case(world), _case(world), _case(world)
    now = timezone.now()
    Case.objects.filter(pk=old.pk).update(created_at=now - dt.timedelta(days=5))
    # done: answered after 2 h (on time), resolved after 20 days (late), rated 4
    Case.objects.filter(pk=done.pk).update(
        created_at=now - dt.timedelta(days=30),
        first_response_due=now - dt.timedelta(days=30) + 24 * H,
        resolution_due=now - dt.timedelta(days=16),
        first_responded_at=now - dt.timedelta(days=30) + 2 * H,
        resolved_at=now - dt.timedelta(days=10),
        status="resolved",
        rating=4,
    )

    report = case_report(user=world.users["vendor_admin"], now=now)

    assert dict(report["ages"]) == {
        "under_1": 1,
        "1_to_3": 0,
        "3_to_7": 1,
        "7_to_14": 0,
        "over_14": 0,
    }
    (row,) = report["owners"]
    assert row["owner__email"] == "cm@vendor.test"
    assert (row["total"], row["response_rate"], row["resolution_rate"]) == (3, 100, 0)
    assert row["mean_first_response"] == 2 * H
    assert row["mean_resolution"] == dt.timedelta(days=20)
    assert (row["rated"], row["mean_rating"]) == (1, 4)
    assert fresh.status == Case.Status.OPEN


def test_channel_managers_report_only_on_their_partners(world):
    _case(world)
    assert case_report(user=world.users["cm_unassigned"], now=timezone.now())["owners"] == []


def test_the_report_page(world):
    _case(world)
    page = world.client("cm_assigned").get(reverse("case_report"))
    assert page.status_code == 200
    assert "Open cases by age" in page.content.decode()


def test_the_report_reads_from_the_reports_database(world, settings):
    """With a read replica configured the report's queries go there, not to the primary."""
    settings.PRM_REPORTS_DATABASE = "reports-replica"
    with pytest.raises(ConnectionDoesNotExist, match="reports-replica"):
        case_report(user=world.users["vendor_admin"], now=timezone.now())
