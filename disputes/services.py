"""Writes on cases: open, reply, move through the workflow, resolve, rate, escalate on breach."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from commissions.models import Sale, Statement
from commissions.services.statements import adjustment_create
from partners.models import DealRegistration, Partner
from partners.normalise import normalise_customer_name, normalise_tax_id
from partners.selectors import partner_visible_queryset
from prm.core.errors import DomainError, InvalidTransitionError
from prm.core.events import event_record

from .models import Case, CaseMessage, CaseStatusChange
from .notifications import case_email, partner_users
from .sla import is_breached, sla_deadlines
from .uploads import attachment_check

S = Case.Status
# Which statuses each status may move to (resolving has its own service).
TRANSITIONS: dict[str, frozenset[str]] = {
    S.OPEN: frozenset({S.IN_PROGRESS, S.WAITING_ON_PARTNER}),
    S.IN_PROGRESS: frozenset({S.WAITING_ON_PARTNER}),
    S.WAITING_ON_PARTNER: frozenset({S.IN_PROGRESS}),
    # Mediation is entered through case_mediation_refer and left by resolving.
    S.IN_MEDIATION: frozenset(),
    S.RESOLVED: frozenset({S.CLOSED, S.IN_PROGRESS}),
    S.CLOSED: frozenset(),
}


def _case_url(case: Case) -> str:
    return reverse("case_detail", kwargs={"pk": case.pk})


def _notify(
    case: Case,
    *,
    template: str = "case_updated",
    extra: Iterable[Any] = (),
    partners: Iterable[Partner | None] | None = None,
) -> None:
    """Email the owner, the parties' followers (or those of `partners` only) and `extra`."""
    if partners is None:
        partners = [case.partner, case.other_partner]
    parties = partner_users(partners, raised_by_id=case.raised_by_id)
    users = [case.owner, *parties, *extra]
    case_email(users=users, template=template, context={"case": case, "url": _case_url(case)})


def _reason_audience(
    case: Case, *, internal: bool | None, party: Partner | None
) -> tuple[bool, Partner | None]:
    """Who reads a history reason. By default every party of a single-partner case, and vendor
    staff only between the two partners of a conflict, where a reason could name the other."""
    if internal is None:
        internal = case.other_partner_id is not None and party is None
    if party is not None:
        if internal:
            raise DomainError(
                _("A reason for vendor staff only is not shown to a partner."), field="reason_to"
            )
        if party.pk not in (case.partner_id, case.other_partner_id):
            raise DomainError(_("Show the reason to a party of the case."), field="reason_to")
    return internal, party


def _history_event(
    case: Case,
    *,
    actor,
    verb: str,
    before: dict,
    after: dict,
    reason: str,
    change,
    filed_under: Partner | None = None,
) -> None:
    """Record the audit event of a history entry. The event is filed under the case's partner
    (or `filed_under`, the party whose user acted), whose users read its reason in their
    activity: a reason they may not read stays out of the event's reason and is kept with the
    event's details for the vendor's audit."""
    partner = filed_under or case.partner
    shown = change.reason_for_partner(partner.pk)
    if reason and not shown:
        after = {**after, "reason": reason, "reason_internal": True}
    event_record(
        actor=actor,
        verb=verb,
        target=case,
        partner=partner,
        before=before,
        after=after,
        reason=shown,
    )


def _status_record(
    case: Case,
    *,
    actor,
    before: str,
    reason: str,
    now: dt.datetime,
    internal: bool | None = None,
    party: Partner | None = None,
    filed_under: Partner | None = None,
) -> CaseStatusChange:
    internal, party = _reason_audience(case, internal=internal, party=party)
    change = CaseStatusChange.objects.create(
        case=case,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        from_status=before,
        to_status=case.status,
        reason=reason,
        reason_internal=internal,
        reason_party=party,
        created_at=now,
    )
    _history_event(
        case,
        actor=actor,
        verb="case.status_changed",
        before={"status": before},
        after={"status": case.status},
        reason=reason,
        change=change,
        filed_under=filed_under,
    )
    return change


