"""Announcements: vendor staff write a draft, preview its audience, publish it to partners;
partners read it and, for price and policy changes, acknowledge it; laggards are reminded.

The audience is materialised at publish time (AnnouncementRecipient rows): later changes to a
partner's tier or territories do not change who received what. A published announcement is never
edited; a correction is a new announcement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from prm.core.errors import DomainError, InvalidTransitionError
from prm.core.events import event_record
from prm.notifications.models import Category
from prm.notifications.services import notify

from ..models import (
    Announcement,
    AnnouncementRead,
    AnnouncementRecipient,
    Membership,
    Partner,
    Territory,
    Tier,
)
from ..permissions import managed_partners

# Partners an announcement reaches: live and being onboarded; never prospects, suspended or
# terminated organisations.
AUDIENCE_STATUSES = (Partner.Status.ACTIVE, Partner.Status.ONBOARDING)
# Automatic reminders go out this many days before the acknowledge-by date, and on the date.
REMINDER_DAYS_BEFORE = 3
# Users told in one notify() call, which bounds memory; team channels get one post per event.
NOTIFY_BATCH = 1000

_PartnerTerritories = Partner.territories.through


def _require_vendor_staff(actor) -> None:
    if not getattr(actor, "is_vendor_staff", False):
        raise DomainError(_("Only vendor staff write announcements."))


def _addressable_partners(author) -> QuerySet[Partner]:
    """Partners `author` may address: every partner for a vendor admin, the assigned ones for a
    channel manager, none for anyone else."""
    partners = Partner.objects.all()
    if author is None:
        return partners.none()
    if author.is_vendor_admin:
        return partners
    if author.is_channel_manager:
        return managed_partners(author, partners)
    return partners.none()


def announcement_audience(*, announcement: Announcement) -> QuerySet[Partner]:
    """The partners the announcement reaches if published now: its audience (all, tiers,
    territories or named partners), active or onboarding, within the author's reach. A country
    territory (TW) covers its subdivisions (TW-TPE)."""
    partners = _addressable_partners(announcement.author).filter(status__in=AUDIENCE_STATUSES)
    kind = announcement.audience
    if kind == Announcement.Audience.TIERS:
        partners = partners.filter(tier__in=announcement.tiers.all())
    elif kind == Announcement.Audience.TERRITORIES:
        codes = list(announcement.territories.values_list("code", flat=True))
        match = Q(territory__code__in=codes)
        for code in codes:
            if "-" not in code:
                match |= Q(territory__code__startswith=f"{code}-")
        partners = partners.filter(
            Exists(_PartnerTerritories.objects.filter(partner_id=OuterRef("pk")).filter(match))
        )
    elif kind == Announcement.Audience.PARTNERS:
        partners = partners.filter(pk__in=announcement.partners.values("pk"))
    return partners.order_by("code")


def _validated(
    *,
    announcement: Announcement,
    actor,
    tiers: list[Tier],
    territories: list[Territory],
    partners: list[Partner],
    today: dt.date,
) -> Announcement:
    if announcement.category in Announcement.ACKNOWLEDGED_CATEGORIES:
        announcement.requires_acknowledgement = True
    if not announcement.requires_acknowledgement and announcement.acknowledge_by:
        raise DomainError(
            _("Set an acknowledge-by date only when the announcement needs acknowledgement."),
            field="acknowledge_by",
        )
    if announcement.acknowledge_by and announcement.acknowledge_by < today:
        raise DomainError(_("The acknowledge-by date is in the past."), field="acknowledge_by")
    audience = announcement.audience
    if audience == Announcement.Audience.TIERS and not tiers:
        raise DomainError(_("Choose at least one tier."), field="tiers")
    if audience == Announcement.Audience.TERRITORIES and not territories:
        raise DomainError(_("Choose at least one territory."), field="territories")
    if audience == Announcement.Audience.PARTNERS:
        if not partners:
            raise DomainError(_("Choose at least one partner."), field="partners")
        reachable = set(
            _addressable_partners(actor)
            .filter(pk__in=[p.pk for p in partners])
            .values_list("pk", flat=True)
        )
        if any(p.pk not in reachable for p in partners):
            raise DomainError(_("You may only address partners assigned to you."), field="partners")
    announcement.full_clean(exclude=["author"])
    return announcement


def _save_audience(
    announcement: Announcement,
    tiers: list[Tier],
    territories: list[Territory],
    partners: list[Partner],
) -> None:
    audience = announcement.audience
    announcement.tiers.set(tiers if audience == Announcement.Audience.TIERS else [])
    announcement.territories.set(
        territories if audience == Announcement.Audience.TERRITORIES else []
    )
    announcement.partners.set(partners if audience == Announcement.Audience.PARTNERS else [])


@transaction.atomic
def announcement_create(
    *,
    actor,
    title: str,
    body: str,
    category: str,
    audience: str = Announcement.Audience.ALL,
    local_title: str = "",
    local_body: str = "",
    tiers: Iterable[Tier] = (),
    territories: Iterable[Territory] = (),
    partners: Iterable[Partner] = (),
    requires_acknowledgement: bool = False,
    acknowledge_by: dt.date | None = None,
) -> Announcement:
    """Save a draft. Price changes and policies always require acknowledgement."""
    _require_vendor_staff(actor)
    tiers, territories, partners = list(tiers), list(territories), list(partners)
    announcement = Announcement(
        title=title.strip(),
        local_title=local_title.strip(),
        body=body.strip(),
        local_body=local_body.strip(),
        category=category,
        audience=audience,
        requires_acknowledgement=requires_acknowledgement,
        acknowledge_by=acknowledge_by,
        author=actor,
    )
    _validated(
        announcement=announcement,
        actor=actor,
        tiers=tiers,
        territories=territories,
        partners=partners,
        today=timezone.localdate(),
    )
    announcement.save()
    _save_audience(announcement, tiers, territories, partners)
    return announcement


def _draft_locked(announcement: Announcement, actor) -> Announcement:
    _require_vendor_staff(actor)
    locked = (
        Announcement.objects.select_for_update(of=("self",))
        .select_related("author")
        .get(pk=announcement.pk)
    )
    if locked.published_at is not None:
        raise InvalidTransitionError(
            _("A published announcement is not changed. Publish a new one to correct it.")
        )
    if not actor.is_vendor_admin and locked.author_id != actor.pk:
        raise DomainError(_("Only the author or a vendor admin changes this draft."))
    return locked


@transaction.atomic
def announcement_update(
    *,
    announcement: Announcement,
    actor,
    title: str,
    body: str,
    category: str,
    audience: str,
    local_title: str = "",
    local_body: str = "",
    tiers: Iterable[Tier] = (),
    territories: Iterable[Territory] = (),
    partners: Iterable[Partner] = (),
    requires_acknowledgement: bool = False,
    acknowledge_by: dt.date | None = None,
) -> Announcement:
    """Change a draft; published announcements are refused."""
    locked = _draft_locked(announcement, actor)
    tiers, territories, partners = list(tiers), list(territories), list(partners)
    locked.title = title.strip()
    locked.local_title = local_title.strip()
    locked.body = body.strip()
    locked.local_body = local_body.strip()
    locked.category = category
    locked.audience = audience
    locked.requires_acknowledgement = requires_acknowledgement
    locked.acknowledge_by = acknowledge_by
    _validated(
        announcement=locked,
        actor=locked.author or actor,
        tiers=tiers,
        territories=territories,
        partners=partners,
        today=timezone.localdate(),
    )
    locked.save(
        update_fields=[
            "title",
            "local_title",
            "body",
            "local_body",
            "category",
            "audience",
            "requires_acknowledgement",
            "acknowledge_by",
            "updated_at",
        ]
    )
    _save_audience(locked, tiers, territories, partners)
    return locked


@transaction.atomic
def announcement_delete(*, announcement: Announcement, actor) -> None:
    """Throw a draft away; published announcements stay."""
    _draft_locked(announcement, actor).delete()


def _member_user_ids(partner_ids, roles=None) -> QuerySet:
    members = Membership.objects.filter(
        partner_id__in=partner_ids, is_active=True, user__is_active=True
    )
    if roles is not None:
        members = members.filter(role__in=roles)
    return members.order_by().values_list("user_id", flat=True).distinct()


def _notify_members(
    *,
    announcement: Announcement,
    partner_ids,
    template: str,
    extra: dict[str, Any],
    roles=None,
) -> None:
    """Tell the active members (of `roles`, or all) of the given partners, in batches. Messages
    name no partner."""
    user_model = get_user_model()
    user_ids = sorted(set(_member_user_ids(partner_ids, roles)))
    context = {"announcement": announcement, **extra}
    url = reverse("announcement_detail", kwargs={"pk": announcement.pk})
    for start in range(0, len(user_ids), NOTIFY_BATCH):
        users = user_model.objects.filter(pk__in=user_ids[start : start + NOTIFY_BATCH])
        notify(
            users=users.order_by("pk"),
            category=Category.ANNOUNCEMENTS,
            template=f"partners/email/{template}",
            context=context,
            url=url,
            channels=start == 0,
        )


@transaction.atomic
def announcement_publish(
    *, announcement: Announcement, actor, now: dt.datetime | None = None
) -> Announcement:
    """Publish a draft to its audience as it stands now and tell the partners' members."""
    now = now or timezone.now()
    locked = _draft_locked(announcement, actor)
    if locked.acknowledge_by and locked.acknowledge_by < timezone.localdate(now):
        raise DomainError(_("The acknowledge-by date is in the past."), field="acknowledge_by")
    partner_ids = list(announcement_audience(announcement=locked).values_list("pk", flat=True))
    if not partner_ids:
        raise DomainError(_("No active or onboarding partner is in this audience."))
    locked.published_at = now
    locked.recipient_total = len(partner_ids)
    locked.save(update_fields=["published_at", "recipient_total", "updated_at"])
    AnnouncementRecipient.objects.bulk_create(
        [AnnouncementRecipient(announcement=locked, partner_id=pk) for pk in partner_ids]
    )
    event_record(
        actor=actor,
        verb="announcement.published",
        target=locked,
        after={
            "title": locked.title,
            "local_title": locked.local_title,
            "category": locked.category,
            "audience": locked.audience,
            "recipients": len(partner_ids),
            "requires_acknowledgement": locked.requires_acknowledgement,
            "acknowledge_by": locked.acknowledge_by,
        },
    )
    _notify_members(
        announcement=locked, partner_ids=partner_ids, template="announcement_published", extra={}
    )
    return locked


