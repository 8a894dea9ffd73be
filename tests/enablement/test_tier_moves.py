"""Tiers that move by rule: promotion on approval, demotion after notice one rank at a time, a
notice cancelled by re-qualifying, each step in the history and told to the right people."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone, translation

from enablement.models import TierChange, TierRequirements
from enablement.moves import (
    REJECTION_QUIET_DAYS,
    tier_moves_apply,
    tier_promotion_approve,
    tier_promotion_reject,
)
from enablement.tasks import tiers_evaluate_task
from partners.models import Partner, Tier
from prm.core.errors import DomainError, InvalidTransitionError
from prm.core.events import event_sentence
from prm.core.models import Event
from prm.notifications.models import Notification
from tests.agreements.factories import ProductFactory
from tests.factories import ChannelManagerFactory, MembershipFactory, PartnerFactory
from tests.parallel import POSTGRESQL, require_postgresql, run_parallel

from .builders import ON, sale_add, tier_set

D = datetime.date


def _verbs(partner):
    return list(
        Event.objects.filter(partner=partner, verb__startswith="tier.")
        .order_by("created_at", "id")
        .values_list("verb", flat=True)
    )


def _told(user):
    return list(Notification.objects.filter(recipient=user).values_list("title", flat=True))


# Promotion waits for approval -------------------------------------------------------------


def test_a_promotion_waits_for_approval_and_is_not_duplicated_nightly(world, tier_ladder):
    a = world.partner
    sale_add(a, "1500.00")

    assert tier_moves_apply(on=ON)["proposed"] == 1
    change = TierChange.objects.get(partner=a)
    a.refresh_from_db()
    assert a.tier == tier_ladder["registered"]  # nothing moves before approval
    assert (change.direction, change.status, change.to_tier) == (
        "promote",
        "pending",
        tier_ladder["silver"],
    )
    assert change.from_tier == tier_ladder["registered"]
    assert change.evidence["evaluated_on"] == "2026-06-15"
    assert change.evidence["requirements"] == [
        {"requirement": "revenue_12m", "required": "1000.00", "actual": "1500.00", "met": True}
    ]
    assert _verbs(a) == ["tier.promotion_proposed"]
    # the account manager is told there is a promotion to review; the partner is not yet
    assert any("qualifies for Silver" in t for t in _told(world.users["cm_assigned"]))
    assert _told(world.users["partner_admin"]) == []

    # the next night: still one pending proposal, its evidence brought up to date
    sale_add(a, "100.00", day=ON)
    result = tier_moves_apply(on=ON + datetime.timedelta(days=1))
    assert (result["proposed"], result["refreshed"]) == (0, 1)
    change = TierChange.objects.get(partner=a)
    assert change.status == "pending"
    assert change.evidence["evaluated_on"] == "2026-06-16"
    assert change.evidence["requirements"][0]["actual"] == "1600.00"
    assert _verbs(a) == ["tier.promotion_proposed"]


def test_approval_moves_the_partner_at_once_records_it_and_tells_every_member(world, tier_ladder):
    a = world.partner
    sale_add(a, "1500.00")
    tier_moves_apply(on=ON)
    change = TierChange.objects.get(partner=a)

    tier_promotion_approve(change=change, actor=world.users["cm_assigned"], reason="Well done")

    a.refresh_from_db()
    change.refresh_from_db()
    assert a.tier == tier_ladder["silver"]
    assert (change.status, change.decided_by, change.reason) == (
        "applied",
        world.users["cm_assigned"],
        "Well done",
    )
    assert _verbs(a) == ["tier.promotion_proposed", "tier.promotion_approved"]
    event = Event.objects.get(verb="tier.promotion_approved")
    assert event_sentence(event) == (
        f"{world.users['cm_assigned']} approved the promotion from Registered to Silver."
    )
    for role in ("partner_admin", "partner_finance", "partner_sales"):
        assert _told(world.users[role]) == [f"{a.display_name} is now Silver"], role
    # the partner now keeps its tier: nothing new the next night
    result = tier_moves_apply(on=ON + datetime.timedelta(days=1))
    assert result == {"proposed": 0, "noticed": 0, "demoted": 0, "cancelled": 0, "refreshed": 0}


def test_two_approvals_of_the_same_promotion_make_one_change(world, tier_ladder):
    a = world.partner
    sale_add(a, "6000.00")
    tier_moves_apply(on=ON)
    first = TierChange.objects.get(partner=a)
    second = TierChange.objects.get(partner=a)  # a second page opened before either decided

    tier_promotion_approve(change=first, actor=world.users["vendor_admin"])
    with pytest.raises(InvalidTransitionError):
        tier_promotion_approve(change=second, actor=world.users["cm_assigned"])
    with pytest.raises(InvalidTransitionError):
        tier_promotion_reject(change=second, actor=world.users["cm_assigned"], reason="No")

    a.refresh_from_db()
    assert a.tier == tier_ladder["gold"]
    assert Event.objects.filter(verb="tier.promotion_approved").count() == 1
    assert TierChange.objects.get(partner=a).decided_by == world.users["vendor_admin"]


def test_only_vendor_staff_decide(world, tier_ladder):
    sale_add(world.partner, "1500.00")
    tier_moves_apply(on=ON)
    change = TierChange.objects.get(partner=world.partner)
    with pytest.raises(DomainError):
        tier_promotion_approve(change=change, actor=world.users["partner_admin"])
    assert TierChange.objects.get(pk=change.pk).status == "pending"


def test_a_rejection_needs_a_reason_reaches_the_admins_and_is_not_undone_nightly(
    world, tier_ladder
):
    a = world.partner
    sale_add(a, "1500.00")
    tier_moves_apply(on=ON)
    change = TierChange.objects.get(partner=a)
    with pytest.raises(DomainError):
        tier_promotion_reject(change=change, actor=world.users["cm_assigned"], reason="  ")

    tier_promotion_reject(
        change=change, actor=world.users["cm_assigned"], reason="Revenue is one large order"
    )

    change.refresh_from_db()
    a.refresh_from_db()
    assert (change.status, change.reason, a.tier) == (
        "rejected",
        "Revenue is one large order",
        tier_ladder["registered"],
    )
    assert _told(world.users["partner_admin"]) == [
        f"{a.display_name}: the promotion to Silver was not approved"
    ]
    assert _told(world.users["partner_sales"]) == []
    assert Event.objects.get(verb="tier.promotion_rejected").reason == "Revenue is one large order"
    # not proposed again the next nights
    assert tier_moves_apply(on=ON + datetime.timedelta(days=1))["proposed"] == 0
    assert TierChange.objects.filter(partner=a).count() == 1
    assert REJECTION_QUIET_DAYS == 90


def test_a_promotion_no_longer_qualified_for_is_withdrawn(world, tier_ladder):
    a = world.partner
    sale_add(a, "1500.00", day=D(2025, 6, 20))
    tier_moves_apply(on=ON)
    assert TierChange.objects.get(partner=a).status == "pending"

    # the sale leaves the 12-month window
    result = tier_moves_apply(on=D(2026, 6, 21))

    assert result["cancelled"] == 1
    assert TierChange.objects.get(partner=a).status == "cancelled"
    assert _verbs(a) == ["tier.promotion_proposed", "tier.promotion_withdrawn"]


# Demotion after notice, one rank at a time --------------------------------------------------


def test_a_demotion_is_noticed_then_applied_one_rank_at_a_time(
    world, tier_ladder, django_capture_on_commit_callbacks
):
    a = world.partner
    tier_set(a, tier_ladder["gold"])

    # night 1: notice, with what is missing, to the partner's admins
    with django_capture_on_commit_callbacks(execute=True):
        assert tier_moves_apply(on=ON)["noticed"] == 1
    notice = TierChange.objects.get(partner=a)
    assert (notice.direction, notice.status) == ("demote", "noticed")
    assert (notice.from_tier, notice.to_tier) == (tier_ladder["gold"], tier_ladder["silver"])
    assert notice.effective_on == D(2026, 7, 15)
    assert notice.evidence["requirements"] == [
        {"requirement": "revenue_12m", "required": "5000.00", "actual": "0.00", "met": False}
    ]
    [title] = _told(world.users["partner_admin"])
    assert title == f"{a.display_name}: notice of a move down from Gold"
    assert _told(world.users["partner_sales"]) == []
    body = _mail_body(world.users["partner_admin"])
    assert "2026-07-15" in body
    assert "Revenue over the last 12 months: TWD 0.00 of TWD 5,000.00" in body
    event = Event.objects.get(verb="tier.demotion_notified")
    assert "moves to Silver on 2026-07-15" in event_sentence(event)

    # within the notice: nothing moves, no second notice
    assert tier_moves_apply(on=D(2026, 7, 14))["noticed"] == 0
    a.refresh_from_db()
    assert a.tier == tier_ladder["gold"]

    # the date has come and it still does not qualify: down ONE rank (not to Registered)
    assert tier_moves_apply(on=D(2026, 7, 15))["demoted"] == 1
    a.refresh_from_db()
    notice.refresh_from_db()
    assert a.tier == tier_ladder["silver"]
    assert notice.status == "applied"
    for role in ("partner_admin", "partner_finance", "partner_sales"):
        assert f"{a.display_name} is now Silver" in _told(world.users[role])

    # the next night: a new notice for the next rank down, with a new notice period
    assert tier_moves_apply(on=D(2026, 7, 16))["noticed"] == 1
    second = TierChange.objects.get(partner=a, status="noticed")
    assert (second.from_tier, second.to_tier, second.effective_on) == (
        tier_ladder["silver"],
        tier_ladder["registered"],
        D(2026, 8, 15),
    )
    tier_moves_apply(on=D(2026, 8, 15))
    a.refresh_from_db()
    assert a.tier == tier_ladder["registered"]
    assert _verbs(a) == [
        "tier.demotion_notified",
        "tier.demoted",
        "tier.demotion_notified",
        "tier.demoted",
    ]
    # at the bottom tier, which has no requirements, nothing more happens
    assert tier_moves_apply(on=D(2026, 8, 16))["noticed"] == 0


def _mail_body(user):
    from django.core import mail

    bodies = [m.body for m in mail.outbox if user.email in m.to]
    assert bodies, f"no email to {user.email}"
    return bodies[-1]


def test_requalifying_within_the_notice_cancels_the_demotion(world, tier_ladder):
    a = world.partner
    tier_set(a, tier_ladder["silver"])
    tier_moves_apply(on=ON)
    notice = TierChange.objects.get(partner=a)
    assert notice.effective_on == D(2026, 7, 15)

    sale_add(a, "1000.00", day=D(2026, 7, 1))
    result = tier_moves_apply(on=D(2026, 7, 10))

    assert result["cancelled"] == 1
    notice.refresh_from_db()
    a.refresh_from_db()
    assert notice.status == "cancelled"
    assert a.tier == tier_ladder["silver"]
    assert _verbs(a) == ["tier.demotion_notified", "tier.demotion_cancelled"]
    assert f"{a.display_name} keeps Silver" in _told(world.users["partner_admin"])
    # the date passes: nothing happens
    tier_moves_apply(on=D(2026, 7, 15))
    a.refresh_from_db()
    assert a.tier == tier_ladder["silver"]


def test_a_notice_whose_date_came_is_cancelled_if_the_partner_qualifies_on_that_day(
    world, tier_ladder
):
    a = world.partner
    tier_set(a, tier_ladder["silver"])
    tier_moves_apply(on=ON)
    sale_add(a, "1000.00", day=D(2026, 7, 14))

    tier_moves_apply(on=D(2026, 7, 15))

    a.refresh_from_db()
    assert a.tier == tier_ladder["silver"]
    assert TierChange.objects.get(partner=a).status == "cancelled"


def test_a_partner_that_qualifies_higher_under_notice_gets_its_notice_cancelled_and_a_proposal(
    world, tier_ladder
):
    a = world.partner
    tier_set(a, tier_ladder["silver"])
    tier_moves_apply(on=ON)
    sale_add(a, "5000.00", day=D(2026, 6, 20))

    tier_moves_apply(on=D(2026, 6, 21))

    statuses = dict(TierChange.objects.filter(partner=a).values_list("direction", "status"))
    assert statuses == {"demote": "cancelled", "promote": "pending"}


def test_a_tier_changed_by_hand_closes_the_open_change(world, tier_ladder):
    a = world.partner
    tier_set(a, tier_ladder["gold"])
    tier_moves_apply(on=ON)
    tier_set(a, tier_ladder["silver"])  # the vendor admin moved it in Django admin

    tier_moves_apply(on=ON + datetime.timedelta(days=1))

    rows = list(
        TierChange.objects.filter(partner=a).order_by("pk").values_list("status", "from_tier")
    )
    assert rows == [("cancelled", tier_ladder["gold"].pk), ("noticed", tier_ladder["silver"].pk)]


# Tiers with no requirements ---------------------------------------------------------------


def test_a_tier_with_no_requirements_keeps_its_partners_and_is_proposed_to_those_without(
    world, tier_ladder
):
    b = world.other_partner
    tier_set(b, None)

    tier_moves_apply(on=ON)

    # Registered has no requirements: partner A keeps it, partner B (no tier) is proposed it
    assert not TierChange.objects.filter(partner=world.partner).exists()
    change = TierChange.objects.get(partner=b)
    assert (change.from_tier, change.to_tier, change.evidence["requirements"]) == (
        None,
        tier_ladder["registered"],
        [],
    )
    tier_promotion_approve(change=change, actor=world.users["vendor_admin"])
    b.refresh_from_db()
    assert b.tier == tier_ladder["registered"]
    with translation.override("en"):
        sentence = event_sentence(Event.objects.get(verb="tier.promotion_approved"))
    assert sentence.endswith("approved Registered as the partner's first tier.")


def test_a_top_tier_with_no_requirements_is_proposed_to_everyone(world, tier_ladder):
    Tier.objects.create(code="platinum", name="Platinum", rank=4)

    assert tier_moves_apply(on=ON)["proposed"] == 2
    assert set(TierChange.objects.values_list("to_tier__code", flat=True)) == {"platinum"}


# Running it -------------------------------------------------------------------------------


def test_the_nightly_task_is_scheduled_and_safe_to_run_twice(world, tier_ladder):
    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "enablement.tasks.tiers_evaluate_task" in schedule
    sale_add(world.partner, "1500.00", day=timezone.localdate() - datetime.timedelta(days=3))
    tier_set(world.other_partner, tier_ladder["silver"])

    first = tiers_evaluate_task.delay().get()
    second = tiers_evaluate_task.delay().get()

    assert (first["proposed"], first["noticed"]) == (1, 1)
    assert (second["proposed"], second["noticed"]) == (0, 0)
    assert TierChange.objects.count() == 2
    assert Event.objects.filter(verb__startswith="tier.").count() == 2


def _population(tier_ladder, n):
    """n partners in thirds: one qualifying above its tier, one below it, one with a notice
    whose date has come; each with an admin and a sales user and an account manager; plus a
    pending promotion to refresh and a notice to cancel among them."""
    manager = ChannelManagerFactory()
    partners = []
    product = ProductFactory(currency="TWD")
    for i in range(n):
        kind = i % 3
        tier = [tier_ladder["registered"], tier_ladder["gold"], tier_ladder["gold"]][kind]
        partner = PartnerFactory(tier=tier, account_manager=manager)
        MembershipFactory(partner=partner, role="admin")
        MembershipFactory(partner=partner, role="sales")
        if kind == 0:
            sale_add(partner, "1500.00", product=product)
        if kind == 2:
            TierChange.objects.create(
                partner=partner,
                direction="demote",
                status="noticed",
                from_tier=tier_ladder["gold"],
                to_tier=tier_ladder["silver"],
                proposed_on=ON - datetime.timedelta(days=30),
                effective_on=ON,
            )
        partners.append(partner)
    return partners


@pytest.mark.parametrize("n", [3, 30])
def test_the_nightly_run_takes_the_same_number_of_queries_for_any_number_of_partners(
    tier_ladder, n, django_assert_num_queries
):
    partners = _population(tier_ladder, n)
    ContentType.objects.get_for_model(TierChange)  # cached for the process after its first use

    with django_assert_num_queries(21):
        result = tier_moves_apply(on=ON)

    third = n // 3
    assert result == {
        "proposed": third,
        "noticed": third,
        "demoted": third,
        "cancelled": 0,
        "refreshed": 0,
    }
    assert (
        Partner.objects.filter(pk__in=[p.pk for p in partners], tier=tier_ladder["silver"]).count()
        == third
    )
    # every partner told once per change: admins (notice), admins and sales (demotion)
    assert Notification.objects.count() == third * (1 + 2) + third


def test_only_active_partners_move(world, tier_ladder):
    b = world.other_partner
    tier_set(b, tier_ladder["gold"])
    Partner.objects.filter(pk=b.pk).update(status=Partner.Status.TERMINATED)
    sale_add(world.partner, "1500.00")
    Partner.objects.filter(pk=world.partner.pk).update(status=Partner.Status.ONBOARDING)

    assert tier_moves_apply(on=ON)["noticed"] == 0
    assert not TierChange.objects.exists()


@POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_two_approvals_at_the_same_moment_make_one_change(world, tier_ladder):
    require_postgresql()
    sale_add(world.partner, "1500.00")
    tier_moves_apply(on=ON)
    change = TierChange.objects.get(partner=world.partner)

    outcome = run_parallel(
        lambda: tier_promotion_approve(change=change, actor=world.users["vendor_admin"]),
        lambda: tier_promotion_approve(change=change, actor=world.users["cm_assigned"]),
    )

    assert not outcome.errors
    assert (len(outcome.results), len(outcome.refused)) == (1, 1)
    assert Event.objects.filter(verb="tier.promotion_approved").count() == 1
    world.partner.refresh_from_db()
    assert world.partner.tier == tier_ladder["silver"]


@POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_two_nightly_runs_at_the_same_moment_make_one_set_of_changes(world, tier_ladder):
    require_postgresql()
    sale_add(world.partner, "1500.00")
    tier_set(world.other_partner, tier_ladder["gold"])

    outcome = run_parallel(lambda: tier_moves_apply(on=ON), lambda: tier_moves_apply(on=ON))

    assert not outcome.errors
    assert sorted(r["proposed"] + r["noticed"] for r in outcome.results) == [0, 2]
    assert TierChange.objects.count() == 2
    assert Event.objects.filter(verb__startswith="tier.").count() == 2


def test_a_partner_meeting_no_tier_at_all_is_noticed_one_rank_down(world, tier_ladder):
    TierRequirements.objects.create(tier=tier_ladder["registered"], revenue_12m=Decimal("10.00"))
    tier_set(world.partner, tier_ladder["silver"])

    assert tier_moves_apply(on=ON)["noticed"] == 1
    notice = TierChange.objects.get(partner=world.partner)
    assert notice.to_tier == tier_ladder["registered"]
    # at the lowest tier there is nowhere lower to go
    tier_moves_apply(on=notice.effective_on)
    world.partner.refresh_from_db()
    assert world.partner.tier == tier_ladder["registered"]
    assert tier_moves_apply(on=notice.effective_on + datetime.timedelta(days=1))["noticed"] == 0
