"""The URL × role matrix: for every URL pattern of the project, the answer each role gets.

Adding a URL without an entry here fails `test_every_url_has_an_entry`. Statuses: 200 page,
302 redirect (to the login page for anonymous users, or after a POST), 401/403 refused,
404 not found (another partner's object), 405 wrong method.
"""

from tests.partners import matrix_objects as partner_objects

from . import (
    matrix_announcements,
    matrix_cases,
    matrix_certificates,
    matrix_engagement,
    matrix_funds,
    matrix_learning,
    matrix_notifications,
    matrix_protection,
    matrix_resources,
    matrix_reviews,
    matrix_tiers,
    matrix_voice,
)
from .base import (
    DEAL_PAGE,
    MEMBER_MANAGER_ACTION,
    OWN_DEAL_API,
    OWN_DEAL_PAGE,
    OWN_PARTNER_API,
    OWN_PARTNER_PAGE,
    SIGNED_IN_API,
    SIGNED_IN_PAGE,
    VENDOR_ACTION,
    VENDOR_PAGE,
    Entry,
    _all,
)

MATRIX: dict[str, Entry] = {
    "dashboard": Entry(SIGNED_IN_PAGE),
    "health": Entry(_all(200)),
    "partner_list": Entry(VENDOR_PAGE),
    "partner_detail": Entry(OWN_PARTNER_PAGE, kwargs=lambda w: {"code": w.partner.code}),
    "partner_switch": Entry(
        _all(302, vendor_admin=403, cm_assigned=403, cm_unassigned=403),
        method="post",
        data=lambda w: {"partner": w.partner.code},
    ),
    "profile": Entry(SIGNED_IN_PAGE),
    "api_token_rotate": Entry(_all(302), method="post"),
    "api_token_revoke": Entry(_all(302), method="post"),
    "set_language": Entry(_all(302), method="post", data=lambda w: {"language": "en"}),
    "api:me": Entry(SIGNED_IN_API),
    "api:partner-list": Entry(SIGNED_IN_API),
    "api:partner-detail": Entry(OWN_PARTNER_API, kwargs=lambda w: {"code": w.partner.code}),
    "partner_create": Entry(VENDOR_PAGE),
    "partner_status_change": Entry(
        VENDOR_ACTION,
        method="post",
        kwargs=lambda w: {"code": w.partner.code},
        data=lambda w: {"status": "suspended", "reason": "Overdue payments"},
    ),
    "partner_risk_update": Entry(
        VENDOR_ACTION,
        method="post",
        kwargs=lambda w: {"code": w.partner.code},
        data=lambda w: {
            "risk_rating": "medium",
            "credit_limit": "500000.00",
            "overdue_receivables": "0",
            "reason": "Annual review",
        },
    ),
    "invitation_create": Entry(
        MEMBER_MANAGER_ACTION,
        method="post",
        kwargs=lambda w: {"code": w.partner.code},
        data=lambda w: {"email": "new@a.test", "role": "sales"},
    ),
    "invitation_revoke": Entry(
        MEMBER_MANAGER_ACTION, method="post", kwargs=partner_objects.invitation_pk
    ),
    "invitation_accept": Entry(_all(200), kwargs=partner_objects.invitation_key),
    "membership_role_change": Entry(
        MEMBER_MANAGER_ACTION,
        method="post",
        kwargs=partner_objects.sales_membership_pk,
        data=lambda w: {"role": "finance"},
    ),
    "target_list": Entry(OWN_PARTNER_PAGE, kwargs=lambda w: {"code": w.partner.code}),
    "target_propose": Entry(
        MEMBER_MANAGER_ACTION,
        method="post",
        kwargs=lambda w: {"code": w.partner.code},
        data=partner_objects.current_period_data,
    ),
    "target_proposal_accept": Entry(
        MEMBER_MANAGER_ACTION, method="post", kwargs=partner_objects.partner_proposal_pk
    ),
    "target_proposal_counter": Entry(
        MEMBER_MANAGER_ACTION,
        method="post",
        kwargs=partner_objects.partner_proposal_pk,
        data=lambda w: {"amount": "900000"},
    ),
    "deal_list": Entry(DEAL_PAGE),
    "deal_create": Entry(
        _all(403, anonymous=302, partner_admin=200, partner_sales=200, other_partner=200)
    ),
    "deal_detail": Entry(OWN_DEAL_PAGE, kwargs=partner_objects.deal_pk),
    "deal_approve": Entry(
        VENDOR_ACTION,
        method="post",
        kwargs=partner_objects.deal_pk,
        data=lambda w: {"reason": "Confirmed with the customer", "protection_days": "90"},
    ),
    "deal_reject": Entry(
        VENDOR_ACTION,
        method="post",
        kwargs=partner_objects.deal_pk,
        data=lambda w: {"reason": "Duplicate"},
    ),
    "api:deal-list": Entry(_all(200, anonymous=401, partner_finance=403)),
    "api:deal-detail": Entry(OWN_DEAL_API, kwargs=partner_objects.deal_pk),
    "schema": Entry(_all(200)),
    "api-docs": Entry(_all(200)),
}

