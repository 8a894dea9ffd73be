"""Mass assignment: no API caller sets a field its role may not set, one test per writable
serializer (cases, deal registrations, notifications marked read)."""

import pytest
from django.urls import reverse

from disputes.models import Case
from partners.models import DealRegistration
from prm.notifications.models import Notification

from ..conftest import ROLES
from ..partners.test_api import _payload as deal_payload

pytestmark = [pytest.mark.django_db, pytest.mark.reliability("attack", "mass assignment")]

SIGNED_IN = [role for role in ROLES if role != "anonymous"]
VENDOR = {"vendor_admin", "cm_assigned", "cm_unassigned"}


@pytest.mark.parametrize("role", SIGNED_IN)
def test_case_fields_a_role_may_not_set_are_not_set(world, role):
    payload = {
        "kind": "payout",
        "subject": "Statement question",
        "description": "The October line looks short.",
        "partner_code": "P-A",
        # vendor-only findings
        "severity": "high",
        "evidence": "Planted evidence",
        "penalty": "99999.00",
        # nobody sets these on opening
        "status": "resolved",
        "resolution": "Paid in full",
        "rating": 5,
        "first_responded_at": "2026-01-01T00:00:00Z",
        "number": "CASE-999999",
    }
    if role in VENDOR:
        # Vendor staff may set the findings, on compliance cases only; here they are left out.
        for name in ("severity", "evidence", "penalty"):
            del payload[name]
    response = world.client(role).post(
        reverse("api:case-list"), payload, content_type="application/json"
    )
    if role == "cm_unassigned":
        assert response.status_code == 400  # P-A is not theirs
        assert not Case.objects.exists()
        return
    assert response.status_code == 201, response.content
    case = Case.objects.get()
    assert case.status != "resolved"
    assert case.resolution == ""
    assert case.rating is None
    assert case.first_responded_at is None
    assert case.number != "CASE-999999"
    if role not in VENDOR:
        assert (case.evidence, case.severity, case.penalty) == ("", "", None)
        assert case.partner == (world.other_partner if role == "other_partner" else world.partner)


@pytest.mark.parametrize("role", ["partner_admin", "partner_sales", "other_partner"])
def test_deal_fields_a_partner_may_not_set_are_not_set(world, role):
    payload = deal_payload(
        status="approved",
        protected_until="2099-12-31",
        decision_reason="Approved by myself",
        decided_at="2026-01-01T00:00:00Z",
        partner="P-B" if role != "other_partner" else "P-A",
        conflict=False,
        number="DR-999999",
    )
    response = world.client(role).post(
        reverse("api:deal-list"), payload, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    deal = DealRegistration.objects.get()
    assert deal.status == DealRegistration.Status.PENDING
    assert deal.protected_until is None
    assert deal.decision_reason == ""
    assert deal.decided_at is None
    assert deal.number != "DR-999999"
    assert deal.partner == (world.other_partner if role == "other_partner" else world.partner)


@pytest.mark.parametrize("role", SIGNED_IN)
def test_marking_read_touches_only_the_callers_notifications(world, role):
    victim = world.users["partner_finance" if role != "partner_finance" else "partner_sales"]
    theirs = Notification.objects.create(
        recipient=victim, category="case", title="Not yours", url="/disputes/", delivery="in_app"
    )
    response = world.client(role).post(
        reverse("api:notification-read"), {"ids": [theirs.pk]}, content_type="application/json"
    )
    assert response.status_code == 200
    theirs.refresh_from_db()
    assert theirs.read_at is None
