"""Writes of the partner pulse: a partner admin's answers for the quarter, the quarterly
invitations and reminders (each sent once), and the action item a low recommendation raises."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from partners.models import Membership, Partner
from partners.services.reviews import action_item_raise
from prm.core.errors import DomainError
from prm.core.events import event_record
from prm.notifications.models import Category
from prm.notifications.services import Message, notify_many

from .models import PulseAnswer, PulseMessage, PulseQuestion, PulseResponse
from .pulse import LOW_RECOMMENDATION, pulse_questions, quarter_bounds, quarter_of

# Days after the quarter opens for the reminder, and days before it closes for the last one.
REMINDER_AFTER_DAYS = 21
LAST_CALL_BEFORE_DAYS = 14


def pulse_is_open(*, quarter: str, today: dt.date | None = None) -> bool:
    """Answers are taken, and may be changed, until the quarter closes."""
    today = today or timezone.localdate()
    start, end = quarter_bounds(quarter)
    return start <= today <= end


def _value(question: PulseQuestion, raw: Any) -> tuple[int | None, str]:
    if question.kind == PulseQuestion.Kind.TEXT:
        return None, str(raw or "").strip()[:4000]
    if raw in (None, ""):
        return None, ""
    low, high = question.scale
    try:
        score = int(str(raw))
    except ValueError:
        score = None
    if score is None or not low <= score <= high:
        raise DomainError(
            _("Choose a whole number from %(low)s to %(high)s.") % {"low": low, "high": high},
            field=f"q_{question.code}",
        )
    return score, ""


@transaction.atomic
def pulse_submit(
    *,
    actor,
    partner: Partner,
    answers: dict[str, Any],
    today: dt.date | None = None,
) -> PulseResponse:
    """Record (or replace) the partner's answers for the current quarter, keyed by question
    code. Only the partner's admins answer, and only while the quarter is open. A
    recommendation of 6 or lower puts an action item on the partner's next business review for
    the account manager, once per response."""
    today = today or timezone.localdate()
    quarter = quarter_of(today)
    is_admin = Membership.objects.filter(
        partner=partner, user=actor, role=Membership.Role.ADMIN, is_active=True
    ).exists()
    if not is_admin:
        raise DomainError(_("Only the partner's admins answer the pulse survey."))
    questions = pulse_questions()
    values = {q.code: _value(q, answers.get(q.code)) for q in questions}
    recommend = next(
        (values[q.code][0] for q in questions if q.kind == PulseQuestion.Kind.RECOMMEND), None
    )
    if recommend is None and any(q.kind == PulseQuestion.Kind.RECOMMEND for q in questions):
        code = next(q.code for q in questions if q.kind == PulseQuestion.Kind.RECOMMEND)
        raise DomainError(_("Please answer this question."), field=f"q_{code}")
    comment = "\n\n".join(
        values[q.code][1]
        for q in questions
        if q.kind == PulseQuestion.Kind.TEXT and values[q.code][1]
    )
    response = (
        PulseResponse.objects.select_for_update().filter(partner=partner, quarter=quarter).first()
    )
    before = {}
    if response is None:
        response = PulseResponse(partner=partner, quarter=quarter)
    else:
        before = {"recommend": response.recommend}
    response.submitted_by = actor
    response.recommend = recommend
    response.comment = comment
    response.full_clean()
    response.save()
    response.answers.all().delete()
    PulseAnswer.objects.bulk_create(
        PulseAnswer(response=response, question=q, score=values[q.code][0], text=values[q.code][1])
        for q in questions
    )
    event_record(
        actor=actor,
        verb="pulse.answered",
        target=response,
        partner=partner,
        before=before,
        after={"quarter": quarter, "recommend": recommend},
    )
    if recommend is not None and recommend <= LOW_RECOMMENDATION and not response.action_item_id:
        _raise_action_item(response)
    return response


def _raise_action_item(response: PulseResponse) -> None:
    partner = Partner.objects.select_related("account_manager").get(pk=response.partner_id)
    owner = partner.account_manager
    language = (owner.language if owner else "") or settings.LANGUAGE_CODE
    with translation.override(language):
        title = _("Follow up on the partner pulse: recommendation %(score)s/10 in %(quarter)s") % {
            "score": response.recommend,
            "quarter": response.quarter,
        }
    item = action_item_raise(partner=partner, title=title)
    if item is not None:
        response.action_item = item
        response.save(update_fields=["action_item", "updated_at"])


def _message_for(partner: Partner, admins: list, kind: str, quarter: str, closes: dt.date):
    return Message(
        users=admins,
        template=f"engagement/email/pulse_{kind}",
        context={"partner": partner.display_name, "quarter": quarter, "closes_on": closes},
        url=reverse("pulse_form"),
        partner=partner,
    )


def _due_kinds(today: dt.date, quarter: str) -> list[str]:
    start, end = quarter_bounds(quarter)
    kinds = [PulseMessage.Kind.INVITATION]
    if today >= start + dt.timedelta(days=REMINDER_AFTER_DAYS):
        kinds.append(PulseMessage.Kind.REMINDER)
    if today >= end - dt.timedelta(days=LAST_CALL_BEFORE_DAYS):
        kinds.append(PulseMessage.Kind.LAST_CALL)
    return kinds


def pulse_messages_send(*, today: dt.date | None = None) -> dict[str, int]:
    """Daily: the quarter's invitation to every active partner's admins, then a reminder three
    weeks in and a last one two weeks before the quarter closes, to partners that have not
    answered. Each (partner, quarter, kind) is sent at most once, even when two workers run
    this at the same time: the message row is claimed before the message goes out."""
    today = today or timezone.localdate()
    quarter = quarter_of(today)
    _start, closes = quarter_bounds(quarter)
    sent: dict[str, int] = {}
    for kind in _due_kinds(today, quarter):
        already = PulseMessage.objects.filter(partner=OuterRef("pk"), quarter=quarter, kind=kind)
        answered = PulseResponse.objects.filter(partner=OuterRef("pk"), quarter=quarter)
        candidates = Partner.objects.filter(status=Partner.Status.ACTIVE).exclude(Exists(already))
        if kind != PulseMessage.Kind.INVITATION:
            candidates = candidates.exclude(Exists(answered))
        sent[kind] = _send(list(candidates.order_by("code")), kind, quarter, closes)
    return sent


def _send(partners: list[Partner], kind: str, quarter: str, closes: dt.date) -> int:
    if not partners:
        return 0
    admins: dict[int, list] = {}
    for membership in Membership.objects.filter(
        partner__in=partners, role=Membership.Role.ADMIN, is_active=True
    ).select_related("user"):
        admins.setdefault(membership.partner_id, []).append(membership.user)
    messages = []
    for partner in partners:
        if not admins.get(partner.pk):
            continue
        try:
            with transaction.atomic():
                PulseMessage.objects.create(partner=partner, quarter=quarter, kind=kind)
        except IntegrityError:
            continue
        messages.append(_message_for(partner, admins[partner.pk], kind, quarter, closes))
    if messages:
        notify_many(messages=messages, category=Category.COMMUNITY)
    return len(messages)
