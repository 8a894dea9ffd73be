"""Tiers that move by rule: the nightly moves, the vendor's decision on a promotion, and the reads
of the review queue and of "what you need for the next tier".

Each night every partner is evaluated (`enablement.tiers`). A partner that qualifies above its
tier gets one pending promotion, which takes effect when vendor staff approve it. A partner
that qualifies below its tier gets a notice: the demotion takes effect `demotion_notice_days`
later only if it still does not qualify then, and moves it down one rank. A partner that meets
its tier's requirements again before that date has its notice cancelled. Each step is an event
in the partner's history and a notification; the whole run takes the same number of queries
whatever the number of partners.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.models import Membership, Partner, Tier
from partners.selectors import partner_visible_queryset
from prm.core.errors import DomainError, InvalidTransitionError
from prm.core.events import event_record
from prm.core.models import Event
from prm.notifications.models import Category
from prm.notifications.services import Message, notify_many

from .models import TierChange, TierPolicy
from .tiers import Assessment, tier_assessments

# A promotion vendor staff rejected is not proposed again for this long (the same move, from
# the same tier to the same tier), so a rejection is not undone by the next night's run.
REJECTION_QUIET_DAYS = 90
# Only active partners move: a prospect or onboarding partner has the tier it was given, and a
# suspended or terminated one keeps what it had (an open change waits for it).
MOVING = [Partner.Status.ACTIVE]
# Tier news is told under the category partners already follow for their standing.
CATEGORY = Category.RECOGNITION
OPEN = TierChange.OPEN_STATUSES
Status = TierChange.Status
Direction = TierChange.Direction


def tier_policy_get() -> TierPolicy:
    """The program's tier policy, or the default one when the program file set none."""
    return TierPolicy.objects.order_by("pk").first() or TierPolicy()


def _evidence(on: dt.date, assessment: Assessment, requirements: list[dict]) -> dict[str, Any]:
    """What a proposal rests on: the evaluation of the day and the requirements of the tier
    concerned (the proposed tier for a promotion, the current one for a demotion)."""
    return {
        "evaluated_on": on.isoformat(),
        "revenue_12m": assessment.result["revenue_12m"],
        "qualified": assessment.result["qualified"],
        "requirements": requirements,
        "evaluation": assessment.result,
    }


def _tier_names(change: TierChange) -> dict[str, str]:
    source, target = change.from_tier, change.to_tier
    return {
        "from_tier": source.name if source else "",
        "local_from_tier": source.local_name if source else "",
        "to_tier": target.name,
        "local_to_tier": target.local_name,
    }


def _event(verb: str, change: TierChange, *, actor=None, reason: str = "") -> Event:
    """An unsaved event about `change`, filed under its partner (the nightly run writes its
    events in one statement)."""
    after: dict[str, Any] = _tier_names(change)
    if change.effective_on is not None:
        after["effective_on"] = change.effective_on.isoformat()
    return Event(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        verb=verb,
        target_type=ContentType.objects.get_for_model(TierChange),
        target_id=str(change.pk),
        partner_id=change.partner_id,
        before={},
        after=after,
        reason=reason,
    )


def _step(change: TierChange, verb: str) -> tuple[TierChange, str]:
    """A change and the verb its event will record."""
    return change, verb


