"""Announcement pages: the partner's feed and reading page, the vendor's list, form, preview and
tracking page; constant query counts at two sizes."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from partners.models import Announcement, AnnouncementRead, AnnouncementRecipient
from partners.services import (
    announcement_acknowledge,
    announcement_create,
    announcement_mark_read,
    announcement_publish,
)

from ..factories import PartnerFactory

pytestmark = pytest.mark.django_db


def _publish(world, n=1, **kw):
    made = []
    for index in range(n):
        values = {
            "title": f"Update {index}",
            "body": "Body text",
            "category": Announcement.Category.PRODUCT_UPDATE,
        }
        values.update(kw)
        announcement = announcement_create(actor=world.users["vendor_admin"], **values)
        made.append(
            announcement_publish(announcement=announcement, actor=world.users["vendor_admin"])
        )
    return made


# --- the partner's feed ----------------------------------------------------------------------


def test_feed_shows_unread_counts_and_the_acknowledgement_badge(world):
    _publish(world, 2)
    _publish(world, 1, category="price_change", title="Price change")
    _publish(world, 1, audience="partners", partners=[world.other_partner], title="For Bravo")
    response = world.client("partner_sales").get(reverse("announcement_list"))
    body = response.content.decode()
    assert response.context["unread_total"] == 3
    assert ("price_change", "Price change", 1) in response.context["unread_by_category"]
    assert "Awaiting your acknowledgement" in body
    assert "For Bravo" not in body
    assert "3 unread" in body


def test_feed_items_show_each_announcements_state(world):
    """Unread and awaiting acknowledgement by a date; read and acknowledged; read with nothing
    to acknowledge: each item's marks, badge, date and the start of its text, escaped."""
    by = timezone.localdate() + dt.timedelta(days=9)
    awaiting, acknowledged, plain = (
        _publish(world, 1, title="<b>Bold</b> & due", category="policy", acknowledge_by=by)[0],
        _publish(world, 1, title="Done", category="price_change")[0],
        _publish(world, 1, title="Plain", body="x" * 300)[0],
    )
    reader = world.users["partner_admin"]
    for announcement in (acknowledged, plain):
        announcement_mark_read(announcement=announcement, user=reader)
    announcement_acknowledge(announcement=acknowledged, actor=reader, partner=world.partner)
    body = world.client("partner_admin").get(reverse("announcement_list")).content.decode()
    items = {
        int(pk): item
        for item, pk in re.findall(
            r'(<li class="list-group-item py-3[^"]*">.*?href="/announcements/(\d+)/".*?</li>)',
            body,
            re.S,
        )
    }
    first = items[awaiting.pk]
    assert 'class="list-group-item py-3 announcement-unread"' in first
    assert '<span class="visually-hidden">Unread:</span>' in first
    assert 'class="fw-bold">&lt;b&gt;Bold&lt;/b&gt; &amp; due</a>' in first
    assert '<span class="badge text-bg-warning">Awaiting your acknowledgement</span>' in first
    assert f"by {date_format(by, 'DATE_FORMAT')}" in first
    published = timezone.localtime(awaiting.published_at)
    assert f'<time datetime="{published.isoformat()}">' in first
    assert f"{date_format(published, 'DATE_FORMAT')}</time>" in first
    assert "Policy · " in first
    second = items[acknowledged.pk]
    assert 'class="list-group-item py-3">' in second
    assert "Unread:" not in second
    assert 'class="">Done</a>' in second
    assert '<i class="bi bi-check2" aria-hidden="true"></i> Acknowledged</span>' in second
    third = items[plain.pk]
    assert "badge" not in third
    assert f">{'x' * 219}…</p>" in third


