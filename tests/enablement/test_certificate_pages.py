"""Certified people on the 360° page (which is also the partner's own organisation page), a
partner user's own certificates with their PDFs, and GET /api/v1/learning/certifications/."""

import datetime as dt
import re
import zlib

import pytest
from django.urls import reverse
from django.utils import timezone

from enablement.models import Certificate, Certification
from enablement.services import certificate_earn
from partners.models import Membership
from tests.factories import MembershipFactory, UserFactory

TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)


@pytest.fixture
def net(db):
    return Certification.objects.create(code="NET-PRO", name="Networking Pro", validity_months=24)


@pytest.fixture
def sec(db):
    return Certification.objects.create(code="SEC-PRO", name="Security Pro", validity_months=12)


def _cert(user, certification, *, earned, expires):
    return Certificate.objects.create(
        user=user, certification=certification, earned=earned, expires=expires
    )


@pytest.fixture
def held(world, net, sec):
    """Partner A: sales holds NET-PRO (expires in 30 days) and SEC-PRO (expired yesterday);
    finance holds NET-PRO twice (a renewal earned early); a former member holds NET-PRO.
    Partner B's admin holds SEC-PRO."""
    users = world.users
    former = UserFactory(email="former@a.test", full_name="Former Member")
    MembershipFactory(user=former, partner=world.partner, role="sales", is_active=False)
    return {
        "sales_net": _cert(
            users["partner_sales"], net, earned=TODAY - 300 * DAY, expires=TODAY + 30 * DAY
        ),
        "sales_sec": _cert(
            users["partner_sales"], sec, earned=TODAY - 365 * DAY, expires=TODAY - DAY
        ),
        "finance_old": _cert(
            users["partner_finance"], net, earned=TODAY - 700 * DAY, expires=TODAY + 20 * DAY
        ),
        "finance_new": _cert(
            users["partner_finance"], net, earned=TODAY - 10 * DAY, expires=TODAY + 740 * DAY
        ),
        "former": _cert(former, net, earned=TODAY - 10 * DAY, expires=TODAY + 700 * DAY),
        "other": _cert(
            users["other_partner"], sec, earned=TODAY - 10 * DAY, expires=TODAY + 300 * DAY
        ),
    }


def _certified_section(response) -> str:
    body = response.content.decode()
    start = body.index('id="certified"')
    return body[start : body.index("</section>", start)]


def _page(world, role):
    return world.client(role).get(reverse("partner_detail", kwargs={"code": world.partner.code}))


# --- the 360° page and the partner's own page -------------------------------------------------


@pytest.mark.parametrize("role", ["cm_assigned", "partner_admin", "partner_sales"])
def test_certified_people_count_valid_certificates_of_current_members(world, held, role):
    response = _page(world, role)
    groups = response.context["certified"]
    assert [(g.certification.code, g.count) for g in groups] == [("NET-PRO", 2)]
    (group,) = groups
    by_holder = {c.user.email: c for c in group.certificates}
    # the expired SEC-PRO and the former member are not listed; the renewal shows once
    assert set(by_holder) == {"finance@a.test", "sales@a.test"}
    assert by_holder["finance@a.test"].pk == held["finance_new"].pk
    assert by_holder["sales@a.test"].expires_soon
    assert not by_holder["finance@a.test"].expires_soon
    section = _certified_section(response)
    assert "Networking Pro (NET-PRO): 2 people" in section
    assert "Former Member" not in section
    assert "Security Pro" not in section


def test_vendor_staff_get_every_pdf_link_and_partner_users_only_their_own(world, held):
    vendor = _certified_section(_page(world, "cm_assigned"))
    for key in ("sales_net", "finance_new"):
        assert reverse("certificate_pdf", kwargs={"pk": held[key].pk}) in vendor
    sales = _certified_section(_page(world, "partner_sales"))
    assert reverse("certificate_pdf", kwargs={"pk": held["sales_net"].pk}) in sales
    assert reverse("certificate_pdf", kwargs={"pk": held["finance_new"].pk}) not in sales


def test_a_certificate_expiring_today_no_longer_counts(world, net):
    _cert(world.users["partner_sales"], net, earned=TODAY - 700 * DAY, expires=TODAY)
    assert _page(world, "partner_admin").context["certified"] == []
    assert "No certified people yet" in _page(world, "partner_admin").content.decode()