@transaction.atomic
def case_open(
    *,
    actor,
    partner: Partner,
    kind: str,
    subject: str,
    description: str,
    priority: str = Case.Priority.NORMAL,
    statement_line=None,
    deal=None,
    agreement_version=None,
    product=None,
    incident: str = "",
    severity: str = "",
    evidence: str = "",
    penalty: Decimal | None = None,
    other_partner: Partner | None = None,
    sale: Sale | None = None,
    owner=None,
    now: dt.datetime | None = None,
) -> Case:
    """Open a case for `partner`; the owner defaults to the partner's account manager."""
    now = now or timezone.now()
    if statement_line is not None and statement_line.statement.partner_id != partner.pk:
        raise DomainError(_("That statement line belongs to another partner."))
    if deal is not None and deal.partner_id != partner.pk:
        raise DomainError(_("That deal registration belongs to another partner."))
    if agreement_version is not None and agreement_version.agreement.partner_id != partner.pk:
        raise DomainError(_("That agreement belongs to another partner."))
    if kind == Case.Kind.COMPLIANCE:
        if not getattr(actor, "vendor_role", ""):
            raise DomainError(_("Compliance incidents are raised by vendor staff."))
        if not incident or not severity:
            raise DomainError(_("A compliance incident needs its type and severity."))
    elif incident or severity or penalty is not None:
        raise DomainError(_("Incident details belong to compliance cases."))
    first_due, resolution_due = sla_deadlines(priority=priority, start=now)
    case = Case(
        kind=kind,
        priority=priority,
        subject=subject.strip(),
        description=description.strip(),
        partner=partner,
        other_partner=other_partner,
        raised_by=actor if getattr(actor, "is_authenticated", False) else None,
        owner=owner or partner.account_manager,
        statement_line=statement_line,
        deal=deal,
        agreement_version=agreement_version,
        product=product,
        incident=incident,
        severity=severity,
        evidence=evidence.strip(),
        penalty=penalty,
        sale=sale,
        first_response_due=first_due,
        resolution_due=resolution_due,
    )
    case.full_clean()
    case.save()
    _status_record(case, actor=actor, before="", reason=_("Case opened"), now=now, internal=False)
    _notify(case)
    return case


@transaction.atomic
def case_message_add(
    *,
    case: Case,
    actor,
    body: str,
    internal: bool = False,
    upload=None,
    to: Partner | None = None,
    now: dt.datetime | None = None,
) -> CaseMessage:
    """Add to the thread. A vendor reply is the first response; a partner reply while the case
    waits on the partner restarts the clock. Internal notes are for vendor staff only.

    A partner's message is seen by vendor staff and its own organisation, never by the other
    party of a channel conflict; vendor staff may likewise write `to` one party only."""
    now = now or timezone.now()
    case = Case.objects.select_for_update().get(pk=case.pk)
    vendor = bool(actor.vendor_role)
    if internal and not vendor:
        raise DomainError(_("Only vendor staff write internal notes."))
    if not body.strip():
        raise DomainError(_("Write a message."), field="body")
    if to is not None and (
        not vendor or internal or to.pk not in (case.partner_id, case.other_partner_id)
    ):
        raise DomainError(_("Vendor staff address one party of a case only."), field="to")
    party = to.pk if to is not None else None
    if not vendor:
        party = (
            actor.memberships.filter(
                is_active=True, partner_id__in=[case.partner_id, case.other_partner_id]
            )
            .values_list("partner_id", flat=True)
            .first()
        )
    message = CaseMessage(
        case=case, author=actor, body=body.strip(), internal=internal, party_id=party
    )
    if upload is not None:
        safe_name = attachment_check(upload)
        path = default_storage.save(f"disputes/{case.pk}/{uuid.uuid4().hex}", upload)
        message.attachment.name = path
        message.attachment_name = safe_name
        message.attachment_size = upload.size
    message.full_clean()
    message.save()
    event_record(
        actor=actor,
        verb="case.note_added" if internal else "case.message_added",
        target=case,
        # A message for one party is filed under that party: the other never reads of it.
        partner=message.party if message.party_id else case.partner,
        after={"message": message.pk, "attachment": bool(upload)},
    )
    if vendor and not internal and case.first_responded_at is None:
        case.first_responded_at = now
        case.save(update_fields=["first_responded_at", "updated_at"])
    if not vendor and case.status == S.WAITING_ON_PARTNER:
        # Filed under the replying party: in a conflict the other never reads who replied.
        _move(
            case,
            actor=actor,
            to=S.IN_PROGRESS,
            reason=_("The partner replied"),
            now=now,
            filed_under=message.party,
        )
    if not internal:
        _notify(case, partners=[to] if to is not None else None)
    return message