def test_feed_filters_by_category_and_htmx_gets_the_feed_only(world):
    _publish(world, 1, title="Product news")
    _publish(world, 1, category="policy", title="New policy")
    client = world.client("partner_admin")
    response = client.get(reverse("announcement_list"), {"category": "policy"})
    assert [a.title for a in response.context["announcements"]] == ["New policy"]
    partial = client.get(
        reverse("announcement_list"), {"category": "policy"}, HTTP_HX_REQUEST="true"
    )
    content = partial.content.decode()
    assert content.lstrip().startswith('<div id="announcement-feed"')
    assert "New policy" in content
    assert "Product news" not in content


# session, user, memberships (current partner), unread, all and awaiting acknowledgement per
# category (the feed's count), feed page.
QUERIES_FEED = 5


def test_feed_runs_constant_queries(world, django_assert_num_queries):
    client = world.client("partner_admin")
    _publish(world, 2)
    client.get(reverse("announcement_list"))
    with django_assert_num_queries(QUERIES_FEED):
        client.get(reverse("announcement_list"))
    _publish(world, 15, category="price_change")
    with django_assert_num_queries(QUERIES_FEED):
        response = client.get(reverse("announcement_list"))
    assert len(response.context["announcements"]) == 17


# session, user, count, page (with acknowledgement counts and authors); a channel manager's
# "view all" permission and grant facts come with the user (no query of their own).
QUERIES_VENDOR_LIST = {"vendor_admin": 4, "cm_assigned": 4}


@pytest.mark.parametrize("role", list(QUERIES_VENDOR_LIST))
def test_vendor_list_runs_constant_queries(world, role, django_assert_num_queries):
    client = world.client(role)
    _publish(world, 2, category="price_change")
    client.get(reverse("announcement_list"))
    with django_assert_num_queries(QUERIES_VENDOR_LIST[role]):
        client.get(reverse("announcement_list"))
    for _ in range(5):
        PartnerFactory()
    _publish(world, 12, category="price_change")
    with django_assert_num_queries(QUERIES_VENDOR_LIST[role]):
        response = client.get(reverse("announcement_list"))
    assert len(response.context["announcements"]) == 14


def test_vendor_list_shows_acknowledged_out_of_recipients(world):
    (price,) = _publish(world, 1, category="price_change", title="Price list")
    announcement_acknowledge(
        announcement=price, partner=world.partner, actor=world.users["partner_admin"]
    )
    body = world.client("vendor_admin").get(reverse("announcement_list")).content.decode()
    assert "1 of 2" in body
    cm_body = world.client("cm_assigned").get(reverse("announcement_list")).content.decode()
    assert "1 of 1" in cm_body


def test_vendor_list_rows(world):
    """Title (escaped, linking to it) and author; category; audience; published date or the
    draft badge; acknowledge-by date or a dash; acknowledged out of recipients (emphasised when
    all have), or how many it reached when it needs no acknowledgement, or a dash for a draft."""
    admin = world.users["vendor_admin"]
    by = timezone.localdate() + dt.timedelta(days=9)
    (price,) = _publish(world, 1, category="price_change", title="<b>Prices</b>", acknowledge_by=by)
    (policy,) = _publish(world, 1, category="policy", audience="partners", partners=[world.partner])
    (news,) = _publish(world, 1, title="News")
    (named,) = _publish(world, 1, title="Named", audience="partners", partners=[world.partner])
    draft = announcement_create(actor=admin, title="Draft", body="x", category="policy")
    for announcement in (price, policy):
        announcement_acknowledge(
            announcement=announcement, partner=world.partner, actor=world.users["partner_admin"]
        )
    Announcement.objects.filter(pk=news.pk).update(author=None)
    body = world.client("vendor_admin").get(reverse("announcement_list")).content.decode()
    published = date_format(timezone.localtime(price.published_at), "SHORT_DATE_FORMAT")
    author = f'<div class="small text-body-secondary">{admin.get_full_name()}</div>'
    assert _vendor_cells(body, price) == [
        f'<a href="/announcements/{price.pk}/">&lt;b&gt;Prices&lt;/b&gt;</a>{author}',
        "Price change",
        "All partners",
        published,
        date_format(by, "SHORT_DATE_FORMAT"),
        '<span class="">1 of 2</span>',
    ]
    assert _vendor_cells(body, policy)[1:] == [
        "Policy",
        "Named partners",
        published,
        "—",
        '<span class="text-success fw-semibold">1 of 1</span>',
    ]
    assert _vendor_cells(body, news) == [
        f'<a href="/announcements/{news.pk}/">News</a>',
        "Product update",
        "All partners",
        published,
        "—",
        '<span class="text-body-secondary">2 partners, no acknowledgement</span>',
    ]
    assert _vendor_cells(body, named)[5] == (
        '<span class="text-body-secondary">1 partner, no acknowledgement</span>'
    )
    assert _vendor_cells(body, draft)[3:] == [
        '<span class="badge text-bg-secondary">Draft</span>',
        "—",
        "—",
    ]
    assert 'data-label="Acknowledge by"' in body
    client = world.client("vendor_admin")
    client.cookies["django_language"] = "zh-hant"
    local = client.get(reverse("announcement_list")).content.decode()
    assert _vendor_cells(local, price)[5] == '<span class="">1／2</span>'
    assert _vendor_cells(local, named)[5] == (
        '<span class="text-body-secondary">1 個合作夥伴，無須確認</span>'
    )
    empty = world.client("vendor_admin").get(
        reverse("announcement_list"), {"category": "market_information"}
    )
    assert "No announcements yet." in empty.content.decode()