def test_a_member_who_leaves_stops_counting(world, net, held):
    Membership.objects.filter(user=world.users["partner_finance"]).update(is_active=False)
    groups = _page(world, "vendor_admin").context["certified"]
    assert [c.user.email for c in groups[0].certificates] == ["sales@a.test"]


# --- my certificates and the PDF ---------------------------------------------------------------


def test_my_certificates_lists_only_my_own_valid_and_expired(world, held):
    response = world.client("partner_sales").get(reverse("certificate_list"))
    assert response.status_code == 200
    rows = response.context["certificates"]
    assert [c.pk for c in rows] == [held["sales_net"].pk, held["sales_sec"].pk]
    assert [c.valid for c in rows] == [True, False]
    body = response.content.decode()
    assert "Expired" in body
    assert "expires in 30 days" in body
    assert reverse("certificate_pdf", kwargs={"pk": held["sales_net"].pk}) in body


def test_vendor_staff_have_no_certificates_page(world):
    assert world.client("cm_assigned").get(reverse("certificate_list")).status_code == 403


def _inflated(pdf: bytes) -> bytes:
    out = b""
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            out += zlib.decompress(match.group(1))
        except zlib.error:
            continue
    return out


def _titles(pdf: bytes) -> list[str]:
    """The document's and the outline's titles (plain or UTF-16 strings)."""
    data = _inflated(pdf) + pdf
    found = [t.decode("latin-1") for t in re.findall(rb"/Title \(([^)]*)\)", data)]
    found += [
        bytes.fromhex(t.decode()).decode("utf-16-be")
        for t in re.findall(rb"/Title <feff([0-9a-fA-F]+)>", data)
    ]
    return found


@pytest.mark.parametrize(
    ("language", "lang", "title"),
    [
        ("en", b"en", "Certificate: Networking Pro"),
        ("zh-hant", b"zh-Hant", "證書：Networking Pro"),
    ],
)
def test_the_holder_downloads_the_pdf_in_their_language(world, held, language, lang, title):
    user = world.users["partner_sales"]
    user.language = language
    user.save(update_fields=["language"])
    response = world.client("partner_sales").get(
        reverse("certificate_pdf", kwargs={"pk": held["sales_net"].pk})
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    number = f"NET-PRO-{held['sales_net'].pk:06d}"
    assert response["Content-Disposition"] == f'attachment; filename="certificate-{number}.pdf"'
    pdf = response.content
    assert pdf.startswith(b"%PDF-")
    assert b"/Lang (" + lang + b")" in _inflated(pdf)
    assert title in _titles(pdf)


def test_the_certificate_html_carries_holder_dates_and_number(world, held):
    from enablement.certificate_pdf import certificate_html

    certificate = held["sales_net"]
    html = certificate_html(certificate, language="en")
    assert world.users["partner_sales"].get_full_name() in html
    assert "Networking Pro (NET-PRO)" in html
    assert certificate.expires.isoformat() in html
    assert f"NET-PRO-{certificate.pk:06d}" in html
    chinese = certificate_html(certificate, language="zh-hant")
    assert 'lang="zh-Hant"' in chinese
    import weasyprint

    # one A4 landscape page
    assert len(weasyprint.HTML(string=chinese).render().pages) == 1


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("partner_sales", 404),  # not theirs: the finance colleague's
        ("partner_admin", 404),  # a colleague's, even for the partner's admin
        ("other_partner", 404),
        ("cm_unassigned", 404),
        ("cm_assigned", 200),
        ("vendor_admin", 200),
    ],
)
def test_only_the_holder_and_vendor_staff_who_see_the_partner_download(world, held, role, status):
    url = reverse("certificate_pdf", kwargs={"pk": held["finance_new"].pk})
    assert world.client(role).get(url).status_code == status


def test_a_former_members_certificate_is_out_of_vendor_staff_reach_through_that_partner(
    world, held
):
    url = reverse("certificate_pdf", kwargs={"pk": held["former"].pk})
    assert world.client("cm_assigned").get(url).status_code == 404


# --- the API -------------------------------------------------------------------------------------

