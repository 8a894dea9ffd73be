"""Price protection (spec "Price protection"): claims a price cut opens, the credit rule, the
partner's declaration and the vendor's decision.

A claim opens for partner P, product S and date D when P's net price of S on D, ignoring
promotions, is lower than on D - 1 (a list-price cut, a tier or override change) and P's agreement
version in force on D grants `price_protection_days` W > 0. List prices are dated, so a saved
price-list item compares D - 1 with D as stored; tiers and overrides are not, so their change takes
effect on the day it is saved and the day before is priced with the value it replaced.

Credit: P's purchase lines of S invoiced in [D - W, D - 1], newest first (invoice date, invoice
number, line, descending), give their units until the declared units on hand are used up. Each
line earns units × max(0, price paid - new net price), rounded half-up; the claim's credit is their
sum. Units credited by an earlier claim (submitted or approved) carry that claim's new net price as
their price paid, so a second cut never pays twice for the same drop."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.models import Agreement, AgreementVersion, PriceOverride, Product, TierLineDiscount
from agreements.pricing import products_with_prices
from commissions.services.statements import adjustment_create
from partners.models import Membership, Partner, Tier
from partners.selectors import partner_vendor_staff
from prm.core.errors import DomainError, InvalidTransitionError
from prm.core.events import event_record
from prm.core.money import format_amount, quantize
from prm.notifications.models import Category
from prm.notifications.services import notify

from .models import ClaimLine, PriceProtectionClaim, PurchaseInvoiceLine

S = PriceProtectionClaim.Status
DECLARATION_DAYS = 30
HUNDRED = Decimal(100)
ONE_DAY = dt.timedelta(days=1)
# Claims whose credited units carry their new net price into later claims.
CREDITING = (S.SUBMITTED, S.APPROVED)
NO_OVERRIDE = object()


# Net prices ignoring promotions, for many partners and products at once


@dataclass
class Prices:
    """Pricing values that replace the stored ones, to price a day as it was before an undated
    change (tiers, discounts, overrides) or as it will be after a change not yet saved.
    `tier_of`: partner id → tier id; `override_of`: (partner id, product id) → an object with
    `discount` and `net_price`, or None for no override; `default_discount_of`: tier id → %;
    `line_discount_of`: (tier id, line id) → %, or None for no discount of the line;
    `list_price_of`: product id → list price in force."""

    tier_of: dict = field(default_factory=dict)
    override_of: dict = field(default_factory=dict)
    default_discount_of: dict = field(default_factory=dict)
    line_discount_of: dict = field(default_factory=dict)
    list_price_of: dict = field(default_factory=dict)


def base_net_prices(
    *,
    partners: list[Partner],
    product_ids: Iterable[int],
    on: dt.date,
    tier_of: dict[int, int | None] | None = None,
    override_of: dict[tuple[int, int], object] | None = None,
    replace: Prices | None = None,
) -> dict[tuple[int, int], Decimal]:
    """(partner id, product id) → net price on `on` without promotions (the net-price rule of
    `agreements.pricing` up to the promotion), for products sold in the partner's currency and
    with a list price in force. `replace` (or `tier_of` and `override_of`) gives values that
    replace the stored ones. Four queries, whatever the number of partners and products."""
    replace = replace or Prices()
    tier_of = {**replace.tier_of, **(tier_of or {})}
    override_of = {**replace.override_of, **(override_of or {})}
    products = list(products_with_prices(Product.objects.filter(pk__in=list(product_ids)), on))
    if not products or not partners:
        return {}
    partner_ids = [p.pk for p in partners]
    overrides = {
        (o.partner_id, o.product_id): o
        for o in PriceOverride.objects.filter(
            partner_id__in=partner_ids, product_id__in=[p.pk for p in products]
        )
    }
    tier_ids = {tier_of.get(p.pk, p.tier_id) for p in partners} - {None}
    default_discounts = dict(
        Tier.objects.filter(pk__in=tier_ids).values_list("pk", "default_discount")
    )
    default_discounts.update(
        {pk: d for pk, d in replace.default_discount_of.items() if pk in default_discounts}
    )
    line_discounts = {
        (d.tier_id, d.line_id): d.percent
        for d in TierLineDiscount.objects.filter(tier_id__in=tier_ids)
    }
    for key, percent in replace.line_discount_of.items():
        if percent is None:
            line_discounts.pop(key, None)
        else:
            line_discounts[key] = percent
    prices = {}
    for partner in partners:
        tier_id = tier_of.get(partner.pk, partner.tier_id)
        for product in products:
            list_price = replace.list_price_of.get(product.pk, product.in_force_list_price)
            if product.currency != partner.currency or list_price is None:
                continue
            key = (partner.pk, product.pk)
            override = override_of.get(key, NO_OVERRIDE)
            if override is NO_OVERRIDE:
                override = overrides.get(key)
            if override is not None and override.net_price is not None:
                net = override.net_price
            else:
                if override is not None:
                    discount = override.discount
                elif (tier_id, product.line_id) in line_discounts:
                    discount = line_discounts[(tier_id, product.line_id)]
                elif tier_id in default_discounts:
                    discount = default_discounts[tier_id]
                else:
                    discount = Decimal(0)
                net = list_price * (HUNDRED - discount) / HUNDRED
            prices[key] = quantize(net, product.currency)
    return prices


def protection_days(*, partner_ids: Iterable[int], on: dt.date) -> dict[int, int]:
    """partner id → W of its agreement version in force on `on`, for partners granted W > 0
    (the largest W when a partner holds several agreements). Two queries."""
    agreements = Agreement.objects.filter(partner_id__in=list(partner_ids), start__lte=on).filter(
        Q(end__isnull=True) | Q(end__gte=on)
    )
    in_force: dict[int, AgreementVersion] = {}
    versions = (
        AgreementVersion.objects.filter(
            agreement__in=agreements,
            status=AgreementVersion.Status.ACCEPTED,
            in_force_from__lte=on,
        )
        .select_related("agreement")
        .order_by("agreement_id", "in_force_from", "number")
    )
    for version in versions:
        in_force[version.agreement_id] = version
    days: dict[int, int] = {}
    for version in in_force.values():
        if version.price_protection_days > 0:
            partner_id = version.agreement.partner_id
            days[partner_id] = max(days.get(partner_id, 0), version.price_protection_days)
    return days


@dataclass
class Cut:
    """A fall of partner P's net price of product S on D, ignoring promotions, with W > 0."""

    partner: Partner
    product_id: int
    effective: dt.date
    previous: Decimal
    new: Decimal
    days: int
    trigger: str = ""

    @property
    def key(self) -> tuple[int, int, dt.date]:
        return (self.partner.pk, self.product_id, self.effective)


