"""The compiled Traditional Chinese catalogue (the .mo is not committed), for tests that read
zh-Hant text in this process or in a worker they start."""

import contextlib
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

PO_PATH = Path(settings.BASE_DIR) / "locale" / "zh_Hant" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")


def catalogue_compile() -> None:
    """Compile the catalogue on a fresh clone or after an edit of the .po."""
    if not MO_PATH.exists() or MO_PATH.stat().st_mtime < PO_PATH.stat().st_mtime:
        # compilemessages walks the working directory; stay out of the virtualenv's packages.
        with contextlib.chdir(settings.BASE_DIR):
            call_command(
                "compilemessages",
                locale=["zh_Hant"],
                ignore_patterns=[".venv", "venv", "node_modules", "static"],
                verbosity=0,
            )
