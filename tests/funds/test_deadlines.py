"""Claim-deadline reminders 14 and 3 days before, each sent once; expiry notifies the partner."""

import datetime as dt
from decimal import Decimal

from funds.models import FundReminder
from funds.services import (
    fund_reminders_send,
    fund_request_create,
    fund_request_decide,
    fund_requests_expire,
)
from funds.tasks import fund_deadlines_task
from prm.notifications.models import Notification

from .conftest import make_fund

D = Decimal
END = dt.date(2027, 3, 31)
DEADLINE = dt.date(2027, 5, 30)


def approved(world):
    budget = make_fund(partner=world.partner).budgets.get()
    req = fund_request_create(
        actor=world.users["partner_sales"],
        budget=budget,
        kind="training",
        description="Sales training",
        start=dt.date(2027, 3, 1),
        end=END,
        planned_cost=D("1000.00"),
        amount=D("500.00"),
    )
    return fund_request_decide(actor=world.users["vendor_admin"], request=req, decision="approve")


def titles(user):
    return list(
        Notification.objects.filter(recipient=user).order_by("pk").values_list("title", flat=True)
    )


def test_reminders_go_14_and_3_days_before_each_once(world):
    req = approved(world)
    sales, admin = world.users["partner_sales"], world.users["partner_admin"]
    Notification.objects.all().delete()
    assert fund_reminders_send(today=DEADLINE - dt.timedelta(days=15)) == 0
    assert fund_reminders_send(today=DEADLINE - dt.timedelta(days=14)) == 1
    assert fund_reminders_send(today=DEADLINE - dt.timedelta(days=14)) == 0
    assert fund_reminders_send(today=DEADLINE - dt.timedelta(days=3)) == 1
    assert fund_reminders_send(today=DEADLINE - dt.timedelta(days=3)) == 0
    expected = [
        f"{req.number}: claim within 14 days, by 2027-05-30",
        f"{req.number}: claim within 3 days, by 2027-05-30",
    ]
    assert titles(sales) == expected
    assert titles(admin) == expected
    assert titles(world.users["partner_finance"]) == []
    assert sorted(FundReminder.objects.values_list("days_before", flat=True)) == [3, 14]
    assert fund_requests_expire(today=DEADLINE + dt.timedelta(days=1)) == 1
    assert titles(sales)[-1] == f"{req.number} expired: it was not claimed by 2027-05-30"


def test_the_daily_task_expires_and_reminds(world, monkeypatch):
    approved(world)
    monkeypatch.setattr(
        "django.utils.timezone.localdate", lambda *a, **k: DEADLINE - dt.timedelta(days=3)
    )
    assert fund_deadlines_task() == {"expired": 0, "reminded": 1}
    monkeypatch.setattr(
        "django.utils.timezone.localdate", lambda *a, **k: DEADLINE + dt.timedelta(days=1)
    )
    assert fund_deadlines_task() == {"expired": 1, "reminded": 0}