def price_cuts(
    *,
    partners: Iterable[Partner],
    product_ids: Iterable[int],
    effective: dt.date,
    before: Prices | None = None,
    after: Prices | None = None,
) -> list[Cut]:
    """The (partner, product) pairs among those given whose net price on `effective` (priced
    with `after` over the stored values) is below the day before's (priced with `before`) and
    whose agreement in force on `effective` grants protection. Nothing is written; a fixed
    number of queries whatever the number of partners and products."""
    partners = list(partners)
    product_ids = list(product_ids)
    if not partners or not product_ids:
        return []
    days = protection_days(partner_ids=[p.pk for p in partners], on=effective)
    partners = [p for p in partners if p.pk in days]
    if not partners:
        return []
    new = base_net_prices(partners=partners, product_ids=product_ids, on=effective, replace=after)
    old = base_net_prices(
        partners=partners, product_ids=product_ids, on=effective - ONE_DAY, replace=before
    )
    by_pk = {p.pk: p for p in partners}
    cuts = []
    for (partner_id, product_id), price in sorted(new.items()):
        before_price = old.get((partner_id, product_id))
        if before_price is not None and price < before_price:
            cuts.append(
                Cut(by_pk[partner_id], product_id, effective, before_price, price, days[partner_id])
            )
    return cuts


