"""Payout bank details: who reads and changes them, the confirmation a change needs, the history,
the email to every partner admin, and the details a statement shows."""

import time

import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.core import mail
from django.urls import reverse

from commissions.models import BankDetails, BankDetailsChange
from commissions.services.bank import bank_details_save, mask_account
from commissions.services.statements import statement_approve
from partners.models import Membership
from prm.core.errors import DomainError
from prm.notifications.models import Category, Delivery, Notification, NotificationPreference

from ..factories import TEST_PASSWORD, MembershipFactory, UserFactory
from .test_views import payouts  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

DETAILS = {
    "bank_name": "Cathay United Bank",
    "account_holder": "Acme Trading Ltd",
    "account_number": "0123-4567-8901",
    "branch_code": "uwcbtwtp",
    "currency": "TWD",
}
NEW = {**DETAILS, "bank_name": "E.SUN Bank", "account_number": "9988776655443322"}


def test_mask_keeps_the_last_four():
    assert mask_account("0123-4567-8901") == "••••••••8901"
    assert mask_account("1234") == "1234"
    assert mask_account("") == ""


class TestSaving:
    def test_history_event_and_a_quiet_resave(self, world, django_capture_on_commit_callbacks):
        admin = world.users["partner_admin"]
        with django_capture_on_commit_callbacks(execute=True):
            details = bank_details_save(partner=world.partner, actor=admin, data=DETAILS)
            bank_details_save(partner=world.partner, actor=admin, data=NEW)
            bank_details_save(partner=world.partner, actor=admin, data=NEW)
        details.refresh_from_db()
        assert details.bank_name == "E.SUN Bank"
        assert details.branch_code == "UWCBTWTP"
        changes = list(BankDetailsChange.objects.filter(partner=world.partner).order_by("id"))
        assert [c.before.get("bank_name") for c in changes] == [None, "Cathay United Bank"]
        assert [c.after["bank_name"] for c in changes] == ["Cathay United Bank", "E.SUN Bank"]
        assert all(c.changed_by == admin for c in changes)
        # Two changes, two emails to the only partner admin; the account number masked.
        assert [m.to for m in mail.outbox] == [["admin@a.test"], ["admin@a.test"]]
        body = mail.outbox[1].body
        assert "••••••••8901" in body
        assert "••••••••••••3322" in body
        assert "0123-4567" not in body
        assert "99887766" not in body

    def test_every_partner_admin_hears_in_their_language(
        self, world, django_capture_on_commit_callbacks
    ):
        second = UserFactory(email="admin2@a.test", language="zh-hant")
        MembershipFactory(user=second, partner=world.partner, role=Membership.Role.ADMIN)
        with django_capture_on_commit_callbacks(execute=True):
            bank_details_save(
                partner=world.partner, actor=world.users["vendor_admin"], data=DETAILS
            )
        by_address = {m.to[0]: m for m in mail.outbox}
        assert set(by_address) == {"admin@a.test", "admin2@a.test"}
        assert "Payout bank details changed for P-A" in by_address["admin@a.test"].subject
        assert "P-A" in by_address["admin2@a.test"].subject
        assert "Open it in the portal:" in by_address["admin@a.test"].body
        assert "在入口網站中開啟：" in by_address["admin2@a.test"].body

    def test_each_admin_is_notified_in_the_portal_and_emailed_whatever_their_preference(
        self, world, django_capture_on_commit_callbacks
    ):
        second = UserFactory(email="admin2@a.test", language="zh-hant")
        MembershipFactory(user=second, partner=world.partner, role=Membership.Role.ADMIN)
        # A security notice: emailed even to an admin who chose the portal only for payouts.
        NotificationPreference.objects.create(
            user=second, category=Category.PAYOUTS, delivery=Delivery.IN_APP
        )
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            bank_details_save(partner=world.partner, actor=world.users["vendor_admin"], data=NEW)
            # Nothing is sent before the change commits.
            assert mail.outbox == []
        assert callbacks
        notes = Notification.objects.filter(category=Category.PAYOUTS).order_by("recipient_id")
        url = reverse("bank_details", kwargs={"code": "P-A"})
        assert [(n.recipient.email, n.url, n.partner_id, n.delivery) for n in notes] == [
            ("admin@a.test", url, world.partner.pk, Delivery.EMAIL),
            ("admin2@a.test", url, world.partner.pk, Delivery.EMAIL),
        ]
        assert notes[0].title == "Payout bank details changed for P-A"
        assert notes[1].title != notes[0].title
        assert "P-A" in notes[1].title
        assert sorted(m.to[0] for m in mail.outbox) == ["admin2@a.test", "admin@a.test"]
        # Finance and sales users are not admins: they hear nothing.
        assert not Notification.objects.filter(
            recipient__in=[world.users["partner_finance"], world.users["partner_sales"]]
        ).exists()

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("bank_name", " ", "Give the bank name."),
            ("account_number", "12", "The account number takes 4 to 34"),
            ("account_number", "12$456", "The account number takes 4 to 34"),
            ("branch_code", "AB", "The SWIFT or branch code takes 3 to 34"),
            ("currency", "XXX", "Choose one of the listed currencies."),
        ],
    )
    def test_bad_input_names_the_field(self, world, field, value, message):
        with pytest.raises(DomainError, match=message) as caught:
            bank_details_save(
                partner=world.partner,
                actor=world.users["partner_admin"],
                data={**DETAILS, field: value},
            )
        assert caught.value.field == field
        assert not BankDetails.objects.exists()


