"""Price changes open price-protection claims as soon as they are saved, by any path (services,
Django admin, `load_program`): a price-list item (dated: its list's effective date), a partner's
override, a partner's tier, a tier's default discount or a tier's discount for a product line
(undated: effective on the day they are saved, the day before priced with the value they
replaced). Promotions never open a claim; saving a value unchanged opens nothing."""

from django.db.models.signals import post_delete, post_init, post_save
from django.utils import timezone

from agreements.models import PriceListItem, PriceOverride, Product, TierLineDiscount
from partners.models import Partner, Tier

from .models import PriceProtectionClaim
from .protection import Prices, claims_open

T = PriceProtectionClaim.Trigger


class _Before:
    def __init__(self, discount, net_price):
        self.discount = discount
        self.net_price = net_price


def _remember_override(sender, instance, **kwargs):
    instance._protection_before = (
        _Before(instance.discount, instance.net_price) if instance.pk else None
    )


def _override_saved(sender, instance, created=False, raw=False, **kwargs):
    if raw:
        return
    before = None if created else getattr(instance, "_protection_before", None)
    _override_changed(instance, before)
    instance._protection_before = _Before(instance.discount, instance.net_price)


def _override_deleted(sender, instance, **kwargs):
    before = getattr(instance, "_protection_before", None)
    if before is None:
        before = _Before(instance.discount, instance.net_price)
    _override_changed(instance, before, deleted=True)


def _override_changed(instance, before, deleted=False):
    unchanged = before is not None and (before.discount, before.net_price) == (
        instance.discount,
        instance.net_price,
    )
    if unchanged and not deleted:
        return
    partner = Partner.objects.filter(pk=instance.partner_id).first()
    if partner is None:
        return
    claims_open(
        partners=[partner],
        product_ids=[instance.product_id],
        effective=timezone.localdate(),
        trigger=T.OVERRIDE,
        override_of={(instance.partner_id, instance.product_id): before},
    )


def _remember_tier(sender, instance, **kwargs):
    instance._protection_tier_id = instance.__dict__.get("tier_id")


def _partner_saved(sender, instance, created=False, raw=False, update_fields=None, **kwargs):
    tier_saved = not update_fields or bool({"tier", "tier_id"} & set(update_fields))
    if "tier_id" not in instance.__dict__ or not tier_saved:
        return  # the tier was not loaded or not saved: reading it would cost a query
    old = getattr(instance, "_protection_tier_id", None)
    instance._protection_tier_id = instance.tier_id
    if raw or created or old == instance.tier_id:
        return
    products = Product.objects.filter(currency=instance.currency).values_list("pk", flat=True)
    claims_open(
        partners=[instance],
        product_ids=products,
        effective=timezone.localdate(),
        trigger=T.TIER,
        tier_of={instance.pk: old},
    )


def _price_saved(sender, instance, raw=False, **kwargs):
    if raw:
        return
    price_list = instance.price_list
    partners = Partner.objects.filter(currency=price_list.currency)
    claims_open(
        partners=partners,
        product_ids=[instance.product_id],
        effective=price_list.effective_from,
        trigger=T.LIST_PRICE,
    )


def _remember_tier_discount(sender, instance, **kwargs):
    instance._protection_default_discount = instance.__dict__.get("default_discount")


def _tier_saved(sender, instance, created=False, raw=False, update_fields=None, **kwargs):
    if update_fields and "default_discount" not in update_fields:
        return
    old = getattr(instance, "_protection_default_discount", None)
    instance._protection_default_discount = instance.default_discount
    if raw or created or old is None or old == instance.default_discount:
        return
    partners = list(Partner.objects.filter(tier=instance))
    if not partners:
        return
    claims_open(
        partners=partners,
        product_ids=Product.objects.filter(currency__in={p.currency for p in partners}).values_list(
            "pk", flat=True
        ),
        effective=timezone.localdate(),
        trigger=T.TIER_DISCOUNT,
        before=Prices(default_discount_of={instance.pk: old}),
    )


def _remember_line_discount(sender, instance, **kwargs):
    values = instance.__dict__
    instance._protection_line_discount = (
        (values.get("tier_id"), values.get("line_id"), values.get("percent"))
        if instance.pk
        else None
    )


def _line_discount_saved(sender, instance, created=False, raw=False, **kwargs):
    if raw:
        return
    before = None if created else getattr(instance, "_protection_line_discount", None)
    _remember_line_discount(sender, instance)
    now = (instance.tier_id, instance.line_id, instance.percent)
    if before == now:
        return
    # The day before: this row as it was (or no row), and the tier and line it now names
    # without a discount of their own.
    replaced = {(instance.tier_id, instance.line_id): None}
    if before is not None:
        replaced[(before[0], before[1])] = before[2]
    _line_discount_changed(replaced)


def _line_discount_deleted(sender, instance, **kwargs):
    _line_discount_changed({(instance.tier_id, instance.line_id): instance.percent})


def _line_discount_changed(replaced: dict) -> None:
    tier_ids = {tier_id for tier_id, _line in replaced}
    line_ids = {line_id for _tier, line_id in replaced}
    partners = list(Partner.objects.filter(tier_id__in=tier_ids))
    if not partners:
        return
    claims_open(
        partners=partners,
        product_ids=Product.objects.filter(
            line_id__in=line_ids, currency__in={p.currency for p in partners}
        ).values_list("pk", flat=True),
        effective=timezone.localdate(),
        trigger=T.TIER_DISCOUNT,
        before=Prices(line_discount_of=replaced),
    )


def connect() -> None:
    post_init.connect(_remember_override, sender=PriceOverride, dispatch_uid="pp_override_init")
    post_save.connect(_override_saved, sender=PriceOverride, dispatch_uid="pp_override_saved")
    post_delete.connect(_override_deleted, sender=PriceOverride, dispatch_uid="pp_override_del")
    post_init.connect(_remember_tier, sender=Partner, dispatch_uid="pp_partner_init")
    post_save.connect(_partner_saved, sender=Partner, dispatch_uid="pp_partner_saved")
    post_save.connect(_price_saved, sender=PriceListItem, dispatch_uid="pp_price_saved")
    post_init.connect(_remember_tier_discount, sender=Tier, dispatch_uid="pp_tier_init")
    post_save.connect(_tier_saved, sender=Tier, dispatch_uid="pp_tier_saved")
    post_init.connect(
        _remember_line_discount, sender=TierLineDiscount, dispatch_uid="pp_line_discount_init"
    )
    post_save.connect(
        _line_discount_saved, sender=TierLineDiscount, dispatch_uid="pp_line_discount_saved"
    )
    post_delete.connect(
        _line_discount_deleted, sender=TierLineDiscount, dispatch_uid="pp_line_discount_del"
    )
