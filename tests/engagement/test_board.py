"""The ideas board: anonymity (the three-partner threshold both ways, and no other partner's
identifiers anywhere), votes and merges, status changes and their notifications, hiding."""

import pytest
from django.core import mail
from django.urls import reverse

from engagement.board import Reader, authors_label, top_ideas
from engagement.board_services import (
    comment_add,
    post_create,
    post_hide,
    post_merge,
    post_status_set,
    post_vote_toggle,
)
from engagement.models import BoardCategory, Post, Vote
from partners.models import Membership, Partner, Territory
from prm.core.errors import DomainError, InvalidTransitionError
from prm.notifications.models import Notification
from tests.factories import MembershipFactory, PartnerFactory, TierFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def gold(world):
    """Partner A and B are Gold partners in TW-TPE."""
    tier = TierFactory(code="gold", name="Gold")
    tpe = Territory.objects.create(code="TW-TPE", name="Taipei")
    for partner in (world.partner, world.other_partner):
        partner.tier = tier
        partner.save(update_fields=["tier"])
        partner.territories.add(tpe)
    return tier, tpe


def _category():
    return BoardCategory.objects.get(code="portal")


def _post(world, title="Idea", partner=None, user=None):
    return post_create(
        actor=user or world.users["partner_admin"],
        partner=partner or world.partner,
        kind="idea",
        category=_category(),
        title=title,
        body="Body",
    )


def _reader(world, role="other_partner", partner=None):
    user = world.users[role]
    if role.startswith("partner_") or role == "other_partner":
        partner = partner or (world.other_partner if role == "other_partner" else world.partner)
        return Reader(user=user, partner=partner, is_vendor=False)
    return Reader(user=user, partner=None, is_vendor=True)


def _label(world, post, reader):
    authors_label([post], reader=reader)
    return post.author_label


def test_two_gold_partners_in_a_territory_read_as_a_partner(world, gold):
    post = _post(world)
    assert _label(world, post, _reader(world)) == "a partner"


def test_three_gold_partners_in_a_territory_show_tier_and_territory(world, gold):
    tier, tpe = gold
    third = PartnerFactory(tier=tier)
    third.territories.add(tpe)
    post = _post(world)
    assert _label(world, post, _reader(world)) == "a Gold partner in TW-TPE"


def test_three_gold_partners_in_different_territories_show_the_tier_only(world, gold):
    tier, _tpe = gold
    third = PartnerFactory(tier=tier)
    third.territories.add(Territory.objects.create(code="HK", name="Hong Kong"))
    post = _post(world)
    assert _label(world, post, _reader(world)) == "a Gold partner"


def test_an_inactive_partner_does_not_count_towards_the_threshold(world, gold):
    tier, tpe = gold
    third = PartnerFactory(tier=tier, status=Partner.Status.TERMINATED)
    third.territories.add(tpe)
    assert _label(world, _post(world), _reader(world)) == "a partner"


def test_own_posts_read_as_your_organisation_and_vendor_sees_the_partner(world, gold):
    post = _post(world)
    assert _label(world, post, _reader(world, "partner_sales")) == "your organisation"
    vendor = _reader(world, "vendor_admin")
    authors_label([post], reader=vendor)
    assert post.organisation.startswith("P-A")


def _identifiers(world, partner_user_role="partner_admin"):
    """Partner A's name, code and user as they could leak into text, JSON, query strings or
    HTML attributes (ids alone are checked in their usual spellings: a bare number would match
    counts and post numbers)."""
    partner = world.partner
    user = world.users[partner_user_role]
    return [
        partner.code,
        partner.name,
        partner.local_name,
        user.email,
        user.get_full_name(),
        f'data-partner="{partner.pk}"',
        f"partner={partner.pk}",
        f'"partner": {partner.pk}',
        f'"partner_id": {partner.pk}',
        f'"user": {user.pk}',
        f'data-user="{user.pk}"',
    ]


def _assert_anonymous(text, world):
    for needle in _identifiers(world):
        if needle:
            assert needle not in text, needle


def test_no_page_api_or_message_shows_another_partners_identity(
    world, gold, django_capture_on_commit_callbacks
):
    """Partner B reads the board, the post and the API; B's user receives the status
    notification and email: nothing names partner A or its user."""
    tier, tpe = gold
    third = PartnerFactory(tier=tier)
    third.territories.add(tpe)
    post = _post(world, title="Faster quotes")
    comment_add(
        actor=world.users["partner_sales"],
        partner=world.partner,
        post=post,
        body="Agreed",
        vendor=False,
    )
    b = world.client("other_partner")
    b.post(reverse("board_post_vote", kwargs={"pk": post.pk}))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        post_status_set(actor=world.users["vendor_admin"], post=post, status="planned")
    pages = [
        b.get(reverse("board_list")).content.decode(),
        b.get(reverse("board_post_detail", kwargs={"pk": post.pk})).content.decode(),
        b.get(reverse("api:board-post-list")).content.decode(),
        b.get(reverse("api:board-post-list"), {"sort": "newest"}).content.decode(),
        b.get(reverse("notification_list")).content.decode(),
    ]
    for page in pages:
        assert "Faster quotes" in page or "notification" in page.lower()
        _assert_anonymous(page, world)
    assert "a Gold partner in TW-TPE" in pages[1]
    to_b = [m for m in mail.outbox if world.users["other_partner"].email in m.to]
    assert to_b
    for message in to_b:
        _assert_anonymous(message.subject + message.body, world)
    for note in Notification.objects.filter(recipient=world.users["other_partner"]):
        _assert_anonymous(note.title + note.url, world)