# Opening claims


def claims_open(
    *,
    partners: Iterable[Partner],
    product_ids: Iterable[int],
    effective: dt.date,
    trigger: str,
    tier_of: dict[int, int | None] | None = None,
    override_of: dict[tuple[int, int], object] | None = None,
    before: Prices | None = None,
    today: dt.date | None = None,
) -> list[PriceProtectionClaim]:
    """Open a claim for every (partner, product) among those given whose net price (ignoring
    promotions) on `effective` is below the day before's and whose agreement grants protection
    on `effective`. The day before is priced with `before` (or `tier_of` / `override_of`) when
    the change is undated. A claim (P, S, D) opens once; a further cut of the same day lowers
    the new net price of a claim still awaiting its declaration. Returns the claims opened.

    Inside `impact_collect`, the cuts are collected instead; with `dry=True` nothing is
    written."""
    today = today or timezone.localdate()
    before = before or Prices()
    if tier_of:
        before.tier_of.update(tier_of)
    if override_of:
        before.override_of.update(override_of)
    cuts = price_cuts(
        partners=partners, product_ids=product_ids, effective=effective, before=before
    )
    for item in cuts:
        item.trigger = trigger
    collector = _collector.get()
    if collector is not None:
        collector.add(cuts)
        if collector.dry:
            return []
    if not cuts:
        return []
    existing = {
        (c.partner_id, c.product_id): c
        for c in PriceProtectionClaim.objects.filter(
            partner_id__in={c.partner.pk for c in cuts},
            product_id__in={c.product_id for c in cuts},
            effective_date=effective,
        )
    }
    lower = []
    for c in cuts:
        claim = existing.get((c.partner.pk, c.product_id))
        if claim is not None and claim.status == S.OPEN and c.new < claim.new_net_price:
            claim.new_net_price = c.new
            lower.append(claim)
    if lower:
        PriceProtectionClaim.objects.bulk_update(lower, ["new_net_price"])
    deadline = max(today, effective) + dt.timedelta(days=DECLARATION_DAYS)
    new = [
        PriceProtectionClaim(
            partner_id=c.partner.pk,
            product_id=c.product_id,
            effective_date=effective,
            trigger=trigger,
            previous_net_price=c.previous,
            new_net_price=c.new,
            currency=c.partner.currency,
            protection_days=c.days,
            deadline=deadline,
        )
        for c in cuts
        if (c.partner.pk, c.product_id) not in existing
    ]
    if not new:
        return []
    PriceProtectionClaim.objects.bulk_create(new, ignore_conflicts=True)
    opened = list(
        PriceProtectionClaim.objects.filter(
            effective_date=effective,
            partner_id__in={c.partner_id for c in new},
            product_id__in={c.product_id for c in new},
            status=S.OPEN,
        ).select_related("partner", "product")
    )
    keys = {(c.partner_id, c.product_id) for c in new}
    opened = [c for c in opened if (c.partner_id, c.product_id) in keys]
    for claim in opened:
        event_record(
            actor=None,
            verb="price_protection.opened",
            target=claim,
            partner=claim.partner,
            after={
                "sku": claim.product.sku,
                "effective_date": claim.effective_date.isoformat(),
                "previous_net_price": str(claim.previous_net_price),
                "new_net_price": str(claim.new_net_price),
                "currency": claim.currency,
            },
        )
        _notify_partner(claim, _opened_message(claim))
    return opened


# The impact of a price change, before it is saved


