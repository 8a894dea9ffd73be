"""Deal registration: register, detect channel conflict, approve or reject, expire protection.

A registration conflicts when another partner holds a pending or approved, unexpired
registration for the same customer (normalised name, tax id or web domain) and an overlapping
product line. Conflicts are flagged on both registrations; partners are never told who the other
partner is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from prm.core.errors import DomainError, InvalidTransitionError
from prm.core.events import event_record
from prm.core.money import quantize
from prm.notifications.models import Category

from ..models import DealConflict, DealRegistration, Partner, Territory
from ..normalise import normalise_customer_name, normalise_domain, normalise_tax_id
from ..notifications import email_users, partner_admins, vendor_contacts
from .milestones import milestone_first_deal

# Partners warned this many days before a protection ends.
EXPIRY_WARNING_DAYS = 14

_ProductLines = DealRegistration.product_lines.through


def _live_registrations(today: dt.date):
    """Registrations that hold a customer: pending, or approved and still protected."""
    return DealRegistration.objects.filter(
        Q(status=DealRegistration.Status.PENDING)
        | Q(status=DealRegistration.Status.APPROVED, protected_until__gte=today)
    )


def _matched_on(deal: DealRegistration, other: DealRegistration) -> str:
    if deal.customer_tax_id_key and deal.customer_tax_id_key == other.customer_tax_id_key:
        return DealConflict.MatchedOn.TAX_ID
    if deal.customer_domain_key and deal.customer_domain_key == other.customer_domain_key:
        return DealConflict.MatchedOn.DOMAIN
    return DealConflict.MatchedOn.NAME


def deal_conflicts_find(
    *, deal: DealRegistration, today: dt.date | None = None
) -> list[tuple[DealRegistration, str]]:
    """Other partners' live registrations that collide with `deal`, with what matched."""
    today = today or timezone.localdate()
    same_customer = Q(customer_key=deal.customer_key) if deal.customer_key else Q(pk__in=[])
    if deal.customer_tax_id_key:
        same_customer |= Q(customer_tax_id_key=deal.customer_tax_id_key)
    if deal.customer_domain_key:
        same_customer |= Q(customer_domain_key=deal.customer_domain_key)
    line_ids = list(deal.product_lines.values_list("pk", flat=True))
    overlapping = _ProductLines.objects.filter(
        dealregistration_id=OuterRef("pk"), productline_id__in=line_ids
    )
    others = (
        _live_registrations(today)
        .filter(same_customer)
        .filter(Exists(overlapping))
        .exclude(partner_id=deal.partner_id)
        .exclude(pk=deal.pk)
        .select_related("partner")
        .order_by("created_at", "id")
    )
    return [(other, _matched_on(deal, other)) for other in others]