def test_vote_toggles_and_counts_once_per_user(world):
    post = _post(world)
    user = world.users["other_partner"]
    assert post_vote_toggle(actor=user, partner=world.other_partner, post=post) is True
    assert post_vote_toggle(actor=user, partner=world.other_partner, post=post) is False
    assert post_vote_toggle(actor=user, partner=world.other_partner, post=post) is True
    post.refresh_from_db()
    assert post.vote_count == 1
    assert Vote.objects.filter(post=post).count() == 1


def test_vendor_staff_do_not_vote(world):
    post = _post(world)
    with pytest.raises(DomainError):
        post_vote_toggle(actor=world.users["vendor_admin"], partner=None, post=post)


def test_merge_moves_votes_without_double_votes(world):
    duplicate = _post(world, title="Dup")
    target = _post(
        world, title="Target", partner=world.other_partner, user=world.users["other_partner"]
    )
    a_sales, a_fin, b = (
        world.users[r] for r in ("partner_sales", "partner_finance", "other_partner")
    )
    post_vote_toggle(actor=a_sales, partner=world.partner, post=duplicate)
    post_vote_toggle(actor=a_fin, partner=world.partner, post=duplicate)
    post_vote_toggle(actor=b, partner=world.other_partner, post=duplicate)
    post_vote_toggle(actor=b, partner=world.other_partner, post=target)
    post_merge(actor=world.users["vendor_admin"], post=duplicate, into=target)
    duplicate.refresh_from_db()
    target.refresh_from_db()
    assert duplicate.status == Post.Status.MERGED
    assert duplicate.merged_into == target
    assert duplicate.vote_count == 0
    assert not Vote.objects.filter(post=duplicate).exists()
    assert target.vote_count == 3
    assert set(Vote.objects.filter(post=target).values_list("user_id", flat=True)) == {
        a_sales.pk,
        a_fin.pk,
        b.pk,
    }


def test_merging_into_itself_or_a_merged_post_is_refused(world):
    one, two, three = (_post(world, title=t) for t in ("1", "2", "3"))
    with pytest.raises(DomainError):
        post_merge(actor=world.users["vendor_admin"], post=one, into=one)
    post_merge(actor=world.users["vendor_admin"], post=one, into=two)
    with pytest.raises(DomainError):
        post_merge(actor=world.users["vendor_admin"], post=three, into=one)


def test_status_change_tells_the_author_and_voters_once(world):
    post = _post(world)
    voter = world.users["other_partner"]
    post_vote_toggle(actor=voter, partner=world.other_partner, post=post)
    post_status_set(actor=world.users["vendor_admin"], post=post, status="under_review")
    told = Notification.objects.filter(category="community").values_list("recipient_id", flat=True)
    assert sorted(told) == sorted([world.users["partner_admin"].pk, voter.pk])


def test_declining_needs_a_reason_and_illegal_moves_are_refused(world):
    post = _post(world)
    with pytest.raises(DomainError) as exc:
        post_status_set(actor=world.users["vendor_admin"], post=post, status="declined")
    assert exc.value.field == "reason"
    post_status_set(
        actor=world.users["vendor_admin"], post=post, status="declined", reason="Out of scope"
    )
    with pytest.raises(InvalidTransitionError):
        post_status_set(actor=world.users["vendor_admin"], post=post, status="done")


def test_hidden_post_is_gone_for_others_and_shows_its_reason_to_the_author(world):
    post = _post(world, title="Spicy")
    post_hide(actor=world.users["vendor_admin"], post=post, reason="Names a customer")
    url = reverse("board_post_detail", kwargs={"pk": post.pk})
    assert world.client("other_partner").get(url).status_code == 404
    assert "Spicy" not in world.client("other_partner").get(reverse("board_list")).content.decode()
    page = world.client("partner_sales").get(url).content.decode()
    assert "Names a customer" in page
    assert Notification.objects.filter(recipient=world.users["partner_admin"]).exists()


def test_vendor_answer_shows_as_the_vendor_and_tells_the_author(world):
    post = _post(world)
    comment_add(actor=world.users["cm_assigned"], partner=None, post=post, body="Yes", vendor=True)
    page = world.client("other_partner").get(reverse("board_post_detail", kwargs={"pk": post.pk}))
    assert "the vendor" in page.content.decode()
    assert world.users["cm_assigned"].email not in page.content.decode()
    assert Notification.objects.filter(
        recipient=world.users["partner_admin"], category="community"
    ).exists()


