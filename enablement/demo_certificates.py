"""Demo certificates: certified people at both demo partners, one certificate inside the 60-day
reminder window (the worker reminds its holder and the partner's admin) and one expired.
Idempotent: a person who already holds a demo certification gets no second one."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from .dates import add_months
from .models import Certificate, Certification
from .services import certificate_earn

CERTIFICATIONS = [
    ("NET-PRO", "Networking Professional", 24),
    ("SEC-PRO", "Security Specialist", 12),
]
# (holder, certification, earned: months and days before today)
CERTIFIED_PEOPLE = [
    ("sales@formosa.example", "NET-PRO", 10, 0),
    ("admin@formosa.example", "NET-PRO", 3, 0),
    # expires in about 40 days: inside the 60-day reminder window
    ("sales@formosa.example", "SEC-PRO", 12, -40),
    # expired a month ago
    ("finance@formosa.example", "SEC-PRO", 13, 0),
    ("sales@harbour.example", "NET-PRO", 6, 0),
    ("consultant@channel-advisors.example", "SEC-PRO", 2, 0),
]


def seed_demo_certificates(*, actor, today: dt.date | None = None) -> int:
    """Create the demo certifications and certificates; returns the number created."""
    today = today or timezone.localdate()
    certifications = {}
    for code, name, months in CERTIFICATIONS:
        certifications[code], _ = Certification.objects.get_or_create(
            code=code, defaults={"name": name, "validity_months": months}
        )
    users = {
        u.email: u
        for u in get_user_model().objects.filter(email__in=[p[0] for p in CERTIFIED_PEOPLE])
    }
    created = 0
    for email, code, months, days in CERTIFIED_PEOPLE:
        user = users.get(email)
        certification = certifications[code]
        if (
            user is None
            or Certificate.objects.filter(user=user, certification=certification).exists()
        ):
            continue
        earned = add_months(today, -months) - dt.timedelta(days=days)
        certificate_earn(user=user, certification=certification, earned=earned, actor=actor)
        created += 1
    return created
