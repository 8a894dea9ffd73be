"""Writes of the ideas and questions board: posts, votes (one per user, toggled), comments and
the vendor's answers, status changes with their notifications, merging duplicates and hiding a
post. Messages name a post by its title, never its author."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.models import Membership, Partner
from prm.core.errors import DomainError, InvalidTransitionError
from prm.core.events import event_record
from prm.notifications.models import Category
from prm.notifications.services import notify

from .board import OPEN_STATUSES, author_cohort
from .models import BoardCategory, Comment, Post, Vote

S = Post.Status
# Where a post may move; merging is its own service and ends a post's life.
STATUS_TRANSITIONS: dict[str, set[str]] = {
    S.OPEN: {S.UNDER_REVIEW, S.PLANNED, S.DONE, S.DECLINED},
    S.UNDER_REVIEW: {S.OPEN, S.PLANNED, S.DONE, S.DECLINED},
    S.PLANNED: {S.UNDER_REVIEW, S.DONE, S.DECLINED},
    S.DONE: {S.PLANNED},
    S.DECLINED: {S.UNDER_REVIEW},
    S.MERGED: set(),
}
TITLE_MAX, BODY_MAX = 200, 10000


def _url(post: Post) -> str:
    return reverse("board_post_detail", kwargs={"pk": post.pk})


def _member(actor, partner: Partner | None) -> None:
    if (
        partner is None
        or not Membership.objects.filter(partner=partner, user=actor, is_active=True).exists()
    ):
        raise DomainError(_("Only partner users take part in the board."))


def _text(value: str, *, field: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(_("This field is required."), field=field)
    if len(value) > limit:
        raise DomainError(_("Keep it to %(limit)s characters.") % {"limit": limit}, field=field)
    return value


@transaction.atomic
def post_create(
    *, actor, partner: Partner, kind: str, category: BoardCategory, title: str, body: str
) -> Post:
    """A partner user posts an idea or a question; it is shown under the partner's tier and
    territory, never its name."""
    _member(actor, partner)
    if kind not in Post.Kind.values:
        raise DomainError(_("Choose an idea or a question."), field="kind")
    tier, territory = author_cohort(partner)
    post = Post(
        kind=kind,
        category=category,
        title=_text(title, field="title", limit=TITLE_MAX),
        body=_text(body, field="body", limit=BODY_MAX),
        partner=partner,
        author=actor,
        author_tier=tier,
        author_territory=territory,
    )
    post.full_clean()
    post.save()
    event_record(
        actor=actor, verb="board.posted", target=post, partner=partner, after={"title": post.title}
    )
    return post


@transaction.atomic
def post_vote_toggle(*, actor, partner: Partner, post: Post) -> bool:
    """Vote for a post, or take the vote back; answers whether the user now votes for it.
    One vote per user, whatever the organisation they act for."""
    _member(actor, partner)
    post = Post.objects.select_for_update().get(pk=post.pk)
    if post.status not in OPEN_STATUSES or post.is_hidden:
        raise DomainError(_("This post no longer takes votes."))
    deleted, _rows = Vote.objects.filter(post=post, user=actor).delete()
    if deleted:
        Post.objects.filter(pk=post.pk).update(vote_count=F("vote_count") - 1)
        return False
    Vote.objects.create(post=post, user=actor)
    Post.objects.filter(pk=post.pk).update(vote_count=F("vote_count") + 1)
    return True


@transaction.atomic
def comment_add(*, actor, partner: Partner | None, post: Post, body: str, vendor: bool) -> Comment:
    """A partner user comments, or vendor staff answer (shown as the vendor). The post's author
    and its voters hear of the vendor's answer."""
    body = _text(body, field="body", limit=BODY_MAX)
    if post.status == S.MERGED:
        raise DomainError(_("This post was merged; comment on the post it was merged into."))
    if vendor:
        comment = Comment(post=post, author=actor, body=body, is_answer=True)
    else:
        _member(actor, partner)
        tier, territory = author_cohort(partner)
        comment = Comment(
            post=post,
            author=actor,
            partner=partner,
            author_tier=tier,
            author_territory=territory,
            body=body,
        )
    comment.full_clean()
    comment.save()
    Post.objects.filter(pk=post.pk).update(comment_count=F("comment_count") + 1)
    if vendor:
        _tell_of_answer(post, actor=actor)
    return comment


def _tell_of_answer(post: Post, *, actor) -> None:
    """The author hears that the vendor answered their post, each voter that the vendor
    answered a post they voted for (a message naming the post's title only: the author's
    organisation stays unnamed to other partners' voters)."""
    if post.author_id and post.author_id != actor.pk:
        notify(
            users=[post.author],
            category=Category.COMMUNITY,
            template="engagement/email/post_answered",
            context={"title": post.title},
            url=_url(post),
            partner=post.partner,
            channels=False,
        )
    voters = (
        Vote.objects.filter(post=post).exclude(user=actor).select_related("user").order_by("pk")
    )
    if post.author_id:
        voters = voters.exclude(user_id=post.author_id)
    users = [vote.user for vote in voters]
    if users:
        notify(
            users=users,
            category=Category.COMMUNITY,
            template="engagement/email/post_answered_voter",
            context={"title": post.title},
            url=_url(post),
            channels=False,
        )


