"""Handing a case to another owner: who may, to whom, the history and the notice it leaves, and
cases nobody owns yet (shown, filtered and still escalated to the vendor admins)."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse

from disputes import services
from disputes.models import Case, CaseStatusChange
from disputes.selectors import case_owner_choices
from disputes.services import (
    case_breaches_escalate,
    case_message_add,
    case_open,
    case_reassign,
    case_resolve,
)
from partners.permissions import grant_partner_management
from prm.core.errors import DomainError, InvalidTransitionError
from prm.core.events import event_sentence
from prm.core.models import Event
from tests.factories import ChannelManagerFactory, PartnerFactory, VendorAdminFactory

T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)
REASON = "Kevin is on leave until December"


def _open(world, partner=None, **extra):
    return case_open(
        actor=world.users["partner_admin"] if partner is None else None,
        partner=partner or world.partner,
        kind="other",
        subject="Question",
        description="Why?",
        now=T0,
        **extra,
    )


def _second_manager(world):
    """A channel manager assigned to partner A besides its account manager."""
    cm = ChannelManagerFactory(email="cm3@vendor.test", full_name="Lin Pei-shan")
    grant_partner_management(user=cm, partner=world.partner)
    return cm


def _detail(world, role, case):
    return world.client(role).get(reverse("case_detail", kwargs={"pk": case.pk}))


def _errors(response):
    return [str(m) for m in response.context["messages"] if m.level_tag == "error"]


# --- the reassignment --------------------------------------------------------------------------


def test_a_vendor_admin_reassigns_a_case_with_the_change_in_its_history(
    world, django_capture_on_commit_callbacks
):
    case = _open(world)
    cm, admin = world.users["cm_assigned"], world.users["vendor_admin"]
    successor = _second_manager(world)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = world.client("vendor_admin").post(
            reverse("case_reassign", kwargs={"pk": case.pk}),
            {"owner": successor.pk, "reason": REASON},
            follow=True,
        )

    case.refresh_from_db()
    assert case.owner == successor
    assert [m.level_tag for m in response.context["messages"]] == ["success"]
    change = case.status_changes.get(kind="owner")
    assert (change.actor, change.from_owner, change.to_owner) == (admin, cm, successor)
    assert (change.reason, change.reason_internal) == (REASON, True)
    assert change.from_status == change.to_status == "open"
    event = Event.objects.get(verb="case.owner_changed")
    assert event.actor == admin
    assert event.before == {"owner": cm.email}
    assert event.after == {
        "owner": successor.email,
        "owner_name": str(successor),
        "reason": REASON,
        "reason_internal": True,
    }
    assert event_sentence(event) == f"{admin} handed {case.number} to {successor}."
    # only the new owner is told, with who, from whom and why
    (message,) = mail.outbox
    assert message.to == ["cm3@vendor.test"]
    assert case.number in message.subject
    for said in (str(admin), str(cm), REASON):
        assert said in message.body
    assert f"/disputes/{case.pk}/" in message.body

    vendor_page = _detail(world, "cm_assigned", case).content.decode()
    assert f"Owner: {cm} → {successor}" in vendor_page
    assert REASON in vendor_page
    # partners see who owns the case now, not why it changed hands
    partner_page = _detail(world, "partner_admin", case).content.decode()
    assert f"Owner: {cm} → {successor}" in partner_page
    assert REASON not in partner_page
    assert REASON not in world.client("partner_admin").get(reverse("dashboard")).content.decode()


def test_a_channel_manager_reassigns_the_cases_of_their_partners_only(world):
    cm = world.users["cm_assigned"]
    successor = _second_manager(world)
    case = _open(world)

    case_reassign(case=case, actor=cm, owner=successor, reason=REASON)
    assert Case.objects.get(pk=case.pk).owner == successor

    # a channel manager who owns a case of a partner not assigned to them may not hand it on
    elsewhere = PartnerFactory(code="P-C")
    owned = _open(world, partner=elsewhere, owner=world.users["cm_unassigned"])
    page = _detail(world, "cm_unassigned", owned)
    assert page.status_code == 200
    assert page.context["reassign_form"] is None
    with pytest.raises(DomainError, match="reassign"):
        case_reassign(
            case=owned,
            actor=world.users["cm_unassigned"],
            owner=world.users["vendor_admin"],
            reason=REASON,
        )
    with pytest.raises(DomainError):
        case_reassign(case=owned, actor=world.users["partner_admin"], owner=cm, reason=REASON)


def test_the_new_owner_must_be_vendor_staff_who_can_see_the_partner(world):
    case = _open(world)
    actor = world.users["vendor_admin"]

    def refused(owner, reason=REASON):
        with pytest.raises(DomainError) as caught:
            case_reassign(case=case, actor=actor, owner=owner, reason=reason)
        return caught.value

    assert refused(world.users["cm_unassigned"]).field == "owner"
    assert "not assigned to" in refused(world.users["cm_unassigned"]).message
    assert refused(world.users["partner_admin"]).field == "owner"
    assert refused(world.users["cm_assigned"]).field == "owner"  # already the owner
    assert refused(None).field == "owner"
    assert refused(world.users["vendor_admin"], reason="  ").field == "reason"
    gone = VendorAdminFactory(is_active=False)
    assert refused(gone).field == "owner"
    assert not CaseStatusChange.objects.filter(kind="owner").exists()

    case_resolve(case=case, actor=actor, resolution="Answered")
    with pytest.raises(InvalidTransitionError):
        case_reassign(case=case, actor=actor, owner=world.users["vendor_admin"], reason=REASON)


def test_bad_input_on_the_page_names_the_field(world):
    case = _open(world)
    url = reverse("case_reassign", kwargs={"pk": case.pk})
    client = world.client("vendor_admin")

    blank = client.post(url, {"owner": world.users["vendor_admin"].pk, "reason": ""}, follow=True)
    assert _errors(blank) == ["Why: This field is required."]
    stranger = client.post(
        url, {"owner": world.users["cm_unassigned"].pk, "reason": REASON}, follow=True
    )
    (error,) = _errors(stranger)
    assert error.startswith("New owner: ")
    assert Case.objects.get(pk=case.pk).owner == world.users["cm_assigned"]


def test_the_form_offers_the_staff_who_can_see_the_partner(world):
    case = _open(world)
    successor = _second_manager(world)
    sees_all = ChannelManagerFactory(email="all@vendor.test")
    sees_all.user_permissions.add(Permission.objects.get(codename="view_all_partners"))
    VendorAdminFactory(email="gone@vendor.test", is_active=False)

    choices = set(case_owner_choices(case=case).values_list("email", flat=True))
    assert choices == {"admin@vendor.test", "cm@vendor.test", successor.email, sees_all.email}

    form = _detail(world, "cm_assigned", case).context["reassign_form"]
    offered = {user.email for user in form.fields["owner"].queryset}
    assert offered == choices - {"cm@vendor.test"}
    # the one with "view all partners" may indeed own it
    case_reassign(case=case, actor=world.users["vendor_admin"], owner=sees_all, reason=REASON)


# --- unassigned cases --------------------------------------------------------------------------


def test_a_case_of_a_partner_without_account_manager_shows_and_filters_as_unassigned(world):
    lonely = PartnerFactory(code="P-C", name="Charlie Networks")
    unassigned = _open(world, partner=lonely)
    owned = _open(world)
    assert unassigned.owner is None

    vendor = world.client("vendor_admin")
    page = vendor.get(reverse("case_list"), {"status": "unassigned"})
    assert [case.pk for case, _sla in page.context["rows"]] == [unassigned.pk]
    assert "Unassigned" in page.content.decode()
    assert 'value="unassigned" selected' in page.content.decode()
    everything = vendor.get(reverse("case_list"))
    assert {case.pk for case, _sla in everything.context["rows"]} == {unassigned.pk, owned.pk}
    detail = _detail(world, "vendor_admin", unassigned).content.decode()
    assert "Unassigned" in detail

    # a resolved case leaves the filter; partners are not offered it
    case_resolve(case=unassigned, actor=world.users["vendor_admin"], resolution="Answered")
    assert not vendor.get(reverse("case_list"), {"status": "unassigned"}).context["rows"]
    partner = world.client("partner_admin").get(reverse("case_list"), {"status": "unassigned"})
    assert partner.context["status"] == "active"
    assert [case.pk for case, _sla in partner.context["rows"]] == [owned.pk]
    assert 'value="unassigned"' not in partner.content.decode()


def test_an_unassigned_case_gets_its_first_owner(world, django_capture_on_commit_callbacks):
    lonely = PartnerFactory(code="P-C")
    case = _open(world, partner=lonely)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        case_reassign(
            case=case,
            actor=world.users["vendor_admin"],
            owner=world.users["vendor_admin"],
            reason="Nobody manages P-C yet",
        )

    (message,) = mail.outbox
    assert "assigned the unassigned case" in message.body
    page = _detail(world, "vendor_admin", case).content.decode()
    assert f"Owner: Unassigned → {world.users['vendor_admin']}" in page


def test_an_unassigned_breached_case_still_reaches_the_vendor_admins(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    second_admin = VendorAdminFactory(email="admin2@vendor.test")
    lonely = PartnerFactory(code="P-C")
    case = _open(world, partner=lonely, priority="urgent")
    told = []
    real = services.case_email

    def spy(*, users, **kwargs):
        users = list(users)
        told.append({u for u in users if u is not None})
        real(users=users, **kwargs)

    monkeypatch.setattr(services, "case_email", spy)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert case_breaches_escalate(now=T0 + 4 * H) == [case.pk]

    assert {world.users["vendor_admin"], second_admin} <= told[0]
    recipients = {address for message in mail.outbox for address in message.to}
    assert {"admin@vendor.test", "admin2@vendor.test"} <= recipients
    assert all("escalated" in message.body for message in mail.outbox)


# --- query counts ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["vendor_admin", "cm_assigned", "partner_admin"])
def test_the_detail_page_with_owner_changes_runs_a_constant_number_of_queries(
    world, role, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case = _open(world)
    successor = _second_manager(world)
    cm, admin = world.users["cm_assigned"], world.users["vendor_admin"]
    client = world.client(role)
    url = reverse("case_detail", kwargs={"pk": case.pk})
    case_reassign(case=case, actor=admin, owner=successor, reason="one")
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    for index in range(6):
        case_reassign(case=case, actor=admin, owner=cm if index % 2 == 0 else successor, reason="x")
        case_message_add(case=case, actor=cm, body=f"Reply {index}")

    with django_assert_num_queries(len(captured.captured_queries)):
        assert client.get(url).status_code == 200
