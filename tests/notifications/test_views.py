import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from prm.notifications.models import Category, Delivery, Notification, NotificationPreference

pytestmark = pytest.mark.django_db


def _note(user, title="DR-1 was approved", url="/deals/1/", **kwargs):
    return Notification.objects.create(
        recipient=user, category=Category.DEALS, title=title, url=url, delivery="email", **kwargs
    )


def test_centre_lists_only_my_notifications(world):
    mine = _note(world.users["partner_admin"], title="Mine")
    _note(world.users["other_partner"], title="Someone else's")
    response = world.client("partner_admin").get(reverse("notification_list"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Mine" in content
    assert "Someone else" not in content
    assert f'id="notification-{mine.pk}"' in content
    assert "Unread (1)" in content


def test_unread_filter(world):
    user = world.users["partner_admin"]
    _note(user, title="Old news", read_at="2026-01-01T00:00Z")
    _note(user, title="Fresh")
    content = world.client("partner_admin").get(reverse("notification_list") + "?show=unread")
    assert "Fresh" in content.content.decode()
    assert "Old news" not in content.content.decode()
    assert content.context["page_obj"].paginator.count == 1
    assert content.context["unread_count"] == 1
    everything = world.client("partner_admin").get(reverse("notification_list"))
    assert everything.context["page_obj"].paginator.count == 2
    assert "Unread (1)" in everything.content.decode()


def test_pages_count_the_list_shown(world):
    user = world.users["partner_admin"]
    for number in range(30):
        _note(user, title=f"Note {number}", read_at="2026-01-01T00:00Z" if number % 3 else None)
    client = world.client("partner_admin")
    page = client.get(reverse("notification_list")).context["page_obj"]
    assert (page.paginator.count, page.paginator.num_pages, len(page.object_list)) == (30, 2, 25)
    unread = client.get(reverse("notification_list") + "?show=unread").context["page_obj"]
    assert (unread.paginator.count, unread.paginator.num_pages) == (10, 1)
    assert all(row.read_at is None for row in unread.object_list)


def test_list_queries_do_not_grow(world, django_assert_num_queries):
    user = world.users["cm_assigned"]
    client = world.client("cm_assigned")
    client.get(reverse("notification_list"))
    for _ in range(3):
        _note(user)
    with django_assert_num_queries(4):
        client.get(reverse("notification_list"))
    for _ in range(20):
        _note(user)
    with django_assert_num_queries(4):
        client.get(reverse("notification_list"))


def test_badge_counts_unread(world):
    user = world.users["partner_sales"]
    client = world.client("partner_sales")
    assert "No unread notifications" in client.get(reverse("notification_badge")).content.decode()
    _note(user)
    _note(user)
    badge = client.get(reverse("notification_badge")).content.decode()
    assert ">2<" in badge
    assert "unread notifications" in badge


def test_open_marks_read_and_follows_the_link(world):
    note = _note(world.users["partner_admin"])
    response = world.client("partner_admin").post(
        reverse("notification_read", kwargs={"pk": note.pk}), {"open": "1"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/deals/1/"
    note.refresh_from_db()
    assert note.read_at is not None


def test_open_never_leaves_the_site(world):
    note = _note(world.users["partner_admin"], url="https://evil.example/")
    response = world.client("partner_admin").post(
        reverse("notification_read", kwargs={"pk": note.pk}),
        {"open": "1", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("notification_list")


def test_htmx_mark_read_swaps_the_row(world):
    note = _note(world.users["partner_admin"])
    response = world.client("partner_admin").post(
        reverse("notification_read", kwargs={"pk": note.pk}), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "notifications-changed"
    row = response.content.decode()
    assert row.strip().startswith("<li")
    assert "Mark read" not in row


def test_another_users_notification_is_404(world):
    note = _note(world.users["partner_admin"])
    response = world.client("other_partner").post(
        reverse("notification_read", kwargs={"pk": note.pk})
    )
    assert response.status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_read_all(world):
    user = world.users["vendor_admin"]
    _note(user)
    _note(user)
    other = _note(world.users["partner_admin"])
    response = world.client("vendor_admin").post(reverse("notification_read_all"))
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=user, read_at__isnull=True).exists()
    other.refresh_from_db()
    assert other.read_at is None


def test_preferences_form_saves_each_category(world):
    client = world.client("partner_finance")
    page = client.get(reverse("notification_preferences")).content.decode()
    assert 'name="payouts"' in page
    data = dict.fromkeys(Category.values, Delivery.EMAIL)
    data[Category.PAYOUTS] = Delivery.DIGEST
    data[Category.ANNOUNCEMENTS] = Delivery.IN_APP
    response = client.post(reverse("notification_preferences"), data)
    assert response.status_code == 302
    saved = dict(
        NotificationPreference.objects.filter(user=world.users["partner_finance"]).values_list(
            "category", "delivery"
        )
    )
    assert saved[Category.PAYOUTS] == Delivery.DIGEST
    assert saved[Category.ANNOUNCEMENTS] == Delivery.IN_APP


def test_preferences_form_names_the_bad_field(world):
    data = dict.fromkeys(Category.values, Delivery.EMAIL)
    data[Category.CASES] = "pigeon"
    response = world.client("partner_admin").post(reverse("notification_preferences"), data)
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"cases"}
    assert not NotificationPreference.objects.exists()


def test_navbar_loads_the_badge_lazily(world):
    page = world.client("partner_admin").get(reverse("dashboard")).content.decode()
    assert 'id="notification-bell"' in page
    assert reverse("notification_badge") in page


def test_api_lists_and_marks_read(world):
    user = world.users["partner_admin"]
    first = _note(user, title="First")
    second = _note(user, title="Second")
    _note(world.users["other_partner"], title="Not mine")
    client = world.client("partner_admin")
    data = client.get(reverse("api:notification-list")).json()
    assert [row["title"] for row in data["results"]] == ["Second", "First"]
    assert data["unread_count"] == 2
    response = client.post(
        reverse("api:notification-read"), {"ids": [first.pk]}, content_type="application/json"
    )
    assert response.json() == {"marked": 1, "unread_count": 1}
    unread = client.get(reverse("api:notification-list") + "?unread=1").json()
    assert [row["id"] for row in unread["results"]] == [second.pk]
    response = client.post(reverse("api:notification-read"), {}, content_type="application/json")
    assert response.json() == {"marked": 1, "unread_count": 0}


def test_api_refuses_bad_ids_naming_the_field(world):
    response = world.client("partner_admin").post(
        reverse("api:notification-read"), {"ids": ["x"]}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "ids" in response.json()


def test_rows_show_each_notifications_state(world):
    """Unread with a link: marked new and bold, with Open and Mark read; read without a link:
    neither mark nor button; the title escaped; the time in local time."""
    user = world.users["partner_admin"]
    unread = _note(user, title="<b>DR-7</b> & more")
    read = _note(user, title="Plain", url="", read_at="2026-01-01T00:00Z")
    client = world.client("partner_admin")
    body = client.get(reverse("notification_list")).content.decode()
    rows = {
        int(pk): row
        for row, pk in re.findall(
            r'(<li class="list-group-item[^"]*" id="notification-(\d+)".*?</li>)', body, re.S
        )
    }
    first = " ".join(rows[unread.pk].split())
    title = "&lt;b&gt;DR-7&lt;/b&gt; &amp; more"
    created = timezone.localtime(unread.created_at)
    assert first.startswith(
        '<li class="list-group-item d-flex flex-wrap align-items-center gap-2 '
        f'list-group-item-unread" id="notification-{unread.pk}" data-category="deals"> '
        '<span class="badge text-bg-primary">New</span> <div class="me-auto"> '
        f'<div class="fw-semibold">{title}</div> <small class="text-body-secondary">'
        f'{Category.DEALS.label} · <time datetime="{created.isoformat()}">'
        f"{date_format(created, 'DATETIME_FORMAT')}</time></small> </div> "
        f'<form method="post" action="/notifications/{unread.pk}/read/" class="d-flex gap-2"> '
        '<input type="hidden" name="csrfmiddlewaretoken"'
    )
    assert first.endswith(
        '<button class="btn btn-sm btn-outline-primary" type="submit" name="open" value="1">'
        f'Open<span class="visually-hidden">: {title}</span></button> '
        '<button class="btn btn-sm btn-outline-secondary" type="submit" '
        f'hx-post="/notifications/{unread.pk}/read/" hx-target="#notification-{unread.pk}" '
        f'hx-swap="outerHTML">Mark read<span class="visually-hidden">: {title}</span></button> '
        "</form> </li>"
    )
    second = " ".join(rows[read.pk].split())
    assert "list-group-item-unread" not in second
    assert "New" not in second
    assert "<div>Plain</div>" in second
    assert "<button" not in second
