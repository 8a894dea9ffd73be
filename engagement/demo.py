"""Demo pulse and board for seed_demo: a quarter of pulse answers (one low score, which puts an
action item on the partner's next review) and a lively board (ideas and questions, votes,
comments, vendor answers, every status, a merged duplicate and a hidden post). Written through
the services, so counts, history and notifications agree. Idempotent."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from partners.models import Membership, Partner

from .board_services import (
    comment_add,
    post_create,
    post_hide,
    post_merge,
    post_status_set,
    post_vote_toggle,
)
from .defaults import defaults_ensure
from .models import BoardCategory, Post, PulseResponse
from .pulse import quarter_of, quarters_back
from .pulse_services import pulse_submit

# (recommend, pricing, payouts, communication, support, training, comment) per partner, by the
# order of partner codes; the previous quarter first, then this one.
PULSE = [
    [
        (8, 4, 5, 4, 4, 3, "Payouts arrive on time; the price-change notices help our quotes."),
        (5, 3, 2, 3, 3, 4, "Two statements needed corrections this quarter."),
    ],
    [
        (9, 5, 5, 4, 5, 4, "The new commission breakdown answers our finance team's questions."),
        (4, 2, 2, 3, 2, 3, "Price protection took too long to decide; we lost a tender."),
    ],
]

POSTS = [
    # (partner index, kind, category, title, body, status, reason)
    (
        0,
        "idea",
        "portal",
        "Export the price sheet as PDF in Chinese",
        "Our resellers want a printable price sheet with the Chinese product names.",
        "planned",
        "",
    ),
    (
        1,
        "idea",
        "pricing",
        "Quarterly rebate for multi-year renewals",
        "A rebate on renewals of three years or more would help us defend the installed base.",
        "under_review",
        "",
    ),
    (
        0,
        "question",
        "products",
        "When does the 48-port switch ship with PoE++?",
        "Customers ask for PoE++ on the 48-port model for Wi-Fi 7 access points.",
        "done",
        "",
    ),
    (
        1,
        "idea",
        "marketing",
        "Co-branded case study template",
        "A template in both languages would save us a week per case study.",
        "open",
        "",
    ),
    (
        0,
        "idea",
        "portal",
        "Show deal protection end dates in the deal list",
        "We need to see at a glance which registrations are about to expire.",
        "open",
        "",
    ),
    (
        1,
        "idea",
        "pricing",
        "Free shipping on orders above a threshold",
        "Small orders cost us more in freight than margin.",
        "declined",
        "Freight is priced per region; the logistics team will publish the regional table instead.",
    ),
]


def seed_demo_pulse() -> None:
    defaults_ensure()
    today = timezone.localdate()
    previous, current = quarters_back(quarter_of(today), 2)
    admins = {
        m.partner_id: m.user
        for m in Membership.objects.filter(
            role=Membership.Role.ADMIN, is_active=True, partner__status=Partner.Status.ACTIVE
        )
        .select_related("user")
        .order_by("partner__code", "user__email")
    }
    partners = list(Partner.objects.filter(pk__in=admins).order_by("code"))
    for index, partner in enumerate(partners):
        answers = PULSE[index % len(PULSE)]
        for quarter, row in ((previous, answers[0]), (current, answers[1])):
            if PulseResponse.objects.filter(partner=partner, quarter=quarter).exists():
                continue
            day = today if quarter == current else today - dt.timedelta(days=92)
            recommend, pricing, payouts, communication, support, training, comment = row
            pulse_submit(
                actor=admins[partner.pk],
                partner=partner,
                answers={
                    "recommend": recommend,
                    "pricing": pricing,
                    "payouts": payouts,
                    "communication": communication,
                    "support": support,
                    "training": training,
                    "comments": comment,
                },
                today=day,
            )


def _members(partner: Partner) -> list:
    return [
        m.user
        for m in Membership.objects.filter(partner=partner, is_active=True)
        .select_related("user")
        .order_by("user__email")
    ]


def seed_demo_board() -> None:
    defaults_ensure()
    if Post.objects.exists():
        return
    partners = [
        p
        for p in Partner.objects.filter(status=Partner.Status.ACTIVE).order_by("code")
        if _members(p)
    ]
    if not partners:
        return
    vendor = get_user_model().objects.filter(vendor_role="admin").order_by("pk").first()
    categories = {c.code: c for c in BoardCategory.objects.all()}
    posts = []
    for index, kind, category, title, body, status, reason in POSTS:
        partner = partners[index % len(partners)]
        author = _members(partner)[0]
        post = post_create(
            actor=author,
            partner=partner,
            kind=kind,
            category=categories[category],
            title=title,
            body=body,
        )
        posts.append(post)
        for other in partners:
            for user in _members(other)[: 1 + len(posts) % 3]:
                post_vote_toggle(actor=user, partner=other, post=post)
        commenter = partners[(index + 1) % len(partners)]
        comment_add(
            actor=_members(commenter)[0],
            partner=commenter,
            post=post,
            body="We would use this too.",
            vendor=False,
        )
        if vendor is not None and status != "open":
            comment_add(
                actor=vendor,
                partner=None,
                post=post,
                body="Thank you: the product team is looking at it.",
                vendor=True,
            )
            if status == "done":
                post_status_set(actor=vendor, post=post, status="planned")
            post_status_set(actor=vendor, post=post, status=status, reason=reason)
    if vendor is None:
        return
    duplicate = post_create(
        actor=_members(partners[-1])[0],
        partner=partners[-1],
        kind="idea",
        category=categories["portal"],
        title="Printable price list",
        body="A PDF price list for resellers.",
    )
    post_vote_toggle(actor=_members(partners[0])[-1], partner=partners[0], post=duplicate)
    post_merge(actor=vendor, post=duplicate, into=posts[0])
    hidden = post_create(
        actor=_members(partners[0])[-1],
        partner=partners[0],
        kind="question",
        category=categories["pricing"],
        title="Why did a competitor get a better price on the Chen Hospital tender?",
        body="Another distributor quoted 10% below our net price.",
    )
    post_hide(
        actor=vendor,
        post=hidden,
        reason="It names a customer and another distributor; please open a case instead.",
    )
