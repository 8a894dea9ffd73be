from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from agreements.services.program import ProgramFileError, program_load, program_parse


class Command(BaseCommand):
    help = (
        "Upsert a channel program file (YAML or JSON) by code, in one transaction. A file with any "
        "bad entry is reported entry by entry and nothing of it is applied."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--preview",
            "--dry-run",
            dest="preview",
            action="store_true",
            help="Report what the file would change (and the claims it would open) and roll it "
            "back: nothing is written.",
        )

    def handle(self, *args, file: Path, preview: bool = False, **options):
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        try:
            report = program_load(program_parse(file), dry_run=preview)
        except ProgramFileError as exc:
            for error in exc.errors:
                self.stderr.write(error)
            raise CommandError(
                f"{file.name}: {len(exc.errors)} problem(s); nothing was applied"
            ) from exc
        sections = sorted(set(report.created) | set(report.updated) | set(report.unchanged))
        for section in sections:
            self.stdout.write(
                f"{section}: {report.created.get(section, 0)} created, "
                f"{report.updated.get(section, 0)} updated, "
                f"{report.unchanged.get(section, 0)} unchanged"
            )
        for note in report.notes:
            self.stdout.write(note)
        if preview:
            self.stdout.write(self.style.WARNING(f"Preview of {file.name}: nothing was written."))
        else:
            self.stdout.write(self.style.SUCCESS(f"Loaded {file.name}."))
