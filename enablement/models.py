from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from partners.models import Partner, Tier
from prm.core.models import TimeStampedModel


class Certification(TimeStampedModel):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    validity_months = models.PositiveSmallIntegerField(
        _("validity in months"), validators=[MinValueValidator(1)]
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")
        constraints = [
            models.CheckConstraint(
                condition=Q(validity_months__gte=1), name="certification_validity_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Certificate(TimeStampedModel):
    """A person's certification, valid from ``earned`` (inclusive) to ``expires`` (exclusive)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("holder"),
        on_delete=models.CASCADE,
        related_name="certificates",
    )
    certification = models.ForeignKey(
        Certification,
        verbose_name=_("certification"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    earned = models.DateField(_("earned on"))
    expires = models.DateField(_("expires on"))

    class Meta:
        ordering = ["certification__code", "user__email", "-earned"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "certification", "earned"], name="unique_certificate_per_day"
            ),
            models.CheckConstraint(
                condition=Q(expires__gt=F("earned")), name="certificate_expires_after_earned"
            ),
        ]
        indexes = [models.Index(fields=["certification", "earned", "expires"])]

    def __str__(self) -> str:
        return f"{self.certification.code}: {self.user} ({self.earned} – {self.expires})"


class TierRequirements(TimeStampedModel):
    """What a partner must show to qualify for a tier; a tier without this row always qualifies."""

    tier = models.OneToOneField(
        Tier, verbose_name=_("tier"), on_delete=models.CASCADE, related_name="rule"
    )
    revenue_12m = models.DecimalField(
        _("revenue over 12 months"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    max_open_incidents = models.PositiveIntegerField(
        _("most open compliance incidents"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("tier requirements")
        verbose_name_plural = _("tier requirements")

    def __str__(self) -> str:
        return str(self.tier)


class TierCertificationRequirement(TimeStampedModel):
    requirements = models.ForeignKey(
        TierRequirements,
        verbose_name=_("tier requirements"),
        on_delete=models.CASCADE,
        related_name="certifications",
    )
    certification = models.ForeignKey(
        Certification,
        verbose_name=_("certification"),
        on_delete=models.PROTECT,
        related_name="tier_requirements",
    )
    count = models.PositiveSmallIntegerField(
        _("certified people"), validators=[MinValueValidator(1)]
    )

    class Meta:
        ordering = ["certification__code"]
        verbose_name = _("certification requirement")
        verbose_name_plural = _("certification requirements")
        constraints = [
            models.UniqueConstraint(
                fields=["requirements", "certification"], name="unique_tier_certification"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.certification.code} × {self.count}"


class TierPolicy(TimeStampedModel):
    """The program's single tier policy row."""

    demotion_notice_days = models.PositiveSmallIntegerField(
        _("demotion notice in days"), default=90
    )

    class Meta:
        verbose_name = _("tier policy")
        verbose_name_plural = _("tier policy")

    def __str__(self) -> str:
        return str(_("Tier policy"))


class TierChange(TimeStampedModel):
    """A proposed tier move: a promotion awaiting approval, or a demotion awaiting its date.

    A partner has at most one open change: a pending promotion or a noticed demotion."""

    class Direction(models.TextChoices):
        PROMOTE = "promote", _("Promotion")
        DEMOTE = "demote", _("Demotion")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        NOTICED = "noticed", _("Notice given")
        APPLIED = "applied", _("Applied")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="tier_changes"
    )
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    # Empty for a partner that had no tier yet.
    from_tier = models.ForeignKey(
        Tier,
        verbose_name=_("from tier"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    to_tier = models.ForeignKey(
        Tier, verbose_name=_("to tier"), on_delete=models.PROTECT, related_name="+"
    )
    proposed_on = models.DateField(_("proposed on"))
    effective_on = models.DateField(_("effective on"), null=True, blank=True)
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    OPEN_STATUSES = (Status.PENDING, Status.NOTICED)

    class Meta:
        ordering = ["-proposed_on", "partner__code"]
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")
        constraints = [
            models.UniqueConstraint(
                fields=["partner"],
                condition=Q(status__in=["pending", "noticed"]),
                name="one_open_tier_change_per_partner",
            ),
            models.CheckConstraint(
                condition=Q(direction="promote") | Q(effective_on__isnull=False),
                name="demotion_has_effective_date",
            ),
        ]

    def __str__(self) -> str:
        source = self.from_tier.code if self.from_tier_id else "—"
        return f"{self.partner.code}: {source} → {self.to_tier.code}"


class CertificateReminder(models.Model):
    """An expiry reminder that went out for a certificate, so it never goes twice.

    The unique (certificate, kind) pair is the guard: a run inserts its rows with its own
    ``claim`` and sends only the rows that carry it, so two runs at once never both send."""

    class Kind(models.TextChoices):
        DAYS_60 = "60d", _("60 days before expiry")
        DAYS_14 = "14d", _("14 days before expiry")

    certificate = models.ForeignKey(
        Certificate,
        verbose_name=_("certificate"),
        on_delete=models.CASCADE,
        related_name="reminders",
    )
    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices)
    sent_on = models.DateField(_("sent on"))
    claim = models.UUIDField(_("claim"), editable=False)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("certificate reminder")
        verbose_name_plural = _("certificate reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["certificate", "kind"], name="unique_certificate_reminder"
            ),
        ]
        indexes = [models.Index(fields=["claim"])]

    def __str__(self) -> str:
        return f"{self.certificate} · {self.kind}"


class Course(TimeStampedModel):
    """An online course: modules to read or watch, an optional quiz, and the certification that
    passing it earns. The audience is a set of tiers and partner roles; an empty set means all."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    title = models.CharField(_("title"), max_length=200)
    title_zh_hant = models.CharField(_("title in Chinese"), max_length=200, blank=True)
    body = models.TextField(_("description"), blank=True)
    body_zh_hant = models.TextField(_("description in Chinese"), blank=True)
    tiers = models.ManyToManyField(
        Tier,
        verbose_name=_("audience tiers"),
        blank=True,
        related_name="courses",
        help_text=_("Leave empty for every tier."),
    )
    roles = models.JSONField(
        _("audience roles"),
        default=list,
        blank=True,
        help_text=_("Partner roles the course is meant for; empty for every role."),
    )
    certification = models.ForeignKey(
        Certification,
        verbose_name=_("certification granted"),
        on_delete=models.PROTECT,
        related_name="courses",
        null=True,
        blank=True,
    )
    published = models.BooleanField(_("published"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("course")
        verbose_name_plural = _("courses")

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from partners.models import Membership

        allowed = set(Membership.Role.values)
        if not isinstance(self.roles, list) or not set(self.roles) <= allowed:
            raise ValidationError(
                {"roles": _("Choose roles among: %(roles)s.") % {"roles": ", ".join(allowed)}}
            )


class Module(TimeStampedModel):
    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        FILE = "file", _("File")
        VIDEO = "video", _("Video link")

    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="modules"
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.TEXT)
    title = models.CharField(_("title"), max_length=200)
    title_zh_hant = models.CharField(_("title in Chinese"), max_length=200, blank=True)
    body = models.TextField(_("text"), blank=True)
    body_zh_hant = models.TextField(_("text in Chinese"), blank=True)
    file = models.FileField(_("file"), upload_to="learning/modules/%Y/%m/", blank=True)
    url = models.URLField(_("video link"), blank=True)

    class Meta:
        ordering = ["course", "order", "pk"]
        verbose_name = _("module")
        verbose_name_plural = _("modules")

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.kind == self.Kind.FILE and not self.file:
            raise ValidationError({"file": _("A file module needs a file.")})
        if self.kind == self.Kind.VIDEO and not self.url:
            raise ValidationError({"url": _("A video module needs a link.")})
        if self.file:
            from disputes.uploads import attachment_check
            from prm.core.errors import DomainError

            if hasattr(self.file, "file") and not getattr(self.file, "_committed", True):
                try:
                    attachment_check(self.file.file)
                except DomainError as exc:
                    raise ValidationError({"file": exc.message}) from exc


class Quiz(TimeStampedModel):
    course = models.OneToOneField(
        Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="quiz"
    )
    pass_mark = models.PositiveSmallIntegerField(
        _("pass mark %"),
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )

    class Meta:
        verbose_name = _("quiz")
        verbose_name_plural = _("quizzes")
        constraints = [
            models.CheckConstraint(
                condition=Q(pass_mark__gte=1, pass_mark__lte=100), name="quiz_pass_mark_percent"
            ),
        ]

    def __str__(self) -> str:
        return str(self.course)


class Question(TimeStampedModel):
    quiz = models.ForeignKey(
        Quiz, verbose_name=_("quiz"), on_delete=models.CASCADE, related_name="questions"
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    text = models.TextField(_("question"))
    text_zh_hant = models.TextField(_("question in Chinese"), blank=True)

    class Meta:
        ordering = ["quiz", "order", "pk"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self) -> str:
        return self.text[:80]


class Choice(models.Model):
    question = models.ForeignKey(
        Question, verbose_name=_("question"), on_delete=models.CASCADE, related_name="choices"
    )
    text = models.CharField(_("answer"), max_length=500)
    text_zh_hant = models.CharField(_("answer in Chinese"), max_length=500, blank=True)
    correct = models.BooleanField(_("correct"), default=False)

    class Meta:
        ordering = ["question", "pk"]
        verbose_name = _("choice")
        verbose_name_plural = _("choices")

    def __str__(self) -> str:
        return self.text[:80]


class Enrollment(TimeStampedModel):
    """A person's progress through a course: the modules marked done, and when they started,
    completed every module and passed (the quiz, or attendance at a linked workshop)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="enrollments",
    )
    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="enrollments"
    )
    modules_done = models.ManyToManyField(
        Module, verbose_name=_("modules completed"), blank=True, related_name="+"
    )
    started_at = models.DateTimeField(_("started at"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    passed_at = models.DateTimeField(_("passed at"), null=True, blank=True)

    class Meta:
        ordering = ["course", "user"]
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="unique_enrollment"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.course.code}"


class QuizAttempt(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="quiz_attempts",
    )
    quiz = models.ForeignKey(
        Quiz, verbose_name=_("quiz"), on_delete=models.CASCADE, related_name="attempts"
    )
    answers = models.JSONField(_("answers"), default=dict)
    score = models.DecimalField(_("score %"), max_digits=5, decimal_places=2)
    passed = models.BooleanField(_("passed"))
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        verbose_name = _("quiz attempt")
        verbose_name_plural = _("quiz attempts")
        indexes = [models.Index(fields=["quiz", "user"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.quiz} · {self.score}%"


class Workshop(TimeStampedModel):
    """A dated session, online (a link) or on site (a place), with a number of seats. Attendance
    recorded by vendor staff completes the linked course, if any, and earns its certification."""

    course = models.ForeignKey(
        Course,
        verbose_name=_("course"),
        on_delete=models.SET_NULL,
        related_name="workshops",
        null=True,
        blank=True,
    )
    title = models.CharField(_("title"), max_length=200)
    title_zh_hant = models.CharField(_("title in Chinese"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    online_url = models.URLField(_("online link"), blank=True)
    place = models.CharField(_("place"), max_length=300, blank=True)
    capacity = models.PositiveIntegerField(_("seats"), validators=[MinValueValidator(1)])
    sequence = models.PositiveIntegerField(_("calendar sequence"), default=0, editable=False)

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("workshop")
        verbose_name_plural = _("workshops")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="workshop_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="workshop_capacity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.starts_at:%Y-%m-%d})"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if not self.online_url and not self.place:
            raise ValidationError(_("Give the online link or the place."))
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The workshop must end after it starts.")})


class WorkshopRegistration(TimeStampedModel):
    """A seat or a place on the waiting list. The waiting list is served in order of
    registration; a person has at most one live registration per workshop."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Seat confirmed")
        WAITING = "waiting", _("On the waiting list")
        CANCELLED = "cancelled", _("Cancelled")

    workshop = models.ForeignKey(
        Workshop,
        verbose_name=_("workshop"),
        on_delete=models.CASCADE,
        related_name="registrations",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="workshop_registrations",
    )
    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner"),
        on_delete=models.CASCADE,
        related_name="workshop_registrations",
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    promoted_at = models.DateTimeField(
        _("promoted from the waiting list at"), null=True, blank=True
    )
    attended = models.BooleanField(_("attended"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    reminder_claim = models.UUIDField(_("reminder claim"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["workshop", "created_at", "pk"]
        verbose_name = _("workshop registration")
        verbose_name_plural = _("workshop registrations")
        constraints = [
            models.UniqueConstraint(
                fields=["workshop", "user"],
                condition=Q(status__in=["confirmed", "waiting"]),
                name="one_live_registration_per_workshop",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.workshop} · {self.status}"


# The resource library's models live in their own module and are registered with the app here.
from .resource_models import (  # noqa: E402, F401
    Resource,
    ResourceDownload,
    ResourceVersion,
    ResourceVisit,
)
