import csv
import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from agreements.pricing import price_row_as_dict, price_sheet
from partners.models import Partner
from prm.core.csv import csv_safe

FIELDS = ["sku", "list_price", "discount", "promotion", "net_price", "map_price", "currency"]


class Command(BaseCommand):
    help = "Print a partner's price sheet (net prices with list price, discount, promotion, MAP)."

    def add_arguments(self, parser):
        parser.add_argument("--partner", required=True, help="partner code")
        parser.add_argument("--date", help="YYYY-MM-DD (default: today)")
        parser.add_argument("--format", choices=["json", "csv"], default="json")

    def handle(self, *args, partner: str, date: str | None, format: str, **options):
        try:
            on = dt.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--date: not a date (YYYY-MM-DD): {date}") from exc
        try:
            partner_obj = Partner.objects.select_related("tier").get(code=partner)
        except Partner.DoesNotExist as exc:
            raise CommandError(f"--partner: unknown partner {partner!r}") from exc
        rows = [price_row_as_dict(row) for row in price_sheet(partner=partner_obj, on=on)]
        if format == "json":
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        writer = csv.DictWriter(self.stdout, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: csv_safe(v if v is not None else "") for k, v in row.items()})
