import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone, translation
from django.utils.translation import gettext

from prm.notifications.models import Category, Delivery, Notification, NotificationPreference
from prm.notifications.services import (
    digests_send,
    notification_mark_read,
    notify,
    preferences_get,
    preferences_set,
    unread_count,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=False)

TEMPLATE = "partners/email/deal_decided"
CONTEXT = {
    "number": "DR-1",
    "customer": "Formosa Robotics",
    "status": "approved",
    "reason": "Confirmed",
    "protected_until": dt.date(2027, 2, 1),
}


@pytest.fixture(autouse=True)
def _site(settings):
    settings.PRM_SITE_URL = "https://prm.example"


def _notify(users, **kwargs):
    return notify(
        users=users,
        category=Category.DEALS,
        template=TEMPLATE,
        context=CONTEXT,
        url="/deals/1/",
        **kwargs,
    )


def test_every_recipient_gets_one_notification_and_email_by_default(
    django_capture_on_commit_callbacks,
):
    alice = UserFactory(email="alice@a.test")
    bob = UserFactory(email="bob@a.test")
    with django_capture_on_commit_callbacks(execute=True):
        rows = _notify([alice, bob, alice, None])
    assert len(rows) == 2
    assert Notification.objects.count() == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@a.test", "bob@a.test"]
    message = mail.outbox[0]
    assert message.subject == "DR-1 was approved"
    assert "Formosa Robotics was approved" in message.body
    assert message.body.rstrip().endswith("Open it in the portal: https://prm.example/deals/1/")


def test_inactive_users_are_skipped(django_capture_on_commit_callbacks):
    gone = UserFactory(is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert _notify([gone]) == []
    assert not mail.outbox


def test_title_is_in_the_recipients_language(django_capture_on_commit_callbacks):
    reader = UserFactory(language="zh-hant")
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            users=[reader],
            category=Category.PAYOUTS,
            render=lambda: (gettext("Dashboard"), "x"),
            url="/payouts/1/",
        )
    with translation.override("zh-hant"):
        expected = gettext("Dashboard")
    assert expected != "Dashboard"
    assert Notification.objects.get().title == expected
    # A render callable gets the link appended to the email body.
    assert mail.outbox[0].body.endswith("https://prm.example/payouts/1/\n")


@pytest.mark.parametrize(
    ("delivery", "emails"),
    [(Delivery.IN_APP, 0), (Delivery.EMAIL, 1), (Delivery.DIGEST, 0)],
)
def test_preference_decides_the_email(delivery, emails, django_capture_on_commit_callbacks):
    user = UserFactory()
    preferences_set(user=user, choices={Category.DEALS: delivery})
    with django_capture_on_commit_callbacks(execute=True):
        _notify([user])
    assert len(mail.outbox) == emails
    assert Notification.objects.get().delivery == delivery


def test_preferences_are_per_category():
    user = UserFactory()
    preferences_set(user=user, choices={Category.CASES: Delivery.DIGEST})
    chosen = preferences_get(user=user)
    assert chosen[Category.CASES] == Delivery.DIGEST
    assert chosen[Category.DEALS] == Delivery.EMAIL
    assert set(chosen) == set(Category.values)
    with pytest.raises(ValueError, match="unknown"):
        preferences_set(user=user, choices={"weather": Delivery.EMAIL})
    assert NotificationPreference.objects.count() == 1


def test_notify_without_message_is_a_programming_error():
    with pytest.raises(ValueError, match="template or a render"):
        notify(users=[UserFactory()], category=Category.DEALS)


def test_mark_read_touches_only_the_owners_rows():
    alice, bob = UserFactory(), UserFactory()
    _notify([alice, bob])
    bobs = Notification.objects.get(recipient=bob)
    assert notification_mark_read(user=alice, pk=bobs.pk) == 0
    assert unread_count(user=bob) == 1
    assert notification_mark_read(user=bob, pk=bobs.pk) == 1
    assert unread_count(user=bob) == 0
    assert notification_mark_read(user=alice) == 1
    assert unread_count(user=alice) == 0


