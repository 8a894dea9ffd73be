from django.db import models
from django.utils.translation import gettext_lazy as _

from partners.models import _localised
from prm.core.models import TimeStampedModel


class ProductLine(TimeStampedModel):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    local_name = models.CharField(_("name in Chinese"), max_length=100, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("product line")
        verbose_name_plural = _("product lines")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return _localised(self.name, self.local_name)