class TestPages:
    def test_partner_admin_changes_them(self, world, django_capture_on_commit_callbacks):
        client = world.client("partner_admin")
        edit = reverse("bank_details_edit", kwargs={"code": "P-A"})
        assert client.get(edit).status_code == 200
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(edit, DETAILS)
        assert response["Location"] == reverse("bank_details", kwargs={"code": "P-A"})
        page = client.get(response["Location"]).content.decode()
        assert "••••••••8901" in page
        assert "0123-4567" not in page
        assert "Cathay United Bank" in page
        assert len(mail.outbox) == 1

    def test_a_bad_value_is_shown_on_its_field(self, world):
        response = world.client("partner_admin").post(
            reverse("bank_details_edit", kwargs={"code": "P-A"}),
            {**DETAILS, "branch_code": "A"},
        )
        assert response.status_code == 200
        assert "The SWIFT or branch code takes 3 to 34 letters and digits." in (
            response.content.decode()
        )
        assert response.context["form"].errors["branch_code"]

    def test_finance_reads_but_does_not_change(self, world):
        bank_details_save(partner=world.partner, actor=world.users["partner_admin"], data=DETAILS)
        client = world.client("partner_finance")
        page = client.get(reverse("bank_details", kwargs={"code": "P-A"})).content.decode()
        assert "••••••••8901" in page
        assert 'id="edit-bank-details"' not in page
        edit = reverse("bank_details_edit", kwargs={"code": "P-A"})
        assert client.get(edit).status_code == 403
        assert client.post(edit, NEW).status_code == 403
        assert BankDetails.objects.get().bank_name == "Cathay United Bank"

    def test_sales_users_and_other_partners(self, world):
        view = reverse("bank_details", kwargs={"code": "P-A"})
        edit = reverse("bank_details_edit", kwargs={"code": "P-A"})
        assert world.client("partner_sales").get(view).status_code == 403
        assert world.client("other_partner").get(view).status_code == 404
        assert world.client("other_partner").post(edit, DETAILS).status_code == 404
        assert world.client("cm_unassigned").get(view).status_code == 404
        assert world.client("cm_assigned").get(edit).status_code == 403
        assert not BankDetails.objects.exists()

    def test_the_statement_shows_the_details_in_force(self, world, payouts):  # noqa: F811
        bank_details_save(partner=world.partner, actor=world.users["partner_admin"], data=DETAILS)
        client = world.client("partner_admin")
        detail = reverse("statement_detail", kwargs={"pk": payouts.pk})
        assert "Cathay United Bank" in client.get(detail).content.decode()
        approved = statement_approve(statement=payouts, actor=world.users["vendor_admin"])
        assert approved.bank_details["account_number"] == "0123-4567-8901"
        # A later change reaches the next statement, not this approved one.
        bank_details_save(partner=world.partner, actor=world.users["partner_admin"], data=NEW)
        page = client.get(detail).content.decode()
        assert "Cathay United Bank" in page
        assert "E.SUN Bank" not in page
        assert "••••••••8901" in page


@pytest.mark.reliability("attack", "re-authentication before changing bank details")
class TestReauthentication:
    @pytest.fixture(autouse=True)
    def _on(self, settings):
        settings.PRM_REAUTHENTICATION_FOR_PAYOUTS = True
        settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 300

    def test_partner_admin_confirms_the_password(self, world):
        client = world.client("partner_admin")
        edit = reverse("bank_details_edit", kwargs={"code": "P-A"})
        response = client.get(edit)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_reauthenticate"))
        response = client.post(edit, DETAILS)
        assert response["Location"].startswith(reverse("account_reauthenticate"))
        assert not BankDetails.objects.exists()
        response = client.post(response["Location"], {"password": TEST_PASSWORD})
        assert response["Location"] == edit
        assert client.get(edit).status_code == 200
        response = client.post(edit, DETAILS)
        assert response["Location"] == reverse("bank_details", kwargs={"code": "P-A"})
        assert BankDetails.objects.get().bank_name == "Cathay United Bank"

    def test_a_wrong_password_changes_nothing(self, world):
        client = world.client("partner_admin")
        edit = reverse("bank_details_edit", kwargs={"code": "P-A"})
        client.post(f"{reverse('account_reauthenticate')}?next={edit}", {"password": "nope"})
        assert client.post(edit, DETAILS)["Location"].startswith(reverse("account_reauthenticate"))
        assert not BankDetails.objects.exists()

    def test_vendor_staff_with_totp_confirm_the_code_too(self, world):
        user = world.users["vendor_admin"]
        secret = generate_totp_secret()
        TOTP.activate(user, secret)
        client = world.client("vendor_admin", mfa=True)
        edit = reverse("bank_details_edit", kwargs={"code": "P-A"})
        response = client.post(
            f"{reverse('account_reauthenticate')}?next={edit}", {"password": TEST_PASSWORD}
        )
        assert response["Location"] == edit
        response = client.get(edit)
        assert response["Location"].startswith(reverse("mfa_reauthenticate"))
        assert client.post(edit, DETAILS)["Location"].startswith(reverse("mfa_reauthenticate"))
        assert not BankDetails.objects.exists()
        code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
        response = client.post(response["Location"], {"code": code})
        assert response["Location"] == edit
        response = client.post(edit, DETAILS)
        assert response["Location"] == reverse("bank_details", kwargs={"code": "P-A"})
        assert BankDetails.objects.get().updated_by == user

    def test_an_old_confirmation_is_asked_again(self, world):
        client = world.client("partner_admin")
        edit = reverse("bank_details_edit", kwargs={"code": "P-A"})
        client.post(f"{reverse('account_reauthenticate')}?next={edit}", {"password": TEST_PASSWORD})
        session = client.session
        for record in session["account_authentication_methods"]:
            record["at"] -= 600
        session.save()
        assert client.post(edit, DETAILS)["Location"].startswith(reverse("account_reauthenticate"))
        assert not BankDetails.objects.exists()
