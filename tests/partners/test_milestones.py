"""Milestones: recorded once, both sides congratulated once; hooks on deal approval and awards;
the daily check for targets reached and anniversaries (run twice, frozen date); badges on the
360° page."""

import datetime as dt
from decimal import Decimal
from itertools import count

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from agreements.models import Product
from commissions.models import Sale
from partners.models import Milestone, Partner, Target
from partners.periods import period_of, period_shift
from partners.services import (
    deal_approve,
    milestone_record,
    milestones_check,
    partner_award_grant,
    partner_award_revoke,
    partner_change_status,
)
from prm.core.models import Event
from prm.notifications.models import Notification

from ..factories import PartnerFactory
from .factories import AwardFactory, DealLineFactory, DealRegistrationFactory

pytestmark = pytest.mark.django_db

_ids = count(1)


def _congratulated() -> list[str]:
    return sorted(m.to[0] for m in mail.outbox if "Congratulations" in m.subject)


BOTH_SIDES = sorted(["admin@a.test", "finance@a.test", "sales@a.test", "cm@vendor.test"])


def test_recorded_once_and_congratulated_once(world, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            milestone_record(
                partner=world.partner,
                kind=Milestone.Kind.ANNIVERSARY,
                key="1",
                achieved_on=dt.date(2026, 3, 1),
                detail={"years": 1},
            )
    assert Milestone.objects.count() == 1
    assert _congratulated() == BOTH_SIDES
    assert Event.objects.filter(verb="milestone.achieved").count() == 1
    assert Notification.objects.filter(category="recognition").count() == 4
    subject = next(m.subject for m in mail.outbox if m.to == ["admin@a.test"])
    assert "1 year of partnership" in subject
    for message in mail.outbox:
        assert "Bravo" not in message.subject + message.body


def test_vendor_admins_are_told_when_there_is_no_account_manager(
    world, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        milestone_record(
            partner=world.other_partner,
            kind=Milestone.Kind.FIRST_DEAL,
            key="1",
            achieved_on=timezone.localdate(),
        )
    assert _congratulated() == ["admin@b.test", "admin@vendor.test"]


def test_congratulations_in_each_readers_language(world, django_capture_on_commit_callbacks):
    reader = world.users["partner_admin"]
    reader.language = "zh-hant"
    reader.save()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        milestone_record(
            partner=world.partner,
            kind=Milestone.Kind.FIRST_DEAL,
            key="1",
            achieved_on=timezone.localdate(),
        )
    chinese = next(m for m in mail.outbox if m.to == ["admin@a.test"])
    english = next(m for m in mail.outbox if m.to == ["sales@a.test"])
    assert chinese.subject != english.subject
    assert "Congratulations" in english.subject


def test_first_approved_deal_only(world):
    line = DealLineFactory()
    first, second = (
        DealRegistrationFactory(partner=world.partner, product_lines=[line]) for _ in range(2)
    )
    deal_approve(deal=first, actor=world.users["cm_assigned"], reason="OK")
    deal_approve(deal=second, actor=world.users["cm_assigned"], reason="OK")
    milestone = Milestone.objects.get(kind=Milestone.Kind.FIRST_DEAL)
    assert (milestone.partner, milestone.detail["number"]) == (world.partner, first.number)


def test_no_first_deal_milestone_when_one_was_approved_before(world):
    line = DealLineFactory()
    DealRegistrationFactory(
        partner=world.partner,
        product_lines=[line],
        status="expired",
        decided_at=timezone.now() - dt.timedelta(days=200),
    )
    deal = DealRegistrationFactory(partner=world.partner, product_lines=[line])
    deal_approve(deal=deal, actor=world.users["cm_assigned"], reason="OK")
    assert not Milestone.objects.exists()


def test_an_award_is_a_milestone_and_withdrawing_it_removes_the_badge(world):
    grant = partner_award_grant(
        partner=world.partner,
        award=AwardFactory(),
        awarded_on=dt.date(2026, 1, 15),
        actor=world.users["vendor_admin"],
    )
    milestone = Milestone.objects.get(kind=Milestone.Kind.AWARD)
    assert (milestone.key, milestone.achieved_on) == (str(grant.pk), dt.date(2026, 1, 15))
    assert milestone.display_label == "Distributor of the Year"
    partner_award_revoke(grant=grant, actor=world.users["vendor_admin"])
    assert not Milestone.objects.exists()


# --- the daily check --------------------------------------------------------------------------


def _sale(partner: Partner, day: dt.date, amount: str) -> None:
    line = DealLineFactory()
    product, _ = Product.objects.get_or_create(sku="SKU-1", defaults={"name": "Box", "line": line})
    Sale.objects.create(
        external_id=f"S-{next(_ids)}",
        partner=partner,
        product=product,
        customer_name="Customer Ltd",
        invoice_date=day,
        kind=Sale.Kind.SALE,
        quantity=Decimal("1"),
        net_amount=Decimal(amount),
        currency=partner.currency,
    )


def _agreed(partner: Partner, period: str, amount: str) -> None:
    Target.objects.create(
        partner=partner,
        period=period,
        currency=partner.currency,
        amount=Decimal(amount),
        status=Target.Status.AGREED,
        agreed_at=timezone.now(),
    )


def test_targets_reached_this_month_and_last_month_once(world, django_capture_on_commit_callbacks):
    today = timezone.localdate()
    this_month, last_month = period_of(today), period_shift(period_of(today), -1)
    last_day = dt.date.fromisoformat(f"{last_month}-01")
    _agreed(world.partner, this_month, "1000")
    _agreed(world.partner, last_month, "1000")
    _agreed(world.other_partner, this_month, "1000")
    _sale(world.partner, today, "600")
    _sale(world.partner, today, "400")
    _sale(world.partner, last_day, "999")
    _sale(world.other_partner, today, "500")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert milestones_check(today=today) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert milestones_check(today=today) == 0
    milestone = Milestone.objects.get()
    assert (milestone.partner, milestone.kind, milestone.key) == (
        world.partner,
        "target_reached",
        this_month,
    )
    assert milestone.display_label == f"Target reached · {this_month}"
    assert _congratulated() == BOTH_SIDES

    _sale(world.partner, last_day, "1")
    assert milestones_check(today=today) == 1
    assert Milestone.objects.filter(key=last_month).exists()


def test_target_check_queries_do_not_grow_with_partners(world, django_assert_max_num_queries):
    today = timezone.localdate()
    for _ in range(30):
        _agreed(PartnerFactory(), period_of(today), "1000")
    with django_assert_max_num_queries(4):
        assert milestones_check(today=today) == 0


def _activate(partner: Partner, when: dt.datetime, actor) -> None:
    partner.status = Partner.Status.ONBOARDING
    partner.save()
    partner_change_status(partner=partner, status="active", actor=actor, reason="Trained")
    Event.objects.filter(partner=partner, verb="partner.status_changed").update(created_at=when)


def test_anniversary_from_the_activation_date_once_per_year(
    world, django_capture_on_commit_callbacks
):
    activated = dt.datetime(2024, 5, 10, 1, 0, tzinfo=dt.UTC)
    _activate(world.partner, activated, world.users["vendor_admin"])
    Partner.objects.filter(pk=world.other_partner.pk).update(created_at=timezone.now())

    assert milestones_check(today=dt.date(2025, 5, 9)) == 0
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert milestones_check(today=dt.date(2025, 5, 10)) == 1
        assert milestones_check(today=dt.date(2025, 5, 10)) == 0
        assert milestones_check(today=dt.date(2025, 9, 1)) == 0
    assert _congratulated() == BOTH_SIDES
    first = Milestone.objects.get()
    assert (first.key, first.achieved_on, first.display_label) == (
        "1",
        dt.date(2025, 5, 10),
        "1 year of partnership",
    )
    assert milestones_check(today=dt.date(2026, 5, 10)) == 1
    assert Milestone.objects.get(key="2").display_label == "2 years of partnership"


def test_anniversary_of_a_partner_created_active_counts_from_its_creation(world):
    Partner.objects.filter(pk=world.other_partner.pk).update(
        created_at=dt.datetime(2022, 2, 1, 4, 0, tzinfo=dt.UTC)
    )
    Partner.objects.filter(pk=world.partner.pk).update(created_at=timezone.now())
    assert milestones_check(today=dt.date(2025, 6, 1)) == 1
    milestone = Milestone.objects.get()
    assert (milestone.partner, milestone.key, milestone.achieved_on) == (
        world.other_partner,
        "3",
        dt.date(2025, 2, 1),
    )


def test_milestones_task_wraps_the_service(world):
    from partners.tasks import milestones_check_task

    assert milestones_check_task.delay().get() == 0


# --- the 360° page ------------------------------------------------------------------------------


def test_the_partner_page_shows_milestones_as_badges(world):
    for kind, key in (("target_reached", "2026-07"), ("anniversary", "1"), ("first_deal", "1")):
        milestone_record(partner=world.partner, kind=kind, key=key, achieved_on=dt.date(2026, 8, 1))
    for role in ("cm_assigned", "partner_sales"):
        body = (
            world.client(role)
            .get(reverse("partner_detail", kwargs={"code": world.partner.code}))
            .content.decode()
        )
        assert 'id="milestones"' in body
        for text in ("Target reached · 2026-07", "1 year of partnership", "First deal"):
            assert text in body, text
        assert "2026-08-01" in body
    other = world.client("other_partner").get(
        reverse("partner_detail", kwargs={"code": world.other_partner.code})
    )
    assert "No milestones yet" in other.content.decode()


def test_milestones_and_acknowledgements_read_well_in_the_history(world):
    from partners.models import Announcement
    from partners.services import (
        announcement_acknowledge,
        announcement_create,
        announcement_publish,
    )

    milestone_record(
        partner=world.partner,
        kind=Milestone.Kind.ANNIVERSARY,
        key="2",
        achieved_on=dt.date(2026, 8, 1),
        detail={"years": 2},
    )
    price = announcement_create(
        actor=world.users["vendor_admin"],
        title="Price list",
        body="x",
        category=Announcement.Category.PRICE_CHANGE,
    )
    announcement_publish(announcement=price, actor=world.users["vendor_admin"])
    announcement_acknowledge(
        announcement=price, partner=world.partner, actor=world.users["partner_admin"]
    )
    body = (
        world.client("cm_assigned")
        .get(reverse("partner_detail", kwargs={"code": world.partner.code}))
        .content.decode()
    )
    assert "Milestone: 2 years of partnership." in body
    assert "acknowledged the announcement “Price list”." in body