# Third-party URL sets, mounted whole. Their own projects test them; the matrix checks the entry
# points users reach (login, admin index) in test_third_party_entry_points.
THIRD_PARTY_PREFIXES = ("admin/", "accounts/")


def _agreement(world):
    """An agreement of partner A with version 1 in force and version 2 awaiting acceptance."""
    import datetime as dt

    from agreements.models import Agreement
    from agreements.services.agreements import (
        Terms,
        agreement_create,
        agreement_version_accept,
        agreement_version_propose,
    )

    existing = Agreement.objects.filter(number="AG-A").first()
    if existing is not None:
        return existing
    admin = world.users["vendor_admin"]
    agreement = agreement_create(
        actor=admin,
        partner=world.partner,
        number="AG-A",
        start=dt.date(2026, 1, 1),
        end=dt.date(2026, 12, 31),
        terms=Terms(effective_date=dt.date(2026, 1, 1)),
    )
    first = agreement.versions.get()
    agreement_version_accept(
        actor=world.users["partner_admin"],
        version=first,
        ip="127.0.0.1",
        seen_hash=first.terms_hash,
    )
    agreement_version_propose(
        actor=admin, agreement=agreement, terms=Terms(effective_date=dt.date(2026, 6, 1))
    )
    return agreement


def _number(world):
    return {"number": _agreement(world).number}


PARTNER_ADMIN_ACTION = _all(403, anonymous=302, partner_admin=302, other_partner=404)

MATRIX.update(
    {
        "agreement_list": Entry(SIGNED_IN_PAGE),
        "agreement_create": Entry(_all(403, anonymous=302, vendor_admin=200)),
        "agreement_detail": Entry(OWN_PARTNER_PAGE, kwargs=_number),
        "agreement_version": Entry(OWN_PARTNER_PAGE, kwargs=lambda w: {**_number(w), "version": 1}),
        "agreement_accept": Entry(PARTNER_ADMIN_ACTION, method="post", kwargs=_number),
        "agreement_question": Entry(
            {**PARTNER_ADMIN_ACTION, "partner_finance": 302}, method="post", kwargs=_number
        ),
        "agreement_terminate": Entry(
            _all(
                403,
                anonymous=302,
                vendor_admin=302,
                cm_assigned=302,
                cm_unassigned=404,
                partner_admin=302,
                other_partner=404,
            ),
            method="post",
            kwargs=_number,
        ),
        "agreement_propose": Entry(_all(403, anonymous=302, vendor_admin=200), kwargs=_number),
        "price_sheet": Entry(
            _all(200, anonymous=302, cm_unassigned=404), data=lambda w: {"partner": "P-A"}
        ),
        "price_export": Entry(
            _all(200, anonymous=302, cm_unassigned=404), data=lambda w: {"partner": "P-A"}
        ),
        "api:pricing": Entry(
            _all(200, anonymous=401, cm_unassigned=404), data=lambda w: {"partner": "P-A"}
        ),
    }
)


def _statement(world):
    """A draft statement of partner A with one line, an import and a recompute request."""
    import datetime as dt
    from decimal import Decimal

    from commissions.models import ImportBatch, RecomputeRequest, Statement, StatementLine

    statement, created = Statement.objects.get_or_create(
        partner=world.partner,
        period="2026-10",
        defaults={
            "period_start": dt.date(2026, 10, 1),
            "period_end": dt.date(2026, 10, 31),
            "currency": "TWD",
        },
    )
    if created:
        StatementLine.objects.create(
            statement=statement, position=1, kind="rule", description="x", amount=Decimal("1.00")
        )
        ImportBatch.objects.create(filename="sales.csv", sha256="0" * 64)
        RecomputeRequest.objects.create(period="2026-10", partner=world.partner, reason="test")
    return statement


