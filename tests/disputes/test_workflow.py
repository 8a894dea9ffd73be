"""The workflow as users meet it: the clock around pauses and resolutions, what the report counts
as met or missed, one adjustment per case, the moves a vendor is offered, messages to one party
of a conflict, and who hears about a case."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from disputes import services
from disputes.models import Case
from disputes.selectors import case_report
from disputes.services import (
    case_mediation_refer,
    case_message_add,
    case_open,
    case_resolve,
    case_status_change,
)
from prm.core.errors import DomainError

T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)


def _open(world, *, kind="payout", user="partner_admin", now=T0, **extra):
    return case_open(
        actor=world.users[user],
        partner=world.partner,
        kind=kind,
        subject="Payout",
        description="Wrong",
        now=now,
        **extra,
    )


def _conflict(world):
    return case_open(
        actor=None,
        partner=world.partner,
        other_partner=world.other_partner,
        kind="channel_conflict",
        priority="high",
        subject="Sale to protected customer Globex",
        description="A sale to a protected customer.",
    )


# --- the clock ---------------------------------------------------------------------------------


def test_closing_a_resolved_case_keeps_its_resolution_time_and_reopening_clears_it(world):
    cm = world.users["cm_assigned"]
    case = _open(world)
    case_resolve(case=case, actor=cm, resolution="Explained", now=T0 + 2 * D)

    case = case_status_change(case=case, actor=cm, status="closed", now=T0 + 3 * D)
    assert (case.status, case.resolved_at) == ("closed", T0 + 2 * D)
    report = case_report(user=world.users["vendor_admin"], now=T0 + 4 * D)
    (row,) = report["owners"]
    assert (row["resolved"], row["resolution_rate"]) == (1, 100)
    assert row["mean_resolution"] is not None

    other = _open(world)
    case_resolve(case=other, actor=cm, resolution="Explained", now=T0 + D)
    other = case_status_change(case=other, actor=cm, status="in_progress", now=T0 + 2 * D)
    assert other.resolved_at is None


def test_resolving_while_waiting_on_the_partner_leaves_the_pause_out_of_the_deadline(world):
    # given a normal case (resolution due in 14 days) waiting on the partner for 10 days
    cm = world.users["cm_assigned"]
    case = _open(world)
    case_message_add(case=case, actor=cm, body="Send the invoice", now=T0 + H)
    case_status_change(case=case, actor=cm, status="waiting", now=T0 + 2 * H)

    # when the vendor resolves it on day 12 without the partner answering
    case = case_resolve(
        case=case, actor=cm, resolution="Closed for lack of an invoice", now=T0 + 12 * D
    )

    # then 2 days of the clock ran, not 12: the deadline moved by the pause and was met
    assert case.paused_at is None
    assert case.resolution_due == T0 + 14 * D + (12 * D - 2 * H)
    (row,) = case_report(user=world.users["vendor_admin"], now=T0 + 13 * D)["owners"]
    assert row["resolution_rate"] == 100


def test_mediation_restarts_a_paused_clock_with_its_deadlines_moved(world):
    cm = world.users["cm_assigned"]
    case = _open(world)
    Case.objects.filter(pk=case.pk).update(escalated_at=T0 + 2 * D)
    case_status_change(case=case, actor=cm, status="waiting", now=T0 + 3 * D)

    case = case_mediation_refer(
        case=case, actor=cm, mediator="TAA", started_on=dt.date(2026, 11, 10), now=T0 + 8 * D
    )

    assert (case.status, case.paused_at) == ("mediation", None)
    assert case.resolution_due == T0 + 14 * D + 5 * D


def test_a_resolution_answers_a_case_no_message_answered_yet(world):
    cm = world.users["cm_assigned"]
    case = _open(world)

    case = case_resolve(case=case, actor=cm, resolution="Correct as computed", now=T0 + 3 * H)

    assert case.first_responded_at == T0 + 3 * H
    (row,) = case_report(user=world.users["vendor_admin"], now=T0 + D)["owners"]
    assert (row["response_rate"], row["resolution_rate"]) == (100, 100)


def test_attainment_counts_deadlines_missed_while_still_open(world):
    cm = world.users["cm_assigned"]
    answered = _open(world)
    case_message_add(case=answered, actor=cm, body="Looking", now=T0 + H)
    _open(world)  # never answered: its first response fell due at T0 + 24 h
    paused = _open(world)
    case_status_change(case=paused, actor=cm, status="waiting", now=T0 + 2 * H)

    # a day and a half on: one answered on time, one owed past its deadline; the paused one
    # stopped at 2 h, well within its deadline
    (row,) = case_report(user=world.users["vendor_admin"], now=T0 + 36 * H)["owners"]
    assert (row["response_met"], row["responses_due"], row["response_rate"]) == (1, 2, 50)
    assert row["resolution_rate"] is None
    # three weeks on, every resolution deadline but the paused one has passed unmet
    (row,) = case_report(user=world.users["vendor_admin"], now=T0 + 21 * D)["owners"]
    assert (row["resolution_met"], row["resolutions_due"], row["resolution_rate"]) == (0, 2, 0)


# --- adjustments -------------------------------------------------------------------------------


def test_a_case_makes_one_adjustment(world):
    cm = world.users["cm_assigned"]
    case = _open(world)
    case_resolve(case=case, actor=cm, resolution="Credit", adjustment_amount=Decimal("50"))
    case_status_change(case=case, actor=cm, status="in_progress", reason="Partner objects")

    with pytest.raises(DomainError):
        case_resolve(case=case, actor=cm, resolution="More", adjustment_amount=Decimal("10"))
    case = case_resolve(case=case, actor=cm, resolution="Credit stands")
    assert case.adjustment.amount == Decimal("50.00")
    page = world.client("cm_assigned").get(reverse("case_detail", kwargs={"pk": case.pk}))
    assert 'name="adjustment_amount"' not in page.content.decode()


def test_the_resolve_form_offers_an_adjustment_on_payout_cases_only(world):
    client = world.client("cm_assigned")
    payout = _open(world)
    pricing = _open(world, kind="pricing")

    page = client.get(reverse("case_detail", kwargs={"pk": payout.pk})).content.decode()
    assert 'name="adjustment_amount"' in page
    page = client.get(reverse("case_detail", kwargs={"pk": pricing.pk})).content.decode()
    assert 'name="adjustment_amount"' not in page
    assert 'id="resolve-case"' in page


# --- the moves offered -------------------------------------------------------------------------


def _offered(world, case) -> list[str]:
    page = world.client("cm_assigned").get(reverse("case_detail", kwargs={"pk": case.pk}))
    form = page.context["status_form"]
    return [value for value, _label in form.fields["status"].choices]


def test_the_status_form_offers_only_the_moves_the_case_can_make(world):
    cm = world.users["cm_assigned"]
    case = _open(world)
    assert _offered(world, case) == ["in_progress", "waiting"]
    case_status_change(case=case, actor=cm, status="in_progress")
    assert _offered(world, case) == ["waiting"]
    case_resolve(case=case, actor=cm, resolution="Done")
    assert _offered(world, case) == ["in_progress", "closed"]
    case_status_change(case=case, actor=cm, status="closed")
    assert _offered(world, case) == []
    page = world.client("cm_assigned").get(reverse("case_detail", kwargs={"pk": case.pk}))
    assert 'id="status-heading"' not in page.content.decode()


def test_an_illegal_move_posted_anyway_is_refused_with_a_message(world):
    case = _open(world)
    response = world.client("cm_assigned").post(
        reverse("case_status", kwargs={"pk": case.pk}), {"status": "closed"}, follow=True
    )
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.status == "open"
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


# --- conflicts: writing to one party -----------------------------------------------------------


def test_the_vendor_writes_to_one_party_of_a_conflict_and_the_other_never_sees_it(
    world, monkeypatch
):
    case = _conflict(world)
    told = []
    monkeypatch.setattr(
        services, "case_email", lambda *, users, **kwargs: told.append({u for u in users if u})
    )
    vendor = world.client("cm_assigned")
    form = vendor.get(reverse("case_detail", kwargs={"pk": case.pk})).context["message_form"]
    assert [value for value, _label in form.fields["to"].choices] == [
        "",
        world.partner.pk,
        world.other_partner.pk,
    ]

    vendor.post(
        reverse("case_message", kwargs={"pk": case.pk}),
        {"body": "Send us your quote to Globex", "to": world.other_partner.pk},
    )
    vendor.post(reverse("case_message", kwargs={"pk": case.pk}), {"body": "Decision: split"})

    url = reverse("case_detail", kwargs={"pk": case.pk})
    addressed = world.client("other_partner").get(url).content.decode()
    assert "Send us your quote to Globex" in addressed
    assert "to you only" in addressed
    assert "Decision: split" in addressed
    other_side = world.client("partner_admin").get(url).content.decode()
    assert "Send us your quote to Globex" not in other_side
    assert "Decision: split" in other_side
    vendor_page = vendor.get(url).content.decode()
    assert f"to {world.other_partner.display_name} only" in vendor_page
    # only the addressed party hears about it
    assert world.users["other_partner"] in told[0]
    assert world.users["partner_admin"] not in told[0]
    assert world.users["partner_admin"] in told[1]


def test_only_vendor_staff_write_to_one_party_and_only_to_a_party(world):
    case = _conflict(world)
    from tests.factories import PartnerFactory

    with pytest.raises(DomainError):
        case_message_add(
            case=case, actor=world.users["partner_admin"], body="x", to=world.other_partner
        )
    with pytest.raises(DomainError):
        case_message_add(
            case=case, actor=world.users["cm_assigned"], body="x", to=PartnerFactory(code="P-Z")
        )
    single = _open(world)
    page = world.client("cm_assigned").get(reverse("case_detail", kwargs={"pk": single.pk}))
    assert "to" not in page.context["message_form"].fields


# --- who hears about a case --------------------------------------------------------------------


def test_a_sales_user_who_raised_a_case_hears_about_it(world, monkeypatch):
    told = []
    monkeypatch.setattr(
        services, "case_email", lambda *, users, **kwargs: told.append({u for u in users if u})
    )
    case = _open(world, kind="other", user="partner_sales")
    assert world.users["partner_sales"] in told[-1]

    case_message_add(case=case, actor=world.users["cm_assigned"], body="We are checking")

    assert world.users["partner_sales"] in told[-1]
    assert world.users["partner_admin"] in told[-1]
    # a sales colleague who did not raise it is not told
    other_case = _open(world, kind="other", user="partner_admin")
    case_message_add(case=other_case, actor=world.users["cm_assigned"], body="Checking")
    assert world.users["partner_sales"] not in told[-1]
