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

    def handle(self, *args, file: Path, **options):
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        try:
            report = program_load(program_parse(file))
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
        self.stdout.write(self.style.SUCCESS(f"Loaded {file.name}."))