@dataclass
class _Run:
    """What one nightly run decided, written in a fixed number of statements."""

    on: dt.date
    now: dt.datetime
    notice_days: int
    closed: list[tuple[TierChange, str]] = field(default_factory=list)
    applied: list[TierChange] = field(default_factory=list)
    refreshed: list[TierChange] = field(default_factory=list)
    created: list[tuple[TierChange, str]] = field(default_factory=list)

    def close(self, change: TierChange) -> None:
        """Cancel an open change: a notice whose partner qualifies again, or a promotion
        the partner no longer qualifies for (or whose starting tier is no longer the
        partner's)."""
        change.status = Status.CANCELLED
        change.decided_at = self.now
        self.closed.append(
            _step(
                change,
                "tier.demotion_cancelled"
                if change.direction == Direction.DEMOTE
                else "tier.promotion_withdrawn",
            )
        )

    def refresh(self, change: TierChange, *, to_tier: Tier, evidence: dict) -> None:
        if change.to_tier_id != to_tier.pk or change.evidence != evidence:
            change.to_tier = to_tier
            change.evidence = evidence
            self.refreshed.append(change)

    def propose(self, assessment: Assessment) -> None:
        partner = assessment.partner
        change = TierChange(
            partner=partner,
            direction=Direction.PROMOTE,
            status=Status.PENDING,
            from_tier=partner.tier,
            to_tier=assessment.qualified,
            proposed_on=self.on,
            evidence=_evidence(self.on, assessment, assessment.qualified_gaps),
        )
        self.created.append(_step(change, "tier.promotion_proposed"))

    def give_notice(self, assessment: Assessment) -> None:
        partner = assessment.partner
        change = TierChange(
            partner=partner,
            direction=Direction.DEMOTE,
            status=Status.NOTICED,
            from_tier=partner.tier,
            to_tier=assessment.tier_below,
            proposed_on=self.on,
            effective_on=self.on + dt.timedelta(days=self.notice_days),
            evidence=_evidence(self.on, assessment, assessment.current_gaps),
        )
        self.created.append(_step(change, "tier.demotion_notified"))

    def demote(self, change: TierChange, assessment: Assessment) -> None:
        change.status = Status.APPLIED
        change.decided_at = self.now
        change.evidence = _evidence(self.on, assessment, assessment.current_gaps)
        assessment.partner.tier = change.to_tier
        self.applied.append(change)


def _decide(run: _Run, assessment: Assessment, change: TierChange | None, quiet: set) -> None:
    """The rule for one partner, given its open change (if any)."""
    partner = assessment.partner
    proposal = assessment.result["proposal"]
    if assessment.qualified is None and assessment.tier_below is not None:
        # No tier's requirements hold, not even the current one's: down one rank after notice.
        proposal = "demote"
    if change is not None and change.from_tier_id != partner.tier_id:
        # The tier was changed by hand since: what was open no longer applies.
        run.close(change)
        change = None
    if change is not None and (
        proposal == "keep"
        or (proposal == "promote" and change.direction == Direction.DEMOTE)
        or (proposal == "demote" and change.direction == Direction.PROMOTE)
    ):
        run.close(change)
        change = None
    if proposal == "promote":
        evidence = _evidence(run.on, assessment, assessment.qualified_gaps)
        if change is not None:
            run.refresh(change, to_tier=assessment.qualified, evidence=evidence)
        elif (partner.pk, partner.tier_id, assessment.qualified.pk) not in quiet:
            run.propose(assessment)
    elif proposal == "demote" and assessment.tier_below is not None:
        if change is None:
            run.give_notice(assessment)
        elif change.effective_on <= run.on:
            run.demote(change, assessment)
        else:
            evidence = _evidence(run.on, assessment, assessment.current_gaps)
            run.refresh(change, to_tier=change.to_tier, evidence=evidence)


def _scope(partners) -> Q:
    return Q() if partners is None else Q(partner__in=[p.pk for p in partners])


@transaction.atomic
def tier_moves_apply(*, on: dt.date | None = None, partners=None) -> dict[str, int]:
    """Evaluate every active partner (or the given ones) on `on` and move tiers by rule: propose
    promotions, give demotion notices, apply notices whose date has come, cancel what no
    longer holds. Safe to run twice: the partners are locked first, and a second run finds
    the open changes the first one made. Returns how many of each step it took."""
    on = on or timezone.localdate()
    partner_rows = Partner.objects.select_for_update().filter(status__in=MOVING).order_by("pk")
    if partners is not None:
        partner_rows = partner_rows.filter(pk__in=[p.pk for p in partners])
    list(partner_rows.values_list("pk", flat=True))
    assessments = tier_assessments(on=on, partners=partners, statuses=MOVING)
    run = _Run(on=on, now=timezone.now(), notice_days=tier_policy_get().demotion_notice_days)
    open_changes = {
        change.partner_id: change
        for change in TierChange.objects.filter(
            _scope(partners), status__in=OPEN, partner__status__in=MOVING
        ).select_related("partner", "from_tier", "to_tier")
    }
    quiet = set(
        TierChange.objects.filter(
            _scope(partners),
            direction=Direction.PROMOTE,
            status=Status.REJECTED,
            decided_at__date__gte=on - dt.timedelta(days=REJECTION_QUIET_DAYS),
        ).values_list("partner_id", "from_tier_id", "to_tier_id")
    )
    for assessment in assessments:
        _decide(run, assessment, open_changes.get(assessment.partner.pk), quiet)
    _write(run, assessments)
    return {
        "proposed": sum(1 for _c, verb in run.created if verb == "tier.promotion_proposed"),
        "noticed": sum(1 for _c, verb in run.created if verb == "tier.demotion_notified"),
        "demoted": len(run.applied),
        "cancelled": len(run.closed),
        "refreshed": len(run.refreshed),
    }


