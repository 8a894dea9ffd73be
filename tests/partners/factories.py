"""Factories for deal registration, targets, recognition and the reference data they use."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from agreements.models import ProductLine
from partners.models import Award, DealRegistration, Segment, Territory
from partners.normalise import normalise_customer_name, normalise_domain, normalise_tax_id

from ..factories import PartnerFactory, UserFactory


class TerritoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Territory
        django_get_or_create = ["code"]

    code = "TW-TPE"
    name = factory.LazyAttribute(lambda o: f"Territory {o.code}")


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Segment
        django_get_or_create = ["code"]

    code = "enterprise"
    name = "Enterprise"
    local_name = "大型企業"


class DealLineFactory(factory.django.DjangoModelFactory):
    """A product line for deal registrations."""

    class Meta:
        model = ProductLine
        django_get_or_create = ["code"]

    code = "NET"
    name = factory.LazyAttribute(lambda o: f"Line {o.code}")


class DealRegistrationFactory(factory.django.DjangoModelFactory):
    """A registration row as the service would store it (without conflict detection)."""

    class Meta:
        model = DealRegistration
        skip_postgeneration_save = True

    partner = factory.SubFactory(PartnerFactory)
    registered_by = factory.SubFactory(UserFactory)
    customer_name = factory.Sequence(lambda n: f"Customer {n} Ltd")
    customer_key = factory.LazyAttribute(lambda o: normalise_customer_name(o.customer_name))
    customer_tax_id = factory.Sequence(lambda n: f"{10000000 + n}")
    customer_tax_id_key = factory.LazyAttribute(lambda o: normalise_tax_id(o.customer_tax_id))
    customer_domain = ""
    customer_domain_key = factory.LazyAttribute(lambda o: normalise_domain(o.customer_domain))
    territory = factory.SubFactory(TerritoryFactory)
    estimated_value = Decimal("100000.00")
    currency = "TWD"
    expected_close = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=60))

    @factory.post_generation
    def product_lines(self, create, extracted, **kwargs):
        if create:
            self.product_lines.set(extracted or [DealLineFactory()])


class AwardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Award
        django_get_or_create = ["code"]

    code = "distributor-of-the-year"
    name = "Distributor of the Year"
    local_name = "年度最佳經銷商"
    kind = Award.Kind.AWARD