def _tell_followers(post: Post, *, actor, reason: str) -> None:
    """The author and every voter hear of a status change (not the one who made it)."""
    voters = list(Vote.objects.filter(post=post).exclude(user=actor).select_related("user"))
    users = [v.user for v in voters]
    if post.author_id and post.author_id != getattr(actor, "pk", None):
        users.insert(0, post.author)
    notify(
        users=users,
        category=Category.COMMUNITY,
        template="engagement/email/post_status",
        context={
            "title": post.title,
            "status_label": post.get_status_display(),
            "reason": reason,
        },
        url=_url(post),
        channels=False,
    )


@transaction.atomic
def post_status_set(*, actor, post: Post, status: str, reason: str = "") -> Post:
    """Vendor staff move a post along (under review, planned, done, declined with a reason);
    the author and the voters are told."""
    post = Post.objects.select_for_update().get(pk=post.pk)
    if status not in STATUS_TRANSITIONS.get(post.status, set()):
        raise InvalidTransitionError(
            _("A post cannot move from %(old)s to %(new)s.")
            % {"old": post.get_status_display(), "new": dict(S.choices).get(status, status)}
        )
    reason = (reason or "").strip()
    if status == S.DECLINED and not reason:
        raise DomainError(_("Say why the post is declined."), field="reason")
    before = post.status
    post.status = status
    post.status_reason = reason
    post.full_clean()
    post.save(update_fields=["status", "status_reason", "updated_at"])
    event_record(
        actor=actor,
        verb="board.status_changed",
        target=post,
        partner=post.partner,
        before={"status": before},
        after={"status": status, "title": post.title},
        reason=reason,
    )
    _tell_followers(post, actor=actor, reason=reason)
    return post


@transaction.atomic
def post_merge(*, actor, post: Post, into: Post) -> Post:
    """Merge a duplicate into another post: its votes move (a user who voted for both keeps one
    vote), earlier duplicates follow, and it reads "merged" with a link; its author and voters
    are told."""
    locked = {p.pk: p for p in Post.objects.select_for_update().filter(pk__in=[post.pk, into.pk])}
    post, into = locked.get(post.pk), locked.get(into.pk)
    if into is None or post is None or post.pk == into.pk:
        raise DomainError(_("Choose another post to merge into."), field="into")
    if post.status == S.MERGED:
        raise InvalidTransitionError(_("This post was already merged."))
    if into.status == S.MERGED:
        raise DomainError(
            _("That post was itself merged; choose the post it went into."), field="into"
        )
    _tell_followers_after = list(Vote.objects.filter(post=post).values_list("user_id", flat=True))
    already = Vote.objects.filter(post=into).values("user_id")
    moving = Vote.objects.filter(post=post).exclude(user_id__in=already)
    moving.update(post=into)
    Vote.objects.filter(post=post).delete()
    Post.objects.filter(merged_into=post).update(merged_into=into)
    for target in (post, into):
        count = Vote.objects.filter(post=target).aggregate(n=Count("id"))["n"]
        Post.objects.filter(pk=target.pk).update(vote_count=count)
    post.status = S.MERGED
    post.merged_into = into
    post.vote_count = 0
    post.save(update_fields=["status", "merged_into", "vote_count", "updated_at"])
    event_record(
        actor=actor,
        verb="board.merged",
        target=post,
        partner=post.partner,
        after={"title": post.title, "into": into.title},
    )
    users = [
        v.user
        for v in Vote.objects.filter(post=into, user_id__in=_tell_followers_after).select_related(
            "user"
        )
    ]
    if post.author_id:
        users.insert(0, post.author)
    notify(
        users=[u for u in users if u.pk != actor.pk],
        category=Category.COMMUNITY,
        template="engagement/email/post_status",
        context={
            "title": post.title,
            "status_label": post.get_status_display(),
            "reason": into.title,
        },
        url=_url(into),
        channels=False,
    )
    return post


@transaction.atomic
def post_hide(*, actor, post: Post, reason: str) -> Post:
    """Vendor staff hide a post from the board with a reason only its organisation sees."""
    reason = _text(reason, field="reason", limit=2000)
    post = Post.objects.select_for_update().get(pk=post.pk)
    if post.is_hidden:
        raise InvalidTransitionError(_("This post is already hidden."))
    post.hidden_at = timezone.now()
    post.hidden_reason = reason
    post.save(update_fields=["hidden_at", "hidden_reason", "updated_at"])
    event_record(
        actor=actor,
        verb="board.hidden",
        target=post,
        partner=post.partner,
        after={"title": post.title},
        reason=reason,
    )
    if post.author_id:
        notify(
            users=[post.author],
            category=Category.COMMUNITY,
            template="engagement/email/post_hidden",
            context={"title": post.title, "reason": reason},
            url=_url(post),
            partner=post.partner,
            channels=False,
        )
    return post


@transaction.atomic
def post_unhide(*, actor, post: Post) -> Post:
    post = Post.objects.select_for_update().get(pk=post.pk)
    if not post.is_hidden:
        raise InvalidTransitionError(_("This post is not hidden."))
    post.hidden_at = None
    post.hidden_reason = ""
    post.save(update_fields=["hidden_at", "hidden_reason", "updated_at"])
    event_record(
        actor=actor,
        verb="board.shown",
        target=post,
        partner=post.partner,
        after={"title": post.title},
    )
    return post