def announcement_mark_read(
    *, announcement: Announcement, user, now: dt.datetime | None = None
) -> bool:
    """Record that `user` opened the announcement; True the first time."""
    if AnnouncementRead.objects.filter(announcement=announcement, user=user).exists():
        return False
    try:
        with transaction.atomic():
            AnnouncementRead.objects.create(announcement=announcement, user=user)
    except IntegrityError:
        return False
    return True


def announcement_can_acknowledge(*, user, partner: Partner | None) -> bool:
    """Acknowledging binds the organisation, as accepting terms does: its partner admins."""
    if partner is None or not getattr(user, "is_authenticated", False):
        return False
    return Membership.objects.filter(
        user=user, partner=partner, role=Membership.Role.ADMIN, is_active=True
    ).exists()


@transaction.atomic
def announcement_acknowledge(
    *, announcement: Announcement, partner: Partner, actor, now: dt.datetime | None = None
) -> AnnouncementRecipient:
    """`actor`, a partner admin of `partner`, acknowledges the announcement for the whole
    organisation; who and when are recorded."""
    now = now or timezone.now()
    if not announcement_can_acknowledge(user=actor, partner=partner):
        raise DomainError(_("Only a partner admin acknowledges for the organisation."))
    if not announcement.requires_acknowledgement:
        raise DomainError(_("This announcement needs no acknowledgement."))
    try:
        recipient = AnnouncementRecipient.objects.select_for_update(of=("self",)).get(
            announcement=announcement, partner=partner, announcement__published_at__isnull=False
        )
    except AnnouncementRecipient.DoesNotExist as exc:
        raise DomainError(_("This announcement was not sent to your organisation.")) from exc
    if recipient.acknowledged_at is not None:
        who = recipient.acknowledged_by.get_full_name() if recipient.acknowledged_by else "—"
        raise InvalidTransitionError(
            _("%(name)s already acknowledged it on %(date)s.")
            % {"name": who, "date": timezone.localdate(recipient.acknowledged_at).isoformat()}
        )
    recipient.acknowledged_at = now
    recipient.acknowledged_by = actor
    recipient.save(update_fields=["acknowledged_at", "acknowledged_by"])
    Announcement.objects.filter(pk=announcement.pk).update(
        acknowledged_total=F("acknowledged_total") + 1
    )
    event_record(
        actor=actor,
        verb="announcement.acknowledged",
        target=announcement,
        partner=partner,
        after={"title": announcement.title, "local_title": announcement.local_title},
    )
    announcement_mark_read(announcement=announcement, user=actor)
    return recipient


