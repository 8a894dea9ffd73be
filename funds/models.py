"""Market development funds.

A fund names one partner or a tier. Its money is held in one `FundBudget` per partner, written
when the fund is loaded (program file) or saved (Django admin): a tier fund gives every partner of
the tier its own budget of the fund's amount, in the partner's currency. A partner that joins the
tier later receives its budget the next time the fund is loaded or saved; a partner that leaves it
keeps the budget it has. Requests, claims and the balance belong to a budget, and the budget row is
what a new request locks, so that two requests never spend the same money."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partners.models import Partner, Tier
from prm.core.models import TimeStampedModel
from prm.core.money import CURRENCY_CHOICES


class Decision(models.Model):
    """The vendor's decision on a partner's request or claim: who decided, when, and the reason
    the partner reads. The decision time is recorded for every decision (vendor commitments
    measure the time from submission to decision)."""

    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reason"), blank=True)

    class Meta:
        abstract = True

    def decision_record(self, *, actor, reason: str = "", now=None) -> list[str]:
        """Record who decided (None for the system), when and why; returns the fields to save."""
        self.decided_by = actor if getattr(actor, "is_authenticated", False) else None
        self.decided_at = now or timezone.now()
        self.decision_reason = (reason or "").strip()
        return ["decided_by", "decided_at", "decision_reason"]


class Fund(TimeStampedModel):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    tier = models.ForeignKey(
        Tier,
        verbose_name=_("tier"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    amount = models.DecimalField(
        _("budget per partner"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0))],
    )
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    share = models.DecimalField(
        _("vendor share %"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal(100))],
        help_text=_("The part of an activity's cost the fund pays."),
    )
    claim_days = models.PositiveSmallIntegerField(
        _("days to claim"), help_text=_("Days after an activity ends within which it is claimed.")
    )

    class Meta:
        ordering = ["-start", "code"]
        verbose_name = _("fund")
        verbose_name_plural = _("funds")
        constraints = [
            models.CheckConstraint(
                condition=(Q(partner__isnull=False) & Q(tier__isnull=True))
                | (Q(partner__isnull=True) & Q(tier__isnull=False)),
                name="fund_partner_or_tier",
            ),
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="fund_dates_ordered"),
            models.CheckConstraint(
                condition=Q(share__gt=0) & Q(share__lte=100), name="fund_share_range"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="fund_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class FundBudget(TimeStampedModel):
    """One partner's money in one fund."""

    fund = models.ForeignKey(
        Fund, verbose_name=_("fund"), on_delete=models.CASCADE, related_name="budgets"
    )
    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.PROTECT, related_name="fund_budgets"
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)

    class Meta:
        ordering = ["-fund__start", "fund__code", "partner__code"]
        verbose_name = _("fund budget")
        verbose_name_plural = _("fund budgets")
        constraints = [
            models.UniqueConstraint(fields=["fund", "partner"], name="unique_fund_budget"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="fund_budget_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.fund.code} {self.partner.code}"


class FundRequest(Decision, TimeStampedModel):
    """A partner's request for money for one activity, and the vendor's decision on it."""

    class Kind(models.TextChoices):
        EVENT = "event", _("Event")
        DIGITAL = "digital", _("Digital campaign")
        TRAINING = "training", _("Training")
        COBRANDED = "cobranded", _("Co-branded material")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting decision")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")
        SETTLED = "settled", _("Settled")

    budget = models.ForeignKey(
        FundBudget, verbose_name=_("fund budget"), on_delete=models.PROTECT, related_name="requests"
    )
    kind = models.CharField(_("activity kind"), max_length=16, choices=Kind.choices)
    description = models.TextField(_("activity"))
    start = models.DateField(_("activity start"))
    end = models.DateField(_("activity end"))
    planned_cost = models.DecimalField(_("planned cost"), max_digits=14, decimal_places=2)
    amount = models.DecimalField(_("amount requested"), max_digits=14, decimal_places=2)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    approved_amount = models.DecimalField(
        _("amount approved"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    reimbursed = models.DecimalField(
        _("reimbursed"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    deadline = models.DateField(_("claim deadline"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("fund request")
        verbose_name_plural = _("fund requests")
        indexes = [models.Index(fields=["status", "deadline"], name="fund_request_status_due")]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="fund_request_dates"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="fund_request_amount_positive"),
            models.CheckConstraint(
                condition=Q(approved_amount__isnull=True)
                | (Q(approved_amount__gt=0) & Q(approved_amount__lte=F("amount"))),
                name="fund_request_approved_within_requested",
            ),
            models.CheckConstraint(
                condition=Q(reimbursed__isnull=True) | Q(reimbursed__lte=F("approved_amount")),
                name="fund_request_reimbursed_within_approved",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"MDF-{self.pk:06d}"


class FundClaim(Decision, TimeStampedModel):
    """One submission of proof of performance for an approved request. A returned claim stays as
    it was; the partner's corrected submission is a new claim."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Awaiting review")
        APPROVED = "approved", _("Approved")
        RETURNED = "returned", _("Returned")

    request = models.ForeignKey(
        FundRequest, verbose_name=_("fund request"), on_delete=models.PROTECT, related_name="claims"
    )
    actual_cost = models.DecimalField(_("actual cost"), max_digits=14, decimal_places=2)
    reimbursement = models.DecimalField(_("reimbursement"), max_digits=14, decimal_places=2)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.SUBMITTED
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    adjustment = models.OneToOneField(
        "commissions.Adjustment",
        verbose_name=_("statement adjustment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="fund_claim",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("fund claim")
        verbose_name_plural = _("fund claims")
        constraints = [
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(status="submitted"),
                name="one_open_claim_per_request",
            ),
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(status="approved"),
                name="one_approved_claim_per_request",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request.number} claim {self.pk}"


class FundClaimFile(models.Model):
    """A proof-of-performance file, checked like a case attachment."""

    claim = models.ForeignKey(
        FundClaim, verbose_name=_("fund claim"), on_delete=models.CASCADE, related_name="files"
    )
    file = models.FileField(_("file"), max_length=255)
    name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveIntegerField(_("file size"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("proof-of-performance file")
        verbose_name_plural = _("proof-of-performance files")

    def __str__(self) -> str:
        return self.name


class FundReminder(models.Model):
    """A claim-deadline reminder that went out: each (request, days before) is sent once."""

    request = models.ForeignKey(FundRequest, on_delete=models.CASCADE, related_name="reminders")
    days_before = models.PositiveSmallIntegerField(_("days before the deadline"))
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("fund reminder")
        verbose_name_plural = _("fund reminders")
        constraints = [
            models.UniqueConstraint(fields=["request", "days_before"], name="unique_fund_reminder"),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} -{self.days_before}d"


# Price protection (spec "Price protection"): purchases (sell-in) and the claims a price cut opens.


class PurchaseImport(TimeStampedModel):
    """One purchases file as imported: its progress, its counts and the rows it rejected."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    stored_file = models.CharField(_("stored file"), max_length=255, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    duplicates = models.PositiveIntegerField(_("duplicates"), default=0)
    rejected_count = models.PositiveIntegerField(_("rejected"), default=0)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("purchases import")
        verbose_name_plural = _("purchases imports")

    def __str__(self) -> str:
        return f"{self.file_name or self.pk}"


class PurchaseRejection(models.Model):
    """A row of a purchases file that was not imported: its number, column and reason."""

    batch = models.ForeignKey(
        PurchaseImport,
        verbose_name=_("import"),
        on_delete=models.CASCADE,
        related_name="rejections",
    )
    row_number = models.PositiveIntegerField(_("row"))
    column = models.CharField(_("column"), max_length=64)
    reason = models.CharField(_("reason"), max_length=255)

    class Meta:
        ordering = ["batch", "row_number", "id"]
        verbose_name = _("rejected purchase row")
        verbose_name_plural = _("rejected purchase rows")

    def __str__(self) -> str:
        return f"row {self.row_number} {self.column}: {self.reason}"


class PurchaseInvoiceLine(models.Model):
    """One line of a purchase invoice: units of a product the partner bought from the vendor."""

    invoice_number = models.CharField(_("invoice number"), max_length=64)
    line = models.PositiveIntegerField(_("line"))
    # The references of a line are checked once per statement on PostgreSQL (the trigger of
    # migration 0004), not row by row at commit; the index on (partner, product, invoice_date)
    # serves the lookups by partner, and the claims look products up through it too.
    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        related_name="purchases",
        db_constraint=False,
        db_index=False,
    )
    product = models.ForeignKey(
        "agreements.Product",
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        related_name="purchases",
        db_constraint=False,
    )
    invoice_date = models.DateField(_("invoice date"))
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2)
    unit_net_price = models.DecimalField(_("unit net price"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    # A line invoiced in another currency than its partner's: the price above is converted; these
    # keep what the invoice said and the rate. Empty for a line in the partner's own currency.
    original_currency = models.CharField(
        _("original currency"), max_length=3, choices=CURRENCY_CHOICES, blank=True, default=""
    )
    original_unit_net_price = models.DecimalField(
        _("original unit net price"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    exchange_rate = models.DecimalField(
        _("exchange rate"), max_digits=18, decimal_places=8, null=True, blank=True
    )
    rate_date = models.DateField(_("rate date"), null=True, blank=True)
    batch = models.ForeignKey(
        PurchaseImport,
        verbose_name=_("import"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="lines",
        db_constraint=False,
    )

    class Meta:
        ordering = ["-invoice_date", "-invoice_number", "-line"]
        verbose_name = _("purchase invoice line")
        verbose_name_plural = _("purchase invoice lines")
        constraints = [
            models.UniqueConstraint(
                fields=["invoice_number", "line"], name="unique_purchase_invoice_line"
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="purchase_quantity_positive"),
            models.CheckConstraint(
                condition=Q(unit_net_price__gte=0), name="purchase_price_not_negative"
            ),
        ]
        indexes = [
            models.Index(
                fields=["partner", "product", "invoice_date"], name="purchase_partner_sku_date"
            )
        ]

    def __str__(self) -> str:
        return f"{self.invoice_number}/{self.line}"

    @property
    def is_converted(self) -> bool:
        return bool(self.original_currency)


class PriceProtectionClaim(Decision, TimeStampedModel):
    """A price cut for partner P of product S effective on D: P declares its units on hand at the
    end of D - 1, and is credited the drop on the purchases of the protection window."""

    class Status(models.TextChoices):
        OPEN = "open", _("Awaiting declaration")
        SUBMITTED = "submitted", _("Awaiting review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        EXPIRED = "expired", _("Expired")

    class Trigger(models.TextChoices):
        LIST_PRICE = "list_price", _("List-price cut")
        TIER = "tier", _("Tier change")
        TIER_DISCOUNT = "tier_discount", _("Tier discount change")
        OVERRIDE = "override", _("Partner price change")

    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        related_name="price_protection_claims",
    )
    product = models.ForeignKey(
        "agreements.Product",
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        related_name="price_protection_claims",
    )
    effective_date = models.DateField(_("effective date"))
    trigger = models.CharField(_("cause"), max_length=16, choices=Trigger.choices)
    previous_net_price = models.DecimalField(
        _("previous net price"), max_digits=14, decimal_places=2
    )
    new_net_price = models.DecimalField(_("new net price"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    protection_days = models.PositiveSmallIntegerField(_("protection days"))
    deadline = models.DateField(_("declaration deadline"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    declared_on_hand = models.DecimalField(
        _("units on hand"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    eligible_units = models.DecimalField(
        _("eligible units"), max_digits=12, decimal_places=2, default=Decimal(0)
    )
    credit = models.DecimalField(_("credit"), max_digits=14, decimal_places=2, default=Decimal(0))
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("declared by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    declared_at = models.DateTimeField(_("declared at"), null=True, blank=True)
    adjustment = models.OneToOneField(
        "commissions.Adjustment",
        verbose_name=_("statement adjustment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="price_protection_claim",
    )

    class Meta:
        ordering = ["-effective_date", "product__sku", "-id"]
        verbose_name = _("price-protection claim")
        verbose_name_plural = _("price-protection claims")
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "product", "effective_date"],
                name="one_protection_claim_per_cut",
            ),
            models.CheckConstraint(
                condition=Q(new_net_price__lt=F("previous_net_price")),
                name="protection_claim_is_a_cut",
            ),
        ]
        indexes = [models.Index(fields=["status", "deadline"], name="protection_status_due")]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"PP-{self.pk:06d}"


class ClaimLine(models.Model):
    """Units of one purchase line credited by a claim, at the price they were paid."""

    claim = models.ForeignKey(
        PriceProtectionClaim,
        verbose_name=_("price-protection claim"),
        on_delete=models.CASCADE,
        related_name="lines",
    )
    purchase = models.ForeignKey(
        PurchaseInvoiceLine,
        verbose_name=_("purchase invoice line"),
        on_delete=models.PROTECT,
        related_name="claim_lines",
    )
    units = models.DecimalField(_("units"), max_digits=12, decimal_places=2)
    unit_net_price = models.DecimalField(_("unit price paid"), max_digits=14, decimal_places=2)
    credit = models.DecimalField(_("credit"), max_digits=14, decimal_places=2)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["claim", "position"]
        verbose_name = _("claim line")
        verbose_name_plural = _("claim lines")

    def __str__(self) -> str:
        return f"{self.claim_id}: {self.purchase}"
