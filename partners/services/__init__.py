"""Writes on partners and everything that hangs off them. Each service runs in one transaction
and records its event; views, the API, admin, commands and tasks call these."""

from .deals import (
    EXPIRY_WARNING_DAYS,
    deal_approve,
    deal_conflicts_find,
    deal_expiry_warnings_send,
    deal_protections_expire,
    deal_register,
    deal_reject,
)
from .invitations import (
    INVITATION_VALID_DAYS,
    invitation_accept,
    invitation_create,
    invitation_revoke,
)
from .organisation import (
    STATUS_TRANSITIONS,
    membership_change_role,
    membership_create,
    membership_reactivate,
    partner_assign_account_manager,
    partner_change_status,
    partner_create,
    partner_risk_update,
)
from .recognition import partner_award_grant, partner_award_revoke
from .targets import target_proposal_accept, target_proposal_counter, target_propose, target_side

__all__ = [
    "EXPIRY_WARNING_DAYS",
    "INVITATION_VALID_DAYS",
    "STATUS_TRANSITIONS",
    "deal_approve",
    "deal_conflicts_find",
    "deal_expiry_warnings_send",
    "deal_protections_expire",
    "deal_register",
    "deal_reject",
    "invitation_accept",
    "invitation_create",
    "invitation_revoke",
    "membership_change_role",
    "membership_create",
    "membership_reactivate",
    "partner_assign_account_manager",
    "partner_award_grant",
    "partner_award_revoke",
    "partner_change_status",
    "partner_create",
    "partner_risk_update",
    "target_proposal_accept",
    "target_proposal_counter",
    "target_propose",
    "target_side",
]
