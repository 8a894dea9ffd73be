"""Partner organisations and what hangs off them: onboarding, risk, deals, targets, recognition."""

from .announcements import Announcement, AnnouncementRead, AnnouncementRecipient
from .deals import DEFAULT_PROTECTION_DAYS, DealConflict, DealRegistration
from .onboarding import Invitation, invitation_key_hash
from .organisation import (
    FLAGGED_Q,
    Membership,
    Partner,
    PartnerGrantTotal,
    PartnerGroupObjectPermission,
    PartnerQuerySet,
    PartnerUserObjectPermission,
    RiskRating,
    Segment,
    Territory,
    Tier,
    _localised,
)
from .recognition import Award, Milestone, PartnerAward
from .reviews import CADENCE_MONTHS, ActionItem, BusinessReview, Cadence, ReviewReminder
from .risk import RiskAssessment
from .targets import PERIOD_VALIDATOR, Target, TargetProposal

__all__ = [
    "CADENCE_MONTHS",
    "DEFAULT_PROTECTION_DAYS",
    "FLAGGED_Q",
    "PERIOD_VALIDATOR",
    "ActionItem",
    "Announcement",
    "AnnouncementRead",
    "AnnouncementRecipient",
    "Award",
    "BusinessReview",
    "Cadence",
    "DealConflict",
    "DealRegistration",
    "Invitation",
    "Membership",
    "Milestone",
    "Partner",
    "PartnerAward",
    "PartnerGrantTotal",
    "PartnerGroupObjectPermission",
    "PartnerQuerySet",
    "PartnerUserObjectPermission",
    "ReviewReminder",
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