@dataclass
class Impact:
    """A claim a change opens (or would open): the partner's eligible purchased units in
    [D - W, D - 1] and the most it may be credited, those units × the drop (the units on hand
    are not declared yet)."""

    partner: Partner
    product: Product
    effective: dt.date
    previous: Decimal
    new: Decimal
    days: int
    units: Decimal
    trigger: str

    @property
    def drop(self) -> Decimal:
        return self.previous - self.new

    @property
    def exposure(self) -> Decimal:
        return quantize(self.units * self.drop, self.partner.currency)


@dataclass
class PartnerImpact:
    partner: Partner
    lines: list[Impact]

    @property
    def exposure(self) -> Decimal:
        return sum((line.exposure for line in self.lines), Decimal(0))


class ImpactCollector:
    """The cuts that saves made inside `impact_collect`; two cuts of one (P, S, D) count once,
    from the first price to the last."""

    def __init__(self, dry: bool) -> None:
        self.dry = dry
        self.cuts: dict[tuple[int, int, dt.date], Cut] = {}

    def add(self, cuts: list[Cut]) -> None:
        for cut in cuts:
            known = self.cuts.get(cut.key)
            if known is None:
                self.cuts[cut.key] = cut
            elif cut.new < known.new:
                known.new = cut.new

    def impacts(self) -> list[Impact]:
        return impacts(self.cuts.values())


_collector: ContextVar[ImpactCollector | None] = ContextVar("protection_impact", default=None)


@contextmanager
def impact_collect(*, dry: bool = False):
    """Collect the cuts every price change saved inside the block makes; with `dry`, open no
    claim (the caller rolls the change back)."""
    collector = ImpactCollector(dry)
    token = _collector.set(collector)
    try:
        yield collector
    finally:
        _collector.reset(token)


def impacts(cuts: Iterable[Cut]) -> list[Impact]:
    """Each cut with the partner's eligible purchased units and the maximum credit. Two queries
    whatever the number of partners and products."""
    cuts = list(cuts)
    if not cuts:
        return []
    products = Product.objects.in_bulk({c.product_id for c in cuts})
    rows = (
        PurchaseInvoiceLine.objects.filter(
            partner_id__in={c.partner.pk for c in cuts},
            product_id__in={c.product_id for c in cuts},
            invoice_date__gte=min(c.effective - dt.timedelta(days=c.days) for c in cuts),
            invoice_date__lt=max(c.effective for c in cuts),
        )
        .values_list("partner_id", "product_id", "invoice_date")
        .annotate(units=Sum("quantity"))
        .order_by()
    )
    bought: dict[tuple[int, int], list[tuple[dt.date, Decimal]]] = {}
    for partner_id, product_id, day, units in rows:
        bought.setdefault((partner_id, product_id), []).append((day, units))
    out = []
    cuts.sort(key=lambda c: (c.partner.code, products[c.product_id].sku, c.effective))
    for cut in cuts:
        start = cut.effective - dt.timedelta(days=cut.days)
        units = sum(
            (
                n
                for day, n in bought.get((cut.partner.pk, cut.product_id), [])
                if start <= day < cut.effective
            ),
            Decimal(0),
        )
        out.append(
            Impact(
                partner=cut.partner,
                product=products[cut.product_id],
                effective=cut.effective,
                previous=cut.previous,
                new=cut.new,
                days=cut.days,
                units=units,
                trigger=cut.trigger,
            )
        )
    return out


def impacts_by_partner(lines: Iterable[Impact]) -> list[PartnerImpact]:
    grouped: dict[int, PartnerImpact] = {}
    for line in lines:
        grouped.setdefault(line.partner.pk, PartnerImpact(line.partner, [])).lines.append(line)
    return list(grouped.values())


