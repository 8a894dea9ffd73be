import json
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class Event(models.Model):
    """One change that matters: who did what to which object, with the values before and after.

    Written by services in the same transaction as the change; history pages read these rows.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
    )
    verb = models.CharField(_("verb"), max_length=64)
    target_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("object type")
    )
    target_id = models.CharField(_("object id"), max_length=64)
    target = GenericForeignKey("target_type", "target_id")
    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("partner"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="events",
    )
    before = models.JSONField(_("before"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(_("after"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.verb} {self.target_type.model}#{self.target_id}"


class DecimalJSONDecoder(json.JSONDecoder):
    """Amounts in recorded rows read back as Decimal, never float."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("parse_float", Decimal)
        super().__init__(*args, **kwargs)


class RowChange(models.Model):
    """One insert, update or delete of a row of terms, prices, plans, statements or cases,
    written by a database trigger (`prm.core.history`), whatever made the change."""

    class Op(models.TextChoices):
        INSERT = "insert", _("inserted")
        UPDATE = "update", _("updated")
        DELETE = "delete", _("deleted")

    table = models.CharField(_("table"), max_length=63)
    row_id = models.BigIntegerField(_("row"))
    op = models.CharField(_("change"), max_length=6, choices=Op.choices)
    before = models.JSONField(_("before"), null=True, blank=True, decoder=DecimalJSONDecoder)
    after = models.JSONField(_("after"), null=True, blank=True, decoder=DecimalJSONDecoder)
    changed_at = models.DateTimeField(_("at"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        # Written by triggers: no constraint, so a write never fails over the history row.
        db_constraint=False,
        on_delete=models.DO_NOTHING,
        related_name="+",
    )
    txid = models.BigIntegerField(_("transaction"), null=True, blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("row change")
        verbose_name_plural = _("row changes")
        indexes = [models.Index(fields=["table", "row_id"])]

    def __str__(self) -> str:
        return f"{self.op} {self.table}#{self.row_id}"

    def changed_columns(self) -> list[str]:
        before, after = self.before or {}, self.after or {}
        return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


class RowTally(models.Model):
    """How many rows of a table meet a condition (a tally, by name: prm.core.tally), kept by
    database triggers on every insert, update and delete of the table. Each write adds its
    change to one of SLOTS rows of the name, chosen by the database session, so that concurrent
    writers seldom wait for one another's row; the tally is the sum over its slots."""

    SLOTS = 16

    name = models.CharField(_("name"), max_length=63)
    slot = models.PositiveSmallIntegerField(_("slot"), default=0)
    total = models.BigIntegerField(_("total"), default=0)

    class Meta:
        verbose_name = _("row tally")
        verbose_name_plural = _("row tallies")
        constraints = [
            models.UniqueConstraint(fields=["name", "slot"], name="unique_row_tally_slot"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.slot}"
