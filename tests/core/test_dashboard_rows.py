"""The dashboards' tiles and short lists, cell by cell (dashboards.templatetags.dashboard_tags,
the event feed of prm.core.templatetags.prm): every state a row can be in, escaped."""

import datetime as dt
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.contenttypes.models import ContentType
from django.template import Context, Template
from django.utils import timezone, translation
from django.utils.formats import date_format

from commissions.models import Statement
from dashboards.selectors import vendor_dashboard
from disputes.models import Case
from partners.models import (
    ActionItem,
    Announcement,
    BusinessReview,
    DealRegistration,
    Partner,
)
from partners.periods import period_bounds
from prm.core.models import Event
from tests.factories import PartnerFactory

from .dashboard_data import seed_partner

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(world):
    now = timezone.now()
    seed_partner(
        world.partner,
        now=now,
        raised_by=world.users["partner_sales"],
        reader=world.users["partner_admin"],
        review_overdue=True,
    )
    return world


def _squash(html: str) -> str:
    return " ".join(html.split())


def _block(page: str, pattern: str) -> str:
    found = re.search(pattern, page, re.S)
    assert found, pattern
    return _squash(found.group(0))


def _items(block: str) -> list[str]:
    return [_squash(item) for item in re.findall(r"<li[^>]*>(.*?)</li>", block, re.S)]


def _local(value, format_name: str) -> str:
    return date_format(timezone.localtime(value), format_name)


def test_vendor_tiles_link_their_list_and_mark_what_is_urgent(seeded):
    response = seeded.client("vendor_admin").get("/")
    page = response.content.decode()
    tiles = {tile["key"]: tile for tile in response.context["tiles"]}

    breached = _block(page, r'<li class="col-6 col-md-4" id="tile-breached">.*?</li>')
    assert breached == (
        '<li class="col-6 col-md-4" id="tile-breached"> <a class="card stat-card h-100 '
        'text-decoration-none stat-card-urgent" href="/disputes/?status=breached"> '
        '<div class="card-body"> <div class="stat-value text-body">2 <i class="bi '
        'bi-exclamation-triangle-fill stat-alert" aria-hidden="true"></i></div> '
        f'<div class="stat-label"><i class="bi {tiles["breached"]["icon"]}" aria-hidden="true">'
        f"</i> {tiles['breached']['label']}</div> </div> </a> </li>"
    )
    deals = _block(page, r'<li class="col-6 col-md-4" id="tile-deals">.*?</li>')
    assert 'stat-card-urgent"' not in deals
    assert '<div class="stat-value text-body">2</div>' in deals
    assert f'aria-hidden="true"></i> {tiles["deals"]["label"]}</div>' in deals
    unlinked = [key for key, tile in tiles.items() if not tile["url"]]
    for key in unlinked:
        tile = _block(page, rf'<li class="col-6 col-md-4" id="tile-{key}">.*?</li>')
        assert '<div class="card stat-card h-100">' in tile