def _write(run: _Run, assessments: list[Assessment]) -> None:
    if run.closed:
        TierChange.objects.filter(pk__in=[c.pk for c, _verb in run.closed]).update(
            status=Status.CANCELLED, decided_at=run.now, updated_at=run.now
        )
    if run.applied:
        for change in run.applied:
            change.updated_at = run.now
        TierChange.objects.bulk_update(
            run.applied, ["status", "decided_at", "evidence", "updated_at"]
        )
        moved_ids = {c.partner_id for c in run.applied}
        moved = [a.partner for a in assessments if a.partner.pk in moved_ids]
        for partner in moved:
            partner.updated_at = run.now
        Partner.objects.bulk_update(moved, ["tier", "updated_at"])
    if run.refreshed:
        for change in run.refreshed:
            change.updated_at = run.now
        TierChange.objects.bulk_update(run.refreshed, ["to_tier", "evidence", "updated_at"])
    if run.created:
        TierChange.objects.bulk_create([c for c, _verb in run.created])
    events = [
        *(_event(verb, change) for change, verb in run.closed),
        *(_event("tier.demoted", change) for change in run.applied),
        *(_event(verb, change) for change, verb in run.created),
    ]
    Event.objects.bulk_create(events)
    _tell(run)


# Telling people ---------------------------------------------------------------------------


def _members_by_partner(partner_ids: set[int]) -> dict[int, list[Membership]]:
    members: dict[int, list[Membership]] = defaultdict(list)
    if not partner_ids:
        return members
    for membership in Membership.objects.filter(
        partner_id__in=partner_ids, is_active=True, user__is_active=True
    ).select_related("user"):
        members[membership.partner_id].append(membership)
    return members


def _vendor_contacts(changes: list[TierChange]) -> dict[int, list[Any]]:
    """Who on the vendor side hears of each partner's proposal: its account manager, else
    every vendor admin (two queries at most, whatever the number of partners)."""
    user_model = get_user_model()
    manager_ids = {c.partner.account_manager_id for c in changes} - {None}
    managers = {u.pk: u for u in user_model.objects.filter(pk__in=manager_ids, is_active=True)}
    admins: list[Any] | None = None
    out: dict[int, list[Any]] = {}
    for change in changes:
        manager = managers.get(change.partner.account_manager_id)
        if manager is None and admins is None:
            admins = list(
                user_model.objects.filter(vendor_role=user_model.VendorRole.ADMIN, is_active=True)
            )
        out[change.partner_id] = [manager] if manager is not None else list(admins or [])
    return out


def _context(change: TierChange) -> dict[str, Any]:
    partner = change.partner
    return {
        "partner": partner,
        "change": change,
        "from_tier": change.from_tier,
        "to_tier": change.to_tier,
        "effective_on": change.effective_on,
        "missing": [
            row
            for row in gap_rows(change.evidence.get("requirements", []), partner.currency)
            if not row.met
        ],
        "reason": change.reason,
    }


