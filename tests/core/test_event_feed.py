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
