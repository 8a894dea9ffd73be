"""Certificates over time: the history entry when one is earned, and the expiry reminders.

Reminders go 60 and 14 days before a certificate expires, to its holder and to the admins of each
partner the holder is an active member of, each (certificate, reminder) once. A certificate that
was renewed (a later one of the same person and certification exists) is not reminded of.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from partners.models import Membership
from prm.core.events import event_record
from prm.notifications.models import Category
from prm.notifications.services import notify

from .models import Certificate, CertificateReminder

# Days before expiry at which each reminder goes; a reminder is due from that day until the
# next one (a run missed on the day still sends it, once).
REMINDER_DAYS = {CertificateReminder.Kind.DAYS_60: 60, CertificateReminder.Kind.DAYS_14: 14}


def _event_after(certificate: Certificate) -> dict:
    return {
        "certification": certificate.certification.name,
        "code": certificate.certification.code,
        "holder": certificate.user.get_full_name(),
        "earned": certificate.earned.isoformat(),
        "expires": certificate.expires.isoformat(),
    }


def certificate_earned_record(certificate: Certificate, *, actor=None) -> None:
    """Record a new certificate in the history of each partner its holder belongs to (or in the
    vendor's history when the holder belongs to none)."""
    partners = [
        membership.partner
        for membership in Membership.objects.filter(user_id=certificate.user_id, is_active=True)
        .select_related("partner")
        .order_by("partner__code")
    ]
    for partner in partners or [None]:
        event_record(
            actor=actor,
            verb="certificate.earned",
            target=certificate,
            partner=partner,
            after=_event_after(certificate),
        )


def _renewed() -> Exists:
    """A later certificate of the same person and certification: the renewal."""
    return Exists(
        Certificate.objects.filter(
            user_id=OuterRef("user_id"),
            certification_id=OuterRef("certification_id"),
            expires__gt=OuterRef("expires"),
        )
    )


def certificates_due_for_reminder(*, kind: str, today: dt.date):
    """Certificates whose `kind` reminder is due on `today` and has not gone yet."""
    days = REMINDER_DAYS[kind]
    due = Certificate.objects.filter(
        earned__lte=today,
        expires__gt=today,
        expires__lte=today + dt.timedelta(days=days),
    )
    later = [d for d in REMINDER_DAYS.values() if d < days]
    if later:
        # The 60-day reminder is not sent once the 14-day one is due.
        due = due.filter(expires__gt=today + dt.timedelta(days=max(later)))
    sent = CertificateReminder.objects.filter(certificate_id=OuterRef("pk"), kind=kind)
    return due.exclude(_renewed()).exclude(Exists(sent))


def _claim(*, today: dt.date) -> list[CertificateReminder]:
    """Insert the reminder rows due today under a claim of this run and answer the rows that
    carry it: a row another run inserted first is skipped by the unique constraint."""
    claim = uuid.uuid4()
    rows = [
        CertificateReminder(certificate_id=pk, kind=kind, sent_on=today, claim=claim)
        for kind in REMINDER_DAYS
        for pk in certificates_due_for_reminder(kind=kind, today=today).values_list("pk", flat=True)
    ]
    if not rows:
        return []
    CertificateReminder.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return list(
        CertificateReminder.objects.filter(claim=claim)
        .select_related("certificate__user", "certificate__certification")
        .order_by("certificate__expires", "certificate_id", "kind")
    )


def _partners_and_admins(holder_ids: set[int]):
    """Each holder's active memberships, and each of those partners' active admins (2 queries)."""
    memberships = Membership.objects.filter(user_id__in=holder_ids, is_active=True).select_related(
        "partner"
    )
    partners_of: dict[int, list] = defaultdict(list)
    for membership in memberships.order_by("partner__code"):
        partners_of[membership.user_id].append(membership.partner)
    partner_ids = {p.pk for ps in partners_of.values() for p in ps}
    admins_of: dict[int, list] = defaultdict(list)
    for membership in Membership.objects.filter(
        partner_id__in=partner_ids, is_active=True, role=Membership.Role.ADMIN
    ).select_related("user"):
        admins_of[membership.partner_id].append(membership.user)
    return partners_of, admins_of


def certificate_reminders_send(*, today: dt.date | None = None) -> dict[str, int]:
    """The daily run: remind holders and their partners' admins 60 and 14 days before a
    certificate expires. Each (certificate, reminder) goes once, whatever the number of runs at
    once: the reminder rows are inserted under the unique constraint in the same transaction as
    the notifications, and a run sends only the rows it inserted itself. Returns the number sent
    of each kind."""
    today = today or timezone.localdate()
    counts = dict.fromkeys(REMINDER_DAYS, 0)
    with transaction.atomic():
        claimed = _claim(today=today)
        if not claimed:
            return {str(k): v for k, v in counts.items()}
        partners_of, admins_of = _partners_and_admins(
            {reminder.certificate.user_id for reminder in claimed}
        )
        own_url = reverse("certificate_list")
        for reminder in claimed:
            certificate = reminder.certificate
            holder = certificate.user
            context = {
                "holder": holder.get_full_name(),
                "certification": certificate.certification.name,
                "code": certificate.certification.code,
                "expires": certificate.expires,
                "days_left": (certificate.expires - today).days,
            }
            partners = partners_of.get(holder.pk, [])
            notify(
                users=[holder],
                category=Category.LEARNING,
                template="enablement/email/certificate_expiring",
                context=context,
                url=own_url,
                partner=partners[0] if len(partners) == 1 else None,
                channels=False,
            )
            for partner in partners:
                admins = [user for user in admins_of.get(partner.pk, []) if user.pk != holder.pk]
                if admins:
                    notify(
                        users=admins,
                        category=Category.LEARNING,
                        template="enablement/email/certificate_expiring_admin",
                        context={**context, "partner": partner.display_name},
                        url=reverse("partner_detail", kwargs={"code": partner.code}) + "#certified",
                        partner=partner,
                    )
            for partner in partners or [None]:
                event_record(
                    actor=None,
                    verb="certificate.reminder_sent",
                    target=certificate,
                    partner=partner,
                    after={**_event_after(certificate), "days": REMINDER_DAYS[reminder.kind]},
                )
            counts[reminder.kind] += 1
    return {str(k): v for k, v in counts.items()}
