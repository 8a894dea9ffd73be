"""Targets set jointly: one side proposes a monthly target, the other accepts or counters.

Every proposal stays in the thread. Once a proposal is accepted the target is agreed and no
longer changes.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from prm.core.errors import DomainError, InvalidTransitionError
from prm.core.events import event_record
from prm.core.money import quantize
from prm.notifications.models import Category

from ..models import PERIOD_VALIDATOR, Partner, Target, TargetProposal
from ..notifications import email_users, partner_admins, vendor_contacts
from ..periods import current_period


def target_side(actor) -> str:
    """Which side of the negotiation `actor` speaks for."""
    return TargetProposal.Side.VENDOR if actor.is_vendor_staff else TargetProposal.Side.PARTNER


def _check_amount(amount: Decimal, currency: str) -> Decimal:
    if not isinstance(amount, Decimal):
        raise TypeError("amount must be a Decimal")
    if amount <= 0:
        raise DomainError(_("The target must be more than zero."), field="amount")
    return quantize(amount, currency)


def _notify_other_side(proposal: TargetProposal, template: str) -> None:
    partner = proposal.target.partner
    users = (
        partner_admins(partner)
        if proposal.side == TargetProposal.Side.VENDOR
        else vendor_contacts(partner)
    )
    email_users(
        users=users,
        template=template,
        context={
            "partner": partner.code,
            "period": proposal.target.period,
            "amount": proposal.amount,
            "currency": proposal.target.currency,
            "note": proposal.note,
        },
        category=Category.TARGETS,
        url=reverse("target_list", kwargs={"code": partner.code}),
        partner=partner,
    )


@transaction.atomic
def target_propose(
    *, partner: Partner, period: str, amount: Decimal, actor, note: str = ""
) -> TargetProposal:
    """Open a negotiation for `period` (or continue one nobody has answered yet)."""
    try:
        PERIOD_VALIDATOR(period)
    except ValidationError as exc:
        raise DomainError(exc.messages[0], field="period") from exc
    if period < current_period():
        raise DomainError(_("Targets are set for this month or a later one."), field="period")
    amount = _check_amount(amount, partner.currency)
    target, _created = Target.objects.get_or_create(
        partner=partner, period=period, defaults={"currency": partner.currency}
    )
    target = Target.objects.select_for_update().get(pk=target.pk)
    if target.status == Target.Status.AGREED:
        raise InvalidTransitionError(
            _("The target for %(period)s is already agreed.") % {"period": period}
        )
    side = target_side(actor)
    open_proposal = target.proposals.filter(status=TargetProposal.Status.OPEN).first()
    if open_proposal is not None:
        if open_proposal.side == side:
            raise DomainError(_("Your proposal for this period is waiting for an answer."))
        raise DomainError(_("Answer the other side's proposal for this period first."))
    proposal = TargetProposal(
        target=target,
        side=side,
        amount=amount,
        note=note.strip(),
        proposed_by=actor,
    )
    proposal.full_clean()
    proposal.save()
    event_record(
        actor=actor,
        verb="target.proposed",
        target=target,
        partner=partner,
        after={"period": period, "amount": amount, "currency": target.currency, "side": side},
        reason=proposal.note,
    )
    _notify_other_side(proposal, "target_proposed")
    return proposal


def _lock_open(proposal: TargetProposal, actor) -> TargetProposal:
    Target.objects.select_for_update().get(pk=proposal.target_id)
    locked = TargetProposal.objects.select_related("target__partner").get(pk=proposal.pk)
    if locked.status != TargetProposal.Status.OPEN:
        raise InvalidTransitionError(_("This proposal was already answered."))
    if target_side(actor) == locked.side:
        raise DomainError(_("The other side answers your proposal."))
    return locked


@transaction.atomic
def target_proposal_accept(*, proposal: TargetProposal, actor) -> Target:
    """Accept the other side's proposal: the target is agreed at its amount."""
    proposal = _lock_open(proposal, actor)
    now = timezone.now()
    proposal.status = TargetProposal.Status.ACCEPTED
    proposal.responded_by = actor
    proposal.responded_at = now
    proposal.save(update_fields=["status", "responded_by", "responded_at"])
    target = proposal.target
    target.amount = proposal.amount
    target.status = Target.Status.AGREED
    target.agreed_at = now
    target.full_clean()
    target.save(update_fields=["amount", "status", "agreed_at", "updated_at"])
    event_record(
        actor=actor,
        verb="target.agreed",
        target=target,
        partner=target.partner,
        after={"period": target.period, "amount": target.amount, "currency": target.currency},
    )
    email_users(
        users=[proposal.proposed_by],
        template="target_agreed",
        context={
            "partner": target.partner.code,
            "period": target.period,
            "amount": target.amount,
            "currency": target.currency,
        },
        category=Category.TARGETS,
        url=reverse("target_list", kwargs={"code": target.partner.code}),
        partner=target.partner,
    )
    return target


@transaction.atomic
def target_proposal_counter(
    *, proposal: TargetProposal, actor, amount: Decimal, note: str = ""
) -> TargetProposal:
    """Answer the other side's proposal with another amount; the thread keeps both."""
    proposal = _lock_open(proposal, actor)
    target = proposal.target
    amount = _check_amount(amount, target.currency)
    proposal.status = TargetProposal.Status.COUNTERED
    proposal.responded_by = actor
    proposal.responded_at = timezone.now()
    proposal.save(update_fields=["status", "responded_by", "responded_at"])
    counter = TargetProposal(
        target=target,
        side=target_side(actor),
        amount=amount,
        note=note.strip(),
        proposed_by=actor,
    )
    counter.full_clean()
    counter.save()
    event_record(
        actor=actor,
        verb="target.countered",
        target=target,
        partner=target.partner,
        before={"amount": proposal.amount},
        after={"period": target.period, "amount": amount, "currency": target.currency},
        reason=counter.note,
    )
    _notify_other_side(counter, "target_proposed")
    return counter
