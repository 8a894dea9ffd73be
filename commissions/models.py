from decimal import Decimal
from functools import cached_property

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agreements.models import Product, ProductLine
from partners.models import Partner
from prm.core.models import TimeStampedModel
from prm.core.money import CURRENCY_CHOICES


class CommissionPlan(TimeStampedModel):
    """A plan by code; its rules live in versions dated by when they take effect."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["code"]
        verbose_name = _("commission plan")
        verbose_name_plural = _("commission plans")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class PlanVersion(TimeStampedModel):
    class Settlement(models.TextChoices):
        MONTH = "month", _("Monthly")
        QUARTER = "quarter", _("Quarterly")

    class Accrual(models.TextChoices):
        INVOICE = "invoice", _("On invoice")
        PAYMENT = "payment", _("On payment")

    plan = models.ForeignKey(
        CommissionPlan, verbose_name=_("plan"), on_delete=models.PROTECT, related_name="versions"
    )
    effective_from = models.DateField(_("effective from"))
    settlement = models.CharField(
        _("settlement period"), max_length=8, choices=Settlement.choices, default=Settlement.MONTH
    )
    clawback_days = models.PositiveSmallIntegerField(_("clawback days"), default=60)
    cap = models.DecimalField(
        _("cap per partner and period"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    accelerator_threshold = models.DecimalField(
        _("accelerator threshold (percent of target)"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
    )
    accelerator_multiplier = models.DecimalField(
        _("accelerator multiplier"), max_digits=6, decimal_places=4, null=True, blank=True
    )
    carry_forward = models.BooleanField(
        _("carry forward"),
        default=False,
        help_text=_(
            "A statement whose total is negative pays nothing; its total opens the partner's "
            "next statement."
        ),
    )
    accrual = models.CharField(
        _("accrual"),
        max_length=8,
        choices=Accrual.choices,
        default=Accrual.INVOICE,
        help_text=_(
            "On payment: a sale counts in the period in which its payments reach its net amount."
        ),
    )

    class Meta:
        ordering = ["plan__code", "-effective_from"]
        verbose_name = _("plan version")
        verbose_name_plural = _("plan versions")
        constraints = [
            models.UniqueConstraint(fields=["plan", "effective_from"], name="unique_plan_version"),
            models.CheckConstraint(
                condition=models.Q(
                    accelerator_threshold__isnull=True, accelerator_multiplier__isnull=True
                )
                | models.Q(
                    accelerator_threshold__isnull=False, accelerator_multiplier__isnull=False
                ),
                name="accelerator_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan.code} from {self.effective_from:%Y-%m-%d}"


class Rule(models.Model):
    class Kind(models.TextChoices):
        PERCENT = "percent", _("Percent of volume")
        PER_UNIT = "per_unit", _("Amount per unit")
        TIERED_MARGINAL = "tiered_marginal", _("Tiered, marginal")
        TIERED_FLAT = "tiered_flat", _("Tiered, flat")

    version = models.ForeignKey(
        PlanVersion, verbose_name=_("plan version"), on_delete=models.CASCADE, related_name="rules"
    )
    priority = models.PositiveIntegerField(_("priority"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    product = models.ForeignKey(
        Product,
        verbose_name=_("SKU"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    line = models.ForeignKey(
        ProductLine,
        verbose_name=_("product line"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    rate = models.DecimalField(_("rate %"), max_digits=7, decimal_places=4, null=True, blank=True)
    amount = models.DecimalField(
        _("amount per unit"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    brackets = models.JSONField(
        _("brackets"),
        default=list,
        blank=True,
        help_text=_('Ordered list of {"upto": "100000" or null, "rate": "3"}.'),
    )

    class Meta:
        ordering = ["version", "priority"]
        verbose_name = _("rule")
        verbose_name_plural = _("rules")
        constraints = [
            models.UniqueConstraint(fields=["version", "priority"], name="unique_rule_priority"),
            models.CheckConstraint(
                condition=models.Q(product__isnull=True) | models.Q(line__isnull=True),
                name="rule_scope_sku_or_line",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version} #{self.priority} {self.kind}"

    @cached_property
    def scope_label(self) -> str:
        """What the rule covers (a SKU, a product line, all products); kept on the instance,
        as a recompute describes every partner's line of the rule with it."""
        if self.product_id:
            return self.product.sku
        if self.line_id:
            return self.line.display_name
        return str(_("all products"))


