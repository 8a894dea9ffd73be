import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from agreements.models import AgreementVersion, PriceListItem
from agreements.services.agreements import (
    Terms,
    agreement_create,
    agreement_version_accept,
    agreement_version_propose,
)

from .factories import PriceListFactory, PriceListItemFactory, ProductFactory, ProductLineFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def in_force(world):
    ProductLineFactory(code="NET")
    agreement = agreement_create(
        actor=world.users["vendor_admin"],
        partner=world.partner,
        number="AG-ADM",
        start=TODAY,
        end=TODAY + dt.timedelta(days=365),
        terms=Terms(effective_date=TODAY, product_lines=["NET"], price_notice_days=30),
    )
    version = agreement.versions.get()
    return agreement_version_accept(
        actor=world.users["partner_admin"], version=version, ip=None, seen_hash=version.terms_hash
    )


def test_saving_a_published_version_in_admin_creates_a_new_version(world, in_force):
    client = world.client("vendor_admin")
    url = reverse("admin:agreements_agreementversion_change", args=[in_force.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "effective_date": (TODAY + dt.timedelta(days=10)).isoformat(),
            "product_lines": [in_force.product_lines.get().pk],
            "payment_terms_days": 60,
            "price_notice_days": 30,
            "termination_notice_days": 90,
            "review_cadence": "quarterly",
            "change_summary": "Payment terms 60 days",
            "based_on": 1,
        },
    )
    assert response.status_code == 302
    in_force.refresh_from_db()
    assert in_force.payment_terms_days == 30  # untouched
    new = AgreementVersion.objects.get(number=2)
    assert (new.status, new.payment_terms_days) == ("awaiting_acceptance", 60)
    assert response["Location"] == reverse(
        "admin:agreements_agreementversion_change", args=[new.pk]
    )


def test_admin_refuses_to_save_over_a_version_published_after_the_page_was_opened(world, in_force):
    client = world.client("vendor_admin")
    url = reverse("admin:agreements_agreementversion_change", args=[in_force.pk])
    opened = client.get(url).context["adminform"].form["based_on"].value()
    assert opened == 1
    agreement_version_propose(
        actor=world.users["cm_assigned"],
        agreement=in_force.agreement,
        terms=Terms(effective_date=TODAY, product_lines=["NET"], payment_terms_days=45),
        based_on=1,
    )

    response = client.post(
        url,
        {
            "effective_date": TODAY.isoformat(),
            "product_lines": [in_force.product_lines.get().pk],
            "payment_terms_days": 60,
            "price_notice_days": 30,
            "termination_notice_days": 90,
            "review_cadence": "quarterly",
            "based_on": opened,
        },
    )

    assert response.status_code == 200
    assert "This draft was changed by" in response.content.decode()
    assert "after you opened it; reload to see their changes." in response.content.decode()
    assert list(AgreementVersion.objects.values_list("number", "payment_terms_days")) == [
        (2, 45),
        (1, 30),
    ]


def test_admin_refuses_a_price_change_inside_the_notice_period(world, in_force):
    product = ProductFactory(sku="SW-1", line=ProductLineFactory(code="NET"))
    base = PriceListFactory(code="BASE")
    PriceListItemFactory(price_list=base, product=product, list_price=Decimal("100.00"))
    soon = PriceListFactory(code="SOON", effective_from=TODAY + dt.timedelta(days=5))
    client = world.client("vendor_admin")
    url = reverse("admin:agreements_pricelist_change", args=[soon.pk])
    response = client.post(
        url,
        {
            "code": "SOON",
            "name": "SOON",
            "items-TOTAL_FORMS": "1",
            "items-INITIAL_FORMS": "0",
            "items-MIN_NUM_FORMS": "0",
            "items-MAX_NUM_FORMS": "1000",
            "items-0-product": product.pk,
            "items-0-list_price": "120.00",
            "items-0-map_price": "",
        },
    )
    assert response.status_code == 200
    assert "AG-ADM (P-A) requires 30 days" in response.content.decode()
    assert not PriceListItem.objects.filter(price_list=soon).exists()


@pytest.mark.parametrize("role", ["cm_assigned", "partner_admin"])
def test_only_vendor_admins_reach_the_admin(world, role):
    assert (
        world.client(role).get(reverse("admin:agreements_agreement_changelist")).status_code == 302
    )
