"""Awards and badges given to partners."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from prm.core.events import event_record

from ..models import Award, Partner, PartnerAward
from .milestones import milestone_award, milestone_award_withdraw


@transaction.atomic
def partner_award_grant(
    *, partner: Partner, award: Award, awarded_on: dt.date, actor, citation: str = ""
) -> PartnerAward:
    """Give `partner` an award or badge; it appears on the partner's profile."""
    grant = PartnerAward(
        partner=partner,
        award=award,
        awarded_on=awarded_on,
        citation=citation.strip(),
        awarded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    grant.full_clean()
    grant.save()
    event_record(
        actor=actor,
        verb="partner.award_granted",
        target=partner,
        partner=partner,
        after={"award": award.name, "local_award": award.local_name, "awarded_on": awarded_on},
    )
    milestone_award(grant=grant)
    return grant


@transaction.atomic
def partner_award_revoke(*, grant: PartnerAward, actor) -> None:
    """Take an award back; the history keeps that it was given and withdrawn."""
    event_record(
        actor=actor,
        verb="partner.award_revoked",
        target=grant.partner,
        partner=grant.partner,
        before={"award": grant.award.name, "awarded_on": grant.awarded_on},
    )
    milestone_award_withdraw(grant=grant)
    grant.delete()