def test_vendor_short_lists(seeded):
    now = timezone.now()
    breached = Case.objects.filter(partner=seeded.partner, escalated_at__isnull=False).get()
    Case.objects.filter(pk=breached.pk).update(subject="<b>Late</b> refund")
    page = seeded.client("vendor_admin").get("/").content.decode()

    table = _block(page, r'<table[^>]*id="breached-cases">.*?</table>')
    rows = re.findall(r"<tr> <td.*?</tr>", table)
    assert len(rows) == 2
    escalated = next(row for row in rows if f"/disputes/{breached.pk}/" in row)
    assert escalated == (
        f'<tr> <td class="stack-title"><a href="/disputes/{breached.pk}/">{breached.number}</a>'
        ' &lt;b&gt;Late&lt;/b&gt; refund <span class="badge text-bg-danger">Escalated</span></td>'
        f' <td data-label="Partner">{seeded.partner.code}</td> <td data-label="Owner">—</td>'
        ' <td class="num" data-label="Age">20 days</td> </tr>'
    )
    other = next(row for row in rows if row is not escalated)
    assert "Escalated" not in other
    assert '<td class="num" data-label="Age">2 days</td>' in other

    deal = DealRegistration.objects.filter(partner=seeded.partner).order_by("created_at").first()
    deals = _items(_block(page, r'id="deals-heading".*?</section>'))
    assert deals[0] == (
        f'<span><a href="/deals/{deal.pk}/">{deal.customer_name}</a> <span '
        f'class="text-body-secondary">{seeded.partner.code}</span></span><span '
        f'class="text-nowrap">{deal.currency} {deal.estimated_value:,.2f}</span>'
    )

    agreements = _items(_block(page, r'id="agreements-heading".*?</section>'))
    number = f"AG-{seeded.partner.code}-0-E"
    end = timezone.localdate(now) + dt.timedelta(days=30)
    assert agreements == [
        f'<span><a href="/agreements/{number}/">{number}</a> <span class="text-body-secondary">'
        f'{seeded.partner.code}</span></span><span class="text-nowrap">ends '
        f"{date_format(end, 'SHORT_DATE_FORMAT')} (in 30 days)</span>"
    ]

    reviews = _items(_block(page, r'id="reviews-heading".*?</section>'))
    review = BusinessReview.objects.get(partner=seeded.partner, status="scheduled")
    assert reviews == [
        f'<span><a href="/partners/{seeded.partner.code}/">{seeded.partner.code}</a> · '
        f'{seeded.partner.display_name}</span><span class="text-nowrap"><span class="badge '
        'text-bg-danger"><i class="bi bi-exclamation-triangle" aria-hidden="true"></i> '
        f"Overdue</span> {_local(review.scheduled_at, 'SHORT_DATETIME_FORMAT')}</span>"
    ]

    statements = _items(_block(page, r'id="statements-heading".*?</section>'))
    draft = Statement.objects.get(partner=seeded.partner, status="draft")
    assert statements == [
        f'<span><a href="/payouts/{draft.pk}/">{draft.period}</a> <span '
        f'class="text-body-secondary">{seeded.partner.code}</span></span><span '
        f'class="text-nowrap">TWD {draft.total:,.2f}</span>'
    ]


def test_action_items_for_vendor_staff_and_for_the_partner(seeded):
    overdue = ActionItem.objects.get(partner=seeded.partner, title="Follow up 0 -3")
    ActionItem.objects.filter(pk=overdue.pk).update(title="Send <forecast>")
    upcoming = ActionItem.objects.get(partner=seeded.partner, title="Follow up 0 10")
    owner = seeded.users["partner_sales"]
    due = {item.pk: date_format(item.due_on, "SHORT_DATE_FORMAT") for item in (overdue, upcoming)}

    vendor = seeded.client("vendor_admin").get("/").content.decode()
    block = _block(vendor, r'id="actions-heading".*?</section>')
    assert (
        '<p class="card-body small mb-0 pb-0"><i class="bi bi-exclamation-triangle text-danger" '
        'aria-hidden="true"></i> 1 action item is past its due date.</p>'
    ) in block
    assert _items(block) == [
        f'<span><a href="/partners/{seeded.partner.code}/">{seeded.partner.code}</a> · Send '
        '&lt;forecast&gt; <span class="d-block text-body-secondary">Partner · '
        f'{owner.get_full_name() or owner.email}</span></span> <span class="text-nowrap '
        f'text-end"><span class="badge text-bg-danger">Overdue</span> due {due[overdue.pk]}</span>',
        f'<span><a href="/partners/{seeded.partner.code}/">{seeded.partner.code}</a> · Follow up '
        '0 10 <span class="d-block text-body-secondary">Vendor · '
        f'{owner.get_full_name() or owner.email}</span></span> <span class="text-nowrap '
        f'text-end">due {due[upcoming.pk]}</span>',
    ]

    partner = seeded.client("partner_admin").get("/").content.decode()
    items = _items(_block(partner, r'<ul[^>]*id="action-items">.*?</ul>'))
    assert items[0].startswith("<span>Send &lt;forecast&gt; <span")
    assert seeded.partner.code not in "".join(items)

    ActionItem.objects.update(done_at=timezone.now())
    empty = seeded.client("partner_admin").get("/").content.decode()
    assert '<p class="card-body small text-body-secondary mb-0">No open action items.</p>' in (
        empty
    )