def _clock_resume(case: Case, *, now: dt.datetime) -> list[str]:
    """Restart a paused SLA clock: the deadlines move by the time spent waiting on the partner.
    Returns the fields it changed (none when the clock was running)."""
    if case.paused_at is None:
        return []
    paused_for = now - case.paused_at
    fields = ["resolution_due", "paused_at"]
    if case.first_responded_at is None:
        case.first_response_due += paused_for
        fields.append("first_response_due")
    case.resolution_due += paused_for
    case.paused_at = None
    return fields


def _move(
    case: Case,
    *,
    actor,
    to: str,
    reason: str,
    now: dt.datetime,
    internal: bool | None = None,
    party: Partner | None = None,
    filed_under: Partner | None = None,
) -> Case:
    before = case.status
    if to not in TRANSITIONS[before]:
        raise InvalidTransitionError(
            _("A case cannot go from %(before)s to %(after)s.")
            % {"before": case.get_status_display(), "after": S(to).label}
        )
    fields = ["status", "updated_at"]
    if to == S.WAITING_ON_PARTNER:
        case.paused_at = now
        fields.append("paused_at")
    else:
        fields += _clock_resume(case, now=now)
    if before == S.RESOLVED and to == S.IN_PROGRESS:
        # Reopened: it is unresolved again. Closing keeps the resolution time for reporting.
        case.resolved_at = None
        fields.append("resolved_at")
    case.status = to
    case.save(update_fields=fields)
    _status_record(
        case,
        actor=actor,
        before=before,
        reason=reason,
        now=now,
        internal=internal,
        party=party,
        filed_under=filed_under,
    )
    return case


