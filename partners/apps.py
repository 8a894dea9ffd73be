from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The condition of a flagged partner (partners.models.FLAGGED_Q) in SQL, for its tally.
FLAGGED = "({row}.overdue_receivables > {row}.credit_limit OR {row}.risk_rating = 'high')"


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = _("Partners")

    def ready(self) -> None:
        from prm.core.api import request_context_attacher

        from .middleware import attach_partner_context

        request_context_attacher(attach_partner_context)

        from prm.accounts.models import read_with_user

        from .permissions import permission_fact_expressions

        read_with_user(**permission_fact_expressions())

        from prm.core.tally import tally_declare

        from .models import ActionItem, DealRegistration, Partner

        deals = DealRegistration._meta.db_table
        tally_declare(
            DealRegistration.PENDING_TALLY, table=deals, condition="{row}.status = 'pending'"
        )
        tally_declare(DealRegistration.ALL_TALLY, table=deals, condition="TRUE")
        tally_declare(Partner.FLAGGED_TALLY, table=Partner._meta.db_table, condition=FLAGGED)
        tally_declare(
            ActionItem.OPEN_TALLY,
            table=ActionItem._meta.db_table,
            condition="{row}.done_at IS NULL",
        )
