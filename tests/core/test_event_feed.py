"""The organisation history each role reads: the same rule as the pages the role may open."""

import pytest
from django.urls import reverse

from partners.selectors import event_list
from prm.core.events import event_record

pytestmark = pytest.mark.django_db

VERBS = ["statement.approved", "deal.registered", "case.status_changed", "case.note_added"]


@pytest.fixture
def history(world):
    for verb in VERBS:
        event_record(
            actor=world.users["vendor_admin"],
            verb=verb,
            target=world.partner,
            partner=world.partner,
        )
    return world


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("vendor_admin", set(VERBS)),
        ("channel_manager", set(VERBS)),
        ("partner_admin", {"statement.approved", "deal.registered", "case.status_changed"}),
        ("partner_finance", {"statement.approved", "case.status_changed"}),
        ("partner_sales", {"deal.registered"}),
    ],
)
def test_each_role_reads_what_its_pages_show(history, role, expected):
    user = history.users["cm_assigned" if role == "channel_manager" else "vendor_admin"]
    events = event_list(user=user, role=role, partner=history.partner)
    assert {event.verb for event in events} & set(VERBS) == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("partner_sales", {"deal.registered"}),
        ("partner_finance", {"statement.approved", "case.status_changed"}),
    ],
)
def test_dashboard_and_profile_use_the_role(history, role, expected):
    client = history.client(role)
    dashboard = client.get(reverse("dashboard"))
    assert {event.verb for event in dashboard.context["events"]} & set(VERBS) == expected
    profile = client.get(reverse("partner_detail", kwargs={"code": history.partner.code}))
    assert {event.verb for event in profile.context["overview"].events} & set(VERBS) == expected


def test_vendor_staff_read_everything_on_the_profile(history):
    profile = history.client("cm_assigned").get(
        reverse("partner_detail", kwargs={"code": history.partner.code})
    )
    assert {event.verb for event in profile.context["overview"].events} >= set(VERBS)


def test_the_feeds_are_newest_first_limited_and_scoped(history, django_assert_num_queries):
    other = history.other_partner
    event_record(
        actor=history.users["vendor_admin"], verb="deal.registered", target=other, partner=other
    )
    admin = history.users["vendor_admin"]
    everyone = event_list(user=admin, role="vendor_admin")
    assert [e.partner_id for e in everyone[:1]] == [other.pk]
    assert {e.partner_id for e in everyone} == {history.partner.pk, other.pk}
    assert [e.pk for e in everyone] == sorted((e.pk for e in everyone), reverse=True)
    with django_assert_num_queries(1):
        two = event_list(user=admin, role="vendor_admin", limit=2)
        assert [e.actor.email for e in two] == ["admin@vendor.test"] * 2  # actor comes with it
    assert [e.pk for e in two] == [e.pk for e in everyone[:2]]
    # One partner's feed, for each partner in turn: never the other's events.
    for partner in (history.partner, other):
        feed = event_list(user=admin, role="partner_admin", partner=partner)
        assert feed
        assert {e.partner_id for e in feed} == {partner.pk}
    assert "case.note_added" not in {
        e.verb for e in event_list(user=admin, role="partner_admin", partner=history.partner)
    }


def test_a_manager_of_every_partner_reads_every_partners_feed(history):
    """Granted every partner, a channel manager's dashboard feed is every partner's; a partner
    outside the grants takes its events out again."""
    from partners.permissions import manages_every_partner
    from partners.services import partner_assign_account_manager
    from tests.factories import PartnerFactory

    manager, admin = history.users["cm_assigned"], history.users["vendor_admin"]
    assert not manages_every_partner(manager)
    partner_assign_account_manager(partner=history.other_partner, manager=manager, actor=admin)
    event_record(
        actor=admin,
        verb="deal.registered",
        target=history.other_partner,
        partner=history.other_partner,
    )

    def feed(user):
        fresh = type(user).objects.get(pk=user.pk)
        return [event.pk for event in event_list(user=fresh, role="channel_manager", limit=20)]

    everyone = type(manager).objects.get(pk=manager.pk)
    assert manages_every_partner(everyone)
    assert feed(manager) == feed(admin)

    outsider = PartnerFactory(code="P-Z")
    event_record(actor=admin, verb="deal.registered", target=outsider, partner=outsider)
    assert not manages_every_partner(type(manager).objects.get(pk=manager.pk))
    assert len(feed(admin)) == len(feed(manager)) + 1