@transaction.atomic
def deal_register(
    *,
    partner: Partner,
    actor,
    customer_name: str,
    territory: Territory,
    product_lines: Iterable,
    estimated_value: Decimal,
    currency: str,
    expected_close: dt.date,
    customer_tax_id: str = "",
    customer_domain: str = "",
    description: str = "",
) -> DealRegistration:
    """Register an opportunity for `partner`, flagging any conflict on both sides."""
    if partner.status != Partner.Status.ACTIVE:
        raise DomainError(_("Only an active partner can register deals."))
    lines = list(product_lines)
    if not lines:
        raise DomainError(_("Choose at least one product line."), field="product_lines")
    if not isinstance(estimated_value, Decimal):
        raise TypeError("estimated_value must be a Decimal")
    if estimated_value <= 0:
        raise DomainError(_("The estimated value must be more than zero."), field="estimated_value")
    if expected_close < timezone.localdate():
        raise DomainError(_("The expected close date is in the past."), field="expected_close")
    customer_key = normalise_customer_name(customer_name)
    if not customer_key:
        raise DomainError(_("Give the customer's name."), field="customer_name")
    tax_key, domain_key = normalise_tax_id(customer_tax_id), normalise_domain(customer_domain)
    if not tax_key and not domain_key:
        raise DomainError(_("Give the customer's tax id or web domain."), field="customer_tax_id")
    deal = DealRegistration(
        partner=partner,
        registered_by=actor if getattr(actor, "is_authenticated", False) else None,
        customer_name=customer_name.strip(),
        customer_key=customer_key,
        customer_tax_id=customer_tax_id.strip(),
        customer_tax_id_key=tax_key,
        customer_domain=customer_domain.strip(),
        customer_domain_key=domain_key,
        territory=territory,
        estimated_value=quantize(estimated_value, currency),
        currency=currency,
        expected_close=expected_close,
        description=description.strip(),
    )
    deal.full_clean()
    deal.save()
    deal.product_lines.set(lines)
    conflicts = deal_conflicts_find(deal=deal)
    for other, matched_on in conflicts:
        DealConflict.objects.get_or_create(
            deal=deal, other=other, defaults={"matched_on": matched_on}
        )
        DealConflict.objects.get_or_create(
            deal=other, other=deal, defaults={"matched_on": matched_on}
        )
    if conflicts:
        deal.has_conflict = True
        deal.save(update_fields=["has_conflict", "updated_at"])
        DealRegistration.objects.filter(pk__in=[o.pk for o, _m in conflicts]).update(
            has_conflict=True, updated_at=timezone.now()
        )
    event_record(
        actor=actor,
        verb="deal.registered",
        target=deal,
        partner=partner,
        after={
            "number": deal.number,
            "customer": deal.customer_name,
            "estimated_value": deal.estimated_value,
            "currency": deal.currency,
            "conflict": deal.has_conflict,
        },
    )
    for other, matched_on in conflicts:
        # The other partner's history names its own registration only, and no actor: the
        # registering user belongs to the partner that must stay anonymous.
        event_record(
            actor=None,
            verb="deal.conflict_flagged",
            target=other,
            partner=other.partner,
            after={"number": other.number, "matched_on": matched_on},
        )
        email_users(
            users=[other.registered_by, *partner_admins(other.partner)],
            template="deal_conflict_partner",
            context={"number": other.number, "customer": other.customer_name},
            category=Category.DEALS,
            url=_deal_url(other),
            partner=other.partner,
            channels=False,
        )
    email_users(
        users=vendor_contacts(partner),
        template="deal_registered",
        context={
            "number": deal.number,
            "partner": partner.code,
            "customer": deal.customer_name,
            "conflicts": [o.number for o, _m in conflicts],
        },
        category=Category.DEALS,
        url=_deal_url(deal),
        partner=partner,
    )
    return deal


def _decision_guard(deal: DealRegistration, actor, reason: str) -> DealRegistration:
    if not getattr(actor, "is_vendor_staff", False):
        raise DomainError(_("Only vendor staff decide on deal registrations."))
    locked = DealRegistration.objects.select_for_update().select_related("partner").get(pk=deal.pk)
    if locked.status != DealRegistration.Status.PENDING:
        raise InvalidTransitionError(
            _("This registration was already decided (%(status)s).")
            % {"status": locked.get_status_display()}
        )
    if not reason.strip():
        raise DomainError(_("Give a reason the partner will see."), field="reason")
    return locked


def _notify_decision(deal: DealRegistration) -> None:
    email_users(
        users=[deal.registered_by, *partner_admins(deal.partner)],
        template="deal_decided",
        context={
            "number": deal.number,
            "customer": deal.customer_name,
            "status": deal.status,
            "reason": deal.decision_reason,
            "protected_until": deal.protected_until,
        },
        category=Category.DEALS,
        url=_deal_url(deal),
        partner=deal.partner,
    )


def _deal_url(deal: DealRegistration) -> str:
    return reverse("deal_detail", kwargs={"pk": deal.pk})


@transaction.atomic
def deal_approve(
    *, deal: DealRegistration, actor, reason: str, protection_days: int | None = None
) -> DealRegistration:
    """Approve a pending registration; the customer is protected for `protection_days`.

    Refused while another partner holds an approved, protected registration for the customer.
    """
    deal = _decision_guard(deal, actor, reason)
    today = timezone.localdate()
    protected = [
        other
        for other, _m in deal_conflicts_find(deal=deal, today=today)
        if other.status == DealRegistration.Status.APPROVED
    ]
    if protected:
        raise DomainError(
            _(
                "Another partner's registration for this customer is protected until %(date)s. "
                "Reject this one, or wait until that protection ends."
            )
            % {"date": max(o.protected_until for o in protected).isoformat()}
        )
    if protection_days is not None:
        deal.protection_days = protection_days
    deal.status = DealRegistration.Status.APPROVED
    deal.decided_by = actor
    deal.decided_at = timezone.now()
    deal.decision_reason = reason.strip()
    deal.protected_until = today + dt.timedelta(days=deal.protection_days)
    deal.full_clean()
    deal.save(
        update_fields=[
            "status",
            "protection_days",
            "decided_by",
            "decided_at",
            "decision_reason",
            "protected_until",
            "updated_at",
        ]
    )
    event_record(
        actor=actor,
        verb="deal.approved",
        target=deal,
        partner=deal.partner,
        before={"status": DealRegistration.Status.PENDING},
        after={
            "status": deal.status,
            "number": deal.number,
            "protected_until": deal.protected_until,
        },
        reason=deal.decision_reason,
    )
    _notify_decision(deal)
    milestone_first_deal(deal=deal)
    return deal