def test_partner_open_cases_and_announcements(seeded):
    page = seeded.client("partner_admin").get("/").content.decode()

    cases = _items(_block(page, r'<ul[^>]*id="open-cases">.*?</ul>'))
    assert len(cases) == 3
    first = (
        Case.objects.filter(partner=seeded.partner)
        .exclude(status__in=["resolved", "closed"])
        .order_by("resolution_due", "id")
        .first()
    )
    assert cases[0].startswith(
        '<div class="d-flex justify-content-between gap-2">'
        f'<a href="/disputes/{first.pk}/">{first.number} {first.subject}</a>'
        f'<span class="text-nowrap">{first.get_status_display()}</span></div>'
    )
    assert 'data-deadline="' in cases[0]

    unread = _items(_block(page, r'<ul[^>]*id="unread-announcements">.*?</ul>'))
    announcement = (
        Announcement.objects.filter(recipients__partner=seeded.partner)
        .exclude(reads__user=seeded.users["partner_admin"])
        .order_by("-published_at", "-id")
        .first()
    )
    published = timezone.localtime(announcement.published_at)
    assert unread[0] == (
        f'<span>{announcement.display_title} <span class="d-block text-body-secondary">'
        f'{announcement.get_category_display()}</span></span><time class="text-nowrap '
        f'text-body-secondary" datetime="{published.isoformat()}">'
        f"{_local(announcement.published_at, 'SHORT_DATE_FORMAT')}</time>"
    )

    acknowledgements = _items(_block(page, r'<ul[^>]*id="awaiting-acknowledgement">.*?</ul>'))
    assert acknowledgements
    for item in acknowledgements:
        assert re.fullmatch(
            r'<span>[^<]+</span><span class="text-nowrap">'
            r'(<span class="badge text-bg-danger">Overdue</span> )?(by [^<]+)?</span>',
            item,
        ), item


def test_the_event_feed_names_the_partner_for_vendor_staff_and_escapes_reasons(seeded):
    Event.objects.create(
        verb="partner.status_changed",
        partner=seeded.partner,
        actor=seeded.users["vendor_admin"],
        target_type=ContentType.objects.get_for_model(Partner),
        target_id=str(seeded.partner.pk),
        before={"status": "active"},
        after={"status": "suspended"},
        reason="Overdue <receivables>",
    )
    vendor = seeded.client("vendor_admin").get("/").content.decode()
    feed = _block(vendor, r'id="activity-heading".*?</section>')
    first = _items(feed)[0]
    assert first.startswith(
        '<div class="d-flex justify-content-between gap-2"> '
        f"<span><strong>{seeded.partner.code}</strong> · "
    )
    assert first.endswith(
        '</time> </div> <div class="text-body-secondary">Overdue &lt;receivables&gt;</div>'
    )
    partner = seeded.client("partner_admin").get("/").content.decode()
    feed = _block(partner, r'id="activity-heading".*?</section>')
    assert f"<strong>{seeded.partner.code}</strong>" not in feed


def test_the_lists_and_tiles_are_translated(seeded):
    client = seeded.client("partner_admin")
    with translation.override("zh-hant"):
        page = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hant").content.decode()
        overdue = translation.gettext("Overdue")
        past_due = translation.ngettext(
            "%(counter)s action item is past its due date.",
            "%(counter)s action items are past their due date.",
            1,
        ) % {"counter": 1}
        open_cases = translation.ngettext("open case", "open cases", 3)
    assert overdue != "Overdue"
    assert overdue in _block(page, r'<ul[^>]*id="action-items">.*?</ul>')
    assert "action item" not in past_due
    assert past_due in page
    assert open_cases != "open cases"
    assert open_cases in _block(page, r'id="tile-cases">.*?</li>')


