"""An approved statement as a PDF in the reader's language, drawn by WeasyPrint from an HTML
template (the same fonts as the certificates: Noto Sans CJK for Chinese)."""

from __future__ import annotations

from collections import Counter

from django.conf import settings
from django.db.models import Count, F, Sum, Value
from django.db.models.functions import Coalesce, NullIf
from django.template.loader import render_to_string
from django.utils import translation

from partners.models import Membership

from .models import Adjustment, Sale, Statement, StatementLine
from .services.bank import bank_details_current, masked

LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)


def partner_language(partner) -> str:
    """The language most of the partner's payout readers (admins, finance) use."""
    languages = Counter(
        language or settings.LANGUAGE_CODE
        for language in Membership.objects.filter(
            partner=partner,
            is_active=True,
            role__in=[Membership.Role.ADMIN, Membership.Role.FINANCE],
        ).values_list("user__language", flat=True)
    )
    if not languages:
        return settings.LANGUAGE_CODE
    return sorted(languages.items(), key=lambda item: (-item[1], item[0]))[0][0]


def statement_filename(statement: Statement, *, language: str) -> str:
    suffix = "" if language == settings.LANGUAGE_CODE else f"-{language}"
    return f"statement-{statement.partner.code}-{statement.period}{suffix}.pdf"


def sales_summary(statement: Statement) -> list[dict]:
    """The partner's sales and returns invoiced in the statement's period, by the currency they
    were invoiced in and kind (one query): `amount` in that currency, `converted` the same lines
    in the statement's currency."""
    rows = (
        Sale.objects.filter(
            partner_id=statement.partner_id,
            invoice_date__gte=statement.period_start,
            invoice_date__lte=statement.period_end,
        )
        .annotate(invoiced_in=Coalesce(NullIf("original_currency", Value("")), "currency"))
        .values("invoiced_in", "kind")
        .annotate(
            count=Count("id"),
            amount=Sum(Coalesce("original_amount", "net_amount")),
            converted=Sum(F("net_amount")),
        )
        .order_by("invoiced_in", "kind")
    )
    return [
        {
            "currency": row["invoiced_in"],
            "kind": row["kind"],
            "count": row["count"],
            "amount": row["amount"],
            "converted": row["converted"],
        }
        for row in rows
    ]


def statement_context(statement: Statement) -> dict:
    """What the document shows, read once (the lines come prefetched by `statement_get`)."""
    bank = statement.bank_details if statement.status != Statement.Status.DRAFT else None
    if bank is None:
        bank = bank_details_current(partner=statement.partner)
    return {
        "statement": statement,
        "lines": list(statement.lines.all()),
        "adjustments": list(
            Adjustment.objects.filter(statement=statement).order_by("created_at", "id")
        ),
        "sales": sales_summary(statement),
        "bank": masked(bank),
        # Only a statement that carries its negative total out has a next one to name.
        "carried_to": StatementLine.objects.filter(carried_from=statement)
        .select_related("statement")
        .first()
        if statement.carried_forward < 0
        else None,
    }


def statement_html(statement: Statement, *, language: str, context: dict | None = None) -> str:
    context = context if context is not None else statement_context(statement)
    with translation.override(language):
        return render_to_string(
            "commissions/statement_pdf.html",
            {**context, "pdf": True, "language": translation.get_language()},
        )


def statement_pdf(statement: Statement, *, language: str) -> bytes:
    """The statement as PDF bytes, written in `language`."""
    import weasyprint  # imported on use: loading it takes a while and needs Pango

    return weasyprint.HTML(string=statement_html(statement, language=language)).write_pdf()
