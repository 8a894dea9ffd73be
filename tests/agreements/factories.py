import datetime as dt
from decimal import Decimal

import factory

from agreements.models import (
    Agreement,
    AgreementVersion,
    PriceList,
    PriceListItem,
    PriceOverride,
    Product,
    ProductLine,
    Promotion,
    TierLineDiscount,
)

from ..factories import PartnerFactory, TierFactory


class ProductLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductLine
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"L{n}")
    name = factory.LazyAttribute(lambda o: f"Line {o.code}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.LazyAttribute(lambda o: f"Product {o.sku}")
    line = factory.SubFactory(ProductLineFactory)
    currency = "TWD"


class PriceListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceList
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"PL-{n}")
    name = factory.LazyAttribute(lambda o: o.code)
    currency = "TWD"
    effective_from = dt.date(2000, 1, 1)


class PriceListItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceListItem

    price_list = factory.SubFactory(PriceListFactory)
    product = factory.SubFactory(ProductFactory)
    list_price = Decimal("1000.00")
    map_price = None


class TierLineDiscountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TierLineDiscount

    tier = factory.SubFactory(TierFactory)
    line = factory.SubFactory(ProductLineFactory)
    percent = Decimal("10")


class PriceOverrideFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceOverride

    partner = factory.SubFactory(PartnerFactory)
    product = factory.SubFactory(ProductFactory)
    discount = Decimal("30")


class PromotionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Promotion

    code = factory.Sequence(lambda n: f"PROMO{n}")
    percent = Decimal("5")
    start = dt.date(2026, 1, 1)
    end = dt.date(2026, 12, 31)


class AgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agreement

    number = factory.Sequence(lambda n: f"AG-{n:04d}")
    partner = factory.SubFactory(PartnerFactory)
    status = Agreement.Status.ACTIVE
    start = dt.date(2026, 1, 1)
    end = dt.date(2026, 12, 31)


class AgreementVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgreementVersion

    agreement = factory.SubFactory(AgreementFactory)
    number = 1
    status = AgreementVersion.Status.DRAFT
    effective_date = dt.date(2026, 1, 1)
