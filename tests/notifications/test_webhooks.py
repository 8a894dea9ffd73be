"""Team channels, tested against a real HTTP server on the loopback interface."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory

from prm.notifications.admin import WebhookEndpointAdmin
from prm.notifications.models import Category, Notification, WebhookDelivery, WebhookEndpoint
from prm.notifications.services import (
    WebhookError,
    notify,
    webhook_deliver,
    webhook_deliveries_sweep,
)
from prm.notifications.tasks import webhook_deliver_task
from tests.factories import PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db


class Channel:
    """A fake Slack/Teams endpoint: records the posts and answers with a chosen status."""

    def __init__(self):
        self.posts: list[dict] = []
        self.status = 200
        channel = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                channel.posts.append(json.loads(self.rfile.read(length)))
                self.send_response(channel.status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                """Keep the test output free of request logs."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def channel():
    channel = Channel()
    yield channel
    channel.close()


@pytest.fixture(autouse=True)
def _site(settings):
    settings.PRM_SITE_URL = "https://prm.example"


def _event(partner=None, category=Category.DEALS):
    notify(
        users=[UserFactory()],
        category=category,
        render=lambda: ("DR-7 was approved", "body"),
        url="/deals/7/",
        partner=partner,
    )


def test_slack_channel_receives_the_event(channel, django_capture_on_commit_callbacks):
    WebhookEndpoint.objects.create(
        name="Channel team", kind="slack", url=channel.url, categories=["deals"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        _event()
    assert channel.posts == [{"text": "<https://prm.example/deals/7/|DR-7 was approved>"}]
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "sent"
    assert delivery.attempts == 1
    assert delivery.sent_at is not None


def test_teams_channel_receives_a_message_card(channel, django_capture_on_commit_callbacks):
    WebhookEndpoint.objects.create(
        name="Teams", kind="teams", url=channel.url, categories=["deals"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        _event()
    (card,) = channel.posts
    assert card["@type"] == "MessageCard"
    assert card["text"] == card["summary"] == "DR-7 was approved"
    assert card["potentialAction"][0]["targets"][0]["uri"] == "https://prm.example/deals/7/"


def test_routing_by_category_and_partner(channel, django_capture_on_commit_callbacks):
    acme, bravo = PartnerFactory(), PartnerFactory()
    WebhookEndpoint.objects.create(
        name="Acme", kind="slack", url=channel.url, categories=["deals"], partner=acme
    )
    WebhookEndpoint.objects.create(
        name="Cases", kind="slack", url=channel.url, categories=["cases"]
    )
    WebhookEndpoint.objects.create(
        name="Off", kind="slack", url=channel.url, categories=["deals"], is_active=False
    )
    with django_capture_on_commit_callbacks(execute=True):
        _event(partner=bravo)  # nobody: Acme's channel is for Acme only
        _event(partner=acme)  # Acme's channel
        _event(partner=acme, category=Category.CASES)  # the team-wide cases channel
    assert list(
        WebhookDelivery.objects.order_by("pk").values_list("endpoint__name", "category")
    ) == [
        ("Acme", "deals"),
        ("Cases", "cases"),
    ]
    assert len(channel.posts) == 2


def test_a_failing_channel_never_blocks_the_event(channel, django_capture_on_commit_callbacks):
    channel.status = 500
    WebhookEndpoint.objects.create(name="Down", kind="slack", url=channel.url, categories=["deals"])
    with django_capture_on_commit_callbacks(execute=True):
        _event()  # the failure does not propagate to the caller
    assert Notification.objects.count() == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed"
    assert "500" in delivery.last_error


def test_failed_delivery_is_retried_until_it_goes_through(channel):
    channel.status = 503
    endpoint = WebhookEndpoint.objects.create(
        name="Flaky", kind="slack", url=channel.url, categories=["deals"]
    )
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, category="deals", text="Hi")
    with pytest.raises(WebhookError):
        webhook_deliver(delivery_id=delivery.pk)
    channel.status = 200
    assert webhook_deliver(delivery_id=delivery.pk) is True
    assert webhook_deliver(delivery_id=delivery.pk) is True  # already sent: not posted again
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 2, "")
    assert len(channel.posts) == 2


def test_sweep_requeues_stale_deliveries(channel):
    import datetime as dt

    from django.utils import timezone

    endpoint = WebhookEndpoint.objects.create(
        name="Late", kind="slack", url=channel.url, categories=["deals"]
    )
    stale = WebhookDelivery.objects.create(endpoint=endpoint, category="deals", text="Late")
    fresh = WebhookDelivery.objects.create(endpoint=endpoint, category="deals", text="Fresh")
    spent = WebhookDelivery.objects.create(
        endpoint=endpoint, category="deals", text="Spent", attempts=8, status="failed"
    )
    WebhookDelivery.objects.filter(pk__in=[stale.pk, spent.pk]).update(
        created_at=timezone.now() - dt.timedelta(hours=1)
    )
    assert webhook_deliveries_sweep() == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == "sent"
    assert fresh.status == "pending"
    assert channel.posts == [{"text": "Late"}]


def test_unreachable_channel_is_recorded(django_capture_on_commit_callbacks):
    endpoint = WebhookEndpoint.objects.create(
        name="Nowhere", kind="slack", url="http://127.0.0.1:9/hook", categories=["deals"]
    )
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, category="deals", text="Hi")
    with pytest.raises(WebhookError):
        webhook_deliver(delivery_id=delivery.pk)
    # The task retries exactly this error, with backoff, before the hourly sweep takes over.
    assert webhook_deliver_task.autoretry_for == (WebhookError,)
    assert webhook_deliver_task.max_retries == 3
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert delivery.last_error


def test_admin_test_message(channel, world):
    endpoint = WebhookEndpoint.objects.create(
        name="Team", kind="slack", url=channel.url, categories=["cases"]
    )
    request = RequestFactory().post("/")
    request.user = world.users["vendor_admin"]
    request._messages = []
    admin = WebhookEndpointAdmin(WebhookEndpoint, site)
    sent = []
    admin.message_user = lambda request, message, level=None: sent.append(str(message))
    admin.send_test(request, WebhookEndpoint.objects.filter(pk=endpoint.pk))
    assert sent == ["Team accepted the message."]
    assert len(channel.posts) == 1
    channel.status = 404
    admin.send_test(request, WebhookEndpoint.objects.filter(pk=endpoint.pk))
    assert sent[1].startswith("Team did not accept the message")


def test_user_text_cannot_format_or_mention_in_channels():
    from prm.notifications.services import webhook_payload

    text = "Call <!channel> about <https://evil.example|this> & *that* [x](y)"
    slack = webhook_payload(kind="slack", text=text, url="/deals/1/")["text"]
    assert "<!channel>" not in slack
    assert "&lt;!channel&gt;" in slack
    assert slack.startswith("<https://prm.example/deals/1/|")
    assert slack.count("<") == 1  # only the portal link is a link
    teams = webhook_payload(kind="teams", text=text, url="")
    assert teams["summary"] == text
    assert teams["text"] == (
        r"Call \<!channel\> about \<https://evil.example\|this\> & \*that\* \[x\]\(y\)"
    )


@pytest.mark.django_db(transaction=True)
def test_a_delivery_being_posted_is_not_posted_again(channel):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    endpoint = WebhookEndpoint.objects.create(
        name="Busy", kind="slack", url=channel.url, categories=["deals"]
    )
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, category="deals", text="Hi")
    import threading

    from django.db import connections, transaction

    locked = threading.Event()
    release = threading.Event()

    def hold_lock():
        with transaction.atomic():
            WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
            locked.set()
            release.wait(10)
        connections.close_all()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    locked.wait(10)
    try:
        assert webhook_deliver(delivery_id=delivery.pk) is False
    finally:
        release.set()
        holder.join()
    assert channel.posts == []


def test_a_bad_address_counts_as_an_attempt():
    endpoint = WebhookEndpoint.objects.create(
        name="Odd", kind="slack", url="ftp://example.com/hook", categories=["deals"]
    )
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, category="deals", text="Hi")
    with pytest.raises(WebhookError):
        webhook_deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
