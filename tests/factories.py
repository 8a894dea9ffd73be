"""factory_boy factories for users, partners and memberships."""

import factory
from allauth.account.models import EmailAddress

from partners.models import Membership, Partner, Tier
from prm.accounts.models import User

TEST_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.django.Password(TEST_PASSWORD)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        """Register the email address with allauth, verified unless `verified=False`."""
        if create:
            EmailAddress.objects.create(
                user=self, email=self.email, primary=True, verified=extracted is not False
            )


class VendorAdminFactory(UserFactory):
    vendor_role = User.VendorRole.ADMIN
    is_staff = True
    is_superuser = True


class ChannelManagerFactory(UserFactory):
    vendor_role = User.VendorRole.CHANNEL_MANAGER


class TierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tier
        django_get_or_create = ["code"]

    code = factory.Iterator(["registered", "silver", "gold", "platinum"])
    name = factory.LazyAttribute(lambda o: o.code.title())
    rank = factory.Sequence(lambda n: n % 4 + 1)


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    code = factory.Sequence(lambda n: f"P-{n:05d}")
    name = factory.Faker("company")
    local_name = factory.Faker("company", locale="zh_TW")
    legal_name = factory.LazyAttribute(lambda o: f"{o.name} Co., Ltd.")
    country = "TW"
    currency = "TWD"
    tier = factory.SubFactory(TierFactory)
    status = Partner.Status.ACTIVE


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    partner = factory.SubFactory(PartnerFactory)
    role = Membership.Role.ADMIN