def _statement_pk(world):
    return {"pk": _statement(world).pk}


def _import_pk(world):
    from commissions.models import ImportBatch

    _statement(world)
    return {"pk": ImportBatch.objects.get().pk}


def _recompute_pk(world):
    from commissions.models import RecomputeRequest

    _statement(world)
    return {"pk": RecomputeRequest.objects.get().pk}


def _approved_statement_pk(world):
    """An approved statement of partner A (September), for its PDF and acknowledgement."""
    import datetime as dt

    from commissions.models import Statement

    statement, _created = Statement.objects.get_or_create(
        partner=world.partner,
        period="2026-09",
        defaults={
            "period_start": dt.date(2026, 9, 1),
            "period_end": dt.date(2026, 9, 30),
            "currency": "TWD",
            "status": "approved",
        },
    )
    return {"pk": statement.pk}


def _bank_details(world):
    return {
        "bank_name": "Bank",
        "account_holder": "Holder",
        "account_number": "12345678",
        "branch_code": "BANKTWTP",
        "currency": "TWD",
    }


def _payment_import_pk(world):
    from commissions.models import PaymentBatch

    batch = PaymentBatch.objects.create(filename="payments.csv", sha256="0" * 64, status="done")
    return {"pk": batch.pk}


PAYOUT_LIST = _all(200, anonymous=302, partner_sales=403)
PAYOUT_OBJECT = _all(200, anonymous=302, cm_unassigned=404, partner_sales=403, other_partner=404)
VENDOR_ONLY_PAGE = _all(403, anonymous=302, vendor_admin=200, cm_assigned=200, cm_unassigned=200)
VENDOR_ADMIN_ACTION = _all(403, anonymous=302, vendor_admin=302)

MATRIX.update(
    {
        "statement_list": Entry(PAYOUT_LIST),
        "statement_export": Entry(PAYOUT_LIST),
        "statement_detail": Entry(PAYOUT_OBJECT, kwargs=_statement_pk),
        "statement_export_xlsx": Entry(PAYOUT_LIST),
        "statement_pdf": Entry(PAYOUT_OBJECT, kwargs=_approved_statement_pk),
        "statement_acknowledge": Entry(
            _all(403, anonymous=302, partner_admin=302, partner_finance=302, other_partner=404),
            method="post",
            kwargs=_approved_statement_pk,
        ),
        "bank_details": Entry(PAYOUT_OBJECT, kwargs=lambda w: {"code": w.partner.code}),
        "bank_details_edit": Entry(
            _all(403, anonymous=302, vendor_admin=302, partner_admin=302, other_partner=404),
            method="post",
            kwargs=lambda w: {"code": w.partner.code},
            data=_bank_details,
        ),
        "api:statement-acknowledge": Entry(
            _all(403, anonymous=401, partner_admin=200, partner_finance=200, other_partner=404),
            method="post",
            kwargs=_approved_statement_pk,
        ),
        "statement_line_sales": Entry(
            PAYOUT_OBJECT, kwargs=lambda w: {**_statement_pk(w), "position": 1}
        ),
        "statement_line_sales_export": Entry(
            PAYOUT_OBJECT, kwargs=lambda w: {**_statement_pk(w), "position": 1}
        ),
        "statement_unmatched_sales": Entry(PAYOUT_OBJECT, kwargs=_statement_pk),
        "statement_approve": Entry(VENDOR_ADMIN_ACTION, method="post", kwargs=_statement_pk),
        "statement_pay": Entry(VENDOR_ADMIN_ACTION, method="post", kwargs=_statement_pk),
        "statement_recompute": Entry(
            _all(403, anonymous=302, vendor_admin=302, cm_assigned=302, cm_unassigned=404),
            method="post",
            kwargs=_statement_pk,
        ),
        "recompute": Entry(
            VENDOR_ADMIN_ACTION, method="post", data=lambda w: {"period": "2026-10"}
        ),
        "recompute_detail": Entry(
            _all(403, anonymous=302, vendor_admin=200, cm_assigned=200, cm_unassigned=404),
            kwargs=_recompute_pk,
        ),
        "sales_import_list": Entry(VENDOR_ONLY_PAGE),
        "sales_import_detail": Entry(VENDOR_ONLY_PAGE, kwargs=_import_pk),
        "sales_import_rejected": Entry(VENDOR_ONLY_PAGE, kwargs=_import_pk),
        "api:statement-list": Entry(
            _all(200, anonymous=401, partner_sales=403), data=lambda w: {"period": "2026-10"}
        ),
        "api:statement-line-sales": Entry(
            _all(200, anonymous=401, partner_sales=403, cm_unassigned=404, other_partner=404),
            kwargs=lambda w: {**_statement_pk(w), "position": 1},
        ),
        "api:sales-import": Entry(
            _all(403, anonymous=401, vendor_admin=400, cm_assigned=400, cm_unassigned=400),
            method="post",
        ),
        "payment_import_list": Entry(VENDOR_ONLY_PAGE),
        "payment_import_detail": Entry(VENDOR_ONLY_PAGE, kwargs=_payment_import_pk),
        "api:payment-import": Entry(
            _all(403, anonymous=401, vendor_admin=400, cm_assigned=400, cm_unassigned=400),
            method="post",
        ),
        "api:statement-approve": Entry(_all(403, anonymous=401, vendor_admin=400), method="post"),
        "api:recompute": Entry(
            _all(403, anonymous=401, vendor_admin=202, cm_assigned=400, cm_unassigned=400),
            method="post",
            data=lambda w: {"period": "2026-10"},
        ),
    }
)


