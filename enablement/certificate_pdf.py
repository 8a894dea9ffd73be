"""A certificate as a PDF, in the reader's language, drawn by WeasyPrint from an HTML template."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import translation

from .models import Certificate


def certificate_number(certificate: Certificate) -> str:
    return f"{certificate.certification.code}-{certificate.pk:06d}"


def certificate_filename(certificate: Certificate) -> str:
    return f"certificate-{certificate_number(certificate)}.pdf"


def certificate_html(certificate: Certificate, *, language: str) -> str:
    with translation.override(language):
        return render_to_string(
            "enablement/certificate_pdf.html",
            {
                "certificate": certificate,
                "number": certificate_number(certificate),
                "holder": certificate.user.get_full_name() or certificate.user.email,
                "language": translation.get_language(),
            },
        )


def certificate_pdf(certificate: Certificate, *, language: str) -> bytes:
    """The certificate of ``certificate`` as PDF bytes, written in ``language``."""
    import weasyprint  # imported on use: loading it takes a while and needs Pango

    return weasyprint.HTML(string=certificate_html(certificate, language=language)).write_pdf()
