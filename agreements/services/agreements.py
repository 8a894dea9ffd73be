"""Writes on agreements: versions (propose, accept), questions, termination, reminders."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _

from partners.models import Segment, Territory
from prm.accounts.models import User
from prm.core.errors import DomainError, EditConflictError, InvalidTransitionError
from prm.core.events import event_record
from prm.notifications.models import Category
from prm.notifications.services import notify

from ..models import (
    Agreement,
    AgreementQuestion,
    AgreementReminder,
    AgreementVersion,
    ProductLine,
)
from ..selectors import LIVE_STATUSES, version_in_force, versions_in_force


@dataclass
class Terms:
    """The terms of one agreement version, as entered by vendor admins or a program file."""

    effective_date: dt.date
    territories: list[str] = field(default_factory=list)
    product_lines: list[str] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)
    exclusive: bool = False
    commission_plan: str = ""
    payment_terms_days: int = 30
    payment_terms: str = ""
    price_notice_days: int = 30
    termination_notice_days: int = 90
    price_protection_days: int = 0
    termination_compensation: str = ""
    review_cadence: str = AgreementVersion.Cadence.QUARTERLY

    def canonical(self) -> dict:
        """The published text of the terms: what the partner reads, accepts and the hash covers."""
        return {
            "effective_date": self.effective_date.isoformat(),
            "territories": sorted(self.territories),
            "product_lines": sorted(self.product_lines),
            "segments": sorted(self.segments),
            "exclusive": self.exclusive,
            "commission_plan": self.commission_plan,
            "payment_terms_days": self.payment_terms_days,
            "payment_terms": self.payment_terms,
            "price_notice_days": self.price_notice_days,
            "termination_notice_days": self.termination_notice_days,
            "termination_compensation": self.termination_compensation,
            "review_cadence": self.review_cadence,
            # Only when granted, so that the terms of versions without protection keep their hash.
            **(
                {"price_protection_days": self.price_protection_days}
                if self.price_protection_days
                else {}
            ),
        }

    @classmethod
    def of(cls, version: AgreementVersion) -> Terms:
        data = dict(version.terms)
        data["effective_date"] = dt.date.fromisoformat(data["effective_date"])
        return cls(**data)


def terms_hash(canonical: dict) -> str:
    text = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _resolve(model, codes: list[str], field_path: str) -> list:
    found = {obj.code: obj for obj in model.objects.filter(code__in=codes)}
    missing = sorted(set(codes) - set(found))
    if missing:
        raise DomainError(
            _("Unknown codes: %(codes)s.") % {"codes": ", ".join(missing)}, field=field_path
        )
    return [found[c] for c in codes]


@transaction.atomic
def agreement_create(
    *,
    actor,
    partner,
    number: str,
    start: dt.date,
    end: dt.date,
    terms: Terms,
    type: str = Agreement.Type.DISTRIBUTION,
    auto_renew: bool = False,
) -> Agreement:
    """Create an agreement and publish its first version for the partner to accept."""
    agreement = Agreement(
        number=number,
        partner=partner,
        type=type,
        start=start,
        end=end,
        auto_renew=auto_renew,
        status=Agreement.Status.AWAITING_ACCEPTANCE,
    )
    agreement.full_clean()
    agreement.save()
    event_record(
        actor=actor,
        verb="agreement.created",
        target=agreement,
        partner=partner,
        after={"number": number, "start": start, "end": end},
    )
    agreement_version_propose(actor=actor, agreement=agreement, terms=terms)
    return agreement


def terms_conflict_check(agreement: Agreement, based_on: int) -> None:
    """Refuse to publish over terms someone else published after the editor opened them."""
    latest = agreement.versions.select_related("published_by").order_by("-number").first()
    if latest is None or latest.number == based_on:
        return
    who = latest.published_by
    name = (who.get_full_name() or who.email) if who is not None else _("someone else")
    when = timezone.localtime(latest.published_at or latest.created_at)
    raise EditConflictError(
        _(
            "This draft was changed by %(name)s at %(time)s after you opened it; reload to see "
            "their changes."
        )
        % {"name": name, "time": time_format(when, "H:i")}
    )


@transaction.atomic
def agreement_version_propose(
    *,
    actor,
    agreement: Agreement,
    terms: Terms,
    change_summary: str = "",
    based_on: int | None = None,
) -> AgreementVersion:
    """Publish new terms as a new version awaiting the partner's acceptance.

    Published versions are never edited; a proposal still waiting is withdrawn in favour of this
    one. `based_on` is the `terms_revision` the editor saw: if another version was published
    since, nothing is saved and `EditConflictError` names who and when. Returns the new version;
    exclusivity conflicts are reported to vendor admins."""
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if agreement.status in (Agreement.Status.EXPIRED, Agreement.Status.TERMINATED):
        raise InvalidTransitionError(_("A closed agreement cannot get new terms."))
    if based_on is not None:
        terms_conflict_check(agreement, based_on)
    territories = _resolve(Territory, terms.territories, "territories")
    lines = _resolve(ProductLine, terms.product_lines, "product_lines")
    segments = _resolve(Segment, terms.segments, "segments")
    pending = agreement.versions.filter(status=AgreementVersion.Status.AWAITING_ACCEPTANCE)
    for old in pending:
        old.status = AgreementVersion.Status.WITHDRAWN
        old.save(update_fields=["status", "updated_at"])
        event_record(
            actor=actor,
            verb="agreement_version.withdrawn",
            target=old,
            partner=agreement.partner,
            before={"version": old.number},
        )
    number = (agreement.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    canonical = terms.canonical()
    version = AgreementVersion(
        agreement=agreement,
        number=number,
        status=AgreementVersion.Status.DRAFT,
        effective_date=terms.effective_date,
        exclusive=terms.exclusive,
        commission_plan=terms.commission_plan,
        payment_terms_days=terms.payment_terms_days,
        payment_terms=terms.payment_terms,
        price_notice_days=terms.price_notice_days,
        price_protection_days=terms.price_protection_days,
        termination_notice_days=terms.termination_notice_days,
        termination_compensation=terms.termination_compensation,
        review_cadence=terms.review_cadence,
        change_summary=change_summary,
    )
    version.full_clean()
    version.save()
    version.territories.set(territories)
    version.product_lines.set(lines)
    version.segments.set(segments)
    # Publishing freezes the terms: from here on the model refuses any change to them.
    version.terms = canonical
    version.terms_hash = terms_hash(canonical)
    version.status = AgreementVersion.Status.AWAITING_ACCEPTANCE
    version.published_at = timezone.now()
    version.published_by = actor if getattr(actor, "is_authenticated", False) else None
    version.save(update_fields=["terms", "terms_hash", "status", "published_at", "published_by"])
    if agreement.status == Agreement.Status.DRAFT:
        agreement.status = Agreement.Status.AWAITING_ACCEPTANCE
        agreement.save(update_fields=["status", "updated_at"])
    event_record(
        actor=actor,
        verb="agreement_version.published",
        target=version,
        partner=agreement.partner,
        after={"agreement": agreement.number, "version": number, "terms": canonical},
        reason=change_summary,
    )
    values = {"version": number, "number": agreement.number, "date": terms.effective_date}
    _notify(
        _partner_admin_recipients(agreement),
        lambda: (
            _("New terms for agreement %(number)s await your acceptance") % values,
            _(
                "Version %(version)s of agreement %(number)s has been proposed, effective "
                "%(date)s. Review the differences and accept it in the partner portal."
            )
            % values,
        ),
        agreement=agreement,
    )
    return version


@transaction.atomic
def agreement_version_accept(
    *, actor, version: AgreementVersion, ip: str | None, seen_hash: str
) -> AgreementVersion:
    """Record the partner admin's acceptance (who, when, from where, hash of the text seen)."""
    version = (
        AgreementVersion.objects.select_for_update().select_related("agreement").get(pk=version.pk)
    )
    if version.status != AgreementVersion.Status.AWAITING_ACCEPTANCE:
        raise InvalidTransitionError(_("This version is not awaiting acceptance."))
    if seen_hash != version.terms_hash or terms_hash(version.terms) != version.terms_hash:
        raise DomainError(
            _("The terms changed while you were reading them. Reload the page and review them.")
        )
    now = timezone.now()
    version.status = AgreementVersion.Status.ACCEPTED
    version.accepted_at = now
    version.accepted_by = actor
    version.accepted_ip = ip or None
    version.accepted_hash = version.terms_hash
    version.in_force_from = max(timezone.localdate(now), version.effective_date)
    version.save(
        update_fields=[
            "status",
            "accepted_at",
            "accepted_by",
            "accepted_ip",
            "accepted_hash",
            "in_force_from",
            "updated_at",
        ]
    )
    agreement = version.agreement
    if agreement.status in (Agreement.Status.DRAFT, Agreement.Status.AWAITING_ACCEPTANCE):
        agreement.status = Agreement.Status.ACTIVE
        agreement.save(update_fields=["status", "updated_at"])
    event_record(
        actor=actor,
        verb="agreement_version.accepted",
        target=version,
        partner=agreement.partner,
        after={
            "version": version.number,
            "hash": version.accepted_hash,
            "ip": version.accepted_ip,
            "in_force_from": version.in_force_from,
        },
    )
    conflicts = exclusivity_conflicts(agreement=agreement, version=version)
    if conflicts:
        _report_conflicts(agreement, conflicts)
    return version