def impact_report(lines: list[Impact]) -> list[str]:
    """The impact as text lines (for `load_program`)."""
    if not lines:
        return ["price protection: no claim"]
    out = [
        f"price protection: {len(lines)} claim(s) for "
        f"{len({line.partner.pk for line in lines})} partner(s); credit at most units bought "
        "in the window × drop (no units on hand declared yet)"
    ]
    for group in impacts_by_partner(lines):
        currency = group.partner.currency
        out.append(
            f"  {group.partner.code}: at most {format_amount(group.exposure, currency)} {currency}"
        )
        out.extend(
            f"    {line.product.sku} from {line.effective.isoformat()}: "
            f"{format_amount(line.previous, currency)} -> {format_amount(line.new, currency)}, "
            f"{_plain(line.units)} unit(s) bought in {line.days} days, "
            f"at most {format_amount(line.exposure, currency)} {currency}"
            for line in group.lines
        )
    return out


def _opened_message(claim: PriceProtectionClaim):
    def render():
        return (
            _("Price protection for %(sku)s: declare your units on hand by %(deadline)s")
            % {"sku": claim.product.sku, "deadline": claim.deadline.isoformat()},
            _(
                "Your net price of %(sku)s falls from %(old)s to %(new)s %(currency)s on %(date)s. "
                "Declare the units you held at the end of the day before."
            )
            % {
                "sku": claim.product.sku,
                "old": format_amount(claim.previous_net_price, claim.currency),
                "new": format_amount(claim.new_net_price, claim.currency),
                "currency": claim.currency,
                "date": claim.effective_date.isoformat(),
            },
        )

    return render


# The credit rule


@dataclass
class CreditLine:
    purchase: PurchaseInvoiceLine
    units: Decimal
    unit_net_price: Decimal
    credit: Decimal


def eligible_purchases(claim: PriceProtectionClaim) -> list[PurchaseInvoiceLine]:
    """The partner's purchase lines of the product in [D - W, D - 1], newest first."""
    start = claim.effective_date - dt.timedelta(days=claim.protection_days)
    return list(
        PurchaseInvoiceLine.objects.filter(
            partner_id=claim.partner_id,
            product_id=claim.product_id,
            invoice_date__gte=start,
            invoice_date__lte=claim.effective_date - ONE_DAY,
        ).order_by("-invoice_date", "-invoice_number", "-line")
    )


def _layers(
    purchases: list[PurchaseInvoiceLine], claim: PriceProtectionClaim
) -> dict[int, list[list[Decimal]]]:
    """purchase id → its units as [units, price paid] layers, the first taken first: units an
    earlier claim credited carry that claim's new net price and come before the rest."""
    layers = {p.pk: [[p.quantity, p.unit_net_price]] for p in purchases}
    earlier = (
        ClaimLine.objects.filter(
            purchase_id__in=list(layers),
            claim__status__in=CREDITING,
            claim__effective_date__lt=claim.effective_date,
        )
        .exclude(claim_id=claim.pk)
        .order_by("claim__effective_date", "claim_id", "position")
        .values_list("purchase_id", "units", "claim__new_net_price")
    )
    for purchase_id, units, price in earlier:
        stack = layers[purchase_id]
        _take(stack, units)
        stack.insert(0, [units, price])
    return layers


def _take(stack: list[list[Decimal]], units: Decimal) -> list[tuple[Decimal, Decimal]]:
    taken = []
    while units > 0 and stack:
        layer = stack[0]
        part = min(units, layer[0])
        taken.append((part, layer[1]))
        layer[0] -= part
        units -= part
        if layer[0] == 0:
            stack.pop(0)
    return taken


def credit_lines(claim: PriceProtectionClaim, on_hand: Decimal) -> list[CreditLine]:
    """The claim's credit, line by line, for `on_hand` declared units (nothing is saved)."""
    purchases = eligible_purchases(claim)
    layers = _layers(purchases, claim)
    remaining = on_hand
    lines = []
    for purchase in purchases:
        if remaining <= 0:
            break
        stack = layers[purchase.pk]
        for units, price in _take(stack, remaining):
            remaining -= units
            drop = max(Decimal(0), price - claim.new_net_price)
            lines.append(
                CreditLine(
                    purchase=purchase,
                    units=units,
                    unit_net_price=price,
                    credit=quantize(units * drop, claim.currency),
                )
            )
    return lines


