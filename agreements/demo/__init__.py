"""The demo channel program, loaded by seed_demo."""

from pathlib import Path

from django.utils import timezone

from partners.models import Partner, Territory

from ..models import Agreement
from ..selectors import version_pending
from ..services.agreements import Terms, agreement_version_propose
from ..services.program import program_load, program_parse

TERRITORIES = {
    "TW-TPE": ("Taipei City", "臺北市"),
    "TW-NWT": ("New Taipei City", "新北市"),
    "TW-TXG": ("Taichung City", "臺中市"),
    "TW-KHH": ("Kaohsiung City", "高雄市"),
    "HK": ("Hong Kong", "香港"),
}
PARTNER_TERRITORIES = {"P-FORMOSA": ["TW-TPE", "TW-NWT"], "P-HARBOUR": ["HK"]}


def load_demo_program(*, actor) -> None:
    """Load the demo catalogue and agreements, then propose new terms to Formosa so the
    acceptance flow can be tried. Safe to run again."""
    for code, (name, local_name) in TERRITORIES.items():
        Territory.objects.update_or_create(
            code=code, defaults={"name": name, "local_name": local_name}
        )
    for partner_code, codes in PARTNER_TERRITORIES.items():
        partner = Partner.objects.get(code=partner_code)
        partner.territories.set(Territory.objects.filter(code__in=codes))
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