@transaction.atomic
def agreement_question_ask(*, actor, version: AgreementVersion, text: str) -> AgreementQuestion:
    """A partner asks about proposed terms; the account manager and vendor admins are told."""
    if not text.strip():
        raise DomainError(_("Write your question."), field="text")
    question = AgreementQuestion(version=version, asked_by=actor, text=text.strip())
    question.full_clean()
    question.save()
    agreement = version.agreement
    event_record(
        actor=actor,
        verb="agreement_question.asked",
        target=question,
        partner=agreement.partner,
        after={"version": version.number},
        reason=question.text,
    )
    values = {
        "partner": agreement.partner.name,
        "version": version.number,
        "number": agreement.number,
        "text": question.text,
    }
    _notify(
        _vendor_recipients(agreement),
        lambda: (
            _("Question about agreement %(number)s") % values,
            _("%(partner)s asked about version %(version)s of %(number)s:\n\n%(text)s") % values,
        ),
        agreement=agreement,
    )
    return question


def termination_effective_date(
    *, requested: dt.date, notified_on: dt.date, notice_days: int
) -> dt.date:
    """The later of the requested date and the notice date plus the notice period."""
    return max(requested, notified_on + dt.timedelta(days=notice_days))


@transaction.atomic
def agreement_terminate(
    *, actor, agreement: Agreement, side: str, reason: str, requested: dt.date
) -> Agreement:
    """Give notice of termination from either side; the notice rule sets the effective date."""
    agreement = Agreement.objects.select_for_update().select_related("partner").get(pk=agreement.pk)
    if agreement.status not in LIVE_STATUSES:
        raise InvalidTransitionError(_("Only an active agreement can be terminated."))
    if agreement.termination_effective:
        raise InvalidTransitionError(_("Notice of termination has already been given."))
    if not reason.strip():
        raise DomainError(_("Give a reason for the termination."), field="reason")
    today = timezone.localdate()
    version = version_in_force(agreement=agreement, on=today)
    notice_days = version.termination_notice_days if version else 0
    agreement.termination_requested_by = side
    agreement.termination_reason = reason.strip()
    agreement.termination_notified_on = today
    agreement.termination_effective = termination_effective_date(
        requested=requested, notified_on=today, notice_days=notice_days
    )
    agreement.full_clean()
    agreement.save(
        update_fields=[
            "termination_requested_by",
            "termination_reason",
            "termination_notified_on",
            "termination_effective",
            "updated_at",
        ]
    )
    event_record(
        actor=actor,
        verb="agreement.termination_notified",
        target=agreement,
        partner=agreement.partner,
        after={
            "side": side,
            "requested": requested,
            "effective": agreement.termination_effective,
            "notice_days": notice_days,
        },
        reason=agreement.termination_reason,
    )
    values = {
        "number": agreement.number,
        "date": agreement.termination_effective,
        "reason": agreement.termination_reason,
    }
    _notify(
        _partner_admin_recipients(agreement) + _vendor_recipients(agreement),
        lambda: (
            _("Notice of termination of agreement %(number)s") % values,
            _("Agreement %(number)s ends on %(date)s. Reason given: %(reason)s") % values,
        ),
        agreement=agreement,
    )
    return agreement


