from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "prm.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Each app declares the verbs it records in <app>/events.py.
        autodiscover_modules("events")
