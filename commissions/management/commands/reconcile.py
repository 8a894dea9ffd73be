"""`manage.py reconcile`: check that the stored state is what the data says it must be (see
`commissions.reconcile`). Prints one line per check and each finding; exits 1 on any finding."""

import sys

from django.core.management.base import BaseCommand

from commissions.reconcile import reconcile


class Command(BaseCommand):
    help = (
        "Check that every draft statement equals a clean recompute, the sales rollup equals the "
        "sales, every recompute request and import is done once and every reminder went out "
        "once. Changes nothing; exits 1 on a mismatch."
    )

    def handle(self, *args, **options):
        report = reconcile()
        for line in report.lines():
            self.stdout.write(line)
        if not report.ok:
            self.stderr.write(f"reconciliation failed: {len(report.findings)} findings")
            sys.exit(1)
        self.stdout.write("reconciliation passed")