def _vendor_cells(page: str, announcement) -> list[str]:
    row = re.search(
        rf'<tr>\s*<td class="stack-title"><a href="/announcements/{announcement.pk}/">.*?</tr>',
        page,
        re.S,
    )
    return [" ".join(c.split()) for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)]


# --- reading and acknowledging --------------------------------------------------------------


def test_opening_marks_it_read_and_the_admin_acknowledges(world):
    deadline = timezone.localdate() + dt.timedelta(days=9)
    (price,) = _publish(world, 1, category="price_change", acknowledge_by=deadline)
    url = reverse("announcement_detail", kwargs={"pk": price.pk})
    sales = world.client("partner_sales").get(url)
    assert AnnouncementRead.objects.filter(user=world.users["partner_sales"]).count() == 1
    sales_body = sales.content.decode()
    assert "Awaiting your acknowledgement" in sales_body
    assert 'id="acknowledge-button"' not in sales_body
    assert "partner admin acknowledges it" in sales_body

    admin = world.client("partner_admin")
    assert 'id="acknowledge-button"' in admin.get(url).content.decode()
    response = admin.post(reverse("announcement_acknowledge", kwargs={"pk": price.pk}))
    assert response.status_code == 302
    receipt = AnnouncementRecipient.objects.get(announcement=price, partner=world.partner)
    assert receipt.acknowledged_by == world.users["partner_admin"]
    after = admin.get(url).content.decode()
    assert "Acknowledged by" in after
    assert 'id="acknowledge-button"' not in after
    again = admin.post(reverse("announcement_acknowledge", kwargs={"pk": price.pk}), follow=True)
    assert "already acknowledged" in again.content.decode()


def test_another_partners_announcement_answers_404(world):
    (mine,) = _publish(world, 1, audience="partners", partners=[world.partner])
    url = reverse("announcement_detail", kwargs={"pk": mine.pk})
    assert world.client("other_partner").get(url).status_code == 404
    assert world.client("partner_admin").get(url).status_code == 200
    draft = announcement_create(
        actor=world.users["vendor_admin"], title="Draft", body="x", category="policy"
    )
    draft_url = reverse("announcement_detail", kwargs={"pk": draft.pk})
    assert world.client("partner_admin").get(draft_url).status_code == 404


# --- the vendor's form, preview and tracking ---------------------------------------------------


