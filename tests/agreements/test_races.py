"""Two vendor admins saving new terms for one agreement at once, and a partner admin accepting
one version from many tabs at once. PostgreSQL, each race 20 times, each repetition on an
agreement of its own, on data committed once for the module (see `committed`)."""

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from agreements.services.agreements import (
    Terms,
    agreement_create,
    agreement_version_accept,
    agreement_version_propose,
)
from prm.core.errors import EditConflictError, InvalidTransitionError
from prm.core.models import Event
from tests.factories import MembershipFactory, PartnerFactory, UserFactory, VendorAdminFactory
from tests.parallel import POSTGRESQL, committed, run_parallel  # noqa: F401 (fixture)

pytestmark = POSTGRESQL
TODAY = timezone.localdate()
RACES = range(20)
_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def people(committed):  # noqa: F811
    partner = PartnerFactory(code="P-A")
    partner_admin = UserFactory(email="admin@a.test")
    MembershipFactory(user=partner_admin, partner=partner, role="admin")
    return {
        "partner": partner,
        "partner_admin": partner_admin,
        "vendor_admin": VendorAdminFactory(email="admin@vendor.test"),
        "second_admin": VendorAdminFactory(email="second@vendor.test"),
    }


@pytest.fixture
def agreement(people):
    return agreement_create(
        actor=people["vendor_admin"],
        partner=people["partner"],
        number=f"AG-{next(_numbers)}",
        start=TODAY - dt.timedelta(days=30),
        end=TODAY + dt.timedelta(days=335),
        terms=Terms(effective_date=TODAY, payment_terms_days=30),
    )


@pytest.mark.reliability("concurrency", "two vendor staff editing one agreement draft")
@pytest.mark.parametrize("attempt", RACES)
def test_the_second_of_two_editors_gets_a_conflict_and_overwrites_nothing(
    people, agreement, attempt
):
    # given two vendor admins who both opened version 1's terms
    editors = [people["vendor_admin"], people["second_admin"]]

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
    assert agreement.versions.get(number=2).payment_terms_days == winner.payment_terms_days
    published = Event.objects.filter(verb="agreement_version.published", partner=people["partner"])
    assert published.filter(after__agreement=agreement.number).count() == 2


@pytest.mark.reliability("concurrency", "10 parallel acceptances of one agreement version")
@pytest.mark.parametrize("attempt", RACES)
def test_ten_parallel_acceptances_accept_once(people, agreement, attempt):
    version = agreement.versions.get()

    outcome = run_parallel(
        *[
            lambda: agreement_version_accept(
                actor=people["partner_admin"],
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
    accepted = Event.objects.filter(verb="agreement_version.accepted", target_id=str(version.pk))
    assert accepted.count() == 1
