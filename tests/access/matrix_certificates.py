"""Access-matrix entries for certificates: a partner user's own list, one certificate's PDF (its
holder, and vendor staff who may see the holder's partner; anyone else 404), and the API."""

from .base import Entry, _all

# Partner users only: their own certificates.
OWN_CERTIFICATES_PAGE = _all(
    403,
    anonymous=302,
    partner_admin=200,
    partner_finance=200,
    partner_sales=200,
    other_partner=200,
)
# The PDF of partner A's sales user's certificate: the holder and vendor staff who see partner A.
SALES_USER_CERTIFICATE = _all(
    404, anonymous=302, vendor_admin=200, cm_assigned=200, partner_sales=200
)


def _sales_certificate(world):
    import datetime as dt

    from enablement.models import Certification
    from enablement.services import certificate_earn

    certification, _ = Certification.objects.get_or_create(
        code="NET-PRO", defaults={"name": "Networking Pro", "validity_months": 24}
    )
    certificate = certificate_earn(
        user=world.users["partner_sales"], certification=certification, earned=dt.date(2026, 1, 15)
    )
    return {"pk": certificate.pk}


ENTRIES: dict[str, Entry] = {
    "certificate_list": Entry(OWN_CERTIFICATES_PAGE),
    "certificate_pdf": Entry(SALES_USER_CERTIFICATE, kwargs=_sales_certificate),
    "api:certification-list": Entry(_all(200, anonymous=401)),
}
