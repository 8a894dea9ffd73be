"""Cases through the pages, the API and the services: scoping, internal notes, resolution with an
adjustment, rating, channel conflicts opened by imports, and query counts."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from commissions.models import Adjustment, Statement, StatementLine
from commissions.services.imports import sales_import
from disputes.models import Case
from disputes.services import (
    case_mediation_conclude,
    case_mediation_refer,
    case_message_add,
    case_open,
    case_rate,
    case_resolve,
    case_status_change,
)
from partners.selectors.directory import reading_scope_shape
from partners.services import partner_assign_account_manager
from prm.core.errors import DomainError, InvalidTransitionError
from tests.commissions.builders import csv_bytes, load, plan, program
from tests.factories import ChannelManagerFactory, MembershipFactory, PartnerFactory
from tests.partners.factories import DealRegistrationFactory

SECRET = "INTERNAL-ONLY margin is thin"


def _line(world):
    statement = Statement.objects.create(
        partner=world.partner,
        period="2026-10",
        period_start=dt.date(2026, 10, 1),
        period_end=dt.date(2026, 10, 31),
        currency="TWD",
    )
    return StatementLine.objects.create(
        statement=statement, position=1, kind="rule", description="NET 5%", amount=Decimal("100")
    )


def _case(world, user="partner_admin", **kwargs):
    return case_open(
        actor=world.users[user],
        partner=world.partner,
        kind=kwargs.pop("kind", "payout"),
        subject=kwargs.pop("subject", "Payout is wrong"),
        description="Line 1 is short",
        **kwargs,
    )


def test_a_partner_opens_a_case_from_a_statement_line(world):
    line = _line(world)
    client = world.client("partner_finance")
    url = reverse("case_open") + f"?line={line.pk}"

    page = client.get(url)
    assert "Statement 2026-10, line 1" in page.content.decode()
    response = client.post(
        url,
        {
            "line": line.pk,
            "kind": "payout",
            "priority": "high",
            "subject": "Short by 50",
            "description": "See invoice",
        },
    )

    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("case_detail", kwargs={"pk": case.pk})
    assert (case.statement_line, case.partner, case.kind) == (line, world.partner, "payout")
    assert case.raised_by == world.users["partner_finance"]


def test_a_partner_cannot_open_a_case_about_another_partners_line(world):
    line = _line(world)
    response = world.client("other_partner").get(reverse("case_open") + f"?line={line.pk}")
    assert response.status_code == 404


def test_the_statement_page_offers_to_dispute_each_line(world):
    line = _line(world)
    page = world.client("partner_admin").get(
        reverse("statement_detail", kwargs={"pk": line.statement_id})
    )
    assert f"{reverse('case_open')}?line={line.pk}" in page.content.decode()


def test_vendor_staff_open_a_compliance_incident_against_a_partner(world):
    client = world.client("cm_assigned")
    response = client.post(
        reverse("case_open"),
        {
            "partner": world.partner.pk,
            "kind": "compliance",
            "priority": "urgent",
            "subject": "MAP violation",
            "description": "Advertised below MAP",
            "incident": "map_violation",
            "severity": "high",
            "evidence": "Screenshot of the shop, 3 Nov",
            "penalty": "5000.00",
        },
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert (case.kind, case.priority, case.raised_by) == (
        "compliance",
        "urgent",
        world.users["cm_assigned"],
    )
    assert (case.incident, case.severity, case.penalty) == (
        "map_violation",
        "high",
        Decimal("5000.00"),
    )
    page = world.client("partner_admin").get(reverse("case_detail", kwargs={"pk": case.pk}))
    assert "MAP violation" in page.content.decode()
    assert "5,000.00" in page.content.decode() or "5000.00" in page.content.decode()


def test_a_compliance_case_needs_its_incident_and_only_vendors_raise_one(world):
    with pytest.raises(DomainError):
        case_open(
            actor=world.users["vendor_admin"],
            partner=world.partner,
            kind="compliance",
            subject="x",
            description="y",
        )
    with pytest.raises(DomainError):
        case_open(
            actor=world.users["partner_admin"],
            partner=world.partner,
            kind="compliance",
            subject="x",
            description="y",
            incident="counterfeit",
            severity="low",
        )


def test_a_partner_opens_a_pricing_case_from_a_price_row(world):
    from agreements.models import Product, ProductLine

    line = ProductLine.objects.create(code="NET", name="Networking")
    product = Product.objects.create(sku="SW-24", name="Switch", line=line, currency="TWD")
    client = world.client("partner_sales")
    url = reverse("case_open") + f"?product={product.pk}"

    assert "Price of SW-24" in client.get(url).content.decode()
    client.post(
        url,
        {
            "product": product.pk,
            "kind": "pricing",
            "priority": "normal",
            "subject": "Price of SW-24",
            "description": "Net price ignores the promotion",
        },
    )
    assert Case.objects.get().product == product


def test_partner_sales_users_see_only_the_cases_they_raised(world):
    mine = _case(world, user="partner_sales", kind="other", subject="Mine")
    theirs = _case(world, user="partner_admin", subject="Theirs")
    client = world.client("partner_sales")

    page = client.get(reverse("case_list")).content.decode()

    assert "Mine" in page
    assert "Theirs" not in page
    assert client.get(reverse("case_detail", kwargs={"pk": theirs.pk})).status_code == 404
    assert client.get(reverse("case_detail", kwargs={"pk": mine.pk})).status_code == 200


def test_internal_notes_never_reach_a_partner_page_api_or_email(
    world, django_capture_on_commit_callbacks
):
    case = _case(world)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        case_message_add(case=case, actor=world.users["cm_assigned"], body=SECRET, internal=True)
        case_message_add(case=case, actor=world.users["cm_assigned"], body="We are on it")

    for role in ("partner_admin", "partner_finance"):
        client = world.client(role)
        detail = client.get(reverse("case_detail", kwargs={"pk": case.pk})).content.decode()
        assert "We are on it" in detail
        assert SECRET not in detail
        assert SECRET not in client.get(reverse("case_list")).content.decode()
        assert SECRET not in client.get(reverse("api:case-list")).content.decode()
    assert mail.outbox
    for message in mail.outbox:
        assert SECRET not in message.subject
        assert SECRET not in message.body
    vendor_page = world.client("cm_assigned").get(reverse("case_detail", kwargs={"pk": case.pk}))
    assert SECRET in vendor_page.content.decode()


def test_partners_cannot_write_internal_notes(world):
    case = _case(world)
    with pytest.raises(DomainError):
        case_message_add(case=case, actor=world.users["partner_admin"], body="x", internal=True)


def test_every_status_change_keeps_who_when_and_why(world):
    case = _case(world)
    cm = world.users["cm_assigned"]

    case_status_change(case=case, actor=cm, status="in_progress", reason="Checking the sales")
    case_resolve(case=case, actor=cm, resolution="Correct as computed")
    case_status_change(case=case, actor=cm, status="closed", reason="Done")

    changes = list(case.status_changes.values_list("from_status", "to_status", "actor", "reason"))
    assert changes == [
        ("", "open", world.users["partner_admin"].pk, "Case opened"),
        ("open", "in_progress", cm.pk, "Checking the sales"),
        ("in_progress", "resolved", cm.pk, "Correct as computed"),
        ("resolved", "closed", cm.pk, "Done"),
    ]
    with pytest.raises(InvalidTransitionError):
        case_status_change(case=case, actor=cm, status="in_progress")


def test_a_payout_resolution_creates_an_adjustment_linked_both_ways(world):
    line = _line(world)
    case = _case(world, statement_line=line)

    case = case_resolve(
        case=case,
        actor=world.users["cm_assigned"],
        resolution="Missing sale added",
        adjustment_amount=Decimal("50.00"),
    )

    adjustment = Adjustment.objects.get()
    assert case.adjustment == adjustment
    assert adjustment.amount == Decimal("50.00")
    assert adjustment.partner == world.partner
    assert adjustment.source_label == case.number
    assert adjustment.source_url == reverse("case_detail", kwargs={"pk": case.pk})
    page = world.client("partner_finance").get(adjustment.source_url).content.decode()
    assert "Adjustment of 50.00 TWD" in page


def test_only_payout_cases_create_adjustments(world):
    case = _case(world, kind="pricing")
    with pytest.raises(DomainError):
        case_resolve(
            case=case, actor=world.users["vendor_admin"], resolution="x", adjustment_amount=1
        )


def test_the_partner_rates_a_resolved_case_once(world):
    case = _case(world)
    with pytest.raises(DomainError):
        case_rate(case=case, actor=world.users["partner_admin"], rating=4)
    case_resolve(case=case, actor=world.users["cm_assigned"], resolution="Fixed")

    response = world.client("partner_admin").post(
        reverse("case_rate", kwargs={"pk": case.pk}), {"rating": "4", "comment": "Quick"}
    )

    case.refresh_from_db()
    assert response.status_code == 302
    assert (case.rating, case.rating_comment) == (4, "Quick")
    with pytest.raises(DomainError):
        case_rate(case=case, actor=world.users["partner_admin"], rating=5)


def test_the_api_lists_and_opens_cases(world):
    client = world.client("partner_admin")

    response = client.post(
        reverse("api:case-list"),
        {"kind": "pricing", "subject": "Net price", "description": "Too high"},
    )

    assert response.status_code == 201, response.content
    assert response.json()["partner"] == "P-A"
    listed = client.get(reverse("api:case-list")).json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [row["subject"] for row in rows] == ["Net price"]
    other = world.client("other_partner").get(reverse("api:case-list")).json()
    assert (other["results"] if isinstance(other, dict) else other) == []
    refused = client.post(
        reverse("api:case-list"), {"kind": "compliance", "subject": "x", "description": "y"}
    )
    assert refused.status_code == 400


def test_vendor_staff_open_cases_through_the_api(world):
    response = world.client("vendor_admin").post(
        reverse("api:case-list"),
        {
            "kind": "compliance",
            "subject": "Counterfeit",
            "description": "x",
            "partner_code": "P-A",
            "incident": "counterfeit",
            "severity": "critical",
        },
    )
    assert response.status_code == 201, response.content
    assert Case.objects.get().partner == world.partner


# --- channel conflict --------------------------------------------------------------------------

ROW = "{id},P-ACME,SW-24,Globex Co.,,enterprise,TW-TPE,2026-10-05,sale,1,1000.00,TWD,"


@pytest.fixture
def conflict(db):
    """P-BETA holds an approved, unexpired registration for Globex; P-ACME sells to it."""
    load(program(commission_plans=[plan({"priority": 10, "kind": "percent", "rate": "5"})]))
    from partners.models import Partner

    beta = Partner.objects.get(code="P-BETA")
    manager = ChannelManagerFactory(email="beta-am@vendor.test")
    beta.account_manager = manager
    beta.save(update_fields=["account_manager"])
    return DealRegistrationFactory(
        partner=beta,
        customer_name="GLOBEX Company Ltd",
        status="approved",
        protected_until=timezone.localdate() + dt.timedelta(days=30),
    )


def test_a_sale_to_another_partners_protected_customer_opens_one_case(conflict):
    # when the same file is imported twice, with a second sale in the second file
    sales_import(content=csv_bytes(ROW.format(id="S-1")), filename="a.csv")
    sales_import(content=csv_bytes(ROW.format(id="S-1")), filename="a.csv")
    sales_import(content=csv_bytes(ROW.format(id="S-1"), ROW.format(id="S-2")), filename="b.csv")

    # then one case per sale, owned by the protected partner's account manager
    cases = list(Case.objects.order_by("sale__external_id"))
    assert [c.sale.external_id for c in cases] == ["S-1", "S-2"]
    case = cases[0]
    assert case.kind == Case.Kind.CHANNEL_CONFLICT
    assert case.partner == conflict.partner
    assert case.other_partner.code == "P-ACME"
    assert case.owner.email == "beta-am@vendor.test"
    assert case.deal == conflict


def test_sales_by_the_protected_partner_itself_or_after_expiry_open_nothing(conflict):
    own = ROW.replace("P-ACME", "P-BETA")
    sales_import(content=csv_bytes(own.format(id="S-1")), filename="a.csv")
    conflict.protected_until = timezone.localdate() - dt.timedelta(days=1)
    conflict.save(update_fields=["protected_until"])
    sales_import(content=csv_bytes(ROW.format(id="S-2")), filename="b.csv")

    assert not Case.objects.exists()


def test_each_party_sees_the_conflict_but_not_the_others_name_or_messages(conflict):
    from partners.models import Membership
    from tests.factories import MembershipFactory, UserFactory

    sales_import(content=csv_bytes(ROW.format(id="S-1")), filename="a.csv")
    case = Case.objects.get()
    acme_user = UserFactory(email="u@acme.test")
    MembershipFactory(user=acme_user, partner=case.other_partner, role=Membership.Role.ADMIN)
    beta_user = UserFactory(email="u@beta.test")
    MembershipFactory(user=beta_user, partner=case.partner, role=Membership.Role.ADMIN)
    case_message_add(case=case, actor=beta_user, body="Beta private argument")
    case_message_add(case=case, actor=case.owner, body="Vendor decision: split")

    from django.test import Client

    acme = Client()
    acme.force_login(acme_user)
    page = acme.get(reverse("case_detail", kwargs={"pk": case.pk})).content.decode()
    assert "Vendor decision: split" in page
    assert "Beta private argument" not in page
    assert case.partner.name not in page
    api = acme.get(reverse("api:case-list")).json()
    rows = api["results"] if isinstance(api, dict) else api
    assert rows[0]["partner"] is None

    beta = Client()
    beta.force_login(beta_user)
    page = beta.get(reverse("case_detail", kwargs={"pk": case.pk})).content.decode()
    assert "Beta private argument" in page
    assert case.other_partner.name not in page

    # once the vendor discloses the parties, each sees the other's name, still not its messages
    vendor = Client()
    vendor.force_login(case.owner)
    vendor.post(reverse("case_disclose", kwargs={"pk": case.pk}))
    page = acme.get(reverse("case_detail", kwargs={"pk": case.pk})).content.decode()
    assert case.partner.name in page
    assert "Beta private argument" not in page
    page = beta.get(reverse("case_detail", kwargs={"pk": case.pk})).content.decode()
    assert case.other_partner.name in page


def _opened_by(user, partner, subject):
    return case_open(
        actor=user, partner=partner, kind="payout", subject=subject, description="Line 1 is short"
    )


def test_a_manager_of_every_partner_lists_every_case(world):
    """Granted every partner, a channel manager's case list is read as a vendor admin's, without
    the grants; a partner outside the grants leaves its cases out again."""
    manager, admin = world.users["cm_assigned"], world.users["vendor_admin"]
    partner_assign_account_manager(partner=world.other_partner, manager=manager, actor=admin)
    ours = _opened_by(world.users["partner_admin"], world.partner, "Ours")
    theirs = _opened_by(world.users["other_partner"], world.other_partner, "Theirs")
    client = world.client("cm_assigned")

    assert reading_scope_shape(manager) == ("all",)
    rows = client.get(reverse("case_list")).context["rows"]
    assert {case.pk for case, _sla in rows} == {ours.pk, theirs.pk}

    outsider = PartnerFactory(code="P-Z")
    member = MembershipFactory(partner=outsider, role="admin").user
    hidden = _opened_by(member, outsider, "Elsewhere")

    assert reading_scope_shape(type(manager).objects.get(pk=manager.pk))[0] == "managed"
    rows = client.get(reverse("case_list")).context["rows"]
    assert {case.pk for case, _sla in rows} == {ours.pk, theirs.pk}
    admin_rows = world.client("vendor_admin").get(reverse("case_list")).context["rows"]
    assert hidden.pk in {case.pk for case, _sla in admin_rows}


# --- query counts ------------------------------------------------------------------------------


def _cases(world, count):
    for _ in range(count):
        case = _case(world)
        case_message_add(case=case, actor=world.users["cm_assigned"], body="Reply")


@pytest.mark.parametrize("role", ["partner_admin", "cm_assigned", "vendor_admin"])
def test_the_case_list_runs_a_constant_number_of_queries(world, role, django_assert_num_queries):
    client = world.client(role)
    url = reverse("case_list")
    _cases(world, 2)
    client.get(url)  # warm the session and content types
    small = _count(client, url)
    _cases(world, 10)

    with django_assert_num_queries(small):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("role", ["partner_admin", "cm_assigned"])
def test_the_case_detail_runs_a_constant_number_of_queries(world, role, django_assert_num_queries):
    client = world.client(role)
    cm = world.users["cm_assigned"]
    case = _case(world)
    url = reverse("case_detail", kwargs={"pk": case.pk})
    case_message_add(case=case, actor=cm, body="Reply")
    client.get(url)
    small = _count(client, url)
    for index in range(8):
        case_message_add(case=case, actor=cm, body=f"Reply {index}")
        case_status_change(
            case=case, actor=cm, status="waiting" if index % 2 == 0 else "in_progress"
        )

    with django_assert_num_queries(small):
        assert client.get(url).status_code == 200


def _count(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


# --- mediation ---------------------------------------------------------------------------------


def test_an_escalated_unresolved_case_goes_to_mediation_and_is_resolved_after_it(world):
    cm = world.users["cm_assigned"]
    case = _case(world)
    with pytest.raises(DomainError):
        case_mediation_refer(case=case, actor=cm, mediator="TAA", started_on=dt.date(2026, 11, 1))
    Case.objects.filter(pk=case.pk).update(escalated_at=timezone.now())

    response = world.client("cm_assigned").post(
        reverse("case_mediation_refer", kwargs={"pk": case.pk}),
        {"mediator": "Taipei Arbitration Association", "started_on": "2026-11-01"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.mediator) == ("mediation", "Taipei Arbitration Association")
    with pytest.raises(DomainError):
        case_mediation_conclude(case=case, actor=cm, outcome="Split", ended_on=dt.date(2026, 10, 1))
    case_mediation_conclude(
        case=case, actor=cm, outcome="Split the commission", ended_on=dt.date(2026, 11, 20)
    )
    case_resolve(case=case, actor=cm, resolution="As mediated")

    case.refresh_from_db()
    assert case.status == "resolved"
    page = world.client("partner_admin").get(reverse("case_detail", kwargs={"pk": case.pk}))
    text = page.content.decode()
    assert "Taipei Arbitration Association" in text
    assert "Split the commission" in text
    assert list(case.status_changes.values_list("to_status", flat=True)) == [
        "open",
        "mediation",
        "resolved",
    ]


def test_a_sale_matching_the_protected_tax_id_opens_a_case_whatever_the_name(conflict):
    row = ROW.replace("Globex Co.,,", f"Globex Trading Branch,{conflict.customer_tax_id},")

    sales_import(content=csv_bytes(row.format(id="S-9")), filename="t.csv")

    assert Case.objects.get().sale.external_id == "S-9"


def test_disputes_listens_to_the_sales_import_signal():
    from commissions.signals import sales_imported
    from disputes.receivers import open_channel_conflict_cases

    assert open_channel_conflict_cases in [entry[1]() for entry in sales_imported.receivers]


def test_case_list_rows(world):
    """Number and subject; partner, other partner and owner for vendor staff; kind, priority,
    status with the escalation mark; the deadlines."""
    first = _case(world, subject="<i>Short</i> payout")
    second = _case(world, kind="pricing", subject="Price")
    Case.objects.filter(pk=first.pk).update(owner=None)
    Case.objects.filter(pk=second.pk).update(
        escalated_at=timezone.now(),
        owner=world.users["cm_assigned"],
        other_partner=world.other_partner,
    )
    vendor = world.client("vendor_admin").get(reverse("case_list")).content.decode()
    cells = _row_cells(vendor, first)
    assert cells[0] == (
        f'<a href="/disputes/{first.pk}/">{first.number}</a>'
        "<div>&lt;i&gt;Short&lt;/i&gt; payout</div>"
    )
    assert cells[1:5] == [
        "P-A",
        '<span class="badge text-bg-warning">Unassigned</span>',
        "Payout",
        first.get_priority_display(),
    ]
    assert cells[5] == first.get_status_display()
    assert 'data-deadline="' in cells[6]
    cells = _row_cells(vendor, second)
    assert cells[1] == f"P-A ↔ {world.other_partner.code}"
    assert cells[2] == str(world.users["cm_assigned"])
    assert cells[5] == (
        f'{second.get_status_display()} <span class="badge text-bg-danger">Escalated</span>'
    )
    partner = world.client("partner_admin").get(reverse("case_list")).content.decode()
    cells = _row_cells(partner, first)
    assert len(cells) == 5
    assert "P-A" not in "".join(cells)
    assert world.other_partner.code not in partner
    empty = world.client("vendor_admin").get(reverse("case_list"), {"status": "closed"})
    assert "No cases." in empty.content.decode()


def _row_cells(page: str, case) -> list[str]:
    row = re.search(
        rf'<tr>\s*<td class="stack-title"><a href="/disputes/{case.pk}/">.*?</tr>', page, re.S
    )
    return [" ".join(c.split()) for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)]


def _listed(world, user: str, **params) -> set[int]:
    page = world.client(user).get(reverse("case_list"), params).content.decode()
    return {int(pk) for pk in re.findall(r'<a href="/disputes/(\d+)/">', page)}


def test_the_case_list_shows_each_kind_of_user_their_cases_by_filter(world):
    """The list's query, compiled once for each kind of user and filter, with the user's id,
    the current partner's and the instant: vendor admins see every case, channel managers the
    cases of their partners and those they own, a partner's users the cases where it is a
    party (its sales users the cases they raised)."""
    now = timezone.now()
    late = _case(world, subject="Late")
    Case.objects.filter(pk=late.pk).update(
        owner=None, first_response_due=now - dt.timedelta(hours=1)
    )
    shared = _case(world, subject="Shared")
    Case.objects.filter(pk=shared.pk).update(
        owner=world.users["cm_unassigned"],
        other_partner=world.other_partner,
        first_response_due=now + dt.timedelta(hours=5),
        resolution_due=now + dt.timedelta(days=5),
    )
    done = _case(world, user="partner_sales", subject="Done")
    Case.objects.filter(pk=done.pk).update(status=Case.Status.RESOLVED)
    everything = {late.pk, shared.pk, done.pk}

    assert _listed(world, "vendor_admin") == {late.pk, shared.pk}
    assert _listed(world, "vendor_admin", status="all") == everything
    assert _listed(world, "vendor_admin", status="resolved") == {done.pk}
    assert _listed(world, "vendor_admin", status="breached") == {late.pk}
    assert _listed(world, "vendor_admin", status="unassigned") == {late.pk}
    assert _listed(world, "vendor_admin", status="nonsense") == everything
    assert _listed(world, "cm_assigned", status="all") == everything
    assert _listed(world, "cm_unassigned", status="all") == {shared.pk}
    assert _listed(world, "cm_unassigned", status="breached") == set()
    assert _listed(world, "partner_admin", status="all") == everything
    assert _listed(world, "partner_finance", status="escalated") == set()
    assert _listed(world, "partner_sales", status="all") == {done.pk}
    assert _listed(world, "partner_sales", status="unassigned") == set()
    assert _listed(world, "other_partner", status="all") == {shared.pk}


def test_the_case_list_names_an_owner_without_a_name_by_email(world):
    case = _case(world)
    nameless = ChannelManagerFactory(email="nameless@vendor.test", full_name="")
    Case.objects.filter(pk=case.pk).update(owner=nameless)
    page = world.client("vendor_admin").get(reverse("case_list")).content.decode()
    assert _row_cells(page, case)[2] == "nameless@vendor.test"


def _status_options(page: str) -> list[tuple[str, bool, str]]:
    select = re.search(r'<select class="form-select" name="status".*?</select>', page, re.S)
    return [
        (value, bool(selected), label)
        for value, selected, label in re.findall(
            r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select.group(0)
        )
    ]


def test_the_case_list_status_filter_marks_the_chosen_one(world):
    vendor = world.client("vendor_admin")
    options = _status_options(vendor.get(reverse("case_list")).content.decode())
    assert [value for value, _selected, _label in options] == [
        "active",
        "breached",
        "escalated",
        "unassigned",
        "all",
        *Case.Status.values,
    ]
    assert [value for value, selected, _label in options if selected] == ["active"]
    assert options[0][2] == "Not yet resolved"
    assert options[5][2] == "Open"
    page = vendor.get(reverse("case_list"), {"status": "waiting"}).content.decode()
    assert [value for value, selected, _label in _status_options(page) if selected] == ["waiting"]
    page = vendor.get(reverse("case_list"), {"status": "nonsense"}).content.decode()
    assert not [value for value, selected, _label in _status_options(page) if selected]
    partner = world.client("partner_admin")
    page = partner.get(reverse("case_list"), {"status": "unassigned"}).content.decode()
    options = _status_options(page)
    assert "unassigned" not in [value for value, _selected, _label in options]
    assert [value for value, selected, _label in options if selected] == ["active"]
    user = world.users["partner_admin"]
    user.language = "zh-hant"
    user.save()
    page = partner.get(reverse("case_list"), {"status": "breached"}).content.decode()
    options = _status_options(page)
    assert options[0][2] == "尚未解決"
    assert [value for value, selected, _label in options if selected] == ["breached"]
