"""The vendor's view of learning: completion and pass rates by partner, tier and course over the
partners the reader may see, and the partners with no certified people to chase. A fixed number
of queries whatever the number of partners, people and courses."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse

from partners.models import Membership, Partner
from partners.selectors import partner_visible_queryset
from prm.notifications.models import Category
from prm.notifications.services import notify

from .models import Certificate, Course, Enrollment


@dataclass
class Rates:
    started: int = 0
    completed: int = 0
    passed: int = 0

    def add(self, started: int, completed: int, passed: int) -> None:
        self.started += started
        self.completed += completed
        self.passed += passed

    @staticmethod
    def _percent(part: int, whole: int) -> Decimal | None:
        if not whole:
            return None
        return (Decimal(100) * part / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def completion_rate(self) -> Decimal | None:
        return self._percent(self.completed, self.started)

    @property
    def pass_rate(self) -> Decimal | None:
        return self._percent(self.passed, self.started)


@dataclass
class RateRow:
    key: object
    label: str
    rates: Rates = field(default_factory=Rates)


def learning_report(*, user) -> dict:
    """Rates by partner, tier and course (4 queries). A person counts once per partner they are
    an active member of; the course rows count each person once."""
    partners = partner_visible_queryset(user=user)
    members = Q(user__memberships__partner__in=partners, user__memberships__is_active=True)
    by_partner_rows = (
        Enrollment.objects.filter(members)
        .values("user__memberships__partner_id")
        .annotate(
            started=Count("pk"),
            completed=Count("pk", filter=Q(completed_at__isnull=False)),
            passed=Count("pk", filter=Q(passed_at__isnull=False)),
        )
        .order_by()
    )
    partner_rows = {
        p.pk: RateRow(key=p, label=p.display_name)
        for p in partners.select_related("tier").order_by("code")
    }
    tier_rows: dict[object, RateRow] = {}
    for row in by_partner_rows:
        line = partner_rows.get(row["user__memberships__partner_id"])
        if line is None:
            continue
        line.rates.add(row["started"], row["completed"], row["passed"])
        tier = line.key.tier
        tier_line = tier_rows.setdefault(
            tier.pk if tier else None,
            RateRow(key=tier, label=tier.display_name if tier else "—"),
        )
        tier_line.rates.add(row["started"], row["completed"], row["passed"])
    course_rows = []
    totals = {
        row["course_id"]: row
        for row in Enrollment.objects.filter(
            user_id__in=Membership.objects.filter(partner__in=partners, is_active=True).values(
                "user_id"
            )
        )
        .values("course_id")
        .annotate(
            started=Count("pk"),
            completed=Count("pk", filter=Q(completed_at__isnull=False)),
            passed=Count("pk", filter=Q(passed_at__isnull=False)),
        )
        .order_by()
    }
    for course in Course.objects.select_related("certification").order_by("order", "code"):
        line = RateRow(key=course, label=course.title)
        row = totals.get(course.pk)
        if row:
            line.rates.add(row["started"], row["completed"], row["passed"])
        course_rows.append(line)
    return {
        "by_partner": [row for row in partner_rows.values() if row.rates.started],
        "by_tier": sorted(
            tier_rows.values(), key=lambda r: (r.key is None, -(r.key.rank if r.key else 0))
        ),
        "by_course": course_rows,
    }


def _certified_member(on) -> Exists:
    return Exists(
        Certificate.objects.filter(
            user__memberships__partner_id=OuterRef("pk"),
            user__memberships__is_active=True,
            earned__lte=on,
            expires__gt=on,
        )
    )


def chase_list(*, user, on) -> list[Partner]:
    """Active partners the reader may see whose active members hold no valid certificate on
    `on` (one query)."""
    return list(
        partner_visible_queryset(user=user)
        .filter(status=Partner.Status.ACTIVE)
        .exclude(_certified_member(on))
        .select_related("tier")
        .order_by("code")
    )


def chase_partner(*, partner: Partner, actor, on) -> int:
    """Remind the partner's admins that nobody there is certified yet; answers how many were
    told (0 when someone is certified after all)."""
    if Partner.objects.filter(pk=partner.pk).filter(_certified_member(on)).exists():
        return 0
    admins = [
        m.user
        for m in Membership.objects.filter(
            partner=partner, is_active=True, role=Membership.Role.ADMIN
        ).select_related("user")
    ]
    if not admins:
        return 0
    notify(
        users=admins,
        category=Category.LEARNING,
        template="enablement/email/learning_chase",
        context={"partner": partner.display_name, "sender": actor.get_full_name()},
        url=reverse("learning_home"),
        partner=partner,
    )
    return len(admins)
