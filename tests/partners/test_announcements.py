"""Announcement services and selectors: audiences, publishing, reading, acknowledging and
reminders (manual, and automatic with a frozen date)."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from guardian.shortcuts import assign_perm

from partners.models import Announcement, AnnouncementRecipient, Membership, Partner
from partners.selectors import (
    announcement_awaiting_acknowledgement_count,
    announcement_feed,
    announcement_feed_counts,
    announcement_feed_pages,
    announcement_list_for_vendor,
    announcement_pages_for_vendor,
    announcement_unread_by_category,
    announcement_unread_count,
)
from partners.services import (
    announcement_acknowledge,
    announcement_audience,
    announcement_create,
    announcement_delete,
    announcement_mark_read,
    announcement_publish,
    announcement_remind,
    announcement_reminders_send,
    announcement_update,
    partner_assign_account_manager,
)
from prm.core.errors import DomainError, InvalidTransitionError
from prm.core.models import Event
from prm.notifications.models import Notification

from ..factories import (
    ChannelManagerFactory,
    MembershipFactory,
    PartnerFactory,
    TierFactory,
    UserFactory,
)
from .factories import TerritoryFactory

pytestmark = pytest.mark.django_db


def _write(actor, **kw):
    values = {
        "title": "Firmware 7.4",
        "body": "Firmware 7.4 is available.",
        "category": Announcement.Category.PRODUCT_UPDATE,
    }
    values.update(kw)
    return announcement_create(actor=actor, **values)


def _publish(actor, now=None, **kw):
    announcement = _write(actor, **kw)
    return announcement_publish(announcement=announcement, actor=actor, now=now)


def _codes(announcement):
    return sorted(announcement_audience(announcement=announcement).values_list("code", flat=True))


# --- audiences -----------------------------------------------------------------------------


def test_all_reaches_active_and_onboarding_partners_only(world):
    PartnerFactory(code="P-ONB", status=Partner.Status.ONBOARDING)
    PartnerFactory(code="P-PRO", status=Partner.Status.PROSPECT)
    PartnerFactory(code="P-SUS", status=Partner.Status.SUSPENDED)
    PartnerFactory(code="P-TER", status=Partner.Status.TERMINATED)
    announcement = _write(world.users["vendor_admin"])
    assert _codes(announcement) == ["P-A", "P-B", "P-ONB"]


def test_tiers_reach_partners_in_the_chosen_tiers(world):
    gold = TierFactory(code="t-gold")
    silver = TierFactory(code="t-silver")
    PartnerFactory(code="P-GOLD", tier=gold)
    PartnerFactory(code="P-SILV", tier=silver)
    announcement = _write(world.users["vendor_admin"], audience="tiers", tiers=[gold])
    assert _codes(announcement) == ["P-GOLD"]


def test_territories_reach_partners_there_and_a_country_covers_its_subdivisions(world):
    taipei = TerritoryFactory(code="TW-TPE")
    taiwan = TerritoryFactory(code="TW")
    hong_kong = TerritoryFactory(code="HK")
    world.partner.territories.add(taipei)
    world.other_partner.territories.add(hong_kong)
    by_city = _write(world.users["vendor_admin"], audience="territories", territories=[taipei])
    by_country = _write(world.users["vendor_admin"], audience="territories", territories=[taiwan])
    assert _codes(by_city) == ["P-A"]
    assert _codes(by_country) == ["P-A"]


def test_named_partners(world):
    announcement = _write(
        world.users["vendor_admin"], audience="partners", partners=[world.other_partner]
    )
    assert _codes(announcement) == ["P-B"]


@pytest.mark.parametrize(
    "audience", ["all", "tiers", "territories"], ids=["all", "tiers", "territories"]
)
def test_a_channel_manager_reaches_only_their_partners(world, audience):
    territory = TerritoryFactory(code="TW-TPE")
    tier = TierFactory(code="gold")
    for partner in (world.partner, world.other_partner):
        partner.territories.add(territory)
        partner.tier = tier
        partner.save()
    announcement = _write(
        world.users["cm_assigned"], audience=audience, tiers=[tier], territories=[territory]
    )
    assert _codes(announcement) == ["P-A"]
    assert _codes(_write(world.users["vendor_admin"], audience=audience, tiers=[tier],
                         territories=[territory])) == ["P-A", "P-B"]  # fmt: skip


def test_a_channel_manager_cannot_name_a_partner_not_assigned_to_them(world):
    with pytest.raises(DomainError) as error:
        _write(world.users["cm_assigned"], audience="partners", partners=[world.other_partner])
    assert error.value.field == "partners"


@pytest.mark.parametrize(
    ("audience", "field"),
    [("tiers", "tiers"), ("territories", "territories"), ("partners", "partners")],
)
def test_an_audience_without_its_choices_names_the_field(world, audience, field):
    with pytest.raises(DomainError) as error:
        _write(world.users["vendor_admin"], audience=audience)
    assert error.value.field == field


def test_price_changes_and_policies_require_acknowledgement(world):
    admin = world.users["vendor_admin"]
    assert _write(admin, category="price_change").requires_acknowledgement
    assert _write(admin, category="policy").requires_acknowledgement
    assert not _write(admin, category="market_information").requires_acknowledgement
    assert _write(admin, category="market_information", requires_acknowledgement=True)


def test_acknowledge_by_must_be_ahead_and_only_with_acknowledgement(world):
    admin = world.users["vendor_admin"]
    with pytest.raises(DomainError) as past:
        _write(admin, category="policy", acknowledge_by=dt.date(2000, 1, 1))
    assert past.value.field == "acknowledge_by"
    with pytest.raises(DomainError) as unneeded:
        _write(admin, acknowledge_by=timezone.localdate() + dt.timedelta(days=3))
    assert unneeded.value.field == "acknowledge_by"


def test_partner_users_cannot_write_announcements(world):
    with pytest.raises(DomainError):
        _write(world.users["partner_admin"])


# --- publishing ----------------------------------------------------------------------------


def test_publish_materialises_recipients_records_an_event_and_notifies_members_only(
    world, django_capture_on_commit_callbacks
):
    inactive = UserFactory(email="gone@a.test")
    MembershipFactory(user=inactive, partner=world.partner, role="sales", is_active=False)
    prospect = PartnerFactory(code="P-PRO", status=Partner.Status.PROSPECT)
    MembershipFactory(user=UserFactory(email="admin@prospect.test"), partner=prospect)
    mail.outbox.clear()
    admin = world.users["vendor_admin"]
    announcement = _write(
        admin, audience="partners", partners=[world.partner], title="Price list 2027"
    )
    with django_capture_on_commit_callbacks(execute=True):
        announcement_publish(announcement=announcement, actor=admin)

    announcement.refresh_from_db()
    assert announcement.published_at is not None
    assert list(announcement.recipients.values_list("partner__code", flat=True)) == ["P-A"]
    event = Event.objects.get(verb="announcement.published")
    assert event.after["recipients"] == 1
    recipients = {m.to[0] for m in mail.outbox}
    assert recipients == {"admin@a.test", "finance@a.test", "sales@a.test"}
    assert all("Price list 2027" in m.subject for m in mail.outbox)
    assert (
        set(
            Notification.objects.filter(category="announcements").values_list(
                "recipient__email", flat=True
            )
        )
        == recipients
    )


def test_publish_to_all_never_names_another_partner(world, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _publish(world.users["vendor_admin"])
    assert {m.to[0] for m in mail.outbox} == {
        "admin@a.test",
        "finance@a.test",
        "sales@a.test",
        "admin@b.test",
    }
    for message in mail.outbox:
        for name in ("Acme", "Bravo", "P-A", "P-B"):
            assert name not in message.subject + message.body


def test_publish_by_a_channel_manager_reaches_only_their_partners(
    world, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        announcement = _publish(world.users["cm_assigned"])
    assert list(announcement.recipients.values_list("partner__code", flat=True)) == ["P-A"]
    assert "admin@b.test" not in {m.to[0] for m in mail.outbox}


def test_notifications_are_in_each_readers_language(world, django_capture_on_commit_callbacks):
    reader = world.users["partner_sales"]
    reader.language = "zh-hant"
    reader.save()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _publish(world.users["vendor_admin"], title="Firmware", local_title="韌體更新")
    by_address = {m.to[0]: m for m in mail.outbox}
    assert "韌體更新" in by_address["sales@a.test"].subject
    assert "Firmware" in by_address["admin@a.test"].subject


def test_a_published_announcement_is_not_edited_deleted_or_published_again(world):
    admin = world.users["vendor_admin"]
    announcement = _publish(admin)
    values = {"title": "Fixed", "body": "Fixed", "category": "product_update", "audience": "all"}
    with pytest.raises(InvalidTransitionError):
        announcement_update(announcement=announcement, actor=admin, **values)
    with pytest.raises(InvalidTransitionError):
        announcement_delete(announcement=announcement, actor=admin)
    with pytest.raises(InvalidTransitionError):
        announcement_publish(announcement=announcement, actor=admin)


def test_a_draft_is_edited_and_deleted_by_its_author_or_a_vendor_admin(world):
    draft = _write(world.users["cm_assigned"])
    values = {"title": "Fixed", "body": "Fixed", "category": "policy", "audience": "all"}
    with pytest.raises(DomainError):
        announcement_update(announcement=draft, actor=world.users["cm_unassigned"], **values)
    announcement_update(announcement=draft, actor=world.users["cm_assigned"], **values)
    draft.refresh_from_db()
    assert (draft.title, draft.requires_acknowledgement) == ("Fixed", True)
    announcement_delete(announcement=draft, actor=world.users["vendor_admin"])
    assert not Announcement.objects.exists()


def test_publishing_an_empty_audience_is_refused(world):
    world.partner.status = Partner.Status.SUSPENDED
    world.partner.save()
    draft = _write(world.users["cm_assigned"])
    with pytest.raises(DomainError):
        announcement_publish(announcement=draft, actor=world.users["cm_assigned"])
    assert not AnnouncementRecipient.objects.exists()


# --- reading and acknowledging ---------------------------------------------------------------


def test_unread_counts_per_user_and_category(world):
    admin = world.users["vendor_admin"]
    first = _publish(admin)
    _publish(admin, category="policy")
    _publish(admin, audience="partners", partners=[world.other_partner])
    user, partner = world.users["partner_sales"], world.partner
    assert announcement_unread_count(user=user, partner=partner) == 2
    announcement_mark_read(announcement=first, user=user)
    announcement_mark_read(announcement=first, user=user)
    assert announcement_unread_count(user=user, partner=partner) == 1
    assert announcement_unread_count(user=world.users["partner_admin"], partner=partner) == 2
    counts = announcement_unread_by_category(user=user, partner=partner)
    assert counts["policy"] == 1
    assert counts["product_update"] == 0
    assert announcement_unread_count(user=world.users["other_partner"], partner=partner) == 0
    feed_counts = announcement_feed_counts(user=user, partner=partner)
    assert feed_counts.unread == counts
    assert feed_counts.total["policy"] == 1
    assert sum(feed_counts.total.values()) == len(announcement_feed(user=user, partner=partner))
    assert len(announcement_feed(user=user, partner=partner)) == 2
    assert feed_counts.awaiting == announcement_awaiting_acknowledgement_count(partner=partner) == 1


def test_feed_is_newest_first_with_read_and_acknowledged_flags(world):
    admin = world.users["vendor_admin"]
    now = timezone.now()
    older = _publish(admin, now=now - dt.timedelta(days=2), title="Older")
    price = _publish(admin, now=now, title="Price", category="price_change")
    user = world.users["partner_admin"]
    announcement_mark_read(announcement=older, user=user)
    feed = list(announcement_feed(user=user, partner=world.partner))
    assert [a.title for a in feed] == ["Price", "Older"]
    assert [(a.is_read, a.awaiting_acknowledgement) for a in feed] == [(False, True), (True, False)]
    assert announcement_awaiting_acknowledgement_count(partner=world.partner) == 1
    assert announcement_feed_counts(user=user, partner=world.partner).awaiting == 1
    announcement_acknowledge(announcement=price, partner=world.partner, actor=user)
    feed = list(announcement_feed(user=user, partner=world.partner, category="price_change"))
    assert [(a.is_acknowledged, a.awaiting_acknowledgement, a.is_read) for a in feed] == [
        (True, False, True)
    ]
    assert announcement_awaiting_acknowledgement_count(partner=world.partner) == 0
    assert announcement_feed_counts(user=user, partner=world.partner).awaiting == 0


def _items(rows):
    return [
        (
            a.pk,
            a.display_title,
            a.display_body,
            a.is_read,
            a.is_acknowledged,
            a.acknowledged_at,
            a.awaiting_acknowledgement,
        )
        for a in rows
    ]


@pytest.mark.parametrize("category", ["", "price_change", "policy", "bogus"])
def test_feed_pages_list_what_the_feed_does(world, category):
    admin = world.users["vendor_admin"]
    price = _publish(admin, category="price_change", title="Price")
    _publish(admin, category="price_change", title="Second price")
    first = _publish(admin, title="Update")
    _publish(admin, audience="partners", partners=[world.other_partner], title="For Bravo")
    announcement_acknowledge(
        announcement=price, partner=world.partner, actor=world.users["partner_admin"]
    )
    for role in ("partner_admin", "partner_sales", "other_partner"):
        user = world.users[role]
        announcement_mark_read(announcement=first, user=user)
        partner = world.other_partner if role == "other_partner" else world.partner
        expected = announcement_feed(user=user, partner=partner, category=category or None)
        pages = announcement_feed_pages(user=user, partner=partner, category=category)
        assert _items(pages[0:20]) == _items(expected)
        assert pages.count() == len(expected)
        assert _items(pages[1:2]) == _items(expected[1:2])
    assert _items(announcement_feed_pages(user=admin, partner=None, category=category)) == []


def _counted_feed(user, partner) -> tuple[dict, dict, int]:
    """The feed's counts as `announcement_feed` lists it: unread and all per category, and
    those awaiting acknowledgement."""
    feed = list(announcement_feed(user=user, partner=partner))
    values = Announcement.Category.values
    unread = {value: sum(a.category == value and not a.is_read for a in feed) for value in values}
    total = {value: sum(a.category == value for a in feed) for value in values}
    return unread, total, sum(a.awaiting_acknowledgement for a in feed)


def test_feed_counts_count_what_the_feed_lists(world):
    admin = world.users["vendor_admin"]
    price = _publish(admin, category="price_change", title="Price")
    policy = _publish(admin, category="policy", title="Policy")
    _publish(admin, category="policy", title="Second policy")
    first = _publish(admin, title="Update")
    _publish(admin, audience="partners", partners=[world.other_partner], title="For Bravo")
    announcement_acknowledge(
        announcement=price, partner=world.partner, actor=world.users["partner_admin"]
    )
    for announcement in (first, policy):
        announcement_mark_read(announcement=announcement, user=world.users["partner_sales"])
    announcement_mark_read(announcement=price, user=world.users["partner_admin"])
    for role in ("partner_admin", "partner_sales", "partner_finance", "other_partner"):
        user = world.users[role]
        for partner in (world.partner, world.other_partner):
            counts = announcement_feed_counts(user=user, partner=partner)
            assert (counts.unread, counts.total, counts.awaiting) == _counted_feed(user, partner)
    counts = announcement_feed_counts(user=world.users["partner_sales"], partner=world.partner)
    assert counts.unread["policy"] == 1
    assert counts.total["policy"] == 2
    assert counts.awaiting == 2
    assert sum(counts.total.values()) == 4
    outsider = announcement_feed_counts(user=world.users["other_partner"], partner=world.partner)
    assert sum(outsider.total.values()) == 0


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("partner_admin", True), ("partner_finance", False), ("partner_sales", False)],
)
def test_only_a_partner_admin_acknowledges_for_the_organisation(world, role, allowed):
    price = _publish(world.users["vendor_admin"], category="price_change")
    user = world.users[role]
    if allowed:
        announcement_acknowledge(announcement=price, partner=world.partner, actor=user)
        receipt = AnnouncementRecipient.objects.get(announcement=price, partner=world.partner)
        assert receipt.acknowledged_by == user
        assert Event.objects.get(verb="announcement.acknowledged").partner == world.partner
        with pytest.raises(InvalidTransitionError):
            announcement_acknowledge(announcement=price, partner=world.partner, actor=user)
    else:
        with pytest.raises(DomainError):
            announcement_acknowledge(announcement=price, partner=world.partner, actor=user)


def test_acknowledging_for_another_partner_or_an_unaddressed_one_is_refused(world):
    price = _publish(
        world.users["vendor_admin"],
        category="price_change",
        audience="partners",
        partners=[world.partner],
    )
    with pytest.raises(DomainError):
        announcement_acknowledge(
            announcement=price, partner=world.other_partner, actor=world.users["other_partner"]
        )
    with pytest.raises(DomainError):
        announcement_acknowledge(
            announcement=price, partner=world.other_partner, actor=world.users["partner_admin"]
        )


def test_vendor_list_counts_recipients_and_acknowledgements_within_reach(world):
    admin = world.users["vendor_admin"]
    price = _publish(admin, category="price_change")
    _write(world.users["cm_unassigned"], title="Someone else's draft")
    announcement_acknowledge(
        announcement=price, partner=world.partner, actor=world.users["partner_admin"]
    )
    rows = {a.title: a for a in announcement_list_for_vendor(user=admin)}
    assert (rows["Firmware 7.4"].recipient_count, rows["Firmware 7.4"].acknowledged_count) == (
        2,
        1,
    )
    assert "Someone else's draft" in rows
    cm_rows = list(announcement_list_for_vendor(user=world.users["cm_assigned"]))
    assert [(a.recipient_count, a.acknowledged_count) for a in cm_rows] == [(1, 1)]
    assert list(announcement_list_for_vendor(user=world.users["partner_admin"])) == []


def test_publishing_and_acknowledging_keep_the_announcements_totals(world):
    price = _publish(world.users["vendor_admin"], category="price_change")
    price.refresh_from_db()
    assert (price.recipient_total, price.acknowledged_total) == (2, 0)
    user = world.users["partner_admin"]
    announcement_acknowledge(announcement=price, partner=world.partner, actor=user)
    with pytest.raises(InvalidTransitionError):
        announcement_acknowledge(announcement=price, partner=world.partner, actor=user)
    price.refresh_from_db()
    assert (price.recipient_total, price.acknowledged_total) == (2, 1)


def _counts(rows):
    return [(a.title, a.recipient_count, a.acknowledged_count) for a in rows]


@pytest.mark.parametrize("category", ["", "price_change"])
def test_vendor_list_of_a_manager_of_every_partner_counts_every_recipient(world, category):
    admin, manager = world.users["vendor_admin"], world.users["cm_assigned"]
    price = _publish(admin, category="price_change", title="Price")
    _publish(admin, title="Update")
    _write(admin, title="The admin's draft", category="price_change")
    _write(manager, title="My draft", category="price_change")
    announcement_acknowledge(
        announcement=price, partner=world.partner, actor=world.users["partner_admin"]
    )
    partner_assign_account_manager(partner=world.other_partner, manager=manager, actor=admin)
    manager = type(manager).objects.get(pk=manager.pk)
    expected = [("My draft", 0, 0), ("Update", 2, 0), ("Price", 2, 1)]
    expected = [row for row in expected if not category or row[0] != "Update"]
    listed = announcement_list_for_vendor(user=manager, category=category or None)
    assert _counts(listed) == expected
    pages = announcement_pages_for_vendor(user=manager, category=category)
    assert pages.count() == len(expected)
    assert _counts(pages[0:20]) == expected
    # A partner created after the announcements is outside their audience and the manager's
    # reach: the manager's are counted among their partners.
    PartnerFactory(code="P-NEW")
    manager = type(manager).objects.get(pk=manager.pk)
    assert _counts(announcement_pages_for_vendor(user=manager, category=category)[0:20]) == (
        expected
    )


def test_vendor_list_counts_no_acknowledgement_where_none_is_required(world):
    admin = world.users["vendor_admin"]
    _publish(admin, title="Update")
    _write(admin, title="Draft")
    rows = {a.title: a for a in announcement_list_for_vendor(user=admin)}
    assert (rows["Update"].recipient_count, rows["Update"].acknowledged_count) == (2, 0)
    assert (rows["Draft"].recipient_count, rows["Draft"].acknowledged_count) == (0, 0)
    cm_rows = list(announcement_list_for_vendor(user=world.users["cm_assigned"]))
    assert [(a.title, a.recipient_count, a.acknowledged_count) for a in cm_rows] == [
        ("Update", 1, 0)
    ]


def _listed(rows):
    return [(a.pk, a.author_id, a.recipient_count, a.acknowledged_count, a.is_draft) for a in rows]


@pytest.mark.parametrize("category", ["", "price_change", "policy"])
def test_vendor_pages_list_what_the_vendor_list_does(world, category):
    admin, manager = world.users["vendor_admin"], world.users["cm_assigned"]
    price = _publish(admin, category="price_change")
    _publish(admin, title="Update")
    _write(admin, title="The admin's draft")
    _write(manager, title="My draft", category="price_change")
    announcement_acknowledge(
        announcement=price, partner=world.partner, actor=world.users["partner_admin"]
    )
    viewer = ChannelManagerFactory(email="all@vendor.test")
    assign_perm("partners.view_all_partners", viewer)
    _write(viewer, title="Viewer's draft")
    users = [admin, manager, world.users["cm_unassigned"], viewer, world.users["partner_admin"]]
    for user in users:
        user = type(user).objects.get(pk=user.pk)
        expected = list(announcement_list_for_vendor(user=user, category=category or None))
        pages = announcement_pages_for_vendor(user=user, category=category)
        assert pages.count() == len(expected)
        assert _listed(pages[0:20]) == _listed(expected)
        assert [a.author for a in pages[0:20]] == [a.author for a in expected]


def test_channel_manager_who_views_all_partners_sees_only_their_own_drafts(world):
    admin, manager = world.users["vendor_admin"], world.users["cm_assigned"]
    _publish(admin, title="Published")
    _write(admin, title="The admin's draft")
    _write(manager, title="My draft")
    assign_perm("partners.view_all_partners", manager)
    manager = type(manager).objects.get(pk=manager.pk)
    rows = {a.title: a for a in announcement_list_for_vendor(user=manager)}
    assert set(rows) == {"Published", "My draft"}
    assert rows["Published"].recipient_count == 2


# --- reminders -----------------------------------------------------------------------------


def _price_due(world, deadline, published):
    admin = world.users["vendor_admin"]
    return _publish(admin, now=published, category="price_change", acknowledge_by=deadline)


def test_manual_reminder_chases_laggards_only(world, django_capture_on_commit_callbacks):
    price = _publish(world.users["vendor_admin"], category="price_change")
    announcement_acknowledge(
        announcement=price, partner=world.partner, actor=world.users["partner_admin"]
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        count = announcement_remind(announcement=price, actor=world.users["vendor_admin"])
    assert count == 1
    assert {m.to[0] for m in mail.outbox} == {"admin@b.test"}
    assert AnnouncementRecipient.objects.get(partner=world.other_partner).reminded_at
    assert AnnouncementRecipient.objects.get(partner=world.partner).reminded_at is None


def test_a_channel_manager_reminds_only_their_partners(world):
    price = _publish(world.users["vendor_admin"], category="price_change")
    assert announcement_remind(announcement=price, actor=world.users["cm_assigned"]) == 1
    assert AnnouncementRecipient.objects.get(partner=world.other_partner).reminded_at is None


def test_manual_reminder_when_everyone_acknowledged_is_refused(world):
    price = _publish(
        world.users["vendor_admin"],
        category="price_change",
        audience="partners",
        partners=[world.partner],
    )
    announcement_acknowledge(
        announcement=price, partner=world.partner, actor=world.users["partner_admin"]
    )
    with pytest.raises(DomainError):
        announcement_remind(announcement=price, actor=world.users["vendor_admin"])


def _at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(7, 30)))


def test_automatic_reminders_once_per_stage(world, django_capture_on_commit_callbacks):
    deadline = timezone.localdate() + dt.timedelta(days=20)
    price = _price_due(world, deadline, published=_at(deadline - dt.timedelta(days=10)))
    announcement_acknowledge(
        announcement=price, partner=world.partner, actor=world.users["partner_admin"]
    )

    def run(day):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            count = announcement_reminders_send(today=day, now=_at(day))
        return count, {m.to[0] for m in mail.outbox}

    assert run(deadline - dt.timedelta(days=4)) == (0, set())
    assert run(deadline - dt.timedelta(days=3)) == (1, {"admin@b.test"})
    assert run(deadline - dt.timedelta(days=3)) == (0, set())
    assert run(deadline - dt.timedelta(days=1)) == (0, set())
    assert run(deadline) == (1, {"admin@b.test"})
    assert run(deadline) == (0, set())
    assert run(deadline + dt.timedelta(days=1)) == (0, set())
    assert Event.objects.filter(verb="announcement.reminded").count() == 2


def test_automatic_reminder_in_the_window_skips_a_fresh_publication(world):
    deadline = timezone.localdate() + dt.timedelta(days=20)
    _price_due(world, deadline, published=_at(deadline - dt.timedelta(days=2)))
    assert announcement_reminders_send(today=deadline - dt.timedelta(days=1)) == 0
    assert announcement_reminders_send(today=deadline, now=_at(deadline)) == 2


def test_an_early_manual_reminder_does_not_stop_the_automatic_one(world):
    deadline = timezone.localdate() + dt.timedelta(days=20)
    price = _price_due(world, deadline, published=_at(deadline - dt.timedelta(days=10)))
    announcement_remind(
        announcement=price,
        actor=world.users["vendor_admin"],
        now=_at(deadline - dt.timedelta(days=6)),
    )
    day = deadline - dt.timedelta(days=2)
    assert announcement_reminders_send(today=day, now=_at(day)) == 2
    assert announcement_reminders_send(today=day, now=_at(day)) == 0


def test_reminder_task_wraps_the_service(world):
    from partners.tasks import announcement_reminders_send_task

    assert announcement_reminders_send_task.delay().get() == 0


def test_seed_demo_publishes_announcements_once():
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)
    assert Announcement.objects.filter(published_at__isnull=False).count() == 2
    price = Announcement.objects.get(category="price_change")
    assert price.requires_acknowledgement
    receipts = dict(price.recipients.values_list("partner__code", "acknowledged_by__email"))
    assert receipts == {"P-FORMOSA": "admin@formosa.example", "P-HARBOUR": None}


def test_members_of_several_partners_are_told_once(world, django_capture_on_commit_callbacks):
    multi = UserFactory(email="multi@ab.test")
    MembershipFactory(user=multi, partner=world.partner, role=Membership.Role.SALES)
    MembershipFactory(user=multi, partner=world.other_partner, role=Membership.Role.SALES)
    partner_assign_account_manager(
        partner=world.other_partner, manager=world.users["cm_assigned"], actor=None
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _publish(world.users["vendor_admin"])
    assert [m.to[0] for m in mail.outbox].count("multi@ab.test") == 1
