"""Statement lifecycle: draft → approved → paid. Approved and paid statements never change."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.models import Membership, Partner
from prm.core.errors import DomainError, InvalidTransitionError
from prm.core.events import event_record
from prm.core.money import quantize
from prm.notifications.models import Category
from prm.notifications.services import notify

from .. import periods
from ..models import Adjustment, Statement
from .bank import bank_details_current
from .recompute import recompute_request_create


@transaction.atomic
def statement_approve(*, statement: Statement, actor) -> Statement:
    """Freeze a draft. The row lock serialises this with any recompute of the same statement."""
    statement = Statement.objects.select_for_update().get(pk=statement.pk)
    if statement.status != Statement.Status.DRAFT:
        raise InvalidTransitionError(_("Only a draft statement can be approved."))
    if statement.computed_at is None:
        raise DomainError(_("The statement has not been computed yet."))
    predecessor = statement_draft_predecessor(statement=statement)
    if predecessor is not None:
        raise DomainError(
            _(
                "The statement of %(period)s is still a draft: approve it first, as a negative "
                "total there is carried into this statement."
            )
            % {"period": predecessor.period}
        )
    statement.status = Statement.Status.APPROVED
    statement.approved_at = timezone.now()
    statement.approved_by = actor
    statement.bank_details = bank_details_current(partner=statement.partner)
    statement.save(
        update_fields=["status", "approved_at", "approved_by", "bank_details", "updated_at"]
    )
    event_record(
        actor=actor,
        verb="statement.approved",
        target=statement,
        partner=statement.partner,
        after={
            "period": statement.period,
            "total": statement.total,
            "currency": statement.currency,
        },
    )
    _notify_partner(statement, "statement_approved", with_pdf=True)
    return statement


def statement_draft_predecessor(*, statement: Statement) -> Statement | None:
    """The partner's statement just before this one when it is still a draft and its plan
    carries negative totals forward (so this statement's first line may still change)."""
    from .compute import _statement_plan, plan_segments

    previous = (
        Statement.objects.filter(
            partner_id=statement.partner_id, period_end__lt=statement.period_start
        )
        .order_by("-period_end")
        .first()
    )
    if previous is None or previous.status != Statement.Status.DRAFT:
        return None
    segments = plan_segments([statement.partner_id]).get(statement.partner_id, [])
    plan = _statement_plan(segments, periods.parse(previous.period))
    if plan is None or not plan.carry_forward:
        return None
    return previous


@transaction.atomic
def statement_mark_paid(*, statement: Statement, actor, reference: str = "") -> Statement:
    statement = Statement.objects.select_for_update().get(pk=statement.pk)
    if statement.status != Statement.Status.APPROVED:
        raise InvalidTransitionError(_("Only an approved statement can be marked paid."))
    statement.status = Statement.Status.PAID
    statement.paid_at = timezone.now()
    statement.paid_by = actor
    statement.payment_reference = reference.strip()[:64]
    statement.save(
        update_fields=["status", "paid_at", "paid_by", "payment_reference", "updated_at"]
    )
    event_record(
        actor=actor,
        verb="statement.paid",
        target=statement,
        partner=statement.partner,
        after={"period": statement.period, "reference": statement.payment_reference},
    )
    _notify_partner(statement, "statement_paid")
    return statement


def _notify_partner(statement: Statement, template: str, *, with_pdf: bool = False) -> None:
    """The partner's admin and finance users hear of it (sales users do not see payouts). With
    `with_pdf`, each email carries the statement PDF in its reader's language."""
    followers = Membership.objects.filter(
        partner_id=statement.partner_id,
        role__in=[Membership.Role.ADMIN, Membership.Role.FINANCE],
        is_active=True,
    ).select_related("user")
    users = [membership.user for membership in followers]
    by_language: dict[str, list] = {}
    if with_pdf:
        for user in users:
            by_language.setdefault(user.language or settings.LANGUAGE_CODE, []).append(user)
    else:
        by_language[""] = users
    for index, (language, group) in enumerate(sorted(by_language.items())):
        attachments = []
        if language:
            from ..statement_pdf import statement_filename, statement_pdf

            attachments = [
                (
                    statement_filename(statement, language=language),
                    statement_pdf(statement, language=language),
                    "application/pdf",
                )
            ]
        notify(
            users=group,
            category=Category.PAYOUTS,
            template=f"commissions/email/{template}",
            context={"statement": statement},
            url=reverse("statement_detail", kwargs={"pk": statement.pk}),
            partner=statement.partner,
            attachments=attachments,
            channels=index == 0,
        )


ACKNOWLEDGE_ROLES = (Membership.Role.ADMIN, Membership.Role.FINANCE)


@transaction.atomic
def statement_acknowledge(*, statement: Statement, actor) -> Statement:
    """The partner confirms it has received an approved (or paid) statement. Once is enough: a
    second acknowledgement keeps the first one's who and when."""
    statement = Statement.objects.select_for_update().get(pk=statement.pk)
    if statement.status == Statement.Status.DRAFT:
        raise InvalidTransitionError(_("Only an approved statement can be acknowledged."))
    if not Membership.objects.filter(
        partner_id=statement.partner_id, user=actor, role__in=ACKNOWLEDGE_ROLES, is_active=True
    ).exists():
        raise DomainError(_("Only the partner's admins and finance users acknowledge statements."))
    if statement.acknowledged_at is not None:
        return statement
    statement.acknowledged_at = timezone.now()
    statement.acknowledged_by = actor
    statement.save(update_fields=["acknowledged_at", "acknowledged_by", "updated_at"])
    event_record(
        actor=actor,
        verb="statement.acknowledged",
        target=statement,
        partner=statement.partner,
        after={"period": statement.period},
    )
    return statement


@transaction.atomic
def adjustment_create(
    *,
    partner: Partner,
    amount: Decimal,
    reason: str,
    actor,
    corrects: Statement | None = None,
    source_label: str = "",
    source_url: str = "",
) -> Adjustment:
    """A correction for the partner's next draft statement, recomputed at once."""
    if not reason.strip():
        raise DomainError(_("Give the reason for the adjustment."), field="reason")
    if amount == 0:
        raise DomainError(_("An adjustment needs a non-zero amount."), field="amount")
    adjustment = Adjustment(
        partner=partner,
        amount=quantize(amount, partner.currency),
        currency=partner.currency,
        reason=reason.strip(),
        corrects=corrects,
        source_label=source_label,
        source_url=source_url,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    adjustment.full_clean()
    adjustment.save()
    event_record(
        actor=actor,
        verb="adjustment.created",
        target=adjustment,
        partner=partner,
        after={
            "amount": adjustment.amount,
            "currency": adjustment.currency,
            "corrects": corrects.period if corrects else None,
        },
        reason=adjustment.reason,
    )
    recompute_request_create(
        period=periods.month_of(timezone.localdate()), partner=partner, reason="adjustment"
    )
    return adjustment