@transaction.atomic
def deal_reject(*, deal: DealRegistration, actor, reason: str) -> DealRegistration:
    """Reject a pending registration with a reason the partner sees."""
    deal = _decision_guard(deal, actor, reason)
    deal.status = DealRegistration.Status.REJECTED
    deal.decided_by = actor
    deal.decided_at = timezone.now()
    deal.decision_reason = reason.strip()
    deal.save(update_fields=["status", "decided_by", "decided_at", "decision_reason", "updated_at"])
    event_record(
        actor=actor,
        verb="deal.rejected",
        target=deal,
        partner=deal.partner,
        before={"status": DealRegistration.Status.PENDING},
        after={"status": deal.status, "number": deal.number},
        reason=deal.decision_reason,
    )
    _notify_decision(deal)
    return deal


def deal_protections_expire(*, today: dt.date | None = None) -> int:
    """End the protection of approved registrations whose date has passed. Safe to run twice:
    each row moves only if it is still approved."""
    today = today or timezone.localdate()
    due = DealRegistration.objects.filter(
        status=DealRegistration.Status.APPROVED, protected_until__lt=today
    ).values_list("pk", flat=True)
    expired = 0
    for pk in list(due):
        with transaction.atomic():
            moved = DealRegistration.objects.filter(
                pk=pk, status=DealRegistration.Status.APPROVED, protected_until__lt=today
            ).update(
                status=DealRegistration.Status.EXPIRED,
                expired_at=timezone.now(),
                updated_at=timezone.now(),
            )
            if not moved:
                continue
            deal = DealRegistration.objects.select_related("partner", "registered_by").get(pk=pk)
            event_record(
                actor=None,
                verb="deal.expired",
                target=deal,
                partner=deal.partner,
                before={"status": DealRegistration.Status.APPROVED},
                after={"status": deal.status, "number": deal.number},
            )
            email_users(
                users=[deal.registered_by, *partner_admins(deal.partner)],
                template="deal_expired",
                context={
                    "number": deal.number,
                    "customer": deal.customer_name,
                    "protected_until": deal.protected_until,
                },
                category=Category.DEALS,
                url=_deal_url(deal),
                partner=deal.partner,
            )
            expired += 1
    return expired


def deal_expiry_warnings_send(*, today: dt.date | None = None) -> int:
    """Warn partners EXPIRY_WARNING_DAYS ahead that a protection is ending. Each registration is
    warned once: the send is claimed by a guarded update of `expiry_warning_sent_at`."""
    today = today or timezone.localdate()
    horizon = today + dt.timedelta(days=EXPIRY_WARNING_DAYS)
    due = DealRegistration.objects.filter(
        status=DealRegistration.Status.APPROVED,
        protected_until__gte=today,
        protected_until__lte=horizon,
        expiry_warning_sent_at__isnull=True,
    ).values_list("pk", flat=True)
    warned = 0
    for pk in list(due):
        with transaction.atomic():
            claimed = DealRegistration.objects.filter(
                pk=pk,
                status=DealRegistration.Status.APPROVED,
                expiry_warning_sent_at__isnull=True,
            ).update(expiry_warning_sent_at=timezone.now())
            if not claimed:
                continue
            deal = DealRegistration.objects.select_related("partner", "registered_by").get(pk=pk)
            event_record(
                actor=None,
                verb="deal.expiry_warned",
                target=deal,
                partner=deal.partner,
                after={"number": deal.number, "protected_until": deal.protected_until},
            )
            email_users(
                users=[deal.registered_by, *partner_admins(deal.partner)],
                template="deal_expiring",
                context={
                    "number": deal.number,
                    "customer": deal.customer_name,
                    "protected_until": deal.protected_until,
                    "days_left": (deal.protected_until - today).days,
                },
                category=Category.DEALS,
                url=_deal_url(deal),
                partner=deal.partner,
            )
            warned += 1
    return warned
