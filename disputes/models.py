import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from prm.core.models import TimeStampedModel


class Priority(models.TextChoices):
    URGENT = "urgent", _("Urgent")
    HIGH = "high", _("High")
    NORMAL = "normal", _("Normal")
    LOW = "low", _("Low")


class SlaPolicy(TimeStampedModel):
    """The deadlines for one priority, editable by vendor admins in Django admin."""

    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices, unique=True)
    first_response_hours = models.PositiveIntegerField(
        _("first response within (hours)"), validators=[MinValueValidator(1)]
    )
    resolution_hours = models.PositiveIntegerField(
        _("resolution within (hours)"), validators=[MinValueValidator(1)]
    )

    class Meta:
        ordering = ["first_response_hours"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        first, resolution = self.first_response_hours, self.resolution_hours
        return f"{self.get_priority_display()}: {first} h / {resolution} h"


class Case(TimeStampedModel):
    """A question, complaint or dispute with an owner, a priority and two SLA deadlines."""

    class Kind(models.TextChoices):
        PAYOUT = "payout", _("Payout")
        PRICING = "pricing", _("Pricing")
        CHANNEL_CONFLICT = "channel_conflict", _("Channel conflict")
        AGREEMENT = "agreement", _("Agreement")
        COMPLIANCE = "compliance", _("Compliance")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        WAITING_ON_PARTNER = "waiting", _("Waiting on partner")
        IN_MEDIATION = "mediation", _("In mediation")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    class Incident(models.TextChoices):
        COUNTERFEIT = "counterfeit", _("Counterfeit goods")
        FALSE_ADVERTISING = "false_advertising", _("False advertising")
        MAP_VIOLATION = "map_violation", _("MAP violation")
        TERRITORY_BREACH = "territory_breach", _("Territory breach")

    class Severity(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")
        CRITICAL = "critical", _("Critical")

    Priority = Priority

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"))
    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        related_name="cases",
    )
    other_partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("other partner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases_as_other_party",
        help_text=_("The second party of a channel conflict."),
    )
    parties_disclosed = models.BooleanField(_("partners may see each other's name"), default=False)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("raised by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_cases",
    )
    statement_line = models.ForeignKey(
        "commissions.StatementLine",
        verbose_name=_("statement line"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    deal = models.ForeignKey(
        "partners.DealRegistration",
        verbose_name=_("deal registration"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    agreement_version = models.ForeignKey(
        "agreements.AgreementVersion",
        verbose_name=_("agreement version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    product = models.ForeignKey(
        "agreements.Product",
        verbose_name=_("product (price row)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    incident = models.CharField(
        _("compliance incident"), max_length=20, choices=Incident.choices, blank=True
    )
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices, blank=True)
    evidence = models.TextField(
        _("evidence"), blank=True, help_text=_("What was found, where and when; attach files.")
    )
    penalty = models.DecimalField(
        _("penalty"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    sale = models.OneToOneField(
        "commissions.Sale",
        verbose_name=_("conflicting sale"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="conflict_case",
    )
    first_response_due = models.DateTimeField(_("first response due"))
    resolution_due = models.DateTimeField(_("resolution due"))
    first_responded_at = models.DateTimeField(_("first responded at"), null=True, blank=True)
    paused_at = models.DateTimeField(_("clock paused at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    mediator = models.CharField(_("mediator"), max_length=200, blank=True)
    mediation_started_on = models.DateField(_("mediation started on"), null=True, blank=True)
    mediation_ended_on = models.DateField(_("mediation ended on"), null=True, blank=True)
    mediation_outcome = models.TextField(_("mediation outcome"), blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    adjustment = models.OneToOneField(
        "commissions.Adjustment",
        verbose_name=_("adjustment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="case",
    )
    rating = models.PositiveSmallIntegerField(
        _("rating"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    rating_comment = models.TextField(_("rating comment"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            models.Index(fields=["status", "resolution_due"], name="case_status_due_idx"),
            models.Index(fields=["-created_at", "-id"], name="case_created_idx"),
            # The unresolved cases with what the dashboards count them by (scope, deadlines,
            # escalation, age), read from the index alone.
            models.Index(
                fields=["created_at"],
                condition=~models.Q(status__in=["resolved", "closed"]),
                include=[
                    "partner",
                    "other_partner",
                    "owner",
                    "escalated_at",
                    "first_responded_at",
                    "first_response_due",
                    "resolution_due",
                    "paused_at",
                ],
                name="case_active_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="compliance")
                | (~models.Q(incident="") & ~models.Q(severity="")),
                name="compliance_case_has_incident_and_severity",
            ),
            models.CheckConstraint(
                condition=models.Q(penalty__isnull=True) | models.Q(penalty__gte=0),
                name="case_penalty_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="case_rating_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def number(self) -> str:
        return f"CASE-{self.pk:06d}" if self.pk else "CASE-new"

    @property
    def is_active(self) -> bool:
        return self.status not in (self.Status.RESOLVED, self.Status.CLOSED)

    def remaining(self, due: dt.datetime, now: dt.datetime) -> dt.timedelta:
        """Time left to `due`; while paused the clock stands at the moment it was paused."""
        return due - (self.paused_at or now)


class CaseMessage(models.Model):
    """One entry of a case's thread; internal notes are for vendor staff only."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="messages"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    party = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("written for partner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_(
            "The only partner who sees it: the one whose user wrote it, or the one vendor staff "
            "wrote to; empty when every party sees it."
        ),
    )
    body = models.TextField(_("message"))
    internal = models.BooleanField(_("internal note"), default=False)
    attachment = models.FileField(_("attachment"), max_length=255, blank=True)
    attachment_name = models.CharField(_("file name"), max_length=255, blank=True)
    attachment_size = models.PositiveIntegerField(_("file size"), default=0)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("case message")
        verbose_name_plural = _("case messages")

    def __str__(self) -> str:
        return f"{self.case.number} #{self.pk}"


class CaseStatusChange(models.Model):
    """One entry of a case's history: who moved it from one status to another, or handed it from
    one owner to another, when and why.

    The reason is read by vendor staff, and by the partners unless it is `reason_internal`; with
    `reason_party` set, only that partner reads it. Between two partners of a channel conflict a
    reason is internal unless the vendor chooses otherwise."""

    class Kind(models.TextChoices):
        STATUS = "status", _("Status change")
        OWNER = "owner", _("Owner change")

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="status_changes"
    )
    kind = models.CharField(_("kind"), max_length=6, choices=Kind.choices, default=Kind.STATUS)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    from_status = models.CharField(_("from"), max_length=12, blank=True)
    to_status = models.CharField(_("to"), max_length=12)
    from_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("previous owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    to_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("new owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.TextField(_("reason"), blank=True)
    reason_internal = models.BooleanField(_("reason for vendor staff only"), default=False)
    reason_party = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("reason shown to partner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The only partner who reads the reason; empty when every party reads it."),
    )
    created_at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("case status change")
        verbose_name_plural = _("case status changes")

    def __str__(self) -> str:
        if self.kind == self.Kind.OWNER:
            return f"{self.case.number}: {self.from_owner or '—'} → {self.to_owner or '—'}"
        return f"{self.case.number}: {self.from_status} → {self.to_status}"

    def reason_for_partner(self, partner_id: int | None) -> str:
        """The reason as the users of partner `partner_id` may read it: empty when it is not
        theirs to read."""
        if self.reason_internal or partner_id is None:
            return ""
        if self.reason_party_id is not None and self.reason_party_id != partner_id:
            return ""
        return self.reason

    @property
    def from_label(self) -> str:
        return Case.Status(self.from_status).label if self.from_status else ""

    @property
    def to_label(self) -> str:
        return Case.Status(self.to_status).label
