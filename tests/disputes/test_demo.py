"""The demo cases: a spread the vendor report can show, opened once however often seed_demo runs."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from disputes.demo import seed_demo_cases
from disputes.models import Case, CaseStatusChange
from disputes.selectors import case_report
from prm.accounts.models import User

pytestmark = pytest.mark.django_db


def test_the_demo_cases_fill_the_report_once():
    call_command("seed_demo", verbosity=0)
    seed_demo_cases()
    seed_demo_cases()

    cases = Case.objects.all()
    assert cases.count() == 7
    assert set(cases.values_list("kind", flat=True)) == {
        "payout",
        "pricing",
        "channel_conflict",
        "compliance",
        "agreement",
        "other",
    }
    assert cases.get(kind="payout").statement_line is not None
    assert set(cases.values_list("priority", flat=True)) == {"urgent", "high", "normal", "low"}
    assert cases.filter(escalated_at__isnull=False).count() == 1
    assert cases.filter(status="waiting", paused_at__isnull=False).count() == 1
    assert sorted(cases.exclude(rating=None).values_list("rating", flat=True)) == [3, 4, 5]
    assert CaseStatusChange.objects.filter(kind="owner").count() == 1
    # opened at various ages, with the history written at those times
    now = timezone.now()
    ages = sorted((now - case.created_at).days for case in cases)
    assert ages[0] <= 2
    assert ages[-1] >= 20
    for case in cases:
        first = case.status_changes.order_by("created_at", "id").first()
        assert abs(first.created_at - case.created_at).total_seconds() < 1

    admin = User.objects.get(email="admin@vendor.example")
    report = case_report(user=admin, now=now)
    assert sum(count for _key, count in report["ages"]) == 4
    assert sum(count for _rating, count in report["ratings"]) == 3
    owners = {row["owner__email"]: row for row in report["owners"]}
    assert set(owners) == {"admin@vendor.example", "cm@vendor.example"}
    assert owners["cm@vendor.example"]["response_rate"] is not None
    assert owners["admin@vendor.example"]["resolution_rate"] == 0

    from django.test import Client

    client = Client()
    client.force_login(admin)
    page = client.get(reverse("case_report"))
    assert page.status_code == 200
    assert "Kevin Lin" in page.content.decode()


def test_without_the_demo_partners_nothing_is_opened(world):
    seed_demo_cases()

    assert not Case.objects.exists()
