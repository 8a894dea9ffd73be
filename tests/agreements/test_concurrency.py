"""Two vendor admins saving new terms for one agreement at once, and a partner admin accepting
one version from many tabs at once. PostgreSQL, each race 20 times."""

import datetime as dt

import pytest
from django.utils import timezone

from agreements.models import AgreementVersion
from agreements.services.agreements import (
    Terms,
    agreement_create,
    agreement_version_accept,
    agreement_version_propose,
)
from prm.core.errors import EditConflictError, InvalidTransitionError
from prm.core.models import Event
from tests.factories import VendorAdminFactory
from tests.parallel import POSTGRESQL, require_postgresql, run_parallel

pytestmark = [pytest.mark.django_db(transaction=True), POSTGRESQL]
TODAY = timezone.localdate()
RACES = range(20)


@pytest.fixture
def agreement(world):
    require_postgresql()
    return agreement_create(
        actor=world.users["vendor_admin"],
        partner=world.partner,
        number="AG-1",
        start=TODAY - dt.timedelta(days=30),
        end=TODAY + dt.timedelta(days=335),
        terms=Terms(effective_date=TODAY, payment_terms_days=30),
    )


@pytest.mark.reliability("concurrency", "two vendor staff editing one agreement draft")
@pytest.mark.parametrize("attempt", RACES)
def test_the_second_of_two_editors_gets_a_conflict_and_overwrites_nothing(
    world, agreement, attempt
):
    # given two vendor admins who both opened version 1's terms
    editors = [world.users["vendor_admin"], VendorAdminFactory(email="second@vendor.test")]

    def save(editor, days):
        return agreement_version_propose(
            actor=editor,
            agreement=agreement,
            terms=Terms(effective_date=TODAY, payment_terms_days=days),
            based_on=1,
        )

    # when both save at the same moment
    outcome = run_parallel(lambda: save(editors[0], 45), lambda: save(editors[1], 60))

    # then one is published, the other is told who changed the draft, and nothing is lost
    assert outcome.errors == []
    assert len(outcome.results) == 1
    [conflict] = outcome.refused
    assert isinstance(conflict, EditConflictError)
    winner = outcome.results[0]
    assert f"changed by {winner.published_by.get_full_name() or winner.published_by.email}" in (
        conflict.message
    )
    versions = list(agreement.versions.order_by("number").values_list("number", "status"))
    assert versions == [(1, "withdrawn"), (2, "awaiting_acceptance")]
    assert AgreementVersion.objects.get(number=2).payment_terms_days == winner.payment_terms_days
    assert Event.objects.filter(verb="agreement_version.published").count() == 2


@pytest.mark.reliability("concurrency", "10 parallel acceptances of one agreement version")
@pytest.mark.parametrize("attempt", RACES)
def test_ten_parallel_acceptances_accept_once(world, agreement, attempt):
    version = agreement.versions.get()

    outcome = run_parallel(
        *[
            lambda: agreement_version_accept(
                actor=world.users["partner_admin"],
                version=version,
                ip="203.0.113.7",
                seen_hash=version.terms_hash,
            )
        ]
        * 10
    )

    assert outcome.errors == []
    assert len(outcome.results) == 1
    assert len(outcome.refused) == 9
    assert all(isinstance(exc, InvalidTransitionError) for exc in outcome.refused)
    version.refresh_from_db()
    assert version.status == "accepted"
    assert Event.objects.filter(verb="agreement_version.accepted").count() == 1
