"""Writes of the funds app. Each service runs in one transaction, locks the row whose state it
changes before reading that state, and records an event.

The rules (spec "funds"): a request's amount is at most planned cost × share % (rounded half-up)
and at most the budget's available balance; its dates lie inside the fund's. Vendor staff approve
an amount up to the requested one, or reject with a reason. A claim comes after the activity's end
and by its deadline (end + claim days), with the actual cost and at least one file; its
reimbursement is min(approved amount, actual cost × share % rounded half-up). An approved claim
settles the request and becomes an adjustment on the partner's next draft statement; a returned
one may be corrected and submitted again before the deadline. An approved request with no
approved claim by its deadline expires (unless a claim submitted in time awaits review)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from decimal import Decimal

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from commissions.services.statements import adjustment_create
from disputes.uploads import attachment_check
from partners.models import Membership, Partner
from partners.selectors import partner_vendor_staff
from prm.core.errors import DomainError, InvalidTransitionError
from prm.core.events import event_record
from prm.core.money import format_amount, format_percent, quantize
from prm.notifications.models import Category
from prm.notifications.services import notify

from .models import Fund, FundBudget, FundClaim, FundClaimFile, FundReminder, FundRequest
from .selectors import budget_balance

R = FundRequest.Status
C = FundClaim.Status
REMINDER_DAYS = (14, 3)
MAX_FILES = 10


def share_of(cost: Decimal, budget: FundBudget) -> Decimal:
    """cost × the fund's share %, rounded half-up to the budget's currency."""
    return quantize(cost * budget.fund.share / Decimal(100), budget.currency)


def request_url(request: FundRequest) -> str:
    return reverse("fund_request_detail", kwargs={"pk": request.pk})


# Budgets


def fund_partners(fund: Fund) -> list[Partner]:
    if fund.partner_id:
        return [fund.partner]
    return list(Partner.objects.filter(tier_id=fund.tier_id).order_by("pk"))


@transaction.atomic
def fund_budgets_sync(fund: Fund) -> dict[str, int]:
    """Give each partner the fund names (the partner, or every partner of the tier) its budget of
    the fund's amount; budgets of partners no longer named are kept if they hold requests and
    removed otherwise."""
    counts = {"created": 0, "updated": 0, "unchanged": 0, "removed": 0}
    partners = fund_partners(fund)
    existing = {b.partner_id: b for b in FundBudget.objects.filter(fund=fund)}
    for partner in partners:
        budget = existing.pop(partner.pk, None)
        if budget is None:
            FundBudget.objects.create(
                fund=fund, partner=partner, amount=fund.amount, currency=partner.currency
            )
            counts["created"] += 1
        elif budget.amount != fund.amount:
            budget.amount = fund.amount
            budget.save(update_fields=["amount", "updated_at"])
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    for budget in existing.values():
        if not budget.requests.exists():
            budget.delete()
            counts["removed"] += 1
    return counts


# Requests


def _positive(value: Decimal | None, field: str, currency: str) -> Decimal:
    if value is None:
        raise DomainError(_("This field is required."), field=field)
    if value <= 0:
        raise DomainError(_("Give an amount greater than zero."), field=field)
    if quantize(value, currency) != value:
        raise DomainError(_("Give the amount in whole cents of the currency."), field=field)
    return value


@transaction.atomic
def fund_request_create(
    *,
    actor,
    budget: FundBudget,
    kind: str,
    description: str,
    start: dt.date,
    end: dt.date,
    planned_cost: Decimal,
    amount: Decimal,
) -> FundRequest:
    # The budget row is the lock: requests against one budget are checked one after another.
    budget = (
        FundBudget.objects.select_for_update().select_related("fund", "partner").get(pk=budget.pk)
    )
    fund = budget.fund
    if kind not in FundRequest.Kind.values:
        raise DomainError(_("Choose a kind of activity."), field="kind")
    if not (description or "").strip():
        raise DomainError(_("Describe the activity."), field="description")
    if start is None:
        raise DomainError(_("This field is required."), field="start")
    if end is None:
        raise DomainError(_("This field is required."), field="end")
    if not fund.start <= start <= fund.end:
        raise DomainError(
            _("The activity must start within the fund's dates (%(start)s to %(end)s).")
            % {"start": fund.start.isoformat(), "end": fund.end.isoformat()},
            field="start",
        )
    if not fund.start <= end <= fund.end:
        raise DomainError(
            _("The activity must end within the fund's dates (%(start)s to %(end)s).")
            % {"start": fund.start.isoformat(), "end": fund.end.isoformat()},
            field="end",
        )
    if end < start:
        raise DomainError(_("The activity cannot end before it starts."), field="end")
    planned_cost = _positive(planned_cost, "planned_cost", budget.currency)
    amount = _positive(amount, "amount", budget.currency)
    ceiling = share_of(planned_cost, budget)
    if amount > ceiling:
        raise DomainError(
            _("The amount is more than %(share)s%% of the planned cost (%(ceiling)s %(currency)s).")
            % {
                "share": format_percent(fund.share),
                "ceiling": format_amount(ceiling, budget.currency),
                "currency": budget.currency,
            },
            field="amount",
        )
    available = budget_balance(budget).available
    if amount > available:
        raise DomainError(
            _("The amount is more than the fund's available balance (%(available)s %(currency)s).")
            % {"available": format_amount(available, budget.currency), "currency": budget.currency},
            field="amount",
        )
    request = FundRequest(
        budget=budget,
        kind=kind,
        description=description.strip(),
        start=start,
        end=end,
        planned_cost=planned_cost,
        amount=amount,
        deadline=end + dt.timedelta(days=fund.claim_days),
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    request.full_clean()
    request.save()
    _fund_event(request, actor, "fund_request.created", amount=amount, fund=fund.code)
    _notify_vendor(
        request,
        lambda: (
            _("%(partner)s asks %(amount)s %(currency)s from fund %(fund)s")
            % {
                "partner": budget.partner.display_name,
                "amount": format_amount(amount, budget.currency),
                "currency": budget.currency,
                "fund": fund.code,
            },
            request.description,
        ),
    )
    return request


def _lock_request(request: FundRequest) -> FundRequest:
    return (
        FundRequest.objects.select_for_update(of=("self",))
        .select_related("budget__fund", "budget__partner")
        .get(pk=request.pk)
    )


@transaction.atomic
def fund_request_decide(
    *,
    actor,
    request: FundRequest,
    decision: str,
    amount: Decimal | None = None,
    reason: str = "",
    now: dt.datetime | None = None,
) -> FundRequest:
    """Approve `amount` (the requested amount when not given) or reject with a reason."""
    now = now or timezone.now()
    request = _lock_request(request)
    if request.status != R.PENDING:
        raise InvalidTransitionError(
            _("This request was already decided (%(status)s).")
            % {"status": request.get_status_display()}
        )
    reason = (reason or "").strip()
    if decision == "approve":
        amount = request.amount if amount is None else amount
        _positive(amount, "amount", request.budget.currency)
        if amount > request.amount:
            raise DomainError(
                _("The approved amount cannot exceed the requested %(amount)s %(currency)s.")
                % {
                    "amount": format_amount(request.amount, request.budget.currency),
                    "currency": request.budget.currency,
                },
                field="amount",
            )
        request.status = R.APPROVED
        request.approved_amount = amount
        verb = "fund_request.approved"
    elif decision == "reject":
        if not reason:
            raise DomainError(_("Give the partner the reason for the rejection."), field="reason")
        request.status = R.REJECTED
        request.closed_at = now
        verb = "fund_request.rejected"
    else:
        raise DomainError(_("Decide approve or reject."), field="decision")
    decided = request.decision_record(actor=actor, reason=reason, now=now)
    request.save(update_fields=["status", "approved_amount", *decided, "closed_at", "updated_at"])
    _fund_event(
        request,
        actor,
        verb,
        before={"status": R.PENDING},
        reason=reason,
        status=request.status,
        approved_amount=request.approved_amount,
    )
    _notify_partner(request, _decision_message(request))
    return request


def _decision_message(request: FundRequest):
    def render():
        currency = request.budget.currency
        if request.status == R.APPROVED:
            subject = _("%(number)s approved: %(amount)s %(currency)s") % {
                "number": request.number,
                "amount": format_amount(request.approved_amount, currency),
                "currency": currency,
            }
            body = _("Claim it with proof of performance by %(deadline)s.") % {
                "deadline": request.deadline.isoformat()
            }
        else:
            subject = _("%(number)s rejected") % {"number": request.number}
            body = request.decision_reason
        return subject, body

    return render


@transaction.atomic
def fund_request_cancel(*, actor, request: FundRequest, now: dt.datetime | None = None):
    """The partner withdraws a request awaiting a decision, or an approved one not yet claimed."""
    request = _lock_request(request)
    open_claim = request.claims.filter(status=C.SUBMITTED).exists()
    if request.status not in (R.PENDING, R.APPROVED) or open_claim:
        raise InvalidTransitionError(_("This request can no longer be cancelled."))
    before = request.status
    request.status = R.CANCELLED
    request.closed_at = now or timezone.now()
    request.save(update_fields=["status", "closed_at", "updated_at"])
    _fund_event(
        request, actor, "fund_request.cancelled", before={"status": before}, status=R.CANCELLED
    )
    return request


# Claims


@transaction.atomic
def fund_claim_submit(
    *,
    actor,
    request: FundRequest,
    actual_cost: Decimal,
    files: Iterable,
    today: dt.date | None = None,
) -> FundClaim:
    today = today or timezone.localdate()
    request = _lock_request(request)
    budget = request.budget
    if request.status != R.APPROVED:
        raise InvalidTransitionError(
            _("Only an approved request can be claimed (this one is %(status)s).")
            % {"status": request.get_status_display()}
        )
    if today <= request.end:
        raise DomainError(
            _("Claim after the activity ends (%(end)s).") % {"end": request.end.isoformat()},
            field="actual_cost",
        )
    if today > request.deadline:
        raise DomainError(
            _("The claim deadline (%(deadline)s) has passed.")
            % {"deadline": request.deadline.isoformat()},
            field="actual_cost",
        )
    if request.claims.filter(status=C.SUBMITTED).exists():
        raise InvalidTransitionError(_("A claim for this request awaits review."))
    actual_cost = _positive(actual_cost, "actual_cost", budget.currency)
    files = [f for f in (files or []) if f]
    if not files:
        raise DomainError(_("Attach at least one proof-of-performance file."), field="files")
    if len(files) > MAX_FILES:
        raise DomainError(
            _("Attach at most %(count)s files.") % {"count": MAX_FILES}, field="files"
        )
    names = []
    for upload in files:
        try:
            names.append(attachment_check(upload))
        except DomainError as error:
            raise DomainError(f"{upload.name}: {error.message}", field="files") from error
    reimbursement = min(request.approved_amount, share_of(actual_cost, budget))
    claim = FundClaim.objects.create(
        request=request,
        actual_cost=actual_cost,
        reimbursement=reimbursement,
        submitted_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    for upload, name in zip(files, names, strict=True):
        path = default_storage.save(f"funds/{request.pk}/{uuid.uuid4().hex}", upload)
        FundClaimFile.objects.create(claim=claim, file=path, name=name, size=upload.size)
    _fund_event(
        request,
        actor,
        "fund_claim.submitted",
        claim=claim.pk,
        actual_cost=actual_cost,
        reimbursement=reimbursement,
    )
    _notify_vendor(
        request,
        lambda: (
            _("%(partner)s claims %(amount)s %(currency)s for %(number)s")
            % {
                "partner": budget.partner.display_name,
                "amount": format_amount(reimbursement, budget.currency),
                "currency": budget.currency,
                "number": request.number,
            },
            request.description,
        ),
    )
    return claim


@transaction.atomic
def fund_claim_decide(
    *,
    actor,
    claim: FundClaim,
    decision: str,
    reason: str = "",
    now: dt.datetime | None = None,
) -> FundClaim:
    """Approve (the request is settled and the reimbursement goes on the partner's next draft
    statement) or return with a reason."""
    now = now or timezone.now()
    # The request is locked first, as every other change of it does.
    request = _lock_request(claim.request)
    claim = FundClaim.objects.select_for_update().get(pk=claim.pk)
    if claim.status != C.SUBMITTED:
        raise InvalidTransitionError(
            _("This claim was already decided (%(status)s).")
            % {"status": claim.get_status_display()}
        )
    reason = (reason or "").strip()
    budget = request.budget
    fields = ["status", "updated_at"]
    if decision == "approve":
        claim.status = C.APPROVED
        if claim.reimbursement > 0:
            claim.adjustment = adjustment_create(
                partner=budget.partner,
                amount=claim.reimbursement,
                reason=_("Market development funds: %(fund)s, %(number)s %(activity)s")
                % {
                    "fund": budget.fund.code,
                    "number": request.number,
                    "activity": request.description[:120],
                },
                actor=actor,
                source_label=f"{budget.fund.code} {request.number}",
                source_url=request_url(request),
            )
            fields.append("adjustment")
        request.status = R.SETTLED
        request.reimbursed = claim.reimbursement
        request.closed_at = now
        request.save(update_fields=["status", "reimbursed", "closed_at", "updated_at"])
        verb = "fund_claim.approved"
    elif decision == "return":
        if not reason:
            raise DomainError(_("Tell the partner what to correct."), field="reason")
        claim.status = C.RETURNED
        verb = "fund_claim.returned"
    else:
        raise DomainError(_("Decide approve or return."), field="decision")
    fields += claim.decision_record(actor=actor, reason=reason, now=now)
    claim.save(update_fields=fields)
    _fund_event(
        request,
        actor,
        verb,
        reason=reason,
        claim=claim.pk,
        status=claim.status,
        reimbursement=claim.reimbursement,
    )

    def render():
        if claim.status == C.APPROVED:
            return (
                _("Claim for %(number)s approved: %(amount)s %(currency)s on your next statement")
                % {
                    "number": request.number,
                    "amount": format_amount(claim.reimbursement, budget.currency),
                    "currency": budget.currency,
                },
                request.description,
            )
        return (
            _("Claim for %(number)s returned: correct it by %(deadline)s")
            % {"number": request.number, "deadline": request.deadline.isoformat()},
            claim.decision_reason,
        )

    _notify_partner(request, render, finance=True)
    return claim


# Sweeps


def fund_requests_expire(*, today: dt.date | None = None) -> int:
    """Expire approved requests past their deadline with no approved claim and no claim
    awaiting review; their money is available again. Safe to run twice."""
    today = today or timezone.localdate()
    due = (
        FundRequest.objects.filter(status=R.APPROVED, deadline__lt=today)
        .exclude(claims__status=C.SUBMITTED)
        .values_list("pk", flat=True)
    )
    expired = 0
    for pk in list(due):
        with transaction.atomic():
            request = _lock_request(FundRequest(pk=pk))
            if (
                request.status != R.APPROVED
                or request.deadline >= today
                or request.claims.filter(status=C.SUBMITTED).exists()
            ):
                continue
            request.status = R.EXPIRED
            request.closed_at = timezone.now()
            request.save(update_fields=["status", "closed_at", "updated_at"])
            _fund_event(
                request,
                None,
                "fund_request.expired",
                before={"status": R.APPROVED},
                status=R.EXPIRED,
            )
            _notify_partner(
                request,
                lambda request=request: (
                    _("%(number)s expired: it was not claimed by %(deadline)s")
                    % {"number": request.number, "deadline": request.deadline.isoformat()},
                    request.description,
                ),
            )
            expired += 1
    return expired


def fund_reminders_send(*, today: dt.date | None = None) -> int:
    """Remind the partner 14 and 3 days before an approved request's claim deadline; each
    reminder goes once (a row per request and day count, unique)."""
    today = today or timezone.localdate()
    sent = 0
    for days in REMINDER_DAYS:
        due = (
            FundRequest.objects.filter(status=R.APPROVED, deadline=today + dt.timedelta(days=days))
            .exclude(claims__status=C.SUBMITTED)
            .exclude(reminders__days_before=days)
            .select_related("budget__fund", "budget__partner")
        )
        for request in due:
            try:
                with transaction.atomic():
                    FundReminder.objects.create(request=request, days_before=days)
                    _notify_partner(
                        request,
                        lambda request=request, days=days: (
                            _("%(number)s: claim within %(days)s days, by %(deadline)s")
                            % {
                                "number": request.number,
                                "days": days,
                                "deadline": request.deadline.isoformat(),
                            },
                            request.description,
                        ),
                    )
            except IntegrityError:
                continue
            sent += 1
    return sent


# Helpers


def _fund_event(request: FundRequest, actor, verb: str, *, before=None, reason="", **after) -> None:
    after = {"currency": request.budget.currency, **after}
    event_record(
        actor=actor,
        verb=verb,
        target=request,
        partner=request.budget.partner,
        before=before,
        after={k: (str(v) if isinstance(v, Decimal) else v) for k, v in after.items()},
        reason=reason,
    )


def _notify_vendor(request: FundRequest, render) -> None:
    notify(
        users=partner_vendor_staff(partner=request.budget.partner),
        category=Category.PAYOUTS,
        render=render,
        url=request_url(request),
        partner=request.budget.partner,
    )


def _notify_partner(request: FundRequest, render, *, finance: bool = False) -> None:
    roles = [Membership.Role.ADMIN, *([Membership.Role.FINANCE] if finance else [])]
    members = Membership.objects.filter(
        Q(role__in=roles) | Q(user_id=request.requested_by_id),
        partner_id=request.budget.partner_id,
        is_active=True,
    ).select_related("user")
    notify(
        users=[m.user for m in members],
        category=Category.PAYOUTS,
        render=render,
        url=request_url(request),
        partner=request.budget.partner,
    )
