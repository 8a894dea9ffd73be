from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgreementsConfig(AppConfig):
    name = "agreements"
    verbose_name = _("Agreements and pricing")

    def ready(self) -> None:
        from . import signals  # noqa: F401