def _glance(**values) -> dict[str, str]:
    """The partner's "At a glance" tiles written for `values` over a plain context, by key."""
    context = {
        "partner": Partner(code="P-A"),
        "scorecard_row": None,
        "attainment_width": None,
        "open_case_count": 0,
        "breached_case_count": 0,
        "unread_count": 0,
        "acknowledgement_count": 0,
        "announcement_url": "/announcements/",
        "show_deals": False,
        "pending_deal_count": 0,
        "fund_available": None,
        "fund_currency": "",
        "fund_url": "/funds/",
        "show_payouts": False,
        "protection_claim_count": None,
        "protection_claims": [],
        "protection_url": "/funds/protection/",
        "review_url": "/reviews/",
        "next_review": None,
    } | values
    html = Template("{% load dashboard_tags %}{% partner_glance_tiles %}").render(Context(context))
    return {
        key: _squash(body)
        for key, body in re.findall(r'<li class="[^"]+" id="tile-(\w+)">(.*?)</li>', html, re.S)
    }


def test_partner_glance_tiles_in_each_state():
    empty = _glance()
    assert list(empty) == ["target", "cases", "announcements", "funds", "review"]
    assert empty["target"] == (
        '<a class="card stat-card h-100 text-decoration-none" href="/partners/P-A/targets/"> '
        '<div class="card-body"> <div class="stat-label">Sales vs target this month</div> '
        '<div class="stat-value text-body-secondary fs-5">No target yet</div> </div> </a>'
    )
    assert '<div class="stat-value text-body">0</div>' in empty["cases"]
    assert "open cases</div>" in empty["cases"]
    assert "text-danger-emphasis" not in empty["cases"] + empty["announcements"]
    assert "No fund" in empty["funds"]
    assert '<div class="mt-1 text-body-secondary">Not scheduled</div>' in empty["review"]

    row = SimpleNamespace(
        target=Decimal("1000"), attainment=Decimal("87.46"), actual=Decimal("874.6"), currency="TWD"
    )
    review = SimpleNamespace(scheduled_at=timezone.now(), is_overdue=True)
    claim = SimpleNamespace(deadline=dt.date(2026, 12, 9))
    busy = _glance(
        scorecard_row=row,
        attainment_width=87,
        open_case_count=1,
        breached_case_count=1,
        unread_count=1,
        acknowledgement_count=2,
        announcement_url="",
        show_deals=True,
        pending_deal_count=1,
        fund_available=Decimal("1234.5"),
        fund_currency="TWD",
        show_payouts=True,
        protection_claim_count=2,
        protection_claims=[claim],
        next_review=review,
    )
    assert list(busy) == [
        "target",
        "cases",
        "announcements",
        "deals",
        "funds",
        "protection",
        "review",
    ]
    assert (
        '<div class="stat-value text-body">87.5%</div> <div class="progress my-2" '
        'role="progressbar" aria-label="Sales vs target this month" aria-valuenow="87" '
        'aria-valuemin="0" aria-valuemax="100" aria-valuetext="87.5%"><div class="progress-bar '
        'w-87"></div></div> <div class="small text-body-secondary">TWD 874.60 of TWD 1,000.00'
        "</div>"
    ) in busy["target"]
    assert busy["cases"].endswith(
        'open case</div> <div class="small text-danger-emphasis mt-1"><i class="bi bi-alarm" '
        'aria-hidden="true"></i> 1 past a deadline</div> </div> </a>'
    )
    assert busy["announcements"].startswith('<div class="card stat-card h-100">')
    assert "2 to acknowledge</div>" in busy["announcements"]
    assert 'href="/deals/?status=pending"' in busy["deals"]
    assert "deal registration waiting for review</div>" in busy["deals"]
    assert '<div class="stat-value stat-money text-body">TWD 1,234.50</div>' in busy["funds"]
    assert busy["protection"].startswith(
        '<a class="card stat-card h-100 text-decoration-none stat-card-urgent" '
        'href="/funds/protection/">'
    )
    deadline = date_format(claim.deadline, "SHORT_DATE_FORMAT")
    assert (
        f'<div class="small text-danger-emphasis mt-1">next deadline {deadline}</div>'
        in (busy["protection"])
    )
    moment = timezone.localtime(review.scheduled_at)
    assert (
        f'<time datetime="{moment.isoformat()}">'
        f"{date_format(moment, 'SHORT_DATETIME_FORMAT')}</time></div> "
        '<div class="small text-danger-emphasis">Overdue: not held yet</div>'
    ) in busy["review"]

    negotiating = _glance(scorecard_row=SimpleNamespace(target=None, attainment=None))
    assert (
        '<div class="stat-value text-body fs-5">Under negotiation</div>' in (negotiating["target"])
    )
    agreed = _glance(
        scorecard_row=SimpleNamespace(
            target=Decimal("500"), attainment=None, actual=None, currency="USD"
        )
    )
    assert (
        '<div class="stat-value text-body">USD 500.00</div> <div class="small '
        'text-body-secondary">Agreed target · no sales yet</div>'
    ) in agreed["target"]


