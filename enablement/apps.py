from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnablementConfig(AppConfig):
    name = "enablement"
    verbose_name = _("Enablement")

    def ready(self) -> None:
        from agreements.services.program import register_section

        from . import (  # noqa: F401  (their verbs; course authoring in Django admin)
            certificate_events,
            learning_admin,
            resource_events,
        )
        from .program import SECTIONS

        for section in SECTIONS:
            register_section(section)