API = "/api/v1/learning/certifications/"


def test_api_gives_the_callers_certificates(world, held):
    response = world.client("partner_sales").get(API)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["certification"], r["valid"]) for r in rows] == [
        ("NET-PRO", True),
        ("SEC-PRO", False),
    ]
    first = rows[0]
    assert first == {
        "id": held["sales_net"].pk,
        "certification": "NET-PRO",
        "certification_name": "Networking Pro",
        "email": "sales@a.test",
        "name": world.users["partner_sales"].get_full_name(),
        "earned": held["sales_net"].earned.isoformat(),
        "expires": held["sales_net"].expires.isoformat(),
        "valid": True,
    }


def test_api_for_vendor_staff_gives_a_partners_members_certificates(world, held):
    response = world.client("cm_assigned").get(API, {"partner": "P-A"})
    assert response.status_code == 200
    pairs = [(r["email"], r["certification"], r["valid"]) for r in response.json()["results"]]
    assert pairs == [
        ("finance@a.test", "NET-PRO", True),
        ("finance@a.test", "NET-PRO", True),
        ("sales@a.test", "NET-PRO", True),
        ("sales@a.test", "SEC-PRO", False),
    ]
    # without a partner: every partner the channel manager sees (only P-A)
    everything = world.client("cm_assigned").get(API).json()
    assert everything["count"] == 4
    assert world.client("vendor_admin").get(API).json()["count"] == 5


@pytest.mark.parametrize(
    ("role", "code"),
    [
        ("cm_unassigned", "P-A"),
        ("cm_assigned", "P-B"),
        ("partner_admin", "P-B"),
        ("other_partner", "P-A"),
        ("vendor_admin", "NOPE"),
    ],
)
def test_api_answers_404_for_a_partner_out_of_reach(world, held, role, code):
    assert world.client(role).get(API, {"partner": code}).status_code == 404


def test_api_with_a_token_and_no_session(world, held):
    from prm.accounts.services import api_token_rotate

    _token, raw = api_token_rotate(user=world.users["other_partner"])
    response = world.client("anonymous").get(API, HTTP_AUTHORIZATION=f"Token {raw}")
    assert response.status_code == 200
    assert [r["certification"] for r in response.json()["results"]] == ["SEC-PRO"]
    assert response.json()["results"][0]["email"] == "admin@b.test"


def test_api_schema_documents_the_endpoint(world):
    response = world.client("vendor_admin").get(reverse("schema"), HTTP_ACCEPT="application/json")
    schema = response.json()
    operation = schema["paths"]["/api/v1/learning/certifications/"]["get"]
    assert any(p["name"] == "partner" for p in operation["parameters"])


def test_earning_through_the_service_shows_on_the_page(world, net):
    certificate_earn(user=world.users["partner_admin"], certification=net, earned=TODAY)
    groups = _page(world, "cm_assigned").context["certified"]
    assert [c.user.email for c in groups[0].certificates] == ["admin@a.test"]


def _more_certified(world, net, n):
    for i in range(n):
        user = UserFactory(email=f"more{i}-{Certificate.objects.count()}@a.test")
        MembershipFactory(user=user, partner=world.partner, role="sales")
        _cert(user, net, earned=TODAY - DAY, expires=TODAY + 90 * DAY)


def _queries(client, url, data=None) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url, data or {})
    return len(captured.captured_queries)


def test_api_and_my_certificates_run_constant_queries(world, held, net):
    vendor = world.client("cm_assigned")
    sales = world.client("partner_sales")
    vendor.get(API, {"partner": "P-A"})
    sales.get(reverse("certificate_list"))
    api_queries = _queries(vendor, API, {"partner": "P-A"})
    page_queries = _queries(sales, reverse("certificate_list"))
    _more_certified(world, net, 15)
    _cert(world.users["partner_sales"], net, earned=TODAY - 900 * DAY, expires=TODAY - 170 * DAY)
    assert _queries(vendor, API, {"partner": "P-A"}) == api_queries
    assert vendor.get(API, {"partner": "P-A"}).json()["count"] == 20
    assert _queries(sales, reverse("certificate_list")) == page_queries
    assert len(sales.get(reverse("certificate_list")).context["certificates"]) == 3
