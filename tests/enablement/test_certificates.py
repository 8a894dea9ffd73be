import datetime

import pytest
from django.db import IntegrityError, transaction

from enablement.dates import add_months, certificate_expiry
from enablement.models import Certificate, Certification, TierChange
from enablement.services import certificate_earn
from tests.factories import PartnerFactory, TierFactory, UserFactory

D = datetime.date


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2026, 1, 15), 24, D(2028, 1, 15)),
        (D(2026, 1, 31), 1, D(2026, 2, 28)),
        (D(2028, 2, 29), 12, D(2029, 2, 28)),
        (D(2028, 2, 29), 48, D(2032, 2, 29)),
        (D(2026, 8, 31), 1, D(2026, 9, 30)),
        (D(2026, 11, 30), 3, D(2027, 2, 28)),
        (D(2026, 12, 1), 1, D(2027, 1, 1)),
    ],
)
def test_add_months_keeps_the_day_clamped_to_the_month(day, months, expected):
    assert add_months(day, months) == expected


def test_renewal_inside_ninety_days_runs_from_previous_expiry():
    previous = D(2026, 6, 30)
    assert certificate_expiry(
        earned=D(2026, 4, 1), validity_months=12, previous_expiry=previous
    ) == D(2027, 6, 30)
    # 2026-04-01 is exactly 90 days before 2026-06-30; one day earlier is outside the window.
    assert certificate_expiry(
        earned=D(2026, 3, 31), validity_months=12, previous_expiry=previous
    ) == D(2027, 3, 31)
    # Earned after the previous one lapsed: a fresh start.
    assert certificate_expiry(
        earned=D(2026, 7, 2), validity_months=12, previous_expiry=previous
    ) == D(2027, 7, 2)


@pytest.mark.django_db
def test_certificate_earn_stores_expiry_and_renews_from_previous_expiry():
    user = UserFactory()
    cert = Certification.objects.create(code="NET-PRO", name="Networking Pro", validity_months=24)
    first = certificate_earn(user=user, certification=cert, earned=D(2026, 1, 31))
    assert first.expires == D(2028, 1, 31)
    again = certificate_earn(user=user, certification=cert, earned=D(2026, 1, 31))
    assert again.pk == first.pk
    renewal = certificate_earn(user=user, certification=cert, earned=D(2027, 12, 1))
    assert renewal.expires == D(2030, 1, 31)
    assert Certificate.objects.filter(user=user).count() == 2


@pytest.mark.django_db
def test_one_pending_tier_change_per_partner_and_demotions_need_a_date():
    silver, gold = TierFactory(rank=2), TierFactory(rank=3)
    partner = PartnerFactory(tier=silver)
    TierChange.objects.create(
        partner=partner,
        direction=TierChange.Direction.PROMOTE,
        from_tier=silver,
        to_tier=gold,
        proposed_on=D(2026, 3, 1),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        TierChange.objects.create(
            partner=partner,
            direction=TierChange.Direction.PROMOTE,
            from_tier=silver,
            to_tier=gold,
            proposed_on=D(2026, 3, 2),
        )
    TierChange.objects.update(status=TierChange.Status.REJECTED)
    with pytest.raises(IntegrityError), transaction.atomic():
        TierChange.objects.create(
            partner=partner,
            direction=TierChange.Direction.DEMOTE,
            from_tier=gold,
            to_tier=silver,
            proposed_on=D(2026, 3, 2),
        )
