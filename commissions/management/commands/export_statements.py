import csv
import json

from django.core.management.base import BaseCommand, CommandError

from commissions import periods
from commissions.selectors import statement_as_dict, statements_for_month
from prm.core.csv import csv_safe


class Command(BaseCommand):
    help = "Print the payout statements of a month (and quarters containing it)."

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, help="YYYY-MM")
        parser.add_argument("--format", choices=["json", "csv"], default="json")

    def handle(self, *args, period: str, format: str, **options):
        try:
            periods.month(period)
        except ValueError as exc:
            raise CommandError(f"--period: {exc}") from exc
        data = [statement_as_dict(s) for s in statements_for_month(period)]
        if format == "json":
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(
            [
                "partner",
                "period",
                "status",
                "currency",
                "total",
                "line",
                "description",
                "amount",
                "carried_forward",
            ]
        )
        for statement in data:
            for number, line in enumerate(statement["lines"], start=1):
                writer.writerow(
                    csv_safe(v)
                    for v in (
                        statement["partner"],
                        statement["period"],
                        statement["status"],
                        statement["currency"],
                        statement["total"],
                        number,
                        line["description"],
                        line["amount"],
                        statement["carried_forward"],
                    )
                )
