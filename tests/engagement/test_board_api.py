"""`/api/v1/community/posts/`: partner users post (400 naming the field), vendor staff may
not; the list is anonymised and filtered."""

import pytest
from django.urls import reverse

from engagement.models import Post

pytestmark = pytest.mark.django_db
URL = "/api/v1/community/posts/"


def test_url_is_the_contract():
    assert reverse("api:board-post-list") == URL


def test_partner_posts_and_reads_it_back(world):
    client = world.client("partner_sales")
    answer = client.post(
        URL,
        {"kind": "question", "category": "pricing", "title": "Rebates?", "body": "How?"},
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["author"] == "your organisation"
    assert body["status"] == "open"
    assert Post.objects.get(pk=body["id"]).partner == world.partner
    listed = world.client("other_partner").get(URL, {"kind": "question"}).json()
    assert [p["title"] for p in listed] == ["Rebates?"]
    assert listed[0]["author"] == "a partner"
    assert "partner" not in listed[0]
    assert "organisation" not in listed[0]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "idea", "category": "nope", "title": "T", "body": "B"}, "category"),
        ({"kind": "wish", "category": "portal", "title": "T", "body": "B"}, "kind"),
        ({"kind": "idea", "category": "portal", "title": "", "body": "B"}, "title"),
        ({"kind": "idea", "category": "portal", "title": "T"}, "body"),
    ],
)
def test_bad_input_names_the_field(world, data, field):
    answer = world.client("partner_admin").post(URL, data, content_type="application/json")
    assert answer.status_code == 400
    assert field in answer.json()


def test_vendor_staff_cannot_post(world):
    answer = world.client("vendor_admin").post(
        URL, {"kind": "idea", "category": "portal", "title": "T", "body": "B"}
    )
    assert answer.status_code == 403


def test_board_pages_post_vote_and_filter(world):
    client = world.client("partner_admin")
    created = client.post(
        reverse("board_post_create"),
        {"kind": "idea", "category": "", "title": "", "body": ""},
    )
    assert created.status_code == 200
    assert "This field is required" in created.content.decode()
    from engagement.models import BoardCategory

    category = BoardCategory.objects.get(code="portal")
    created = client.post(
        reverse("board_post_create"),
        {"kind": "idea", "category": category.pk, "title": "Dark mode", "body": "Please"},
    )
    post = Post.objects.get(title="Dark mode")
    assert created.status_code == 302
    b = world.client("other_partner")
    b.post(reverse("board_post_vote", kwargs={"pk": post.pk}))
    post.refresh_from_db()
    assert post.vote_count == 1
    listed = b.get(reverse("board_list"), {"category": "pricing"}).content.decode()
    assert "Dark mode" not in listed
    listed = b.get(reverse("board_list"), {"q": "dark", "sort": "newest"}).content.decode()
    assert "Dark mode" in listed
    assert 'aria-pressed="true"' in listed