@transaction.atomic
def case_status_change(
    *,
    case: Case,
    actor,
    status: str,
    reason: str = "",
    reason_internal: bool | None = None,
    reason_party: Partner | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """Move a case along the transition map; waiting on the partner pauses the SLA clock.

    The reason goes to vendor staff only (`reason_internal`), to one party (`reason_party`) or
    to every party; left unsaid, a conflict's reason stays with vendor staff."""
    now = now or timezone.now()
    case = Case.objects.select_for_update().get(pk=case.pk)
    _move(
        case,
        actor=actor,
        to=status,
        reason=reason.strip(),
        now=now,
        internal=reason_internal,
        party=reason_party,
    )
    _notify(case)
    return case


@transaction.atomic
def case_resolve(
    *,
    case: Case,
    actor,
    resolution: str,
    adjustment_amount: Decimal | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """Resolve with an outcome; a payout case may credit or debit the partner's next draft."""
    now = now or timezone.now()
    case = Case.objects.select_for_update().select_related("partner").get(pk=case.pk)
    if not resolution.strip():
        raise DomainError(_("State the outcome."), field="resolution")
    if not case.is_active:
        raise InvalidTransitionError(_("The case is already resolved."))
    before = case.status
    fields = ["status", "resolution", "resolved_at", "updated_at", *_clock_resume(case, now=now)]
    if case.first_responded_at is None:
        # The outcome reaches the partner: it answers the case as a first response would.
        case.first_responded_at = now
        fields.append("first_responded_at")
    if adjustment_amount is not None:
        if case.kind != Case.Kind.PAYOUT:
            raise DomainError(_("Only payout cases create adjustments."), field="adjustment")
        if case.adjustment_id is not None:
            # The case links one adjustment; a further correction is a case of its own.
            raise DomainError(
                _("This case already made an adjustment; open a new case for another."),
                field="adjustment",
            )
        line = case.statement_line
        corrects = (
            line.statement if line and line.statement.status != Statement.Status.DRAFT else None
        )
        case.adjustment = adjustment_create(
            partner=case.partner,
            amount=adjustment_amount,
            reason=resolution.strip(),
            actor=actor,
            corrects=corrects,
            source_label=case.number,
            source_url=_case_url(case),
        )
        fields.append("adjustment")
    case.status = S.RESOLVED
    case.resolution = resolution.strip()
    case.resolved_at = now
    case.save(update_fields=fields)
    # Every party reads the outcome on the case itself, so its history entry is theirs too.
    _status_record(
        case, actor=actor, before=before, reason=case.resolution, now=now, internal=False
    )
    _notify(case)
    return case


@transaction.atomic
def case_mediation_refer(
    *, case: Case, actor, mediator: str, started_on: dt.date, now: dt.datetime | None = None
) -> Case:
    """Refer an escalated, unresolved case to a third-party mediator."""
    now = now or timezone.now()
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.escalated_at is None:
        raise DomainError(_("Only an escalated case can go to mediation."))
    if case.status in (S.RESOLVED, S.CLOSED, S.IN_MEDIATION):
        raise InvalidTransitionError(_("This case cannot go to mediation now."))
    if not mediator.strip():
        raise DomainError(_("Name the mediator."), field="mediator")
    before = case.status
    fields = ["status", "mediator", "mediation_started_on", "updated_at"]
    fields += _clock_resume(case, now=now)
    case.status = S.IN_MEDIATION
    case.mediator = mediator.strip()
    case.mediation_started_on = started_on
    case.full_clean()
    case.save(update_fields=fields)
    _status_record(
        case,
        actor=actor,
        before=before,
        reason=_("Referred to %(mediator)s") % {"mediator": case.mediator},
        now=now,
        internal=False,
    )
    _notify(case)
    return case


@transaction.atomic
def case_mediation_conclude(*, case: Case, actor, outcome: str, ended_on: dt.date) -> Case:
    """Record the mediator's outcome; the vendor then resolves the case accordingly."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.status != S.IN_MEDIATION:
        raise InvalidTransitionError(_("The case is not in mediation."))
    if not outcome.strip():
        raise DomainError(_("State the mediation outcome."), field="outcome")
    if case.mediation_started_on and ended_on < case.mediation_started_on:
        raise DomainError(_("Mediation cannot end before it started."), field="ended_on")
    case.mediation_outcome = outcome.strip()
    case.mediation_ended_on = ended_on
    case.save(update_fields=["mediation_outcome", "mediation_ended_on", "updated_at"])
    event_record(
        actor=actor,
        verb="case.mediation_concluded",
        target=case,
        partner=case.partner,
        after={"outcome": case.mediation_outcome, "ended_on": ended_on},
    )
    _notify(case)
    return case


@transaction.atomic
def case_parties_disclose(*, case: Case, actor) -> Case:
    """Let the two partners of a channel conflict see each other's name from now on."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.other_partner_id is None:
        raise DomainError(_("Only a case between two partners has parties to disclose."))
    if case.parties_disclosed:
        return case
    case.parties_disclosed = True
    case.save(update_fields=["parties_disclosed", "updated_at"])
    event_record(
        actor=actor,
        verb="case.parties_disclosed",
        target=case,
        partner=case.partner,
        before={"parties_disclosed": False},
        after={"parties_disclosed": True},
    )
    _notify(case)
    return case


OWNER_ROLES = ("admin", "channel_manager")


def case_reassign_allowed(*, case: Case, actor) -> bool:
    """Vendor admins reassign any case; a channel manager the cases of the partners they see
    (assigned to them, or all with "view all partners")."""
    if getattr(actor, "vendor_role", "") not in OWNER_ROLES or not actor.is_active:
        return False
    return actor.is_vendor_admin or (
        partner_visible_queryset(user=actor).filter(pk=case.partner_id).exists()
    )


@transaction.atomic
def case_reassign(*, case: Case, actor, owner, reason: str, now: dt.datetime | None = None) -> Case:
    """Hand a case to another vendor admin or channel manager who can see its partner. The change
    joins the case's history (for vendor staff, the reason too) and the new owner is told."""
    now = now or timezone.now()
    case = Case.objects.select_for_update().select_related("partner").get(pk=case.pk)
    if not case_reassign_allowed(case=case, actor=actor):
        raise DomainError(
            _("Only vendor admins and the partner's channel managers reassign its cases.")
        )
    if not case.is_active:
        raise InvalidTransitionError(_("A resolved or closed case keeps its owner."))
    if owner is None:
        raise DomainError(_("Choose the new owner."), field="owner")
    if not owner.is_active or owner.vendor_role not in OWNER_ROLES:
        raise DomainError(
            _("%(user)s is not a vendor admin or channel manager.") % {"user": owner},
            field="owner",
        )
    if owner.pk == case.owner_id:
        raise DomainError(_("%(user)s already owns this case.") % {"user": owner}, field="owner")
    if not partner_visible_queryset(user=owner).filter(pk=case.partner_id).exists():
        raise DomainError(
            _("%(user)s is not assigned to %(partner)s; assign them to the partner first.")
            % {"user": owner, "partner": case.partner.display_name},
            field="owner",
        )
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Say why the case changes hands."), field="reason")
    previous = case.owner
    case.owner = owner
    case.save(update_fields=["owner", "updated_at"])
    change = CaseStatusChange.objects.create(
        case=case,
        kind=CaseStatusChange.Kind.OWNER,
        actor=actor,
        from_status=case.status,
        to_status=case.status,
        from_owner=previous,
        to_owner=owner,
        reason=reason,
        # Who works a case is the vendor's business: partners see the new owner, not why.
        reason_internal=True,
        created_at=now,
    )
    _history_event(
        case,
        actor=actor,
        verb="case.owner_changed",
        before={"owner": previous.email if previous else None},
        after={"owner": owner.email, "owner_name": str(owner)},
        reason=reason,
        change=change,
    )
    case_email(
        users=[owner],
        template="case_reassigned",
        context={
            "case": case,
            "url": _case_url(case),
            "actor": actor,
            "previous": previous,
            "reason": reason,
        },
    )
    return case


@transaction.atomic
def case_rate(*, case: Case, actor, rating: int, comment: str = "") -> Case:
    """The partner rates a resolved case once, 1 to 5."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.status not in (S.RESOLVED, S.CLOSED):
        raise DomainError(_("Rate the case once it is resolved."))
    if case.rating is not None:
        raise DomainError(_("This case has already been rated."))
    if not 1 <= rating <= 5:
        raise DomainError(_("Give a rating from 1 to 5."), field="rating")
    case.rating = rating
    case.rating_comment = comment.strip()
    case.save(update_fields=["rating", "rating_comment", "updated_at"])
    event_record(
        actor=actor, verb="case.rated", target=case, partner=case.partner, after={"rating": rating}
    )
    return case


def case_breaches_escalate(*, now: dt.datetime | None = None) -> list[int]:
    """Escalate every running case past a deadline to its owner's manager and the vendor admins.

    Safe to run twice: the guarded update on `escalated_at` lets one run claim each case."""
    now = now or timezone.now()
    running = Case.objects.filter(
        status__in=[S.OPEN, S.IN_PROGRESS], escalated_at__isnull=True, paused_at__isnull=True
    )
    due = running.filter(
        Q(first_responded_at__isnull=True, first_response_due__lte=now) | Q(resolution_due__lte=now)
    )
    escalated = []
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            if not Case.objects.filter(pk=pk, escalated_at__isnull=True).update(escalated_at=now):
                continue
            case = Case.objects.select_related("owner__manager", "partner").get(pk=pk)
            event_record(
                actor=None,
                verb="case.escalated",
                target=case,
                partner=case.partner,
                after={"escalated_at": now},
                reason=_("SLA breached"),
            )
            admins = get_user_model().objects.filter(vendor_role="admin", is_active=True)
            manager = case.owner.manager if case.owner else None
            _notify(case, template="case_escalated", extra=[manager, *admins])
            escalated.append(pk)
    return escalated


def case_sla_state(case: Case, now: dt.datetime) -> dict[str, Any]:
    """What the countdown shows: time left (negative when breached) and whether it is paused."""
    first = None
    if case.first_responded_at is None and case.is_active:
        first = case.remaining(case.first_response_due, now)
    resolution = case.remaining(case.resolution_due, now) if case.is_active else None
    return {
        "paused": case.paused_at is not None,
        "first_response_left": first,
        "resolution_left": resolution,
        "first_breached": first is not None
        and is_breached(due=case.first_response_due, now=case.paused_at or now),
        "resolution_breached": resolution is not None
        and is_breached(due=case.resolution_due, now=case.paused_at or now),
    }


def channel_conflict_cases_open(
    *, sales: list[dict[str, Any]], today: dt.date | None = None
) -> list[Case]:
    """Open one channel-conflict case per imported sale to a customer protected by another
    partner's approved, unexpired deal registration. Once per sale: the sale is unique on the case.

    `sales` are the imported rows (external_id, partner_id, customer_name, customer_tax_id,
    invoice_date). One query finds the protections whatever the number of rows."""
    today = today or timezone.localdate()
    # The live protections are few next to the rows of an import: one query fetches them all and
    # the rows are matched in memory, with no parameter list growing with the file.
    deals = list(
        DealRegistration.objects.filter(
            status=DealRegistration.Status.APPROVED, protected_until__gte=today
        ).select_related("partner__account_manager")
    )
    if not deals:
        return []
    name_keys: dict[str, str] = {}
    tax_keys: dict[str, str] = {}
    for row in sales:
        name = row["customer_name"]
        if name not in name_keys:
            name_keys[name] = normalise_customer_name(name)
        tax = row.get("customer_tax_id") or ""
        if tax and tax not in tax_keys:
            tax_keys[tax] = normalise_tax_id(tax)
    by_name = {d.customer_key: d for d in deals if d.customer_key}
    by_tax = {d.customer_tax_id_key: d for d in deals if d.customer_tax_id_key}
    matches: dict[str, DealRegistration] = {}
    for row in sales:
        tax = tax_keys.get(row.get("customer_tax_id") or "")
        deal = by_tax.get(tax) if tax else None
        deal = deal or by_name.get(name_keys[row["customer_name"]])
        if deal is not None and deal.partner_id != row["partner_id"]:
            matches[row["external_id"]] = deal
    if not matches:
        return []
    opened = []
    for sale in Sale.objects.filter(
        external_id__in=matches, conflict_case__isnull=True
    ).select_related("partner"):
        deal = matches[sale.external_id]
        opened.append(
            case_open(
                actor=None,
                partner=deal.partner,
                other_partner=sale.partner,
                kind=Case.Kind.CHANNEL_CONFLICT,
                priority=Case.Priority.HIGH,
                subject=_("Sale to protected customer %(customer)s")
                % {"customer": deal.customer_name},
                description=_(
                    "A sale dated %(date)s to %(customer)s was attributed to one partner while "
                    "the customer is protected by another partner's approved deal registration."
                )
                % {"date": sale.invoice_date.isoformat(), "customer": deal.customer_name},
                sale=sale,
                deal=deal,
                owner=deal.partner.account_manager,
            )
        )
    return opened
