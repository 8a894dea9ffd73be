"""Partner organisations and what hangs off them: onboarding, risk, deals, targets, recognition."""

from .deals import DEFAULT_PROTECTION_DAYS, DealConflict, DealRegistration
from .onboarding import Invitation, invitation_key_hash
from .organisation import (
    FLAGGED_Q,
    Membership,
    Partner,
    PartnerGroupObjectPermission,
    PartnerQuerySet,
    PartnerUserObjectPermission,
    RiskRating,
    Segment,
    Territory,
    Tier,
    _localised,
)
from .recognition import Award, PartnerAward
from .risk import RiskAssessment
from .targets import PERIOD_VALIDATOR, Target, TargetProposal

__all__ = [
    "DEFAULT_PROTECTION_DAYS",
    "FLAGGED_Q",
    "PERIOD_VALIDATOR",
    "Award",
    "DealConflict",
    "DealRegistration",
    "Invitation",
    "Membership",
    "Partner",
    "PartnerAward",
    "PartnerGroupObjectPermission",
    "PartnerQuerySet",
    "PartnerUserObjectPermission",
    "RiskAssessment",
    "RiskRating",
    "Segment",
    "Target",
    "TargetProposal",
    "Territory",
    "Tier",
    "_localised",
    "invitation_key_hash",
]
