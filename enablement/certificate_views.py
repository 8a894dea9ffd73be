"""Certificate pages: a partner user's own certificates at /learning/certificates/, and the PDF of
one certificate (its holder's, or for vendor staff one of a partner they may see)."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone, translation
from django.views import View
from django.views.generic import TemplateView

from prm.core.access import ALL_ROLES, PARTNER_ROLES, RoleRequiredMixin, request_role

from .certificate_pdf import certificate_filename, certificate_pdf
from .certificate_selectors import (
    EXPIRES_SOON_DAYS,
    certificate_get,
    certificate_list_for_user,
)


class CertificateListView(RoleRequiredMixin, TemplateView):
    """The signed-in partner user's certificates, valid and expired, each with its PDF."""

    allowed_roles = PARTNER_ROLES
    template_name = "enablement/certificate_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        certificates = certificate_list_for_user(user=self.request.user)
        for certificate in certificates:
            certificate.valid = certificate.earned <= today < certificate.expires
            certificate.days_left = (certificate.expires - today).days
            certificate.expires_soon = certificate.valid and (
                certificate.days_left <= EXPIRES_SOON_DAYS
            )
        context.update(certificates=certificates, today=today)
        return context


class CertificatePdfView(RoleRequiredMixin, View):
    """One certificate as a PDF in the reader's language; 404 outside the reader's reach."""

    allowed_roles = ALL_ROLES

    def get(self, request, pk: int):
        certificate = certificate_get(user=request.user, role=request_role(request), pk=pk)
        content = certificate_pdf(certificate, language=translation.get_language())
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="{certificate_filename(certificate)}"'
        )
        return response