def _case(world):
    """A case of partner A raised by its sales user, with one message carrying an attachment."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from disputes.models import Case
    from disputes.services import case_message_add, case_open

    existing = Case.objects.filter(partner=world.partner).first()
    if existing is not None:
        return existing
    case = case_open(
        actor=world.users["partner_sales"],
        partner=world.partner,
        kind="other",
        subject="Question",
        description="Why?",
    )
    case_message_add(
        case=case,
        actor=world.users["partner_sales"],
        body="See the file",
        upload=SimpleUploadedFile("note.txt", b"hello", content_type="text/plain"),
    )
    return case


def _case_pk(world):
    return {"pk": _case(world).pk}


def _attachment(world):
    case = _case(world)
    return {"pk": case.pk, "message_pk": case.messages.get().pk}


CASE_OBJECT = _all(200, anonymous=302, cm_unassigned=404, other_partner=404)
CASE_ACTION = _all(302, cm_unassigned=404, other_partner=404)
CASE_VENDOR_ACTION = _all(403, anonymous=302, vendor_admin=302, cm_assigned=302, cm_unassigned=404)
CASE_PARTNER_ACTION = _all(
    403, anonymous=302, partner_admin=302, partner_finance=302, partner_sales=302, other_partner=404
)

MATRIX.update(
    {
        "case_list": Entry(SIGNED_IN_PAGE),
        "case_open": Entry(SIGNED_IN_PAGE),
        "case_report": Entry(VENDOR_PAGE),
        "case_detail": Entry(CASE_OBJECT, kwargs=_case_pk),
        "case_attachment": Entry(CASE_OBJECT, kwargs=_attachment),
        "case_message": Entry(
            CASE_ACTION, method="post", kwargs=_case_pk, data=lambda w: {"body": "Hello"}
        ),
        "case_status": Entry(
            CASE_VENDOR_ACTION,
            method="post",
            kwargs=_case_pk,
            data=lambda w: {"status": "in_progress", "reason": "Looking"},
        ),
        "case_resolve": Entry(
            CASE_VENDOR_ACTION,
            method="post",
            kwargs=_case_pk,
            data=lambda w: {"resolution": "Answered"},
        ),
        "case_rate": Entry(
            CASE_PARTNER_ACTION, method="post", kwargs=_case_pk, data=lambda w: {"rating": "5"}
        ),
        "case_mediation_refer": Entry(
            CASE_VENDOR_ACTION,
            method="post",
            kwargs=_case_pk,
            data=lambda w: {"mediator": "Taipei Arbitration", "started_on": "2026-11-01"},
        ),
        "case_mediation_conclude": Entry(
            CASE_VENDOR_ACTION,
            method="post",
            kwargs=_case_pk,
            data=lambda w: {"outcome": "Split", "ended_on": "2026-11-20"},
        ),
        "case_disclose": Entry(CASE_VENDOR_ACTION, method="post", kwargs=_case_pk),
        "api:case-list": Entry(SIGNED_IN_API),
    }
)

for module in (
    matrix_notifications,
    matrix_reviews,
    matrix_announcements,
    matrix_cases,
    matrix_certificates,
    matrix_tiers,
    matrix_funds,
    matrix_learning,
    matrix_resources,
    matrix_protection,
    matrix_voice,
    matrix_engagement,
):
    MATRIX.update(module.ENTRIES)
