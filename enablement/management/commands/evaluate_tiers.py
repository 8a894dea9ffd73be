import datetime
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from enablement.tiers import tier_evaluations


class Command(BaseCommand):
    help = (
        "Evaluate every partner against the tier requirements on a date and print the result, "
        "sorted by partner code. Changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="YYYY-MM-DD; today when omitted")
        parser.add_argument("--format", choices=["json"], default="json")

    def handle(self, *args, date=None, format="json", **options):
        try:
            on = datetime.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--date: not a date (YYYY-MM-DD): {date!r}") from exc
        self.stdout.write(json.dumps(tier_evaluations(on=on), ensure_ascii=False, indent=2))
