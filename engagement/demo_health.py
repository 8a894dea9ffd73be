"""Demo data for seed_demo: the vendor's record measured from the demo's events (the demo cases
include first answers given late, so the record shows misses, each announced once to the vendor
admins), and relationship health over the last quarters with one partner falling this quarter.
Idempotent: earlier quarters are written once, this quarter's score is the nightly run's."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from partners.models import Partner

from .health import previous_quarter, quarter_label
from .models_health import HealthSnapshot
from .services import commitment_misses_record, health_snapshots_take

# Points above (or below) this quarter's score in each earlier quarter, newest first: Harbour
# fell by 18 this quarter, Formosa climbs steadily.
HISTORY = {"P-FORMOSA": [-4, -9, -12], "P-HARBOUR": [18, 15, 16]}


def seed_demo_engagement(*, now: dt.datetime | None = None) -> None:
    now = now or timezone.now()
    health_snapshots_take(now=now)
    quarter = quarter_label(timezone.localdate(now))
    current = dict(
        HealthSnapshot.objects.filter(quarter=quarter, partner__code__in=HISTORY).values_list(
            "partner__code", "score"
        )
    )
    partners = dict(Partner.objects.filter(code__in=HISTORY).values_list("code", "pk"))
    for code, offsets in HISTORY.items():
        if current.get(code) is None:
            continue
        label = quarter
        for offset in offsets:
            label = previous_quarter(label)
            HealthSnapshot.objects.get_or_create(
                partner_id=partners[code],
                quarter=label,
                defaults={
                    "score": max(0, min(100, current[code] + offset)),
                    "taken_at": now,
                },
            )
    commitment_misses_record(now=now)