# The partner's declaration


def _units(value) -> Decimal:
    if value is None or value == "":
        raise DomainError(_("This field is required."), field="on_hand")
    try:
        value = Decimal(str(value))
    except ArithmeticError as exc:
        raise DomainError(_("Give a number of units."), field="on_hand") from exc
    if not value.is_finite() or value < 0:
        raise DomainError(_("Give a number of units of zero or more."), field="on_hand")
    if value.as_tuple().exponent < -2 or value > Decimal("9999999999.99"):
        raise DomainError(
            _("Give the units with at most two decimals and at most 9,999,999,999.99."),
            field="on_hand",
        )
    return value


def claim_preview(claim: PriceProtectionClaim, on_hand) -> list[CreditLine]:
    return credit_lines(claim, _units(on_hand))


@transaction.atomic
def claim_declare(
    *, actor, claim: PriceProtectionClaim, on_hand, today: dt.date | None = None
) -> PriceProtectionClaim:
    """Record the units on hand at the end of D - 1 and submit the claim with its credit."""
    today = today or timezone.localdate()
    on_hand = _units(on_hand)
    claim = _lock(claim)
    if claim.status != S.OPEN:
        raise InvalidTransitionError(
            _("This claim was already declared (%(status)s).")
            % {"status": claim.get_status_display()}
        )
    if today < claim.effective_date:
        raise DomainError(
            _("Declare from %(date)s, once the units on hand the day before are known.")
            % {"date": claim.effective_date.isoformat()},
            field="on_hand",
        )
    if today > claim.deadline:
        raise DomainError(
            _("The declaration deadline (%(deadline)s) has passed.")
            % {"deadline": claim.deadline.isoformat()},
            field="on_hand",
        )
    lines = credit_lines(claim, on_hand)
    ClaimLine.objects.bulk_create(
        ClaimLine(
            claim=claim,
            purchase=line.purchase,
            units=line.units,
            unit_net_price=line.unit_net_price,
            credit=line.credit,
            position=position,
        )
        for position, line in enumerate(lines)
    )
    claim.declared_on_hand = on_hand
    claim.eligible_units = sum((line.units for line in lines), Decimal(0))
    claim.credit = sum((line.credit for line in lines), Decimal(0))
    claim.status = S.SUBMITTED
    claim.declared_by = actor if getattr(actor, "is_authenticated", False) else None
    claim.declared_at = timezone.now()
    claim.save(
        update_fields=[
            "declared_on_hand",
            "eligible_units",
            "credit",
            "status",
            "declared_by",
            "declared_at",
            "updated_at",
        ]
    )
    _claim_event(claim, actor, "price_protection.declared", on_hand=on_hand, credit=claim.credit)
    notify(
        users=partner_vendor_staff(partner=claim.partner),
        category=Category.PAYOUTS,
        render=lambda: (
            _("%(partner)s claims %(amount)s %(currency)s of price protection for %(sku)s")
            % {
                "partner": claim.partner.display_name,
                "amount": format_amount(claim.credit, claim.currency),
                "currency": claim.currency,
                "sku": claim.product.sku,
            },
            claim.number,
        ),
        url=claim_url(claim),
        partner=claim.partner,
    )
    return claim


# The vendor's decision


