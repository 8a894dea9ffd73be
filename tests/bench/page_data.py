"""Rows for the list pages of the page benchmark beyond partners, deals and the catalogue.

`build()` bulk-creates, on top of the data set of `partner_list.build()`:

- agreements: one per partner (active, some expiring, some renegotiating a second version,
  awaiting acceptance for onboarding and prospective partners, expired for terminated ones),
  with their published versions and the territories and product lines of each version;
- payout statements: the last six monthly statements of every partner past onboarding (paid,
  then approved, then a draft for the last month), two lines each;
- cases: about two per partner over the last six months (open, in progress, waiting on the
  partner, in mediation, resolved, closed; every kind), with their SLA deadlines, the history
  of their status and the vendor's first response; the first partner has six;
- business reviews: one per partner per quarter for the last four quarters (held or cancelled,
  the current quarter's scheduled, held or overdue), with action items from the last one held;
- announcements: 40 published over the last six months in every category, to every partner,
  half to acknowledge (the older ones by more partners: three in four in all; the first partner
  all but the two newest), read by a share of the partners' admins that grows with age (two in
  five in all); three drafts by the vendor admin;
- notifications: 150 for each of `users`, a third unread, linking to the rows above.

Timestamps are spread over the months before today (auto_now fields are written as given).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

BATCH = 5000
NOTIFICATIONS_PER_USER = 150
ANNOUNCEMENTS = 40


@contextlib.contextmanager
def _explicit_timestamps(*models):
    """Let bulk_create write the given created_at/updated_at instead of now."""
    fields = [
        f
        for model in models
        for f in model._meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def _at(now: dt.datetime, days: float, hour: int = 10) -> dt.datetime:
    """`days` before `now`, at `hour` local time on that day."""
    moment = timezone.localtime(now - dt.timedelta(days=days))
    return moment.replace(hour=hour, minute=(int(days * 37) % 60), second=0, microsecond=0)


def _month_start(day: dt.date, back: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


def _context():
    from partners.models import Membership, Partner

    partners = list(Partner.objects.order_by("code"))
    members = defaultdict(dict)
    for m in Membership.objects.filter(is_active=True).order_by("pk"):
        members[m.partner_id].setdefault(m.role, m.user_id)
    return partners, members


def agreements(partners, members, admin, now) -> list:
    """One agreement per partner with its published versions; returns the agreements."""
    from agreements.models import Agreement, AgreementVersion, ProductLine
    from agreements.services.agreements import Terms, terms_hash
    from partners.models import Territory

    lines = list(ProductLine.objects.order_by("code"))
    territories = list(Territory.objects.order_by("code"))
    today = timezone.localdate(now)
    types = [Agreement.Type.DISTRIBUTION] * 3 + [Agreement.Type.RESELLER, Agreement.Type.REFERRAL]
    rows, versions = [], []
    for i, p in enumerate(partners):
        start = dt.date(today.year - 1 - i % 3, 1 + i % 12, 1)
        end = dt.date(start.year + 3, start.month, 1) - dt.timedelta(days=1)
        status = Agreement.Status.ACTIVE
        if p.status in ("onboarding", "prospect"):
            status = Agreement.Status.AWAITING_ACCEPTANCE
            start = _month_start(today, -1)
            end = dt.date(start.year + 2, start.month, 1) - dt.timedelta(days=1)
        elif p.status == "terminated":
            status = Agreement.Status.EXPIRED
            end = today - dt.timedelta(days=30 + i % 200)
            start = dt.date(end.year - 2, end.month, 1)
        elif end < today:
            end = dt.date(end.year + 2, end.month, 1) - dt.timedelta(days=1)
        if status == Agreement.Status.ACTIVE and (end - today).days < 90:
            status = Agreement.Status.EXPIRING
        created = timezone.make_aware(dt.datetime.combine(start, dt.time(9)))
        created = min(created - dt.timedelta(days=14), now - dt.timedelta(days=5 + i % 25))
        rows.append(
            Agreement(
                number=f"AG-{start.year}-{i + 1:05d}",
                partner_id=p.pk,
                type=types[i % len(types)],
                status=status,
                start=start,
                end=end,
                auto_renew=i % 3 == 0,
                created_at=created,
                updated_at=created,
            )
        )
    with _explicit_timestamps(Agreement, AgreementVersion):
        made = Agreement.objects.bulk_create(rows, batch_size=BATCH)
        for i, a in enumerate(made):
            partner_admin = members[a.partner_id].get("admin")
            live = a.status in (Agreement.Status.ACTIVE, Agreement.Status.EXPIRING)
            count = 2 if live and i % 8 == 1 else 1
            for n in range(1, count + 1):
                effective = a.start if n == 1 else _month_start(today, -1)
                terms = Terms(
                    effective_date=effective,
                    territories=[territories[1 + (i + n) % (len(territories) - 1)].code],
                    product_lines=[line.code for line in lines[: 1 + (i + n) % len(lines)]],
                    commission_plan="STD" if i % 4 else "STD-PAY",
                    payment_terms_days=[30, 45, 60][(i + n) % 3],
                    payment_terms=f"Net {[30, 45, 60][(i + n) % 3]} days from invoice",
                    price_notice_days=30,
                    price_protection_days=[0, 30, 60][i % 3],
                    termination_notice_days=90,
                    review_cadence=AgreementVersion.Cadence.QUARTERLY,
                )
                canonical = terms.canonical()
                published = a.created_at + dt.timedelta(days=1 if n == 1 else 400 + i % 60)
                published = min(published, now - dt.timedelta(days=2 + i % 20))
                pending = a.status == Agreement.Status.AWAITING_ACCEPTANCE or n == 2
                accepted = None if pending else published + dt.timedelta(days=3 + i % 10)
                versions.append(
                    AgreementVersion(
                        agreement_id=a.pk,
                        number=n,
                        status=AgreementVersion.Status.AWAITING_ACCEPTANCE
                        if pending
                        else AgreementVersion.Status.ACCEPTED,
                        effective_date=effective,
                        exclusive=False,
                        commission_plan=terms.commission_plan,
                        payment_terms_days=terms.payment_terms_days,
                        payment_terms=terms.payment_terms,
                        price_notice_days=terms.price_notice_days,
                        price_protection_days=terms.price_protection_days,
                        termination_notice_days=terms.termination_notice_days,
                        review_cadence=terms.review_cadence,
                        change_summary="" if n == 1 else "Payment terms and territory updated",
                        terms=canonical,
                        terms_hash=terms_hash(canonical),
                        published_at=published,
                        published_by_id=admin.pk,
                        accepted_at=accepted,
                        accepted_by_id=partner_admin if accepted else None,
                        accepted_ip=f"203.0.113.{1 + i % 250}" if accepted else None,
                        accepted_hash=terms_hash(canonical) if accepted else "",
                        in_force_from=max(timezone.localdate(accepted), effective)
                        if accepted
                        else None,
                        created_at=published,
                        updated_at=accepted or published,
                    )
                )
        made_versions = AgreementVersion.objects.bulk_create(versions, batch_size=BATCH)
    by_code = {t.code: t for t in territories}
    line_by_code = {line.code: line for line in lines}
    version_territories = AgreementVersion.territories.through
    version_lines = AgreementVersion.product_lines.through
    version_territories.objects.bulk_create(
        [
            version_territories(agreementversion_id=v.pk, territory_id=by_code[code].pk)
            for v in made_versions
            for code in v.terms["territories"]
        ],
        batch_size=BATCH,
    )
    version_lines.objects.bulk_create(
        [
            version_lines(agreementversion_id=v.pk, productline_id=line_by_code[code].pk)
            for v in made_versions
            for code in v.terms["product_lines"]
        ],
        batch_size=BATCH,
    )
    return made


def statements(partners, members, admin, now) -> list:
    """The last six monthly statements of each partner past onboarding, two lines each."""
    from commissions.models import Statement, StatementLine

    today = timezone.localdate(now)
    rows = []
    for i, p in enumerate(partners):
        if p.status in ("onboarding", "prospect"):
            continue
        finance = members[p.pk].get("finance") or members[p.pk].get("admin")
        for back in range(1, 7):
            start = _month_start(today, back)
            end = _month_start(today, back - 1) - dt.timedelta(days=1)
            computed = _at(now, (today - end).days - 2 - i % 3, hour=2)
            net_sales = Decimal(800_000 + (i * 7919 + back * 104_729) % 2_400_000) + Decimal(
                (i * 13 + back * 7) % 100
            ) / Decimal(100)
            total = (net_sales * Decimal("0.035")).quantize(Decimal("0.01"))
            status = Statement.Status.PAID
            if back == 1:
                status = Statement.Status.DRAFT
            elif back == 2 and i % 3:
                status = Statement.Status.APPROVED
            approved = computed + dt.timedelta(days=3) if status != Statement.Status.DRAFT else None
            paid = approved + dt.timedelta(days=25) if status == Statement.Status.PAID else None
            acknowledged = (
                approved + dt.timedelta(days=2 + i % 5)
                if approved is not None and (back > 3 or i % 4 == 0)
                else None
            )
            rows.append(
                Statement(
                    partner_id=p.pk,
                    period=f"{start:%Y-%m}",
                    period_start=start,
                    period_end=end,
                    currency="TWD",
                    status=status,
                    total=total,
                    net_sales=net_sales,
                    target=Decimal(1_000_000 + i) if i % 2 == 0 else None,
                    unmatched_count=2 if i % 7 == 0 else 0,
                    unmatched_amount=Decimal("12500.00") if i % 7 == 0 else Decimal("0"),
                    computed_at=computed,
                    fingerprint=f"{i:08x}{back:02x}".ljust(64, "0"),
                    approved_at=approved,
                    approved_by_id=admin.pk if approved else None,
                    paid_at=paid,
                    paid_by_id=admin.pk if paid else None,
                    payment_reference=f"TX{start:%Y%m}{i:05d}" if paid else "",
                    acknowledged_at=acknowledged,
                    acknowledged_by_id=finance if acknowledged else None,
                    bank_details={"bank_name": "Bank of Taiwan", "account_number": f"****{i:04d}"}
                    if approved
                    else {},
                    created_at=computed,
                    updated_at=paid or approved or computed,
                )
            )
    # Lines are written while every statement is a draft: the database refuses lines of an
    # approved or paid statement. The statuses are set afterwards.
    statuses = [s.status for s in rows]
    for s in rows:
        s.status = Statement.Status.DRAFT
    with _explicit_timestamps(Statement):
        made = Statement.objects.bulk_create(rows, batch_size=BATCH)
    lines = []
    for s in made:
        base = (s.net_sales * Decimal("0.03")).quantize(Decimal("0.01"))
        lines.append(
            StatementLine(
                statement_id=s.pk,
                position=1,
                kind=StatementLine.Kind.RULE,
                description="Commission 3% on net sales",
                volume=s.net_sales,
                sale_count=40 + s.pk % 60,
                amount=base,
            )
        )
        lines.append(
            StatementLine(
                statement_id=s.pk,
                position=2,
                kind=StatementLine.Kind.RULE,
                description="Accelerator 0.5% above target",
                volume=s.net_sales,
                sale_count=40 + s.pk % 60,
                amount=s.total - base,
            )
        )
    StatementLine.objects.bulk_create(lines, batch_size=BATCH)
    by_status = defaultdict(list)
    for s, status in zip(made, statuses, strict=True):
        s.status = status
        by_status[status].append(s.pk)
    for status, ids in by_status.items():
        if status != Statement.Status.DRAFT:
            Statement.objects.filter(pk__in=ids).update(status=status)
    return made


CASE_SUBJECTS = {
    "payout": "Commission for {period} lower than expected",
    "pricing": "Price of SKU-{n:05d} differs from the price sheet",
    "channel_conflict": "Customer {n} registered by another partner",
    "agreement": "Question about the payment terms of our agreement",
    "compliance": "Listing below the minimum advertised price",
    "other": "Access to the portal for a new colleague",
}


def cases(partners, members, admin, now) -> list:
    """About two cases per partner over the last six months; six for the first partner."""
    from disputes.models import Case, CaseMessage, CaseStatusChange
    from disputes.sla import DEFAULT_SLA_HOURS

    kinds = ["payout", "pricing", "agreement", "other", "channel_conflict", "payout", "compliance"]
    priorities = ["normal", "normal", "high", "low", "normal", "urgent"]
    active = ["open", "in_progress", "in_progress", "waiting", "mediation"]
    rows, plans = [], []
    for i, p in enumerate(partners):
        count = 6 if i == 0 else 2 + (i % 3 == 1) - (i % 3 == 2)
        for k in range(count):
            n = i * 2 + k
            kind = kinds[n % len(kinds)]
            priority = priorities[n % len(priorities)]
            age = (i * 37 + k * 53) % 180 + ((i * 7 + k * 3) % 24) / 24 + (i % 60) / 1440 + 0.01
            if i == 0:
                age = [1.2, 3.5, 9, 20, 45, 120][k]
            opened = now - dt.timedelta(days=age)
            first_h, resolution_h = DEFAULT_SLA_HOURS[priority]
            first_due = opened + dt.timedelta(hours=first_h)
            resolution_due = opened + dt.timedelta(hours=resolution_h)
            if age < 25 or n % 9 == 0:
                status = active[n % len(active)]
            else:
                status = "closed" if n % 3 == 0 else "resolved"
            responded = None
            if status != "open" or age * 24 > first_h * 2:
                responded = opened + dt.timedelta(hours=first_h * (0.3 + (n % 5) / 4))
            if status == "open" and responded is not None:
                status = "in_progress"
            resolved = None
            if status in ("resolved", "closed"):
                resolved = min(
                    opened + dt.timedelta(hours=resolution_h * (0.2 + (n % 6) / 5)),
                    now - dt.timedelta(hours=1),
                )
            paused = now - dt.timedelta(days=min(age / 2, 5)) if status == "waiting" else None
            escalated = None
            if status in active and resolution_due < now and n % 2 == 0:
                escalated = resolution_due + dt.timedelta(hours=2)
            raiser = members[p.pk].get("sales" if k % 2 else "admin")
            if kind == "compliance":
                raiser = admin.pk
            owner = None if status == "open" and n % 4 == 0 else p.account_manager_id
            rows.append(
                Case(
                    kind=kind,
                    status=status,
                    priority=priority,
                    subject=CASE_SUBJECTS[kind].format(
                        period=f"{_month_start(timezone.localdate(opened), 1):%Y-%m}", n=n % 500
                    ),
                    description="Raised through the partner portal; details in the thread.",
                    partner_id=p.pk,
                    other_partner_id=partners[(i + 1) % len(partners)].pk
                    if kind == "channel_conflict"
                    else None,
                    raised_by_id=raiser,
                    owner_id=owner,
                    incident="map_violation" if kind == "compliance" else "",
                    severity=["low", "medium", "high"][n % 3] if kind == "compliance" else "",
                    penalty=Decimal("50000.00") if kind == "compliance" and n % 2 else None,
                    first_response_due=first_due,
                    resolution_due=resolution_due,
                    first_responded_at=responded,
                    paused_at=paused,
                    escalated_at=escalated,
                    mediator="Taipei Chamber of Commerce" if status == "mediation" else "",
                    mediation_started_on=timezone.localdate(opened) + dt.timedelta(days=5)
                    if status == "mediation"
                    else None,
                    resolved_at=resolved,
                    resolution="Explained and corrected on the next statement." if resolved else "",
                    rating=1 + n % 5 if status == "closed" else None,
                    created_at=opened,
                    updated_at=resolved or responded or opened,
                )
            )
            plans.append((opened, responded, resolved, status, owner or admin.pk))
    with _explicit_timestamps(Case):
        made = Case.objects.bulk_create(rows, batch_size=BATCH)
    history, messages = [], []
    for case, (opened, responded, resolved, status, responder) in zip(made, plans, strict=True):
        history.append(
            CaseStatusChange(
                case_id=case.pk,
                actor_id=case.raised_by_id,
                to_status="open",
                reason="Case opened",
                created_at=opened,
            )
        )
        if responded is not None:
            messages.append(
                CaseMessage(
                    case_id=case.pk,
                    author_id=responder,
                    body="Thank you, we are looking into it and will come back to you.",
                    created_at=responded,
                )
            )
            history.append(
                CaseStatusChange(
                    case_id=case.pk,
                    actor_id=responder,
                    from_status="open",
                    to_status="in_progress",
                    created_at=responded,
                )
            )
        if status not in ("open", "in_progress"):
            history.append(
                CaseStatusChange(
                    case_id=case.pk,
                    actor_id=responder,
                    from_status="in_progress",
                    to_status=status,
                    created_at=resolved or (responded or opened) + dt.timedelta(hours=4),
                )
            )
    with _explicit_timestamps(CaseMessage):
        CaseMessage.objects.bulk_create(messages, batch_size=BATCH)
    CaseStatusChange.objects.bulk_create(history, batch_size=BATCH)
    return made


def reviews(partners, members, now) -> list:
    """One review per partner (prospects aside) per quarter for the last four quarters."""
    from partners.models import ActionItem, BusinessReview

    today = timezone.localdate(now)
    quarter_start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    places = [
        "Taipei office, meeting room 3",
        "https://meet.example.test/qbr",
        "Partner's office",
        "Hsinchu office, room B",
    ]
    rows = []
    for i, p in enumerate(partners):
        if p.status == "prospect":
            continue
        for back in range(3, -1, -1):
            start = _month_start(quarter_start, 3 * back)
            day = start + dt.timedelta(days=20 + (i * 7) % 50)
            at = timezone.make_aware(dt.datetime.combine(day, dt.time(9 + i % 8)))
            if back == 0:
                at = now + dt.timedelta(days=(i * 37) % 61 - 20, hours=(i * 13) % 8)
                at = at.replace(minute=30 * (i % 2), second=0, microsecond=0)
            status = BusinessReview.Status.HELD
            if back and i % 8 == 5:
                status = BusinessReview.Status.CANCELLED
            if back == 0 and (at > now or i % 3 == 0):
                status = BusinessReview.Status.SCHEDULED
            created = at - dt.timedelta(days=30)
            rows.append(
                BusinessReview(
                    partner_id=p.pk,
                    scheduled_at=at,
                    duration_minutes=[60, 90, 60, 45][i % 4],
                    location=places[(i + back) % len(places)],
                    status=status,
                    organiser_id=p.account_manager_id,
                    notes="Pipeline, targets and marketing plan reviewed."
                    if status == BusinessReview.Status.HELD
                    else "",
                    held_at=at + dt.timedelta(hours=1)
                    if status == BusinessReview.Status.HELD
                    else None,
                    created_at=created,
                    updated_at=at if status != BusinessReview.Status.SCHEDULED else created,
                )
            )
    with _explicit_timestamps(BusinessReview, ActionItem):
        made = BusinessReview.objects.bulk_create(rows, batch_size=BATCH)
        last_held = {}
        for review in made:
            if review.status == BusinessReview.Status.HELD:
                last_held[review.partner_id] = review
        items = []
        for n, review in enumerate(last_held.values()):
            due = timezone.localdate(review.held_at) + dt.timedelta(days=30)
            done = review.held_at + dt.timedelta(days=10) if n % 3 == 0 else None
            items.append(
                ActionItem(
                    review_id=review.pk,
                    partner_id=review.partner_id,
                    title="Send the updated price sheet and promotion calendar",
                    side="vendor",
                    owner_id=review.organiser_id,
                    due_on=due,
                    done_at=done,
                    done_by_id=review.organiser_id if done else None,
                    created_at=review.held_at,
                    updated_at=done or review.held_at,
                )
            )
            partner_admin = members[review.partner_id].get("admin")
            items.append(
                ActionItem(
                    review_id=review.pk,
                    partner_id=review.partner_id,
                    title="Share the next quarter's pipeline forecast",
                    side="partner",
                    owner_id=partner_admin,
                    due_on=due + dt.timedelta(days=14),
                    created_at=review.held_at,
                    updated_at=review.held_at,
                )
            )
        ActionItem.objects.bulk_create(items, batch_size=BATCH)
    return made


ANNOUNCEMENT_TITLES = {
    "price_change": ("Price list update for {month}", "{month} 價格調整"),
    "policy": ("Updated partner programme policy ({month})", "{month} 合作夥伴計畫政策更新"),
    "product_update": ("New firmware release, {month}", "{month} 韌體更新"),
    "market_information": ("Market report: Taiwan, {month}", "{month} 台灣市場報告"),
    "competitive_intelligence": ("Competitor pricing moves, {month}", "{month} 競爭對手動態"),
}


def announcements(partners, members, admin, now) -> list:
    """40 published announcements to every partner over six months and three drafts."""
    from partners.models import Announcement, AnnouncementRead, AnnouncementRecipient

    acknowledged_kinds = ["price_change", "policy"]
    other_kinds = ["product_update", "market_information", "competitive_intelligence"]
    rows = []
    for n in range(ANNOUNCEMENTS + 3):
        draft = n >= ANNOUNCEMENTS
        category = acknowledged_kinds[(n // 2) % 2] if n % 2 == 0 else other_kinds[(n // 2) % 3]
        age = 2 + n * 4.5 if not draft else 1 + n - ANNOUNCEMENTS
        published = _at(now, age, hour=9)
        title, local_title = ANNOUNCEMENT_TITLES[category]
        month = f"{timezone.localdate(published):%Y-%m}"
        requires = category in acknowledged_kinds
        rows.append(
            Announcement(
                title=title.format(month=month) + (" (draft)" if draft else ""),
                local_title=local_title.format(month=month),
                body="Details for partners are in the attached notes. " * 4,
                local_body="詳細內容請見附件說明。" * 4,
                category=category,
                audience=Announcement.Audience.ALL,
                requires_acknowledgement=requires,
                acknowledge_by=timezone.localdate(published) + dt.timedelta(days=14)
                if requires
                else None,
                author=admin,
                published_at=None if draft else published,
                created_at=published - dt.timedelta(days=1),
                updated_at=published,
            )
        )
    with _explicit_timestamps(Announcement):
        made = Announcement.objects.bulk_create(rows)
    published = [a for a in made if a.published_at is not None]
    recipients, reads = [], []
    for n, a in enumerate(published):
        # Older announcements are acknowledged and read by more partners.
        share = min(95, 30 + n * 3)
        for i, p in enumerate(partners):
            key = (i * 31 + n * 17) % 100
            partner_admin = members[p.pk].get("admin")
            acknowledged = a.requires_acknowledgement and (n >= 3 if i == 0 else key < share)
            recipients.append(
                AnnouncementRecipient(
                    announcement_id=a.pk,
                    partner_id=p.pk,
                    acknowledged_at=a.published_at + dt.timedelta(days=1 + key % 7)
                    if acknowledged
                    else None,
                    acknowledged_by_id=partner_admin if acknowledged else None,
                )
            )
            if partner_admin is not None and (key < share // 2 or (i == 0 and n >= 2)):
                reads.append(
                    AnnouncementRead(
                        announcement_id=a.pk,
                        user_id=partner_admin,
                        read_at=a.published_at + dt.timedelta(hours=2 + key),
                    )
                )
        sales = members[partners[0].pk].get("sales")
        if sales is not None and n % 2:
            reads.append(
                AnnouncementRead(
                    announcement_id=a.pk,
                    user_id=sales,
                    read_at=a.published_at + dt.timedelta(hours=5),
                )
            )
    AnnouncementRecipient.objects.bulk_create(recipients, batch_size=BATCH)
    received = Counter(r.announcement_id for r in recipients)
    acknowledged = Counter(r.announcement_id for r in recipients if r.acknowledged_at)
    for a in published:
        a.recipient_total, a.acknowledged_total = received[a.pk], acknowledged[a.pk]
    Announcement.objects.bulk_update(published, ["recipient_total", "acknowledged_total"])
    with _explicit_timestamps(AnnouncementRead):
        AnnouncementRead.objects.bulk_create(reads, batch_size=BATCH)
    return made


def notifications(users, context) -> int:
    """NOTIFICATIONS_PER_USER notifications for each of `users`, a third unread (the newest
    mostly), each linking to a row the user may open."""
    from commissions.models import Statement
    from disputes.models import Case
    from partners.models import DealRegistration, Membership
    from prm.notifications.models import Notification

    now = context["now"]
    first = context["partners"][0]
    vendor_ids = {u.pk for u in users if u.vendor_role}
    roles = dict(
        Membership.objects.filter(partner=first, user__in=users, is_active=True).values_list(
            "user_id", "role"
        )
    )
    own_deals = list(
        DealRegistration.objects.filter(partner=first).select_related("partner").order_by("pk")
    )
    all_deals = list(DealRegistration.objects.select_related("partner").order_by("pk")[:300])
    own_statements = list(Statement.objects.filter(partner=first).order_by("-period_start"))
    all_statements = list(Statement.objects.order_by("-period_start", "pk")[:300])
    own_cases = list(Case.objects.filter(partner=first).order_by("pk"))
    all_cases = list(Case.objects.order_by("-created_at")[:300])
    own_reviews = [r for r in context["reviews"] if r.partner_id == first.pk]
    all_reviews = context["reviews"][:300]
    published = [a for a in context["announcements"] if a.published_at is not None]
    own_agreements = [a for a in context["agreements"] if a.partner_id == first.pk]
    all_agreements = context["agreements"][:300]
    rows = []
    for user in users:
        vendor = user.pk in vendor_ids
        role = roles.get(user.pk, "")
        deals = all_deals if vendor else own_deals
        statements_ = all_statements if vendor else own_statements
        cases_ = all_cases if vendor else own_cases
        reviews_ = all_reviews if vendor else own_reviews
        agreements_ = all_agreements if vendor else own_agreements
        if vendor:
            kinds = ["deals", "deals", "cases", "reviews", "targets", "agreements", "payouts"]
        elif role == "sales":
            kinds = ["deals", "deals", "announcements", "cases", "deals"]
        elif role == "finance":
            kinds = ["payouts", "payouts", "announcements", "cases"]
        else:
            kinds = ["payouts", "announcements", "agreements", "cases", "reviews", "deals"]
        for n in range(NOTIFICATIONS_PER_USER):
            category = kinds[(n * 40503 + user.pk) % 65521 % len(kinds)]
            at = now - dt.timedelta(
                hours=3 + n * 19 + (n * 7) % 11, minutes=(user.pk * 13 + n * 29) % 60
            )
            if category == "deals":
                deal = deals[n % len(deals)]
                title = (
                    f"{deal.number} from {deal.partner.code} is waiting for review"
                    if vendor
                    else f"{deal.number} was approved"
                )
                url, partner_id = reverse("deal_detail", kwargs={"pk": deal.pk}), deal.partner_id
            elif category == "payouts":
                s = statements_[n % len(statements_)]
                title = (
                    f"Your commission for {s.period} was paid"
                    if s.status == "paid"
                    else f"Your commission statement for {s.period} was approved"
                )
                url = reverse("statement_detail", kwargs={"pk": s.pk})
                partner_id = s.partner_id
            elif category == "cases":
                c = cases_[n % len(cases_)]
                title, url = f"Case {c.number} updated", reverse("case_detail", kwargs={"pk": c.pk})
                partner_id = c.partner_id
            elif category == "reviews":
                r = reviews_[n % len(reviews_)]
                title = f"Business review on {timezone.localdate(r.scheduled_at):%Y-%m-%d}"
                url, partner_id = reverse("review_detail", kwargs={"pk": r.pk}), r.partner_id
            elif category == "announcements":
                a = published[n % len(published)]
                title = (
                    f"Please acknowledge: {a.title}"
                    if a.requires_acknowledgement
                    else f"Announcement: {a.title}"
                )
                url = reverse("announcement_detail", kwargs={"pk": a.pk})
                partner_id = first.pk
            elif category == "agreements":
                a = agreements_[n % len(agreements_)]
                title = f"New terms for agreement {a.number} await your acceptance"
                url = reverse("agreement_detail", kwargs={"number": a.number})
                partner_id = a.partner_id
            else:
                partners = context["partners"]
                target_partner = partners[(n * 37) % len(partners)] if vendor else first
                title = f"Target agreed for {target_partner.code}"
                url = reverse("target_list", kwargs={"code": target_partner.code})
                partner_id = target_partner.pk
            unread = n < NOTIFICATIONS_PER_USER // 4 or n % 6 == 0
            delivery = ["email", "email", "in_app", "digest"][n % 4]
            rows.append(
                Notification(
                    recipient=user,
                    category=category,
                    title=title,
                    url=url,
                    partner_id=partner_id,
                    delivery=delivery,
                    created_at=at,
                    read_at=None if unread else at + dt.timedelta(hours=1 + n % 30),
                    digested_at=at + dt.timedelta(hours=12) if delivery == "digest" else None,
                )
            )
    with _explicit_timestamps(Notification):
        Notification.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def build(*, admin, users) -> dict[str, int]:
    """Create the rows above; `users` are the users who receive the notifications. Returns the
    number of rows per table."""
    with transaction.atomic():
        return _build(admin=admin, users=users)


def _build(*, admin, users) -> dict[str, int]:
    from agreements.models import AgreementVersion
    from commissions.models import StatementLine
    from disputes.models import CaseMessage, CaseStatusChange
    from partners.models import ActionItem, AnnouncementRead, AnnouncementRecipient
    from prm.notifications.models import Notification

    now = timezone.now()
    partners, members = _context()
    context = {"now": now, "partners": partners}
    context["agreements"] = agreements(partners, members, admin, now)
    made_statements = statements(partners, members, admin, now)
    made_cases = cases(partners, members, admin, now)
    context["reviews"] = reviews(partners, members, now)
    context["announcements"] = announcements(partners, members, admin, now)
    notifications(users, context)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "agreements": len(context["agreements"]),
        "agreement versions": AgreementVersion.objects.count(),
        "statements": len(made_statements),
        "statement lines": StatementLine.objects.count(),
        "cases": len(made_cases),
        "case messages": CaseMessage.objects.count(),
        "case status changes": CaseStatusChange.objects.count(),
        "business reviews": len(context["reviews"]),
        "action items": ActionItem.objects.count(),
        "announcements": len(context["announcements"]),
        "announcement recipients": AnnouncementRecipient.objects.count(),
        "announcement reads": AnnouncementRead.objects.count(),
        "notifications": Notification.objects.count(),
    }
