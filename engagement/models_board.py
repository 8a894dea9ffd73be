"""The ideas and questions board: partners post by category, vote and comment; the vendor
answers, merges duplicates, sets a status and may hide a post. Authors are never named to
other partners: a post keeps the tier and territory it is shown under."""

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from prm.core.models import TimeStampedModel


class BoardCategory(TimeStampedModel):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    local_name = models.CharField(_("name in Chinese"), max_length=100, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("board category")
        verbose_name_plural = _("board categories")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.local_name and (get_language() or "").lower().startswith("zh"):
            return self.local_name
        return self.name


class Post(TimeStampedModel):
    class Kind(models.TextChoices):
        IDEA = "idea", _("Idea")
        QUESTION = "question", _("Question")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        UNDER_REVIEW = "under_review", _("Under review")
        PLANNED = "planned", _("Planned")
        DONE = "done", _("Done")
        DECLINED = "declined", _("Declined")
        MERGED = "merged", _("Merged")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.IDEA)
    category = models.ForeignKey(
        BoardCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="posts"
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("details"))
    partner = models.ForeignKey(
        "partners.Partner", verbose_name=_("partner"), on_delete=models.CASCADE, related_name="+"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # What the post is shown under, chosen when it is written (spec: "a Gold partner in TW-TPE").
    author_tier = models.ForeignKey(
        "partners.Tier",
        verbose_name=_("tier"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    author_territory = models.ForeignKey(
        "partners.Territory",
        verbose_name=_("territory"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    status_reason = models.TextField(_("reason"), blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duplicates",
    )
    vote_count = models.PositiveIntegerField(_("votes"), default=0)
    comment_count = models.PositiveIntegerField(_("comments"), default=0)
    hidden_at = models.DateTimeField(_("hidden at"), null=True, blank=True)
    hidden_reason = models.TextField(_("reason for hiding"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("board post")
        verbose_name_plural = _("board posts")
        indexes = [models.Index(fields=["status", "-vote_count"], name="post_status_votes_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="merged") | models.Q(merged_into__isnull=False),
                name="merged_post_names_target",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def number(self) -> str:
        return f"#{self.pk}"

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class Vote(models.Model):
    post = models.ForeignKey(
        Post, verbose_name=_("post"), on_delete=models.CASCADE, related_name="votes"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [models.UniqueConstraint(fields=["post", "user"], name="one_vote_per_user")]

    def __str__(self) -> str:
        return f"{self.post_id} · {self.user_id}"


class Comment(TimeStampedModel):
    post = models.ForeignKey(
        Post, verbose_name=_("post"), on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # None for the vendor's answers, shown as the vendor.
    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("partner"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    author_tier = models.ForeignKey(
        "partners.Tier", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_territory = models.ForeignKey(
        "partners.Territory", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("comment"))
    is_answer = models.BooleanField(_("vendor answer"), default=False)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")

    def __str__(self) -> str:
        return f"{self.post_id} · {self.created_at:%Y-%m-%d}"
