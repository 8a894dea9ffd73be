"""The partner pulse: a quarterly survey of partner admins, its questions (editable by vendor
admins without touching past answers), one response per partner and quarter, and the messages
sent about it, each at most once."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from prm.core.models import TimeStampedModel


class PulseQuestion(TimeStampedModel):
    """One question of the survey. Retiring a question (inactive) keeps its past answers; its
    wording may be edited, answers keep pointing at it."""

    class Kind(models.TextChoices):
        RECOMMEND = "recommend", _("Recommendation, 0–10")
        RATING = "rating", _("Rating, 1–5")
        TEXT = "text", _("Free text")

    code = models.SlugField(_("code"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    text = models.CharField(_("question"), max_length=255)
    local_text = models.CharField(_("question in Chinese"), max_length=255, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("asked"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("pulse question")
        verbose_name_plural = _("pulse questions")
        constraints = [
            # The recommendation score drives action items and relationship health: one at a time.
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(kind="recommend", is_active=True),
                name="one_active_recommend_question",
            )
        ]

    def __str__(self) -> str:
        return self.display_text

    @property
    def display_text(self) -> str:
        if self.local_text and (get_language() or "").lower().startswith("zh"):
            return self.local_text
        return self.text

    @property
    def scale(self) -> tuple[int, int] | None:
        return {self.Kind.RECOMMEND: (0, 10), self.Kind.RATING: (1, 5)}.get(self.kind)


class PulseResponse(TimeStampedModel):
    """A partner's answers for one quarter, given by one of its admins; editable until the
    quarter closes. `recommend` repeats the recommendation answer for set-based reads."""

    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("partner"),
        on_delete=models.CASCADE,
        related_name="pulse_responses",
    )
    quarter = models.CharField(_("quarter"), max_length=7, help_text="YYYY-Qn")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recommend = models.PositiveSmallIntegerField(
        _("recommendation"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )
    comment = models.TextField(_("comments"), blank=True)
    action_item = models.ForeignKey(
        "partners.ActionItem",
        verbose_name=_("action item"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-quarter", "partner__code"]
        verbose_name = _("pulse response")
        verbose_name_plural = _("pulse responses")
        constraints = [
            models.UniqueConstraint(fields=["partner", "quarter"], name="one_pulse_per_quarter"),
            models.CheckConstraint(
                condition=models.Q(recommend__isnull=True) | models.Q(recommend__lte=10),
                name="pulse_recommend_0_10",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner.code} · {self.quarter}"


class PulseAnswer(models.Model):
    response = models.ForeignKey(
        PulseResponse, verbose_name=_("response"), on_delete=models.CASCADE, related_name="answers"
    )
    question = models.ForeignKey(
        PulseQuestion, verbose_name=_("question"), on_delete=models.PROTECT, related_name="answers"
    )
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    text = models.TextField(_("answer"), blank=True)

    class Meta:
        ordering = ["question__position", "question_id"]
        verbose_name = _("pulse answer")
        verbose_name_plural = _("pulse answers")
        constraints = [
            models.UniqueConstraint(
                fields=["response", "question"], name="one_answer_per_question"
            ),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__lte=10),
                name="pulse_score_0_10",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.response} · {self.question.code}"


class PulseMessage(models.Model):
    """An invitation or reminder that went to a partner's admins for a quarter: the unique row
    makes a second send a no-op."""

    class Kind(models.TextChoices):
        INVITATION = "invitation", _("Invitation")
        REMINDER = "reminder", _("Reminder")
        LAST_CALL = "last_call", _("Last reminder")

    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("partner"),
        on_delete=models.CASCADE,
        related_name="pulse_messages",
    )
    quarter = models.CharField(_("quarter"), max_length=7)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("pulse message")
        verbose_name_plural = _("pulse messages")
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "quarter", "kind"], name="unique_pulse_message"
            )
        ]

    def __str__(self) -> str:
        return f"{self.partner.code} · {self.quarter} · {self.kind}"
