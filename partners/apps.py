from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = _("Partners")

    def ready(self) -> None:
        from prm.core.api import request_context_attacher

        from .middleware import attach_partner_context

        request_context_attacher(attach_partner_context)
