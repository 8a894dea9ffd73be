"""Pages of the partners app."""

from .deals import DealApproveView, DealCreateView, DealDetailView, DealListView, DealRejectView
from .directory import (
    PartnerCreateView,
    PartnerListView,
    PartnerRiskUpdateView,
    PartnerStatusChangeView,
    PartnerSwitchView,
)
from .members import (
    InvitationAcceptView,
    InvitationCreateView,
    InvitationRevokeView,
    MembershipRoleChangeView,
)
from .targets import (
    TargetListView,
    TargetProposalAcceptView,
    TargetProposalCounterView,
    TargetProposeView,
)

__all__ = [
    "DealApproveView",
    "DealCreateView",
    "DealDetailView",
    "DealListView",
    "DealRejectView",
    "InvitationAcceptView",
    "InvitationCreateView",
    "InvitationRevokeView",
    "MembershipRoleChangeView",
    "PartnerCreateView",
    "PartnerListView",
    "PartnerRiskUpdateView",
    "PartnerStatusChangeView",
    "PartnerSwitchView",
    "TargetListView",
    "TargetProposalAcceptView",
    "TargetProposalCounterView",
    "TargetProposeView",
]