class ImportBatch(TimeStampedModel):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    filename = models.CharField(_("file name"), max_length=255)
    stored_file = models.CharField(_("stored file"), max_length=255, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    duplicate_count = models.PositiveIntegerField(_("duplicates"), default=0)
    rejected_count = models.PositiveIntegerField(_("rejected"), default=0)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("sales import")
        verbose_name_plural = _("sales imports")

    def __str__(self) -> str:
        return f"{self.filename} ({self.created_at:%Y-%m-%d %H:%M})"


class ImportRejection(models.Model):
    batch = models.ForeignKey(
        ImportBatch, verbose_name=_("import"), on_delete=models.CASCADE, related_name="rejections"
    )
    row_number = models.PositiveIntegerField(_("row"))
    column = models.CharField(_("column"), max_length=64)
    reason = models.CharField(_("reason"), max_length=255)

    class Meta:
        ordering = ["batch", "row_number", "id"]
        verbose_name = _("rejected row")
        verbose_name_plural = _("rejected rows")

    def __str__(self) -> str:
        return f"row {self.row_number} {self.column}: {self.reason}"


class Sale(models.Model):
    """One invoiced sale or return line. Written in bulk by imports only."""

    class Kind(models.TextChoices):
        SALE = "sale", _("Sale")
        RETURN = "return", _("Return")

    external_id = models.CharField(_("external id"), max_length=64, unique=True)
    # The references of a sale are checked once per statement on PostgreSQL (the trigger of
    # migration 0010 locks and checks the partners, products and originals an INSERT names), not
    # by a foreign key's check per row: a million-row import would spend most of its time there.
    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        related_name="sales",
        db_constraint=False,
        # Read by date and partner (sale_date_partner); an index of its own served only the
        # check before a partner is deleted, and cost every imported row an index entry.
        db_index=False,
    )
    product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        related_name="sales",
        db_constraint=False,
        db_index=False,  # no query reads the sales by product alone
    )
    customer_name = models.CharField(_("customer"), max_length=255)
    customer_tax_id = models.CharField(_("customer tax id"), max_length=32, blank=True)
    segment = models.CharField(_("segment"), max_length=32, blank=True)
    territory = models.CharField(_("territory"), max_length=10, blank=True)
    invoice_date = models.DateField(_("invoice date"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2)
    net_amount = models.DecimalField(_("net amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    # A line invoiced in another currency than its partner's: net_amount and currency above are
    # the converted figures every computation reads; these keep what the invoice said and the
    # rate it was converted at. Empty for a line in the partner's own currency.
    original_currency = models.CharField(
        _("original currency"), max_length=3, choices=CURRENCY_CHOICES, blank=True, default=""
    )
    original_amount = models.DecimalField(
        _("original amount"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    exchange_rate = models.DecimalField(
        _("exchange rate"), max_digits=18, decimal_places=8, null=True, blank=True
    )
    rate_date = models.DateField(_("rate date"), null=True, blank=True)
    original = models.ForeignKey(
        "self",
        verbose_name=_("original sale"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="returns",
        db_constraint=False,
        db_index=False,  # a partial index (Meta) holds the returns only
    )
    batch = models.ForeignKey(
        ImportBatch,
        verbose_name=_("import"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        # Informational link: no database check, so bulk imports skip one deferred lookup a row.
        db_constraint=False,
        # A batch's rows are stored together: migration 0013 indexes them by block range (BRIN)
        # on PostgreSQL, which costs an insert next to nothing.
        db_index=False,
    )
    # When the line arrived: a line imported after its period's statement was approved is late
    # data, shown behind the restatement line that pays it. Empty for lines from before this
    # was recorded. The database default covers the bulk COPY path.
    imported_at = models.DateTimeField(
        _("imported at"), null=True, blank=True, default=timezone.now, db_default=Now()
    )

    class Meta:
        ordering = ["invoice_date", "external_id"]
        verbose_name = _("sale")
        verbose_name_plural = _("sales")
        indexes = [
            models.Index(fields=["invoice_date", "partner"], name="sale_date_partner"),
            # One line in a hundred is a return: the sales never enter this index.
            models.Index(
                fields=["original"],
                condition=models.Q(original__isnull=False),
                name="sale_return_original",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="sale_quantity_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(net_amount__gte=0), name="sale_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(kind="sale", original__isnull=True)
                | models.Q(kind="return", original__isnull=False),
                name="return_has_original",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    original_currency="",
                    original_amount__isnull=True,
                    exchange_rate__isnull=True,
                    rate_date__isnull=True,
                )
                | models.Q(
                    ~models.Q(original_currency=""),
                    original_amount__isnull=False,
                    exchange_rate__isnull=False,
                    rate_date__isnull=False,
                ),
                name="sale_conversion_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.external_id

    @property
    def is_converted(self) -> bool:
        return bool(self.original_currency)


class ExchangeRate(TimeStampedModel):
    """How many units of `to_currency` one unit of `from_currency` buys from `date` on; the rows
    of one pair are its history, and a day uses the latest row dated on or before it."""

    from_currency = models.CharField(_("from currency"), max_length=3, choices=CURRENCY_CHOICES)
    to_currency = models.CharField(_("to currency"), max_length=3, choices=CURRENCY_CHOICES)
    date = models.DateField(_("date"))
    rate = models.DecimalField(
        _("rate"),
        max_digits=18,
        decimal_places=8,
        validators=[MinValueValidator(Decimal("0.00000001"))],
    )

    class Meta:
        ordering = ["from_currency", "to_currency", "-date"]
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        constraints = [
            # Led by the pair then the date: the index every "latest on or before" lookup reads.
            models.UniqueConstraint(
                fields=["from_currency", "to_currency", "date"], name="unique_exchange_rate_day"
            ),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="exchange_rate_positive"),
            models.CheckConstraint(
                condition=~models.Q(from_currency=models.F("to_currency")),
                name="exchange_rate_two_currencies",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_currency}→{self.to_currency} {self.rate} on {self.date:%Y-%m-%d}"


class Statement(TimeStampedModel):
    """A partner's payout for one settlement period: draft → approved → paid."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        APPROVED = "approved", _("Approved")
        PAID = "paid", _("Paid")

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.PROTECT, related_name="statements"
    )
    period = models.CharField(_("period"), max_length=7, help_text=_("YYYY-MM or YYYY-Qn"))
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.DRAFT
    )
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2, default=Decimal("0"))
    net_sales = models.DecimalField(
        _("net sales"), max_digits=16, decimal_places=2, default=Decimal("0")
    )
    target = models.DecimalField(
        _("target"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    unmatched_count = models.PositiveIntegerField(_("unmatched lines"), default=0)
    unmatched_amount = models.DecimalField(
        _("unmatched net amount"), max_digits=16, decimal_places=2, default=Decimal("0")
    )
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)
    fingerprint = models.CharField(
        _("fingerprint of the computation's inputs"), max_length=64, blank=True, editable=False
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payment_reference = models.CharField(_("payment reference"), max_length=64, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The payout bank details in force when the statement was approved (a draft shows the
    # partner's current ones).
    bank_details = models.JSONField(_("bank details at approval"), default=dict, blank=True)
    carried_forward = models.DecimalField(
        _("carried forward"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        help_text=_("The negative total carried to the partner's next statement (0: none)."),
    )

    class Meta:
        ordering = ["-period_start", "partner__code"]
        verbose_name = _("payout statement")
        verbose_name_plural = _("payout statements")
        constraints = [
            models.UniqueConstraint(fields=["partner", "period"], name="unique_statement_period"),
        ]
        indexes = [
            # The list's rows of a period start in partner order, and (for who sees a part of
            # the partners) its sums per currency and period start from the index alone.
            models.Index(
                fields=[
                    "-period_start",
                    "currency",
                    "partner",
                    "period",
                    "status",
                    "acknowledged_at",
                    "total",
                ],
                name="statement_period_sums_idx",
            ),
            # The dashboard's oldest statements of a status (drafts to approve), their count and
            # their total by currency, read from the index alone.
            models.Index(
                fields=["status", "period_start"],
                include=["partner", "currency", "total"],
                name="statement_status_period_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner.code} {self.period}"


class StatementRollup(models.Model):
    """The number of statements and the sum of their totals per period, currency, status and
    whether acknowledged, kept by database triggers on every insert, update and delete of a
    statement. The statement list's reporting total for who sees every partner reads these
    instead of the statements; amounts are whole hundredths, exact on every database.

    Each write adds its changes to the rows of one of SLOTS slots, chosen by the database
    session, so that concurrent writers (a recompute's batches) seldom wait for one another's
    rows; a key's figures are the sums over its slots."""

    SLOTS = 16

    period = models.CharField(max_length=7)
    period_start = models.DateField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=8)
    acknowledged = models.BooleanField()
    slot = models.PositiveSmallIntegerField(default=0)
    statement_count = models.BigIntegerField(default=0)
    total_cents = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("statement rollup")
        verbose_name_plural = _("statement rollups")
        constraints = [
            models.UniqueConstraint(
                fields=["period_start", "period", "currency", "status", "acknowledged", "slot"],
                name="unique_statement_rollup_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.currency} {self.status}"


class StatementLine(models.Model):
    class Kind(models.TextChoices):
        RULE = "rule", _("Rule")
        CAP = "cap", _("Cap")
        RESTATEMENT = "restatement", _("Restatement")
        ADJUSTMENT = "adjustment", _("Adjustment")
        CARRIED = "carried", _("Carried forward")

    statement = models.ForeignKey(
        Statement, verbose_name=_("statement"), on_delete=models.CASCADE, related_name="lines"
    )
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    rule = models.ForeignKey(
        Rule, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    adjustment = models.ForeignKey(
        "Adjustment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    restates = models.ForeignKey(
        Statement,
        verbose_name=_("restates statement"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="restatements",
        help_text=_("The approved statement whose period this line restates."),
    )
    carried_from = models.ForeignKey(
        Statement,
        verbose_name=_("carried forward from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="carried_into",
        help_text=_("The earlier statement whose negative total this line carries."),
    )
    description = models.CharField(_("description"), max_length=500)
    volume = models.DecimalField(
        _("volume"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    quantity = models.DecimalField(
        _("quantity"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    sale_count = models.PositiveIntegerField(_("sales lines"), default=0)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    explanation = models.JSONField(_("explanation"), default=list, blank=True)

    class Meta:
        ordering = ["statement", "position"]
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")
        constraints = [
            models.UniqueConstraint(fields=["statement", "position"], name="unique_line_position"),
            models.CheckConstraint(
                condition=models.Q(kind="restatement", restates__isnull=False)
                | (~models.Q(kind="restatement") & models.Q(restates__isnull=True)),
                name="restatement_names_its_statement",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="carried", carried_from__isnull=False)
                | (~models.Q(kind="carried") & models.Q(carried_from__isnull=True)),
                name="carried_line_names_its_statement",
            ),
        ]

    def __str__(self) -> str:
        return self.description


class Adjustment(TimeStampedModel):
    """A correction to a partner's payout, applied on the partner's next draft statement."""

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.PROTECT, related_name="adjustments"
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    reason = models.TextField(_("reason"))
    corrects = models.ForeignKey(
        Statement,
        verbose_name=_("corrects statement"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
    )
    statement = models.ForeignKey(
        Statement,
        verbose_name=_("applied on statement"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="adjustments",
    )
    source_label = models.CharField(_("source"), max_length=100, blank=True)
    source_url = models.CharField(_("source link"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("adjustment")
        verbose_name_plural = _("adjustments")

    def __str__(self) -> str:
        return f"{self.partner.code} {self.amount} {self.currency}"


class RecomputeRequest(models.Model):
    """A recompute that must happen: written in the same transaction as its cause, so that an
    outage of the broker delays payouts but never loses one. A beat sweep runs the leftovers."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")

    period = models.CharField(_("period"), max_length=7)
    partner = models.ForeignKey(
        Partner,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Empty: every partner with sales in the period."),
    )
    reason = models.CharField(_("reason"), max_length=100)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    total_partners = models.PositiveIntegerField(default=0)
    done_partners = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("recompute request")
        verbose_name_plural = _("recompute requests")
        indexes = [models.Index(fields=["status", "created_at"], name="recompute_pending")]

    def __str__(self) -> str:
        return f"{self.period} {self.partner_id or '*'} {self.status}"


class RecomputeBatch(models.Model):
    """One batch of partners of a recompute request spread over the workers: the request
    computes every partner's sums once and stores each batch's share here; a task per batch
    writes its statements. The request is done when all its batches are."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")

    request = models.ForeignKey(RecomputeRequest, on_delete=models.CASCADE, related_name="batches")
    number = models.PositiveIntegerField()
    period = models.CharField(_("period"), max_length=7)
    partner_ids = models.JSONField(default=list)
    sums = models.JSONField(default=dict)
    size = models.PositiveIntegerField(default=0)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["request", "number"]
        verbose_name = _("recompute batch")
        verbose_name_plural = _("recompute batches")
        constraints = [
            models.UniqueConstraint(fields=["request", "number"], name="unique_recompute_batch")
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="recompute_batch_pending")]

    def __str__(self) -> str:
        return f"{self.request_id}/{self.number} {self.status}"


class SalesRollup(models.Model):
    """Sums of sales lines per partner, product, kind, invoice date and (returns) original sale
    date, kept by database triggers on every insert, update and delete of a sale. Recomputes
    read these sums instead of the lines; amounts are whole hundredths, exact on every database."""

    NO_ORIGINAL = "1900-01-01"

    partner_id = models.BigIntegerField()
    product_id = models.BigIntegerField()
    kind = models.CharField(max_length=8)
    invoice_date = models.DateField()
    original_date = models.DateField(help_text="The original sale's date for a return.")
    volume_cents = models.BigIntegerField(default=0)
    quantity_hundredths = models.BigIntegerField(default=0)
    line_count = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("sales rollup")
        verbose_name_plural = _("sales rollups")
        constraints = [
            # Led by the date: the same index serves the period scans and the triggers' upserts.
            models.UniqueConstraint(
                fields=["invoice_date", "partner_id", "product_id", "kind", "original_date"],
                name="unique_sales_rollup_key",
            ),
        ]
        indexes = [
            # Returns are few: a recompute reads them through this index, apart from the sales.
            models.Index(
                fields=["invoice_date"],
                condition=models.Q(kind="return"),
                name="sales_rollup_returns",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.product_id} {self.invoice_date}"


class BankDetails(TimeStampedModel):
    """Where a partner's payouts go. Changed only through `bank_details_save`, which keeps the
    history and tells the partner's admins."""

    partner = models.OneToOneField(
        Partner, verbose_name=_("partner"), on_delete=models.PROTECT, related_name="bank_details"
    )
    bank_name = models.CharField(_("bank name"), max_length=200)
    account_holder = models.CharField(_("account holder"), max_length=200)
    account_number = models.CharField(_("account number"), max_length=34)
    branch_code = models.CharField(_("SWIFT or branch code"), max_length=34)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    FIELDS = ("bank_name", "account_holder", "account_number", "branch_code", "currency")

    class Meta:
        verbose_name = _("payout bank details")
        verbose_name_plural = _("payout bank details")

    def __str__(self) -> str:
        return f"{self.partner.code} {self.bank_name}"

    def as_dict(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.FIELDS}


class BankDetailsChange(models.Model):
    """One change of a partner's bank details: who, when, the values before and after."""

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("bank details change")
        verbose_name_plural = _("bank details changes")
        indexes = [models.Index(fields=["partner", "-changed_at"], name="bank_change_partner")]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.changed_at:%Y-%m-%d %H:%M}"


class PaymentBatch(TimeStampedModel):
    """One payments CSV: its counts and its rejected rows."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    filename = models.CharField(_("file name"), max_length=255)
    stored_file = models.CharField(_("stored file"), max_length=255, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    duplicate_count = models.PositiveIntegerField(_("duplicates"), default=0)
    rejected_count = models.PositiveIntegerField(_("rejected"), default=0)
    rejections = models.JSONField(_("rejected rows"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("payments import")
        verbose_name_plural = _("payments imports")

    def __str__(self) -> str:
        return f"{self.filename} ({self.created_at:%Y-%m-%d %H:%M})"


class Payment(models.Model):
    """A customer's payment of (part of) a sale, from a payments CSV."""

    sale = models.ForeignKey(
        Sale, verbose_name=_("sale"), on_delete=models.PROTECT, related_name="payments"
    )
    paid_date = models.DateField(_("paid on"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    batch = models.ForeignKey(
        PaymentBatch,
        verbose_name=_("import"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="payments",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sale", "paid_date", "id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_positive"),
            # The same line twice is one payment: a re-imported file adds nothing.
            models.UniqueConstraint(
                fields=["sale", "paid_date", "amount"], name="unique_payment_line"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sale_id} {self.paid_date} {self.amount}"


class SalePaid(models.Model):
    """The day a sale's payments first reached its net amount (kept by the payments import):
    under a plan that accrues on payment, the sale counts in the period containing it."""

    sale = models.OneToOneField(
        Sale, primary_key=True, on_delete=models.CASCADE, related_name="paid", db_constraint=False
    )
    partner_id = models.BigIntegerField()
    paid_on = models.DateField(_("paid in full on"))

    class Meta:
        verbose_name = _("paid sale")
        verbose_name_plural = _("paid sales")
        indexes = [models.Index(fields=["paid_on", "partner_id"], name="sale_paid_on_partner")]

    def __str__(self) -> str:
        return f"{self.sale_id} {self.paid_on}"


class PaidSalesRollup(models.Model):
    """Sums of the sales lines that count on payment, per partner, product, kind, invoice date,
    (returns) original sale date and the day they count (`counted_on`): a sale on the day its
    payments first reached its net amount (a sale of 0 on its invoice date), a return on the
    later of its own date and that day of its original sale. Lines of unpaid sales are absent.
    Kept by database triggers on the sales and on `SalePaid`; under a plan that accrues on
    payment, recomputes read these sums instead of the lines and their payments. Amounts are
    whole hundredths, exact on every database."""

    partner_id = models.BigIntegerField()
    product_id = models.BigIntegerField()
    kind = models.CharField(max_length=8)
    invoice_date = models.DateField()
    original_date = models.DateField(help_text="The original sale's date for a return.")
    counted_on = models.DateField(help_text="The day the line counts when accruing on payment.")
    volume_cents = models.BigIntegerField(default=0)
    quantity_hundredths = models.BigIntegerField(default=0)
    line_count = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("paid sales rollup")
        verbose_name_plural = _("paid sales rollups")
        constraints = [
            # Led by the counting day: the same index serves the period scans and the upserts.
            models.UniqueConstraint(
                fields=[
                    "counted_on",
                    "partner_id",
                    "product_id",
                    "kind",
                    "invoice_date",
                    "original_date",
                ],
                name="unique_paid_sales_rollup_key",
            ),
        ]
        indexes = [
            # Returns are few: a recompute reads them through this index, apart from the sales.
            models.Index(
                fields=["counted_on"],
                condition=models.Q(kind="return"),
                name="paid_sales_rollup_returns",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.product_id} {self.counted_on}"
