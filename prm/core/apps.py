from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "prm.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from .lookups import register

        register()
        # Each app declares the verbs it records in <app>/events.py.
        autodiscover_modules("events")
        from .history import history_triggers_ensure, sqlite_functions

        connection_created.connect(sqlite_functions, dispatch_uid="prm_history_functions")
        post_migrate.connect(
            history_triggers_ensure, sender=self, dispatch_uid="prm_history_triggers"
        )
        from .tally import tallies_recount

        post_migrate.connect(tallies_recount, sender=self, dispatch_uid="prm_tallies_recount")