def test_form_errors_name_the_field(world):
    client = world.client("vendor_admin")
    response = client.post(
        reverse("announcement_create"),
        {"title": "Tiers", "body": "Text", "category": "product_update", "audience": "tiers"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["tiers"] == ["Choose at least one tier."]
    assert "Choose at least one tier." in response.content.decode()
    missing = client.post(reverse("announcement_create"), {"category": "policy"})
    assert set(missing.context["form"].errors) >= {"title", "body", "audience"}
    dated = client.post(
        reverse("announcement_create"),
        {
            "title": "Past",
            "body": "Text",
            "category": "policy",
            "audience": "all",
            "acknowledge_by": "2000-01-01",
        },
    )
    assert dated.context["form"].errors["acknowledge_by"] == [
        "The acknowledge-by date is in the past."
    ]
    assert not Announcement.objects.exists()


def test_channel_managers_name_only_their_partners(world):
    client = world.client("cm_assigned")
    form = client.get(reverse("announcement_create")).context["form"]
    assert list(form.fields["partners"].queryset) == [world.partner]
    response = client.post(
        reverse("announcement_create"),
        {
            "title": "Hi",
            "body": "Text",
            "category": "product_update",
            "audience": "partners",
            "partners": [world.other_partner.pk],
        },
    )
    assert "partners" in response.context["form"].errors


def test_write_preview_edit_and_publish(world):
    client = world.client("vendor_admin")
    response = client.post(
        reverse("announcement_create"),
        {
            "title": "Price list 2027",
            "local_title": "2027 價目表",
            "body": "Prices rise.",
            "category": "price_change",
            "audience": "all",
        },
    )
    announcement = Announcement.objects.get()
    assert response["Location"] == reverse("announcement_detail", kwargs={"pk": announcement.pk})
    assert announcement.requires_acknowledgement
    preview = client.get(response["Location"])
    body = preview.content.decode()
    assert preview.context["audience_count"] == 2
    assert "2027 價目表" in body
    assert "Publish to 2 partners" in body
    edit_url = reverse("announcement_edit", kwargs={"pk": announcement.pk})
    assert client.get(edit_url).context["form"].initial["title"] == "Price list 2027"
    client.post(
        edit_url,
        {
            "title": "Price list 2027",
            "body": "Prices rise by 4%.",
            "category": "price_change",
            "audience": "partners",
            "partners": [world.partner.pk],
        },
    )
    announcement.refresh_from_db()
    assert announcement.body == "Prices rise by 4%."
    client.post(reverse("announcement_publish", kwargs={"pk": announcement.pk}))
    announcement.refresh_from_db()
    assert announcement.published_at is not None
    assert announcement.recipients.count() == 1
    refused = client.get(edit_url, follow=True)
    assert "A published announcement is not changed" in refused.content.decode()


def test_tracking_page_lists_who_acknowledged_and_reminds_the_others(world):
    (price,) = _publish(world, 1, category="price_change")
    announcement_acknowledge(
        announcement=price, partner=world.partner, actor=world.users["partner_admin"]
    )
    client = world.client("vendor_admin")
    url = reverse("announcement_detail", kwargs={"pk": price.pk})
    response = client.get(url)
    assert [r.partner.code for r in response.context["acknowledged"]] == ["P-A"]
    assert [r.partner.code for r in response.context["pending"]] == ["P-B"]
    body = response.content.decode()
    assert "Acknowledged by 1 of 2 partners" in body
    assert world.users["partner_admin"].get_full_name() in body
    assert "Remind the ones who have not" in body
    reminded = client.post(reverse("announcement_remind", kwargs={"pk": price.pk}), follow=True)
    assert "1 partners that have not acknowledged it were reminded." in reminded.content.decode()
    assert AnnouncementRecipient.objects.get(partner=world.other_partner).reminded_at


def test_delete_a_draft(world):
    draft = announcement_create(
        actor=world.users["cm_assigned"], title="Draft", body="x", category="policy"
    )
    response = world.client("cm_assigned").post(
        reverse("announcement_delete", kwargs={"pk": draft.pk})
    )
    assert response["Location"] == reverse("announcement_list")
    assert not Announcement.objects.exists()
