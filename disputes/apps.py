from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisputesConfig(AppConfig):
    name = "disputes"
    verbose_name = _("Disputes and compliance")

    def ready(self) -> None:
        from commissions.services.compute import LineLinks
        from commissions.signals import sales_imported

        from .receivers import DisputedLines, open_channel_conflict_cases

        LineLinks.register(DisputedLines)

        sales_imported.connect(
            open_channel_conflict_cases, dispatch_uid="disputes.open_channel_conflict_cases"
        )
