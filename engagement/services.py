"""Writes of the engagement app: the nightly commitments run with its once-only miss
notices, and the quarterly health snapshots."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from partners.models import Partner
from prm.accounts.models import User
from prm.notifications.models import Category
from prm.notifications.services import Message, notify_many

from .commitments import Window, instances_measure
from .health import health_measure, quarter_label
from .models_commitments import Commitment, CommitmentMiss
from .models_health import HealthSnapshot


def _measured_partners():
    return Partner.objects.exclude(status__in=[Partner.Status.PROSPECT])


@transaction.atomic
def commitment_misses_record(*, now: dt.datetime | None = None) -> int:
    """Measure every partner's commitments this year and record each missed instance once; the
    rows this run claims (inserted, not already there) are announced to the vendor admins at
    once. Safe to run twice or concurrently: the unique row decides who announces a miss."""
    now = now or timezone.now()
    run = uuid.uuid4()
    missed = [
        i for i in instances_measure(_measured_partners(), window=Window.year(now)) if not i.met
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
    claimed = list(CommitmentMiss.objects.filter(run=run).select_related("partner"))
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
    HealthSnapshot.objects.bulk_create(
        [
            HealthSnapshot(
                partner_id=pk, quarter=quarter, score=h.score, parts=h.as_json(), taken_at=now
            )
            for pk, h in scores.items()
        ],
        update_conflicts=True,
        unique_fields=["partner", "quarter"],
        update_fields=["score", "parts", "taken_at"],
        batch_size=5000,
    )
    return len(scores)