def test_a_vendor_answer_tells_the_author_and_the_voters_once(
    world, gold, django_capture_on_commit_callbacks
):
    post = _post(world, title="Faster quotes")
    voters = [world.users["other_partner"], world.users["partner_sales"]]
    post_vote_toggle(actor=voters[0], partner=world.other_partner, post=post)
    post_vote_toggle(actor=voters[1], partner=world.partner, post=post)
    # The author's own vote does not tell them twice.
    post_vote_toggle(actor=world.users["partner_admin"], partner=world.partner, post=post)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        comment_add(
            actor=world.users["cm_assigned"], partner=None, post=post, body="Yes", vendor=True
        )
        # A partner's comment tells nobody.
        comment_add(
            actor=world.users["other_partner"],
            partner=world.other_partner,
            post=post,
            body="Thanks",
            vendor=False,
        )

    told = Notification.objects.filter(category="community")
    assert sorted(told.values_list("recipient_id", flat=True)) == sorted(
        [world.users["partner_admin"].pk, *(v.pk for v in voters)]
    )
    to_b = told.get(recipient=world.users["other_partner"])
    assert to_b.partner is None
    assert "Faster quotes" in to_b.title
    [email] = [m for m in mail.outbox if world.users["other_partner"].email in m.to]
    assert "a post you voted for" in email.body
    _assert_anonymous(email.subject + email.body + to_b.title + to_b.url, world)


def test_top_ideas_are_open_ideas_by_votes(world):
    low = _post(world, title="Low")
    high = _post(world, title="High")
    done = _post(world, title="Done")
    for role in ("partner_sales", "partner_finance"):
        post_vote_toggle(actor=world.users[role], partner=world.partner, post=high)
    post_vote_toggle(actor=world.users["partner_sales"], partner=world.partner, post=done)
    post_status_set(actor=world.users["vendor_admin"], post=done, status="done")
    assert [p.title for p in top_ideas(limit=5)] == ["High", "Low"]
    assert low.pk


def _many_posts(world, count):
    for i in range(count):
        user = UserFactory()
        MembershipFactory(user=user, partner=world.other_partner, role=Membership.Role.SALES)
        post = _post(world, title=f"Post {i}", partner=world.other_partner, user=user)
        comment_add(actor=user, partner=world.other_partner, post=post, body="+1", vendor=False)
        post_vote_toggle(actor=world.users["partner_sales"], partner=world.partner, post=post)


@pytest.mark.parametrize("count", [2, 7])
def test_board_list_runs_a_fixed_number_of_queries(world, django_assert_num_queries, count):
    _many_posts(world, count)
    client = world.client("partner_sales")
    client.get(reverse("board_list"))
    with django_assert_num_queries(QUERIES_LIST):
        response = client.get(reverse("board_list"), {"sort": "newest"})
    assert response.status_code == 200


@pytest.mark.parametrize("count", [2, 7])
def test_board_api_runs_a_fixed_number_of_queries(world, django_assert_num_queries, count):
    _many_posts(world, count)
    client = world.client("partner_sales")
    with django_assert_num_queries(QUERIES_API):
        response = client.get(reverse("api:board-post-list"))
    assert len(response.json()) == count


@pytest.mark.parametrize("count", [2, 7])
def test_post_detail_runs_a_fixed_number_of_queries(world, django_assert_num_queries, count):
    post = _post(world)
    for i in range(count):
        comment_add(
            actor=world.users["other_partner"],
            partner=world.other_partner,
            post=post,
            body=f"c{i}",
            vendor=False,
        )
    client = world.client("partner_sales")
    with django_assert_num_queries(QUERIES_DETAIL):
        client.get(reverse("board_post_detail", kwargs={"pk": post.pk}))


# Session and user, the membership context, the unread badge; then the count, the page (votes
# annotated), and the two cohort counts of the authors' labels.
QUERIES_LIST = 7
# The same without the page furniture: user, membership, posts, two cohort counts.
QUERIES_API = 5
# Session, user, membership, badge, the post, its comments (labels come from the same cohorts).
QUERIES_DETAIL = 6


def test_vendor_dashboard_lists_the_most_voted_open_ideas(world):
    post = _post(world, title="Bulk quote upload")
    post_vote_toggle(actor=world.users["other_partner"], partner=world.other_partner, post=post)
    page = world.client("cm_assigned").get(reverse("dashboard")).content.decode()
    assert 'id="top-ideas"' in page
    assert "Bulk quote upload" in page


def test_vendor_dashboard_says_when_there_is_no_open_idea(world):
    page = world.client("vendor_admin").get(reverse("dashboard")).content.decode()
    ideas = page.split('id="top-ideas"', 1)[1].split("</section>", 1)[0]
    assert "No open idea yet." in ideas
    # A sentence, not the first item of the numbered list.
    assert "<ol" not in ideas
