"""Who reads the reason of a status change. Between the two partners of a channel conflict a
reason stays with vendor staff unless the vendor shows it to both or to one party; neither
partner reads the other's name or the vendor's internal details on a page, in the API, in their
activity or in an email."""

import pytest
from django.core import mail
from django.urls import reverse

from disputes.forms import CaseStatusForm
from disputes.models import Case
from disputes.services import case_message_add, case_open, case_status_change
from prm.core.errors import DomainError
from prm.core.models import Event
from tests.factories import PartnerFactory

LEAK = "Bravo Distribution undercut the quote of Acme Trading by 12%"


def _conflict(world):
    return case_open(
        actor=None,
        partner=world.partner,
        other_partner=world.other_partner,
        kind="channel_conflict",
        priority="high",
        subject="Sale to protected customer Globex",
        description="A sale to a protected customer.",
    )


def _single(world):
    return case_open(
        actor=world.users["partner_admin"],
        partner=world.partner,
        kind="payout",
        subject="Payout",
        description="Short",
    )


def _post_status(world, case, status, reason, reason_to=None):
    data = {"status": status, "reason": reason}
    if reason_to is not None:
        data["reason_to"] = reason_to
    return world.client("cm_assigned").post(reverse("case_status", kwargs={"pk": case.pk}), data)


def _surfaces(world, role, case) -> str:
    """Everything a partner user reads about the case: its page, the case list, the dashboard's
    activity and the API."""
    client = world.client(role)
    return "\n".join(
        [
            client.get(reverse("case_detail", kwargs={"pk": case.pk})).content.decode(),
            client.get(reverse("case_list"), {"status": "all"}).content.decode(),
            client.get(reverse("dashboard")).content.decode(),
            client.get(reverse("api:case-list")).content.decode(),
        ]
    )


def _names(partner, users=()):
    return [partner.name, partner.local_name, *(str(u) for u in users), *(u.email for u in users)]


def test_a_conflicts_status_reason_stays_with_vendor_staff_by_default(
    world, django_capture_on_commit_callbacks
):
    case = _conflict(world)
    acme_user, bravo_user = world.users["partner_admin"], world.users["other_partner"]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        case_message_add(case=case, actor=bravo_user, body="Our quote was first")
        case_message_add(case=case, actor=acme_user, body="We registered in March")
        response = _post_status(world, case, "waiting", LEAK)
        case_message_add(case=case, actor=bravo_user, body="Here is the quote")
    assert response.status_code == 302

    change = case.status_changes.get(reason=LEAK)
    assert (change.reason_internal, change.reason_party) == (True, None)
    # the partner's reply brought the case back, and that reason stays with the vendor too
    assert case.status_changes.get(reason="The partner replied").reason_internal

    acme = _surfaces(world, "partner_admin", case)
    bravo = _surfaces(world, "other_partner", case)
    for seen in (acme, bravo):
        assert LEAK not in seen
        assert "The partner replied" not in seen
    for name in _names(world.other_partner, [bravo_user]):
        assert name not in acme
    for name in _names(world.partner, [acme_user, world.users["partner_finance"]]):
        assert name not in bravo
    for message in mail.outbox:
        text = message.subject + message.body
        assert LEAK not in text
        recipient = message.to[0]
        if recipient.endswith("@a.test"):
            assert world.other_partner.name not in text
        if recipient.endswith("@b.test"):
            assert world.partner.name not in text
    # the audit keeps the reason, out of the partner's activity
    event = Event.objects.get(verb="case.status_changed", after__reason=LEAK)
    assert event.reason == ""

    vendor = world.client("cm_assigned").get(reverse("case_detail", kwargs={"pk": case.pk}))
    assert LEAK in vendor.content.decode()
    assert "vendor staff only" in vendor.content.decode()


def test_the_vendor_shows_a_conflicts_reason_to_one_party_or_both(world):
    case = _conflict(world)
    to_bravo = "Send the purchase order by Friday"
    to_both = "The registration holds; the sale is credited to it"

    _post_status(world, case, "waiting", to_bravo, reason_to=str(world.other_partner.pk))
    _post_status(world, case, "in_progress", to_both, reason_to="all")

    acme = _surfaces(world, "partner_admin", case)
    bravo = _surfaces(world, "other_partner", case)
    assert to_bravo in bravo
    assert to_bravo not in acme
    assert to_both in acme
    assert to_both in bravo
    vendor = world.client("cm_assigned").get(reverse("case_detail", kwargs={"pk": case.pk}))
    assert f"{world.other_partner.display_name} only" in vendor.content.decode()
    # the reason reaches the partner's activity only when that partner may read it
    assert Event.objects.filter(reason=to_both).exists()
    assert not Event.objects.filter(reason=to_bravo).exists()


def test_a_single_partners_reasons_are_theirs_unless_kept_for_vendor_staff(world):
    case = _single(world)
    shared, internal = "Checking the October sales", "Margin on this account is thin"

    _post_status(world, case, "in_progress", shared)
    _post_status(world, case, "waiting", internal, reason_to="vendor")

    seen = _surfaces(world, "partner_admin", case)
    assert shared in seen
    assert internal not in seen
    vendor = world.client("cm_assigned").get(reverse("case_detail", kwargs={"pk": case.pk}))
    assert internal in vendor.content.decode()


def test_the_status_form_offers_the_audiences_of_the_case(world):
    conflict = _conflict(world)
    form = CaseStatusForm(current=conflict.status, case=conflict)
    assert [value for value, _label in form.fields["reason_to"].choices] == [
        "vendor",
        "all",
        str(world.partner.pk),
        str(world.other_partner.pk),
    ]
    assert form.fields["reason_to"].initial == "vendor"
    single = _single(world)
    form = CaseStatusForm(current=single.status, case=single)
    assert [value for value, _label in form.fields["reason_to"].choices] == ["all", "vendor"]
    assert form.fields["reason_to"].initial == "all"

    response = world.client("cm_assigned").post(
        reverse("case_status", kwargs={"pk": conflict.pk}),
        {"status": "in_progress", "reason": "x", "reason_to": "someone"},
        follow=True,
    )
    assert conflict.status_changes.count() == 1
    (error,) = [str(m) for m in response.context["messages"]]
    assert error.startswith("Reason visible to: ")


def test_a_reason_goes_to_a_party_of_the_case_only(world):
    case = _conflict(world)
    cm = world.users["cm_assigned"]
    with pytest.raises(DomainError) as caught:
        case_status_change(
            case=case, actor=cm, status="in_progress", reason="x", reason_party=PartnerFactory()
        )
    assert caught.value.field == "reason_to"
    with pytest.raises(DomainError):
        case_status_change(
            case=case,
            actor=cm,
            status="in_progress",
            reason="x",
            reason_internal=True,
            reason_party=world.partner,
        )
    assert Case.objects.get(pk=case.pk).status == "open"


def test_a_message_to_one_party_is_filed_in_that_partys_activity_only(world):
    case = _conflict(world)
    bravo_user = world.users["other_partner"]

    case_message_add(case=case, actor=bravo_user, body="Our quote was first")

    event = Event.objects.get(verb="case.message_added")
    assert event.partner == world.other_partner
    dashboard = world.client("partner_admin").get(reverse("dashboard")).content.decode()
    assert str(bravo_user) not in dashboard
