"""The commitments pages, the API, and health on the 360° page, the dashboards and the
directory."""

import datetime as dt
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse
from django.utils import timezone

from engagement.health import previous_quarter, quarter_label
from engagement.models import HealthSnapshot
from tests.factories import PartnerFactory

from .helpers import review, statement

pytestmark = pytest.mark.django_db


def _this_year(month: int, day: int) -> dt.date:
    return timezone.localdate().replace(month=month, day=day)


@pytest.fixture
def recorded(world):
    """Partner A: a payout paid on day 30 (met) and a review held a day late (missed)."""
    statement(world.partner, _this_year(1, 31), paid_on=_this_year(3, 2))
    review(world.partner, scheduled=_this_year(2, 10), held=_this_year(2, 11))
    return world


def test_the_partner_sees_its_record_with_a_case_link_on_the_miss(recorded):
    response = recorded.client("partner_admin").get(reverse("commitment_home"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Our commitments to you" in html
    assert "1 met, 1 missed" in html
    assert 'data-kind="payout" data-met="yes"' in html
    assert 'data-kind="review" data-met="no"' in html
    [link] = [a for a in html.split('href="') if a.startswith("/disputes/new/?")]
    query = parse_qs(urlparse(link.split('"')[0].replace("&amp;", "&")).query)
    assert query["kind"] == ["other"]
    assert query["subject"] == [
        f"Missed commitment: Business review held on time, {_this_year(2, 10).isoformat()}"
    ]


def test_the_case_form_takes_the_prefilled_kind_and_subject(world):
    url = (
        reverse("case_open") + "?kind=payout&subject=Missed+commitment%3A+Payout+on+time%2C+2026-04"
    )

    form = world.client("partner_admin").get(url).context["form"]

    assert form.initial["kind"] == "payout"
    assert form.initial["subject"] == "Missed commitment: Payout on time, 2026-04"
    bad = world.client("partner_admin").get(reverse("case_open") + "?kind=compliance")
    assert "kind" not in bad.context["form"].initial


def test_a_partner_sales_user_sees_no_statement_link(recorded):
    html = recorded.client("partner_sales").get(reverse("commitment_home")).content.decode()

    assert "/payouts/" not in html.split("<main", 1)[-1]


def test_vendor_staff_see_a_partners_record_without_the_case_button(recorded):
    url = reverse("commitment_partner", kwargs={"code": recorded.partner.code})

    html = recorded.client("cm_assigned").get(url).content.decode()

    assert "Our commitments to Acme Trading" in html
    assert "Open a case about this miss" not in html


@pytest.mark.parametrize(
    ("role", "name"), [("partner_admin", "commitment_home"), ("cm_assigned", "commitment_partner")]
)
def test_a_partners_record_charts_the_share_met_by_month(recorded, role, name):
    kwargs = {"code": recorded.partner.code} if name == "commitment_partner" else {}

    response = recorded.client(role).get(reverse(name, kwargs=kwargs))

    # The review held a day late is measured in February (missed), the payout paid on day 30
    # in March (met).
    february, march = _this_year(2, 1).strftime("%Y-%m"), _this_year(3, 1).strftime("%Y-%m")
    assert response.context["record"].months == [(february, 0, 1), (march, 1, 1)]
    html = response.content.decode()
    assert 'id="month-chart"' in html
    assert f'<g class="chart-bar" data-label="{march}" data-value="100">' in html
    assert f"{february}: 0%; {march}: 100%" in html
    table = html.split('id="month-table"', 1)[1].split("</table>", 1)[0]
    assert f'<th scope="row" class="stack-title fw-normal">{february}</th>' in table
    assert table.count("<tr>") == 3  # the header and two months


def test_another_partners_record_answers_404(recorded):
    url = reverse("commitment_partner", kwargs={"code": recorded.partner.code})

    assert recorded.client("other_partner").get(url).status_code == 404
    assert recorded.client("cm_unassigned").get(url).status_code == 404


def test_the_overview_shows_the_record_by_channel_manager_and_month(recorded):
    response = recorded.client("vendor_admin").get(reverse("commitment_home"))

    overview = response.context["overview"]
    rows = {r.name: (r.partners, r.met, r.missed) for r in overview.managers}
    cm = recorded.users["cm_assigned"]
    assert rows[cm.get_full_name() or cm.email] == (1, 1, 1)
    assert [(w[0], w[1], w[2]) for w in overview.worst] == [(recorded.partner, 1, 1)]
    assert 'id="month-chart"' in response.content.decode()
    own = recorded.client("vendor_admin").get(reverse("commitment_manager", args=[cm.pk]))
    assert [r.partners for r in own.context["overview"].managers] == [1]


@pytest.mark.parametrize(
    ("name", "role", "queries"),
    [
        ("commitment_home", "partner_admin", 11),
        ("commitment_home", "vendor_admin", 11),
        ("commitment_partner", "cm_assigned", 10),
    ],
)
@pytest.mark.parametrize("extra", [1, 8])
def test_commitment_pages_run_constant_queries(
    world, name, role, queries, extra, django_assert_num_queries
):
    for partner in [world.partner, *PartnerFactory.create_batch(extra)]:
        statement(partner, _this_year(1, 31), paid_on=_this_year(3, 3))
        review(partner, scheduled=_this_year(2, 10), held=_this_year(2, 11))
    client = world.client(role)
    kwargs = {"code": world.partner.code} if name == "commitment_partner" else {}
    url = reverse(name, kwargs=kwargs)
    client.get(url)

    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


def test_the_api_gives_the_current_partners_record(recorded):
    body = recorded.client("partner_finance").get(reverse("api:commitment-record")).json()

    assert body["partner"] == "P-A"
    payout, review_record = body["commitments"]
    assert (payout["commitment"], payout["limit_days"], payout["met"], payout["missed"]) == (
        "payout", 30, 1, 0,
    )  # fmt: skip
    assert payout["instances"] == [
        {
            "ref": _this_year(1, 31).strftime("%Y-%m"),
            "started": _this_year(1, 31).isoformat(),
            "due": _this_year(3, 2).isoformat(),
            "done": _this_year(3, 2).isoformat(),
            "met": True,
        }
    ]
    assert review_record["missed"] == 1


def test_vendor_staff_name_the_partner_in_the_api(recorded):
    client = recorded.client("vendor_admin")

    refused = client.get(reverse("api:health-score"))
    body = client.get(reverse("api:health-score"), {"partner": "P-A"}).json()

    assert refused.status_code == 400
    assert "partner" in refused.json()
    assert body["partner"] == "P-A"
    parts = {p["part"]: (p["weight"], p["value"]) for p in body["parts"]}
    # One review a day late: 0 on time; commitments 1 of 2 met.
    assert parts["reviews"] == (15, 0)
    assert parts["commitments"] == (25, 50)
    assert parts["open_cases"] == (15, 100)
    # (15×100 + 15×100 + 15×0 + 25×50) / 70 = 4250 / 70 = 60.7 → 61
    assert body["score"] == 61
    other = recorded.client("other_partner").get(reverse("api:health-score"), {"partner": "P-A"})
    assert other.json()["partner"] == "P-B"


def test_the_360_page_and_the_partner_dashboard_show_the_same_health(recorded):
    page = recorded.client("cm_assigned").get(reverse("partner_detail", args=["P-A"]))
    board = recorded.client("partner_admin").get(reverse("dashboard"))

    assert page.context["health"].score == board.context["health"].score == 61
    for response in (page, board):
        html = response.content.decode()
        assert 'id="health-parts"' in html
        assert 'data-part="commitments"' in html


def _snapshots(partner, before, now):
    quarter = quarter_label(timezone.localdate())
    HealthSnapshot.objects.create(
        partner=partner, quarter=previous_quarter(quarter), score=before, taken_at=timezone.now()
    )
    HealthSnapshot.objects.create(
        partner=partner, quarter=quarter, score=now, taken_at=timezone.now()
    )


def test_a_fall_raises_a_tile_for_the_account_manager_only(world):
    _snapshots(world.partner, 82, 64)

    def tile(role):
        tiles = world.client(role).get(reverse("dashboard")).context["tiles"]
        return next(t for t in tiles if t["key"] == "health_falling")

    assert (tile("cm_assigned")["count"], tile("cm_assigned")["urgent"]) == (1, True)
    assert tile("cm_unassigned")["count"] == 0
    assert tile("vendor_admin")["count"] == 0


def test_the_directory_sorts_and_filters_by_health(world):
    _snapshots(world.partner, 90, 40)
    _snapshots(world.other_partner, 50, 80)
    third = PartnerFactory(code="P-C")
    client = world.client("vendor_admin")

    def codes(**params):
        response = client.get(reverse("partner_list"), params)
        return [p.code for p in response.context["partners"]]

    assert codes(sort="-health_score") == ["P-B", "P-A", third.code]
    assert codes(sort="health_score") == ["P-A", "P-B", third.code]
    assert codes(health_score="low") == ["P-A"]
    assert codes(health_score="good") == ["P-B"]
    assert codes(health_score="none") == [third.code]
    html = client.get(reverse("partner_list")).content.decode()
    assert 'data-key="health_score"' in html


@pytest.mark.parametrize("extra", [0, 10])
def test_the_health_column_adds_no_query_per_partner(world, extra, django_assert_num_queries):
    for partner in PartnerFactory.create_batch(extra):
        _snapshots(partner, 70, 60)
    client = world.client("vendor_admin")
    url = reverse("partner_list") + "?sort=-health_score"
    client.get(url)

    with django_assert_num_queries(DIRECTORY_QUERIES):
        client.get(url)


DIRECTORY_QUERIES = 8


def _stored(partner, score, **parts):
    """This quarter's snapshot of `partner`, as the nightly run would have stored it."""
    return HealthSnapshot.objects.create(
        partner=partner,
        quarter=quarter_label(timezone.localdate()),
        score=score,
        parts={key: {"weight": w, "value": v} for key, (w, v) in parts.items()},
        taken_at=timezone.now() - dt.timedelta(hours=3),
    )


def test_every_place_shows_the_current_quarters_snapshot(recorded):
    # The live measure would give 61 (see above); the stored snapshot says 47 and is shown.
    snapshot = _stored(recorded.partner, 47, attainment=(30, 20), commitments=(25, 50))
    HealthSnapshot.objects.create(
        partner=recorded.partner,
        quarter=previous_quarter(snapshot.quarter),
        score=90,
        taken_at=timezone.now(),
    )

    page = recorded.client("cm_assigned").get(reverse("partner_detail", args=["P-A"]))
    board = recorded.client("partner_admin").get(reverse("dashboard"))
    api = recorded.client("vendor_admin").get(reverse("api:health-score"), {"partner": "P-A"})
    directory = recorded.client("vendor_admin").get(
        reverse("partner_list"), {"health_score": "low"}
    )

    assert page.context["health"].score == board.context["health"].score == 47
    assert [(p.key, p.weight, p.value) for p in page.context["health"].parts] == [
        ("attainment", 30, 20),
        ("commitments", 25, 50),
    ]
    body = api.json()
    assert (body["score"], body["taken_at"]) == (47, snapshot.taken_at.isoformat())
    assert [p["part"] for p in body["parts"]] == ["attainment", "commitments"]
    assert [p.code for p in directory.context["partners"]] == ["P-A"]
    assert directory.context["partners"][0].health_score == 47
    for response in (page, board):
        html = response.content.decode()
        assert 'id="health-taken-at"' in html
        assert f'datetime="{timezone.localtime(snapshot.taken_at).isoformat()}"' in html


def test_without_a_snapshot_this_quarter_the_score_is_measured_and_stored(recorded):
    quarter = quarter_label(timezone.localdate())
    HealthSnapshot.objects.create(
        partner=recorded.partner,
        quarter=previous_quarter(quarter),
        score=90,
        taken_at=timezone.now(),
    )
    client = recorded.client("vendor_admin")
    # Only last quarter's snapshot: the directory has no score of this quarter.
    none = client.get(reverse("partner_list"), {"health_score": "none"})
    assert "P-A" in [p.code for p in none.context["partners"]]

    first = client.get(reverse("api:health-score"), {"partner": "P-A"}).json()

    stored = HealthSnapshot.objects.get(partner=recorded.partner, quarter=quarter)
    assert first["score"] == stored.score == 61
    assert first["taken_at"] == stored.taken_at.isoformat()
    assert stored.parts["commitments"] == {"weight": 25, "value": 50}
    # Then the same figure everywhere, read from the snapshot.
    page = recorded.client("cm_assigned").get(reverse("partner_detail", args=["P-A"]))
    assert page.context["health"].score == 61
    assert page.context["health"].taken_at == stored.taken_at
    good = client.get(reverse("partner_list"), {"health_score": "fair"})
    assert [p.code for p in good.context["partners"]] == ["P-A"]
    assert HealthSnapshot.objects.filter(partner=recorded.partner, quarter=quarter).count() == 1