def exclusivity_conflicts(
    *, agreement: Agreement, version: AgreementVersion
) -> list[tuple[Agreement, list[str], list[str]]]:
    """Other live agreements granting a territory and product line this version grants, where
    either side is exclusive: (agreement, shared territory codes, shared line codes)."""
    mine_t = {t.code for t in version.territories.all()}
    mine_l = {line.code for line in version.product_lines.all()}
    if not (mine_t and mine_l):
        return []
    others = Agreement.objects.filter(status__in=LIVE_STATUSES).exclude(pk=agreement.pk)
    found = []
    in_force = versions_in_force(
        on=max(timezone.localdate(), version.effective_date), agreements=others
    )
    for other_version in in_force.values():
        if not (version.exclusive or other_version.exclusive):
            continue
        shared_t = sorted(mine_t & {t.code for t in other_version.territories.all()})
        shared_l = sorted(mine_l & {line.code for line in other_version.product_lines.all()})
        if shared_t and shared_l:
            found.append((other_version.agreement, shared_t, shared_l))
    return found


def _report_conflicts(agreement: Agreement, conflicts) -> None:
    """Tell every vendor admin (by email and in the audit trail) about overlapping exclusivity."""

    def render() -> tuple[str, str]:
        return _("Channel conflict: overlapping exclusive agreements"), "\n".join(
            conflict_text(agreement, other, territories, lines)
            for other, territories, lines in conflicts
        )

    admins = list(User.objects.filter(vendor_role=User.VendorRole.ADMIN, is_active=True))
    _notify(admins, render, agreement=agreement)
    for other, territories, product_lines in conflicts:
        # About two partners, so filed under neither: vendor staff read it (agreements/events.py).
        event_record(
            actor=None,
            verb="agreement.exclusivity_conflict",
            target=agreement,
            partner=None,
            after={
                "number": agreement.number,
                "other": other.number,
                "territories": territories,
                "lines": product_lines,
            },
        )


