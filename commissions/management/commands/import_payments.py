from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from commissions.services.payments import payments_import


class Command(BaseCommand):
    help = (
        "Import a payments CSV (external_id, paid_date, amount): prints created / duplicate / "
        "rejected counts and every rejected row."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        with file.open("rb") as handle:
            result = payments_import(file=handle, filename=file.name)
        self.stdout.write(
            f"created: {result.created}\nduplicate: {result.duplicates}\n"
            f"rejected: {len(result.rejected)}"
        )
        for rejected in result.rejected:
            self.stdout.write(f"row {rejected.row}, {rejected.column}: {rejected.reason}")
        if result.rejected:
            raise CommandError(f"{len(result.rejected)} row(s) rejected")