def _tell(run: _Run) -> None:
    """One batch of notifications for the whole run: the partner's admins hear of notices and
    cancelled notices, all its members of an applied demotion, vendor contacts of proposals."""
    partner_side = [
        *((change, verb) for change, verb in run.closed if verb == "tier.demotion_cancelled"),
        *((change, "tier.demoted") for change in run.applied),
        *((change, verb) for change, verb in run.created if verb == "tier.demotion_notified"),
    ]
    members = _members_by_partner({change.partner_id for change, _verb in partner_side})
    messages = []
    for change, verb in partner_side:
        everyone = verb == "tier.demoted"
        users = [
            m.user
            for m in members.get(change.partner_id, [])
            if everyone or m.role == Membership.Role.ADMIN
        ]
        messages.append(
            Message(
                users=users,
                template=f"enablement/email/{verb.replace('.', '_')}",
                context=_context(change),
                url=reverse("tier_next"),
                partner=change.partner,
            )
        )
    proposals = [c for c, verb in run.created if verb == "tier.promotion_proposed"]
    contacts = _vendor_contacts(proposals) if proposals else {}
    messages.extend(
        Message(
            users=contacts.get(change.partner_id, []),
            template="enablement/email/tier_promotion_proposed",
            context=_context(change),
            url=reverse("tier_review_list"),
            partner=change.partner,
        )
        for change in proposals
    )
    if messages:
        notify_many(messages=messages, category=CATEGORY)


# Vendor decisions -------------------------------------------------------------------------


def _decide_promotion(*, change: TierChange, actor, status: str, reason: str) -> TierChange:
    """Close a pending promotion with a guarded update: of two decisions at once, one wins and
    the other is told it was already decided. The partner row is locked first, in the order
    the nightly run takes its locks."""
    if not getattr(actor, "is_vendor_staff", False):
        raise DomainError(_("Only vendor staff decide on tier promotions."))
    Partner.objects.select_for_update().filter(pk=change.partner_id).values_list("pk").first()
    now = timezone.now()
    won = TierChange.objects.filter(
        pk=change.pk, status=Status.PENDING, direction=Direction.PROMOTE
    ).update(status=status, decided_by=actor, decided_at=now, reason=reason, updated_at=now)
    if not won:
        raise InvalidTransitionError(_("This promotion was already decided."))
    return TierChange.objects.select_related("partner", "from_tier", "to_tier").get(pk=change.pk)


@transaction.atomic
def tier_promotion_approve(*, change: TierChange, actor, reason: str = "") -> TierChange:
    """Approve a pending promotion: the partner moves to the proposed tier at once, the move is
    in its history and every member of the partner is told."""
    change = _decide_promotion(
        change=change, actor=actor, status=Status.APPLIED, reason=reason.strip()
    )
    partner = change.partner
    if partner.tier_id != change.from_tier_id:
        raise InvalidTransitionError(
            _("The partner's tier changed since this promotion was proposed.")
        )
    partner.tier = change.to_tier
    partner.save(update_fields=["tier", "updated_at"])
    event_record(
        actor=actor,
        verb="tier.promotion_approved",
        target=change,
        partner=partner,
        after=_tier_names(change),
        reason=change.reason,
    )
    members = _members_by_partner({partner.pk}).get(partner.pk, [])
    notify_many(
        messages=[
            Message(
                users=[m.user for m in members],
                template="enablement/email/tier_promotion_approved",
                context=_context(change),
                url=reverse("tier_next"),
                partner=partner,
            )
        ],
        category=CATEGORY,
    )
    return change


@transaction.atomic
def tier_promotion_reject(*, change: TierChange, actor, reason: str) -> TierChange:
    """Reject a pending promotion with a reason the partner's admins read; the same move is not
    proposed again for REJECTION_QUIET_DAYS."""
    if not reason.strip():
        raise DomainError(_("Give a reason the partner will see."), field="reason")
    change = _decide_promotion(
        change=change, actor=actor, status=Status.REJECTED, reason=reason.strip()
    )
    event_record(
        actor=actor,
        verb="tier.promotion_rejected",
        target=change,
        partner=change.partner,
        after=_tier_names(change),
        reason=change.reason,
    )
    admins = [
        m.user
        for m in _members_by_partner({change.partner_id}).get(change.partner_id, [])
        if m.role == Membership.Role.ADMIN
    ]
    notify_many(
        messages=[
            Message(
                users=admins,
                template="enablement/email/tier_promotion_rejected",
                context=_context(change),
                url=reverse("tier_next"),
                partner=change.partner,
            )
        ],
        category=CATEGORY,
    )
    return change


# Reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GapRow:
    """One requirement as pages show it: which, required against actual, met, and how far
    along (0-100) for the progress bar."""

    kind: str  # revenue, certification, incidents
    code: str
    required: str
    actual: str
    met: bool
    percent: int
    currency: str = ""


def _percent(kind: str, required: Decimal, actual: Decimal, met: bool) -> int:
    if met:
        return 100
    if kind == "incidents":
        # At most `required` open incidents: how much of the allowance the actual ones fill.
        return int(required * 100 / actual) if actual else 100
    if required <= 0:
        return 100
    return max(0, min(99, int(actual * 100 / required)))


def gap_rows(gaps: list[dict], currency: str) -> list[GapRow]:
    """The evaluation's requirements (`gaps`) as rows for pages, emails and the API's readers."""
    rows = []
    for gap in gaps:
        requirement = gap["requirement"]
        if requirement == "revenue_12m":
            kind, code = "revenue", ""
        elif requirement.startswith("certifications:"):
            kind, code = "certification", requirement.split(":", 1)[1]
        else:
            kind, code = "incidents", ""
        try:
            required, actual = Decimal(gap["required"]), Decimal(gap["actual"])
        except (InvalidOperation, KeyError, TypeError):
            required = actual = Decimal("0")
        rows.append(
            GapRow(
                kind=kind,
                code=code,
                required=gap["required"],
                actual=gap["actual"],
                met=bool(gap["met"]),
                percent=_percent(kind, required, actual, bool(gap["met"])),
                currency=currency if kind == "revenue" else "",
            )
        )
    return rows


def tier_review_list(*, user) -> dict[str, list[TierChange]]:
    """Open tier changes of the partners `user` may see: pending promotions (oldest first) and
    demotion notices (soonest first). Two queries."""
    visible = partner_visible_queryset(user=user)
    rows = TierChange.objects.filter(partner__in=visible, status__in=OPEN).select_related(
        "partner", "from_tier", "to_tier"
    )
    promotions = list(rows.filter(status=Status.PENDING).order_by("proposed_on", "pk"))
    notices = list(rows.filter(status=Status.NOTICED).order_by("effective_on", "pk"))
    return {"promotions": promotions, "notices": notices}


def tier_change_get_pending(*, user, pk: int) -> TierChange:
    """A pending promotion of a partner `user` may see, or 404."""
    visible = partner_visible_queryset(user=user)
    change = (
        TierChange.objects.filter(partner__in=visible, pk=pk, direction=Direction.PROMOTE)
        .select_related("partner")
        .first()
    )
    if change is None:
        raise Http404
    return change


@dataclass
class NextTier:
    """What the "next tier" page shows for one partner."""

    partner: Partner
    evaluation: dict
    next_tier: Tier | None
    rows: list[GapRow]
    open_change: TierChange | None
    current_rows: list[GapRow]


def tier_next_get(*, partner: Partner, on: dt.date | None = None) -> NextTier:
    """The partner's evaluation today: each requirement of the tier above, and any open change
    (a promotion awaiting approval, or a demotion notice with what would stop it)."""
    on = on or timezone.localdate()
    [assessment] = tier_assessments(on=on, partners=[partner])
    result = assessment.result
    next_tier = (
        Tier.objects.filter(code=result["next_tier"]).first() if result["next_tier"] else None
    )
    open_change = (
        TierChange.objects.filter(partner=partner, status__in=OPEN)
        .select_related("from_tier", "to_tier")
        .first()
    )
    return NextTier(
        partner=assessment.partner,
        evaluation=result,
        next_tier=next_tier,
        rows=gap_rows(result["gaps"], partner.currency),
        open_change=open_change,
        current_rows=gap_rows(assessment.current_gaps, partner.currency),
    )
