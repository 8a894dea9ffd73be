"""Writes of the engagement app: the hourly commitments run with its once-only miss
notices, and the quarterly health snapshots."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from partners.models import Partner
from prm.accounts.models import User
from prm.notifications.models import Category
from prm.notifications.services import Message, notify_many

from .commitments import Window, instances_measure
from .health import health_measure, health_snapshots_store, quarter_label
from .models_commitments import Commitment, CommitmentMiss


def _measured_partners():
    return Partner.objects.exclude(status__in=[Partner.Status.PROSPECT])


# A miss is announced when the run that finds it is within this many days of the miss (so a
# worker down for weeks still announces what it missed); older misses, such as the year's
# history found by the very first run, are recorded without a notice.
NOTICE_DAYS = 31


@transaction.atomic
def commitment_misses_record(*, now: dt.datetime | None = None) -> int:
    """Measure every partner's commitments this year (and, early in January, those of the last
    NOTICE_DAYS days of the year before) and record each missed instance once; the
    recent rows this run claims (inserted, not already there) are announced to the vendor
    admins at once. Safe to run twice or concurrently: the unique row decides who announces a
    miss. Returns the number of misses announced."""
    now = now or timezone.now()
    run = uuid.uuid4()
    window = Window.year_and_recent(now, days=NOTICE_DAYS)
    known = set(
        CommitmentMiss.objects.filter(due__gte=window.start - dt.timedelta(days=400)).values_list(
            "partner_id", "kind", "ref"
        )
    )
    missed = [
        i
        for i in instances_measure(_measured_partners(), window=window)
        if not i.met and (i.partner_id, i.kind, i.ref) not in known
    ]
    CommitmentMiss.objects.bulk_create(
        [
            CommitmentMiss(
                partner_id=i.partner_id,
                kind=i.kind,
                ref=i.ref,
                label=i.label,
                due=i.due,
                done=i.done,
                run=run,
                found_at=now,
            )
            for i in missed
        ],
        ignore_conflicts=True,
        batch_size=2000,
    )
    recent = window.today - dt.timedelta(days=NOTICE_DAYS)
    claimed = list(
        CommitmentMiss.objects.filter(run=run)
        .filter(Q(done__gte=recent) | Q(done__isnull=True, due__gte=recent))
        .select_related("partner")
    )
    if claimed:
        admins = list(User.objects.filter(vendor_role="admin", is_active=True))
        notify_many(
            messages=[
                Message(
                    users=admins,
                    template="engagement/email/commitment_missed",
                    context={
                        "commitment": Commitment(miss.kind).label,
                        "label": miss.label,
                        "partner": miss.partner.name,
                        "code": miss.partner.code,
                        "due": miss.due,
                        "done": miss.done,
                    },
                    url=reverse("commitment_partner", kwargs={"code": miss.partner.code}),
                    partner=miss.partner,
                )
                for miss in claimed
            ],
            category=Category.AGREEMENTS,
        )
    return len(claimed)


@transaction.atomic
def health_snapshots_take(*, now: dt.datetime | None = None) -> int:
    """Store every measured partner's score as this quarter's snapshot (rewriting the one an
    earlier night of the quarter stored)."""
    now = now or timezone.now()
    quarter = quarter_label(timezone.localdate(now))
    scores = health_measure(_measured_partners(), now=now)
    health_snapshots_store(scores, quarter=quarter, now=now)
    return len(scores)
