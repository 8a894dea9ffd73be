"""The partner pulse: answering (admins only, one response per quarter, editable until it
closes), reminders sent once, the action item at 6 and not at 7, pulse_scores, results."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from engagement.models import PulseMessage, PulseQuestion, PulseResponse
from engagement.pulse import pulse_results, pulse_scores, quarter_bounds, quarter_of, quarters_back
from engagement.pulse_services import pulse_messages_send, pulse_submit
from partners.models import ActionItem, BusinessReview
from prm.core.errors import DomainError
from prm.notifications.models import Notification
from tests.factories import MembershipFactory, PartnerFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 20)


def _answers(recommend=8, **extra):
    return {
        "recommend": recommend,
        "pricing": 4,
        "payouts": 5,
        "communication": 3,
        "support": 4,
        "training": 2,
        "comments": "Payouts were on time.",
        **extra,
    }


def _submit(world, recommend=8, today=TODAY, **extra):
    return pulse_submit(
        actor=world.users["partner_admin"],
        partner=world.partner,
        answers=_answers(recommend, **extra),
        today=today,
    )


def test_quarters():
    assert quarter_of(dt.date(2026, 12, 31)) == "2026-Q4"
    assert quarter_bounds("2026-Q4") == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert quarter_bounds("2027-Q1") == (dt.date(2027, 1, 1), dt.date(2027, 3, 31))
    assert quarters_back("2027-Q1", 3) == ["2026-Q3", "2026-Q4", "2027-Q1"]


def test_default_questions_follow_the_spec():
    kinds = list(PulseQuestion.objects.filter(is_active=True).values_list("code", "kind"))
    assert kinds == [
        ("recommend", "recommend"),
        ("pricing", "rating"),
        ("payouts", "rating"),
        ("communication", "rating"),
        ("support", "rating"),
        ("training", "rating"),
        ("comments", "text"),
    ]


def test_one_response_per_quarter_replaced_on_edit(world):
    _submit(world, recommend=8)
    response = _submit(world, recommend=9)
    assert PulseResponse.objects.filter(partner=world.partner).count() == 1
    assert response.recommend == 9
    assert response.quarter == "2026-Q4"
    assert response.answers.count() == 7
    assert response.comment == "Payouts were on time."


def test_only_partner_admins_answer(world):
    with pytest.raises(DomainError):
        pulse_submit(
            actor=world.users["partner_sales"],
            partner=world.partner,
            answers=_answers(),
            today=TODAY,
        )


@pytest.mark.parametrize(("field", "value"), [("recommend", 11), ("pricing", 0), ("support", "x")])
def test_out_of_scale_answers_name_the_question(world, field, value):
    with pytest.raises(DomainError) as exc:
        _submit(world, **{field: value}) if field != "recommend" else _submit(
            world, recommend=value
        )
    assert exc.value.field == f"q_{field}"


def test_editing_questions_keeps_past_answers(world):
    response = _submit(world)
    question = PulseQuestion.objects.get(code="training")
    question.text = "Training and certification"
    question.is_active = False
    question.save()
    assert response.answers.filter(question=question, score=2).exists()
    later = _submit(world, today=dt.date(2027, 1, 5))
    assert not later.answers.filter(question=question).exists()


@pytest.mark.parametrize(("score", "raises"), [(6, True), (7, False), (0, True), (10, False)])
def test_action_item_at_six_or_lower_only(world, score, raises):
    response = _submit(world, recommend=score)
    items = ActionItem.objects.filter(partner=world.partner)
    assert items.exists() is raises
    if raises:
        item = items.get()
        review = BusinessReview.objects.get(partner=world.partner, status="scheduled")
        assert item.review == review
        assert item.owner == world.users["cm_assigned"]
        assert response.action_item == item
        assert Notification.objects.filter(
            recipient=world.users["cm_assigned"], category="reviews"
        ).exists()


def test_action_item_is_raised_once_per_response(world):
    _submit(world, recommend=3)
    _submit(world, recommend=5)
    assert ActionItem.objects.filter(partner=world.partner).count() == 1


def test_reminders_go_once_to_partners_that_have_not_answered(world):
    first = pulse_messages_send(today=dt.date(2026, 10, 1))
    assert first["invitation"] == 2
    assert pulse_messages_send(today=dt.date(2026, 10, 2))["invitation"] == 0
    _submit(world, today=dt.date(2026, 10, 10))
    reminded = pulse_messages_send(today=dt.date(2026, 10, 25))
    assert reminded == {"invitation": 0, "reminder": 1}
    assert pulse_messages_send(today=dt.date(2026, 10, 26)) == {"invitation": 0, "reminder": 0}
    last = pulse_messages_send(today=dt.date(2026, 12, 20))
    assert last["last_call"] == 1
    assert pulse_messages_send(today=dt.date(2026, 12, 21))["last_call"] == 0
    kinds = PulseMessage.objects.filter(partner=world.other_partner).values_list("kind", flat=True)
    assert sorted(kinds) == ["invitation", "last_call", "reminder"]
    told = Notification.objects.filter(recipient=world.users["other_partner"], category="community")
    assert told.count() == 3


def test_pulse_scores_read_the_latest_quarter(world):
    _submit(world, recommend=9, today=dt.date(2026, 8, 1))
    _submit(world, recommend=4, today=dt.date(2026, 11, 1))
    pulse_submit(
        actor=world.users["other_partner"],
        partner=world.other_partner,
        answers=_answers(7),
        today=dt.date(2026, 8, 1),
    )
    assert pulse_scores() == {world.partner.pk: Decimal(4), world.other_partner.pk: Decimal(7)}
    assert pulse_scores([world.other_partner.pk]) == {world.other_partner.pk: Decimal(7)}


def test_pulse_scores_is_one_query(world, django_assert_num_queries):
    _submit(world)
    with django_assert_num_queries(1):
        pulse_scores()


def test_results_by_partner_tier_and_quarter(world):
    _submit(world, recommend=9, today=dt.date(2026, 8, 1))
    _submit(world, recommend=4, today=dt.date(2026, 11, 1))
    pulse_submit(
        actor=world.users["other_partner"],
        partner=world.other_partner,
        answers=_answers(7),
        today=dt.date(2026, 11, 1),
    )
    results = pulse_results(user=world.users["vendor_admin"], quarter="2026-Q4", count=2)
    assert results.quarters == ["2026-Q3", "2026-Q4"]
    assert results.overall == [Decimal("9.0"), Decimal("5.5")]
    rows = {r.label.split(" · ")[0]: r.scores for r in results.by_partner}
    assert rows["P-A"] == [Decimal("9.0"), Decimal("4.0")]
    assert results.response_rate == (2, 2)
    scoped = pulse_results(user=world.users["cm_assigned"], quarter="2026-Q4", count=2)
    assert [r.label.split(" · ")[0] for r in scoped.by_partner] == ["P-A"]


def test_pulse_form_saves_and_shows_errors(world):
    client = world.client("partner_admin")
    url = reverse("pulse_form")
    assert client.get(url).status_code == 200
    bad = client.post(url, {"q_pricing": "3"})
    assert bad.status_code == 400
    data = {f"q_{k}": v for k, v in _answers(8).items()}
    assert client.post(url, data).status_code == 302
    response = PulseResponse.objects.get(partner=world.partner)
    assert response.recommend == 8
    assert 'value="8"' in client.get(url).content.decode()


@pytest.mark.parametrize("count", [1, 5])
def test_results_page_runs_a_fixed_number_of_queries(world, django_assert_num_queries, count):
    for _ in range(count):
        partner = PartnerFactory()
        user = MembershipFactory(partner=partner).user
        pulse_submit(actor=user, partner=partner, answers=_answers(5))
    client = world.client("vendor_admin")
    with django_assert_num_queries(RESULT_QUERIES):
        assert client.get(reverse("pulse_results")).status_code == 200


# Page furniture (session, user, badge), the filter choices (tiers, territories), the responses,
# their territories, the rating answers and questions, and the count of active partners.
RESULT_QUERIES = 9


def test_vendor_admin_edits_questions_in_admin_and_answered_ones_are_kept(world):
    from prm.accounts.models import User

    admin_user = User.objects.create_superuser(email="root@vendor.test", password="x")
    client = world.client("vendor_admin")
    client.force_login(admin_user)
    from tests.conftest import session_mark_mfa_used

    session_mark_mfa_used(client, admin_user)
    _submit(world)
    question = PulseQuestion.objects.get(code="support")
    url = reverse("admin:engagement_pulsequestion_change", args=[question.pk])
    assert client.get(url).status_code == 200
    delete = reverse("admin:engagement_pulsequestion_delete", args=[question.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert PulseQuestion.objects.filter(pk=question.pk).exists()
