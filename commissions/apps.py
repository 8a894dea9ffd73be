from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommissionsConfig(AppConfig):
    name = "commissions"
    verbose_name = _("Commissions")

    def ready(self) -> None:
        from agreements.services.program import register_section

        from .services.program import PLAN_SECTION, TARGET_SECTION
        from .services.rates import RATE_SECTION

        register_section(PLAN_SECTION)
        register_section(TARGET_SECTION)
        register_section(RATE_SECTION)