def _remind(
    *, announcement: Announcement, claimed: list[int], now: dt.datetime, actor, automatic: bool
) -> int:
    if not claimed:
        return 0
    AnnouncementRecipient.objects.filter(pk__in=claimed).update(reminded_at=now)
    partner_ids = list(
        AnnouncementRecipient.objects.filter(pk__in=claimed).values_list("partner_id", flat=True)
    )
    event_record(
        actor=actor,
        verb="announcement.reminded",
        target=announcement,
        after={"title": announcement.title, "partners": len(partner_ids), "automatic": automatic},
    )
    _notify_members(
        announcement=announcement,
        partner_ids=partner_ids,
        template="announcement_reminder",
        extra={},
        roles=[Membership.Role.ADMIN],
    )
    return len(partner_ids)


def _laggards(announcement: Announcement) -> QuerySet[AnnouncementRecipient]:
    return AnnouncementRecipient.objects.filter(
        announcement=announcement, acknowledged_at__isnull=True
    )


@transaction.atomic
def announcement_remind(
    *, announcement: Announcement, actor, now: dt.datetime | None = None
) -> int:
    """Remind the partners that have not acknowledged yet (a channel manager: those assigned to
    them). Returns the number of partners reminded."""
    _require_vendor_staff(actor)
    now = now or timezone.now()
    if announcement.published_at is None or not announcement.requires_acknowledgement:
        raise DomainError(_("Only a published announcement that needs acknowledgement is chased."))
    laggards = _laggards(announcement)
    if not actor.is_vendor_admin:
        laggards = laggards.filter(partner__in=_addressable_partners(actor))
    claimed = list(laggards.select_for_update().values_list("pk", flat=True))
    if not claimed:
        raise DomainError(_("Every partner has acknowledged it already."))
    return _remind(
        announcement=announcement, claimed=claimed, now=now, actor=actor, automatic=False
    )


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def announcement_reminders_send(
    *, today: dt.date | None = None, now: dt.datetime | None = None
) -> int:
    """Daily: remind laggards REMINDER_DAYS_BEFORE days ahead of the acknowledge-by date (any day
    of that window, once) and on the date (once). A stage is done for a partner once it was
    reminded, automatically or by hand, since the stage began; a stage that began before the
    announcement was published is skipped (the publication told them). Returns partners
    reminded."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    due = Announcement.objects.filter(
        published_at__isnull=False,
        requires_acknowledgement=True,
        acknowledge_by__gte=today,
        acknowledge_by__lte=today + dt.timedelta(days=REMINDER_DAYS_BEFORE),
    ).order_by("acknowledge_by", "pk")
    reminded = 0
    for announcement in due:
        if today == announcement.acknowledge_by:
            stage_start = _day_start(announcement.acknowledge_by)
        else:
            stage_start = _day_start(
                announcement.acknowledge_by - dt.timedelta(days=REMINDER_DAYS_BEFORE)
            )
            if announcement.published_at >= stage_start:
                continue
        with transaction.atomic():
            claimed = list(
                _laggards(announcement)
                .filter(Q(reminded_at__isnull=True) | Q(reminded_at__lt=stage_start))
                .select_for_update()
                .values_list("pk", flat=True)
            )
            reminded += _remind(
                announcement=announcement, claimed=claimed, now=now, actor=None, automatic=True
            )
    return reminded