def test_the_drafts_to_approve_run_on_into_later_periods_by_partner_code(
    world,
):
    """The first period's drafts by partner code, then the next period's, five in all; a
    channel manager sees only their partners'."""
    partners = [world.partner, world.other_partner] + [
        PartnerFactory(code=code) for code in ("P-C", "P-D", "P-E")
    ]
    for period, codes in (("2026-03", ("P-D", "P-B")), ("2026-04", ("P-E", "P-A", "P-C"))):
        start, end = period_bounds(period)
        for partner in partners:
            if partner.code in codes:
                Statement.objects.create(
                    partner=partner,
                    period=period,
                    period_start=start,
                    period_end=end,
                    currency="TWD",
                    status="draft",
                    total=Decimal("10"),
                )
    Statement.objects.create(
        partner=world.partner,
        period="2026-02",
        period_start=dt.date(2026, 2, 1),
        period_end=dt.date(2026, 2, 28),
        currency="TWD",
        status="approved",
        total=Decimal("10"),
    )
    now = timezone.now()
    board = vendor_dashboard(user=world.users["vendor_admin"], now=now)
    assert [(s.period, s.partner.code) for s in board.draft_statements] == [
        ("2026-03", "P-B"),
        ("2026-03", "P-D"),
        ("2026-04", "P-A"),
        ("2026-04", "P-C"),
        ("2026-04", "P-E"),
    ]
    assert board.draft_statement_count == 5
    manager = vendor_dashboard(user=world.users["cm_assigned"], now=now)
    assert [(s.period, s.partner.code) for s in manager.draft_statements] == [("2026-04", "P-A")]
    nobody = vendor_dashboard(user=world.users["cm_unassigned"], now=now)
    assert nobody.draft_statements == []


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_tile_and_sentence_numbers_read_as_humanize_and_localize_write_them(language):
    """The tiles' counts and the counted sentences' numbers, written with the number formats
    read once per language, are those intcomma and localize write."""
    from django.contrib.humanize.templatetags.humanize import intcomma
    from django.utils.formats import localize

    from dashboards.templatetags.dashboard_tags import _integer

    values = [0, 7, 999, 1000, 12345, 1234567, -4321, True, Decimal("1234.50"), "15000"]
    with translation.override(language):
        for value in values:
            assert _integer(value, grouped=True) == intcomma(value)
            assert _integer(value, grouped=False) == localize(value)