@transaction.atomic
def claim_decide(
    *, actor, claim: PriceProtectionClaim, decision: str, reason: str = "", now=None
) -> PriceProtectionClaim:
    """Approve (the credit becomes an adjustment on the partner's next draft statement) or
    reject with a reason the partner sees."""
    now = now or timezone.now()
    claim = _lock(claim)
    if claim.status != S.SUBMITTED:
        raise InvalidTransitionError(
            _("This claim cannot be decided now (%(status)s).")
            % {"status": claim.get_status_display()}
        )
    reason = (reason or "").strip()
    fields = ["status", "updated_at"]
    if decision == "approve":
        claim.status = S.APPROVED
        if claim.credit > 0:
            claim.adjustment = adjustment_create(
                partner=claim.partner,
                amount=claim.credit,
                reason=_("Price protection: %(sku)s, price cut of %(date)s, %(units)s units")
                % {
                    "sku": claim.product.sku,
                    "date": claim.effective_date.isoformat(),
                    "units": _plain(claim.eligible_units),
                },
                actor=actor,
                source_label=claim.number,
                source_url=claim_url(claim),
            )
            fields.append("adjustment")
        verb = "price_protection.approved"
    elif decision == "reject":
        if not reason:
            raise DomainError(_("Give the partner the reason for the rejection."), field="reason")
        claim.status = S.REJECTED
        verb = "price_protection.rejected"
    else:
        raise DomainError(_("Decide approve or reject."), field="decision")
    fields += claim.decision_record(actor=actor, reason=reason, now=now)
    claim.save(update_fields=fields)
    _claim_event(claim, actor, verb, reason=reason, credit=claim.credit, status=claim.status)

    def render():
        if claim.status == S.APPROVED:
            return (
                _("Price protection for %(sku)s approved: %(amount)s %(currency)s")
                % {
                    "sku": claim.product.sku,
                    "amount": format_amount(claim.credit, claim.currency),
                    "currency": claim.currency,
                },
                _("The credit is on your next statement."),
            )
        return (
            _("Price protection for %(sku)s rejected") % {"sku": claim.product.sku},
            claim.decision_reason,
        )

    _notify_partner(claim, render)
    return claim


def claims_expire(*, today: dt.date | None = None) -> int:
    """Open claims not declared by their deadline expire. Safe to run twice."""
    today = today or timezone.localdate()
    due = PriceProtectionClaim.objects.filter(status=S.OPEN, deadline__lt=today)
    expired = 0
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            claim = _lock(PriceProtectionClaim(pk=pk))
            if claim.status != S.OPEN or claim.deadline >= today:
                continue
            claim.status = S.EXPIRED
            claim.save(update_fields=["status", "updated_at"])
            _claim_event(claim, None, "price_protection.expired", status=S.EXPIRED)
            expired += 1
    return expired


# Helpers


def claim_url(claim: PriceProtectionClaim) -> str:
    return reverse("protection_claim_detail", kwargs={"pk": claim.pk})


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else str(value)


def _lock(claim: PriceProtectionClaim) -> PriceProtectionClaim:
    return (
        PriceProtectionClaim.objects.select_for_update(of=("self",))
        .select_related("partner", "product")
        .get(pk=claim.pk)
    )


def _claim_event(
    claim: PriceProtectionClaim, actor, verb: str, *, reason: str = "", **after
) -> None:
    event_record(
        actor=actor,
        verb=verb,
        target=claim,
        partner=claim.partner,
        after={
            "sku": claim.product.sku,
            "currency": claim.currency,
            **{k: (str(v) if isinstance(v, Decimal) else v) for k, v in after.items()},
        },
        reason=reason,
    )


def _notify_partner(claim: PriceProtectionClaim, render) -> None:
    members = Membership.objects.filter(
        role__in=[Membership.Role.ADMIN, Membership.Role.FINANCE],
        partner_id=claim.partner_id,
        is_active=True,
    ).select_related("user")
    notify(
        users=[m.user for m in members],
        category=Category.PAYOUTS,
        render=render,
        url=claim_url(claim),
        partner=claim.partner,
    )


@contextmanager
def program_impact(report, *, dry_run: bool = False):
    """A `load_program` observer: the claims the load opens (or, in a preview, would open), per
    partner and product, as lines of the load's report."""
    with impact_collect(dry=dry_run) as collector:
        yield
    report.notes.extend(impact_report(collector.impacts()))