def conflict_text(agreement: Agreement, other: Agreement, territories, lines) -> str:
    return _("%(a)s and %(b)s both grant %(territories)s / %(lines)s, and one is exclusive.") % {
        "a": agreement.number,
        "b": other.number,
        "territories": ", ".join(territories),
        "lines": ", ".join(lines),
    }


def _vendor_recipients(agreement: Agreement) -> list[User]:
    users = {
        u.pk: u for u in User.objects.filter(vendor_role=User.VendorRole.ADMIN, is_active=True)
    }
    manager = agreement.partner.account_manager
    if manager is not None and manager.is_active:
        users[manager.pk] = manager
    return list(users.values())


def _partner_admin_recipients(agreement: Agreement) -> list[User]:
    return [
        m.user
        for m in agreement.partner.memberships.filter(role="admin", is_active=True).select_related(
            "user"
        )
    ]


def _notify(
    recipients: list[User], render: Callable[[], tuple[str, str]], *, agreement: Agreement
) -> None:
    """Tell each recipient in their own language: in the portal, and by email or digest as they
    chose for agreements."""
    notify(
        users=recipients,
        category=Category.AGREEMENTS,
        render=render,
        url=reverse("agreement_detail", kwargs={"number": agreement.number}),
        partner=agreement.partner,
    )


REMINDER_DAYS = (90, 30, 7)


@transaction.atomic
def agreement_reminders_send(*, today: dt.date) -> dict[str, int]:
    """Daily sweep: renewal/expiry reminders 90, 30 and 7 days before the end (each once),
    statuses moved to expiring / expired / terminated, auto-renewals applied."""
    counts = {"reminders": 0, "expiring": 0, "expired": 0, "renewed": 0, "terminated": 0}
    live = Agreement.objects.select_for_update(of=("self",)).filter(status__in=LIVE_STATUSES)
    for agreement in live.select_related("partner", "partner__account_manager"):
        if agreement.termination_effective and agreement.termination_effective <= today:
            _set_status(agreement, Agreement.Status.TERMINATED, "agreement.terminated")
            counts["terminated"] += 1
            continue
        if agreement.end < today:
            if agreement.auto_renew and not agreement.termination_effective:
                _renew(agreement)
                counts["renewed"] += 1
            else:
                _set_status(agreement, Agreement.Status.EXPIRED, "agreement.expired")
                counts["expired"] += 1
            continue
        days_left = (agreement.end - today).days
        if days_left <= max(REMINDER_DAYS) and agreement.status == Agreement.Status.ACTIVE:
            _set_status(agreement, Agreement.Status.EXPIRING, "agreement.expiring")
            counts["expiring"] += 1
        due = [d for d in REMINDER_DAYS if days_left <= d]
        if due:
            key = f"end-{agreement.end.isoformat()}-{min(due)}d"
            _, created = AgreementReminder.objects.get_or_create(agreement=agreement, key=key)
            if created:
                _send_end_reminder(agreement, days_left)
                counts["reminders"] += 1
    return counts


def _set_status(agreement: Agreement, status: str, verb: str) -> None:
    before = agreement.status
    agreement.status = status
    agreement.save(update_fields=["status", "updated_at"])
    event_record(
        actor=None,
        verb=verb,
        target=agreement,
        partner=agreement.partner,
        before={"status": before},
        after={"status": status, "number": agreement.number},
    )


def _renew(agreement: Agreement) -> None:
    before = {"start": agreement.start, "end": agreement.end}
    length = agreement.end - agreement.start
    agreement.start = agreement.end + dt.timedelta(days=1)
    agreement.end = agreement.start + length
    agreement.status = Agreement.Status.ACTIVE
    agreement.save(update_fields=["start", "end", "status", "updated_at"])
    event_record(
        actor=None,
        verb="agreement.renewed",
        target=agreement,
        partner=agreement.partner,
        before=before,
        after={"start": agreement.start, "end": agreement.end},
    )


def _send_end_reminder(agreement: Agreement, days_left: int) -> None:
    values = {
        "number": agreement.number,
        "days": days_left,
        "partner": agreement.partner.name,
        "end": agreement.end,
    }

    def render() -> tuple[str, str]:
        if agreement.auto_renew:
            subject = _("Agreement %(number)s renews in %(days)s days") % values
        else:
            subject = _("Agreement %(number)s expires in %(days)s days") % values
        return subject, _("Agreement %(number)s with %(partner)s ends on %(end)s.") % values

    _notify(
        _partner_admin_recipients(agreement) + _vendor_recipients(agreement),
        render,
        agreement=agreement,
    )
