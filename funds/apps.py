from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundsConfig(AppConfig):
    name = "funds"
    verbose_name = _("Market development funds")

    def ready(self) -> None:
        from agreements.services.program import register_load_observer, register_section

        from . import events, protection, signals  # noqa: F401
        from .program import SECTIONS

        signals.connect()
        register_load_observer(protection.program_impact)

        for section in SECTIONS:
            register_section(section)
