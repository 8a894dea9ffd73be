import json

from django.core.management.base import BaseCommand, CommandError

from funds.selectors import protection_claims_export
from partners.models import Partner


class Command(BaseCommand):
    help = "A partner's price-protection claims with their credit line by line, as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--partner", required=True)
        parser.add_argument("--format", choices=["json"], default="json")

    def handle(self, *args, partner: str, **options):
        found = Partner.objects.filter(code=partner).first()
        if found is None:
            raise CommandError(f"unknown partner {partner!r}")
        data = protection_claims_export(partner=found)
        self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
