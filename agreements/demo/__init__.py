"""The demo channel program, loaded by seed_demo."""

from pathlib import Path

from django.utils import timezone

from ..models import Agreement
from ..selectors import version_pending
from ..services.agreements import Terms, agreement_version_propose
from ..services.program import program_load, program_parse


def load_demo_program(*, actor) -> None:
    """Load the demo catalogue and agreements, then propose new terms to Formosa so the
    acceptance flow can be tried. Safe to run again."""
    program_load(program_parse(Path(__file__).with_name("program.yaml")), actor=actor)
    agreement = Agreement.objects.get(number="AG-2026-001")
    if agreement.versions.count() == 1 and version_pending(agreement=agreement) is None:
        current = agreement.versions.get()
        terms = Terms.of(current)
        terms.effective_date = max(timezone.localdate(), current.effective_date)
        terms.payment_terms_days = 45
        terms.price_notice_days = 45
        terms.territories = [*terms.territories, "TW-TXG"]
        agreement_version_propose(
            actor=actor,
            agreement=agreement,
            terms=terms,
            change_summary="Taichung added to the territory; payment terms and price-change "
            "notice extended to 45 days.",
        )
