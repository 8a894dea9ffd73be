"""Reads of funds, requests and claims, scoped to the requesting user, and the balance rule."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import DecimalField, F, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from commissions.rates import rate_text
from partners.models import Partner
from partners.selectors import partner_visible_queryset
from prm.core.money import format_amount

from .models import (
    ClaimLine,
    FundBudget,
    FundClaim,
    FundRequest,
    PriceProtectionClaim,
    PurchaseInvoiceLine,
)

R = FundRequest.Status
_MONEY = DecimalField(max_digits=16, decimal_places=2)


def _sum(field: str, status: str):
    return Coalesce(
        Sum(f"requests__{field}", filter=Q(requests__status=status)),
        Value(Decimal(0), output_field=_MONEY),
        output_field=_MONEY,
    )


def budgets_with_balance(queryset: QuerySet[FundBudget] | None = None) -> QuerySet[FundBudget]:
    """Each budget with its balance, for any number of budgets in one query:
    `pending` = requested amounts awaiting a decision, `committed` = approved amounts not yet
    settled, `reimbursed` = reimbursements of approved claims, `available` = the budget less
    the three. Rejected, cancelled and expired requests, and the unused part of a settled one,
    count nowhere, so they are available again."""
    queryset = FundBudget.objects.all() if queryset is None else queryset
    return queryset.annotate(
        pending=_sum("amount", R.PENDING),
        committed=_sum("approved_amount", R.APPROVED),
        reimbursed=_sum("reimbursed", R.SETTLED),
    ).annotate(available=F("amount") - F("pending") - F("committed") - F("reimbursed"))


def budget_balance(budget: FundBudget) -> FundBudget:
    return budgets_with_balance(FundBudget.objects.filter(pk=budget.pk)).get()


def budget_visible_queryset(*, user, current_partner: Partner | None = None):
    partners = partner_visible_queryset(user=user, current_partner=current_partner)
    return FundBudget.objects.filter(partner__in=partners.values("pk"))


def budget_list(*, user, current_partner: Partner | None = None) -> QuerySet[FundBudget]:
    return budgets_with_balance(
        budget_visible_queryset(user=user, current_partner=current_partner)
    ).select_related("fund", "partner")


def budget_get(*, user, current_partner: Partner | None, pk: int) -> FundBudget:
    budget = budget_list(user=user, current_partner=current_partner).filter(pk=pk).first()
    if budget is None:
        raise Http404
    return budget


def request_visible_queryset(*, user, current_partner: Partner | None = None):
    budgets = budget_visible_queryset(user=user, current_partner=current_partner)
    return FundRequest.objects.filter(budget__in=budgets.values("pk"))


def request_list(*, user, current_partner: Partner | None = None) -> QuerySet[FundRequest]:
    return request_visible_queryset(user=user, current_partner=current_partner).select_related(
        "budget__fund", "budget__partner", "requested_by", "decided_by"
    )


def request_get(*, user, current_partner: Partner | None, pk: int) -> FundRequest:
    found = request_list(user=user, current_partner=current_partner).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def claim_list(*, user, current_partner: Partner | None = None) -> QuerySet[FundClaim]:
    requests = request_visible_queryset(user=user, current_partner=current_partner)
    return FundClaim.objects.filter(request__in=requests.values("pk")).select_related(
        "request__budget__fund", "request__budget__partner", "submitted_by", "decided_by"
    )


def claim_get(*, user, current_partner: Partner | None, pk: int) -> FundClaim:
    found = claim_list(user=user, current_partner=current_partner).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def claim_file_get(*, user, current_partner: Partner | None, claim_pk: int, pk: int):
    claim = claim_get(user=user, current_partner=current_partner, pk=claim_pk)
    found = claim.files.filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


# Price protection


def _plain_units(value: Decimal) -> str:
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return str(value.normalize())


def purchase_visible_queryset(*, user, current_partner: Partner | None = None):
    partners = partner_visible_queryset(user=user, current_partner=current_partner)
    return PurchaseInvoiceLine.objects.filter(partner__in=partners.values("pk")).select_related(
        "partner", "product"
    )


def protection_claim_visible_queryset(*, user, current_partner: Partner | None = None):
    partners = partner_visible_queryset(user=user, current_partner=current_partner)
    return PriceProtectionClaim.objects.filter(partner__in=partners.values("pk")).select_related(
        "partner", "product"
    )


def protection_claim_get(*, user, current_partner: Partner | None, pk: int):
    claim = (
        protection_claim_visible_queryset(user=user, current_partner=current_partner)
        .filter(pk=pk)
        .first()
    )
    if claim is None:
        raise Http404
    return claim


PURCHASE_ORIGINAL_KEYS = (
    "original_currency",
    "original_unit_net_price",
    "exchange_rate",
    "rate_date",
)


def purchase_original_as_dict(purchase: PurchaseInvoiceLine) -> dict:
    """For a purchase line invoiced in another currency than its partner's: the invoice's
    currency and unit price, the rate it was converted at and that rate's date (else null)."""
    if not purchase.is_converted:
        return dict.fromkeys(PURCHASE_ORIGINAL_KEYS)
    return {
        "original_currency": purchase.original_currency,
        "original_unit_net_price": format_amount(
            purchase.original_unit_net_price, purchase.original_currency
        ),
        "exchange_rate": rate_text(purchase.exchange_rate),
        "rate_date": purchase.rate_date.isoformat(),
    }


def protection_claim_as_dict(claim: PriceProtectionClaim) -> dict:
    """The contract's fields (amounts as strings; units as plain numbers in strings); a line
    whose purchase was invoiced in another currency carries that currency, price and rate."""
    currency = claim.currency
    return {
        "id": claim.pk,
        "sku": claim.product.sku,
        "effective_date": claim.effective_date.isoformat(),
        "new_net_price": format_amount(claim.new_net_price, currency),
        "declared_on_hand": _plain_units(claim.declared_on_hand)
        if claim.declared_on_hand is not None
        else None,
        "eligible_units": _plain_units(claim.eligible_units),
        "credit": format_amount(claim.credit, currency),
        "status": claim.status,
        "lines": [
            {
                "invoice_number": line.purchase.invoice_number,
                "line": line.purchase.line,
                "units": _plain_units(line.units),
                "unit_net_price": format_amount(line.unit_net_price, currency),
                "credit": format_amount(line.credit, currency),
                **purchase_original_as_dict(line.purchase),
            }
            for line in claim.lines.all()
        ],
    }


def protection_claims_export(*, partner: Partner) -> list[dict]:
    claims = (
        PriceProtectionClaim.objects.filter(partner=partner)
        .select_related("product")
        .prefetch_related(Prefetch("lines", ClaimLine.objects.select_related("purchase")))
        .order_by("effective_date", "product__sku", "pk")
    )
    return [{k: v for k, v in protection_claim_as_dict(c).items() if k != "id"} for c in claims]
