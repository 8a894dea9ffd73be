"""Events from the other apps reach the notification centre in the right category, with a link,
and never reach another partner's users."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from partners.services import deal_approve, deal_register
from prm.notifications.models import Notification
from tests.partners.factories import DealLineFactory, TerritoryFactory

pytestmark = pytest.mark.django_db


def test_deal_decision_notifies_the_registering_partner_only(world):
    deal = deal_register(
        partner=world.partner,
        actor=world.users["partner_sales"],
        customer_name="Formosa Robotics",
        customer_tax_id="12345678",
        customer_domain="",
        territory=TerritoryFactory(),
        product_lines=[DealLineFactory(code="NET")],
        estimated_value=Decimal("1000.00"),
        currency="TWD",
        expected_close=timezone.localdate() + dt.timedelta(days=30),
    )
    registered = Notification.objects.get(category="deals")
    assert registered.recipient == world.users["cm_assigned"]
    assert registered.url == f"/deals/{deal.pk}/"

    deal_approve(deal=deal, actor=world.users["cm_assigned"], reason="Confirmed")
    decided = Notification.objects.filter(category="deals").exclude(pk=registered.pk)
    assert {n.recipient for n in decided} == {
        world.users["partner_sales"],
        world.users["partner_admin"],
    }
    assert all(n.partner == world.partner for n in decided)
    assert not Notification.objects.filter(recipient=world.users["other_partner"]).exists()