def test_digest_gathers_each_notification_once(django_capture_on_commit_callbacks):
    user = UserFactory(email="digest@a.test")
    other = UserFactory(email="instant@a.test")
    preferences_set(user=user, choices={Category.DEALS: Delivery.DIGEST})
    _notify([user, other])
    _notify([user])
    mail.outbox.clear()
    now = timezone.now() + dt.timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert digests_send(now=now) == 1
    assert len(mail.outbox) == 1
    digest = mail.outbox[0]
    assert digest.to == ["digest@a.test"]
    assert "2 notifications" in digest.subject
    assert digest.body.count("DR-1 was approved") == 2
    assert "https://prm.example/deals/1/" in digest.body
    # Running again sends nothing: every row is marked as digested.
    with django_capture_on_commit_callbacks(execute=True):
        assert digests_send(now=now) == 0
    assert len(mail.outbox) == 1
    assert not Notification.objects.filter(delivery=Delivery.DIGEST, digested_at__isnull=True)


def test_digest_is_in_the_readers_language(django_capture_on_commit_callbacks):
    user = UserFactory(language="zh-hant")
    preferences_set(user=user, choices={Category.DEALS: Delivery.DIGEST})
    _notify([user])
    with django_capture_on_commit_callbacks(execute=True):
        digests_send()
    assert "Your daily digest" not in mail.outbox[0].subject


def test_notify_many_tells_each_message_in_a_fixed_number_of_queries(
    django_capture_on_commit_callbacks, django_assert_num_queries, monkeypatch
):
    from prm.notifications.models import WebhookDelivery, WebhookEndpoint
    from prm.notifications.services import Message, notify_many
    from tests.factories import PartnerFactory

    posted = []
    monkeypatch.setattr(
        "prm.notifications.services._post", lambda endpoint, delivery: posted.append(delivery.text)
    )
    first, second = PartnerFactory(), PartnerFactory()
    alice = UserFactory(email="alice@a.test")
    bob = UserFactory(email="bob@a.test", language="zh-hant")
    preferences_set(user=bob, choices={Category.DEALS: Delivery.IN_APP})
    WebhookEndpoint.objects.create(
        name="Team", kind="slack", url="https://h/1", categories=["deals"]
    )
    WebhookEndpoint.objects.create(
        name="First only", kind="slack", url="https://h/2", categories=["deals"], partner=first
    )
    messages = [
        Message(
            users=[alice, alice, bob],
            template=TEMPLATE,
            context=CONTEXT,
            url="/deals/1/",
            partner=first,
        ),
        Message(
            users=[bob], template=TEMPLATE, context={**CONTEXT, "number": "DR-2"}, partner=second
        ),
    ]

    with django_capture_on_commit_callbacks(execute=True), django_assert_num_queries(4):
        rows = notify_many(messages=messages, category=Category.DEALS)

    assert [(r.recipient, r.partner) for r in rows] == [
        (alice, first),
        (bob, first),
        (bob, second),
    ]
    # each in its reader's language
    assert rows[0].title == "DR-1 was approved"
    assert "DR-1" in rows[1].title
    assert rows[1].title != rows[0].title
    # bob chose the portal only: alice alone gets an email, with the link in its body
    assert [m.to for m in mail.outbox] == [["alice@a.test"]]
    assert "https://prm.example/deals/1/" in mail.outbox[0].body
    # the team channel hears both; the first partner's channel only its own
    assert sorted(WebhookDelivery.objects.values_list("endpoint__name", "text")) == [
        ("First only", "DR-1 was approved"),
        ("Team", "DR-1 was approved"),
        ("Team", "DR-2 was approved"),
    ]
    assert sorted(posted) == ["DR-1 was approved", "DR-1 was approved", "DR-2 was approved"]
