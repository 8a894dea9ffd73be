from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EngagementConfig(AppConfig):
    name = "engagement"
    verbose_name = _("Engagement")

    def ready(self) -> None:
        from agreements.services.program import register_section
        from partners.selectors.directory import register_directory_column

        from . import admin_voice, events_voice  # noqa: F401
        from .directory import HEALTH_COLUMN
        from .program import SECTIONS

        for section in SECTIONS:
            register_section(section)
        register_directory_column(HEALTH_COLUMN)
