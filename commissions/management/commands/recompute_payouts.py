from django.core.management.base import BaseCommand, CommandError

from commissions import periods
from commissions.services.compute import recompute
from partners.models import Partner


class Command(BaseCommand):
    help = (
        "Recompute the draft payout statements of a month (approved ones never change; their "
        "differences go onto the partner's next draft)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, help="YYYY-MM")
        parser.add_argument("--partner", help="partner code (default: every partner)")

    def handle(self, *args, period: str, partner: str | None, **options):
        try:
            periods.month(period)
        except ValueError as exc:
            raise CommandError(f"--period: {exc}") from exc
        partner_ids = None
        if partner:
            try:
                partner_ids = [Partner.objects.get(code=partner).pk]
            except Partner.DoesNotExist as exc:
                raise CommandError(f"--partner: unknown partner {partner!r}") from exc
        counts = recompute(month_label=period, partner_ids=partner_ids)
        restated = (
            f", {counts['restated']} of them restated on a later draft"
            if counts["restated"]
            else ""
        )
        self.stdout.write(
            f"{period}: {counts['statements'] + counts['unchanged']} draft statement(s) "
            f"recomputed ({counts['statements']} changed), "
            f"{counts['skipped']} approved or paid left as they are{restated}"
        )
