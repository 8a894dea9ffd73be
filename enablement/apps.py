from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnablementConfig(AppConfig):
    name = "enablement"
    verbose_name = _("Enablement")

    def ready(self) -> None:
        from agreements.services.program import register_section

        from . import (
            certificate_events,  # noqa: F401  (its verbs)
            learning_admin,  # noqa: F401  (course authoring in Django admin)
        )
        from .program import SECTIONS

        for section in SECTIONS:
            register_section(section)
