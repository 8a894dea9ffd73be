"""Approving and paying a statement ask for the password again after a while (ASVS 2.1,
re-authentication before sensitive transactions). The API has no money action."""

import pytest
from django.test import Client
from django.urls import reverse

from commissions.services.compute import recompute

from ..factories import TEST_PASSWORD
from .builders import load, plan, program, sale
from .builders import statement as statement_of
from .test_statements import NET_5

pytestmark = pytest.mark.django_db
vendor_admin_email = "boss@vendor.test"


@pytest.mark.reliability("attack", "re-authentication before money actions")
class TestReauthenticationBeforeMoneyActions:
    @pytest.fixture(autouse=True)
    def _on(self, settings):
        settings.PRM_REAUTHENTICATION_FOR_PAYOUTS = True
        settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 300

    @pytest.fixture
    def statement(self, db):
        """P-ACME's computed draft for October 2026."""
        load(program(commission_plans=[plan(NET_5)]))
        sale("P-ACME", "SW-24", "2026-10-10", "30000.00")
        recompute(month_label="2026-10")
        return statement_of("P-ACME", "2026-10")

    def _signed_in(self, *, minutes_ago: float) -> Client:
        client = Client()
        client.post(
            reverse("account_login"), {"login": vendor_admin_email, "password": TEST_PASSWORD}
        )
        session = client.session
        for record in session["account_authentication_methods"]:
            record["at"] -= minutes_ago * 60
        session.save()
        return client

    @pytest.mark.parametrize("action", ["statement_approve", "statement_pay"])
    def test_an_old_sign_in_is_asked_for_the_password_again(self, vendor_admin, statement, action):
        client = self._signed_in(minutes_ago=10)
        status = statement.status
        response = client.post(reverse(action, kwargs={"pk": statement.pk}), {"reference": "T1"})
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_reauthenticate"))
        statement.refresh_from_db()
        assert statement.status == status
        # After confirming the password the approval goes through as first submitted.
        if action == "statement_approve":
            response = client.post(response["Location"], {"password": TEST_PASSWORD})
            assert response.status_code == 302
            statement.refresh_from_db()
            assert statement.status == "approved"

    def test_a_recent_confirmation_approves_at_once(self, vendor_admin, statement):
        """allauth counts only an explicit confirmation (not the sign-in itself) as recent."""
        client = self._signed_in(minutes_ago=1)
        client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
        response = client.post(reverse("statement_approve", kwargs={"pk": statement.pk}))
        assert response["Location"] == reverse("statement_detail", kwargs={"pk": statement.pk})
        statement.refresh_from_db()
        assert statement.status == "approved"
