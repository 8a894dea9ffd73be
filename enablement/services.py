import datetime

from django.db import transaction

from .certificate_services import certificate_earned_record
from .dates import certificate_expiry
from .models import Certificate, Certification


@transaction.atomic
def certificate_earn(
    *, user, certification: Certification, earned: datetime.date, actor=None
) -> Certificate:
    """Record that ``user`` earned ``certification`` on ``earned``; idempotent for the same day.

    The expiry is computed once, here, and stored: a renewal in the 90 days before the latest
    certificate's expiry runs from that expiry. A new certificate is recorded in the history of
    each partner the holder is a member of.
    """
    existing = Certificate.objects.filter(
        user=user, certification=certification, earned=earned
    ).first()
    if existing is not None:
        return existing
    previous = (
        Certificate.objects.filter(user=user, certification=certification, earned__lt=earned)
        .order_by("-expires")
        .values_list("expires", flat=True)
        .first()
    )
    certificate = Certificate(
        user=user,
        certification=certification,
        earned=earned,
        expires=certificate_expiry(
            earned=earned,
            validity_months=certification.validity_months,
            previous_expiry=previous,
        ),
    )
    certificate.full_clean()
    certificate.save()
    certificate_earned_record(certificate, actor=actor)
    return certificate
