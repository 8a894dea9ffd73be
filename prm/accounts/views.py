from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView
from django.views.i18n import set_language

from prm.core.access import ALL_ROLES, RoleRequiredMixin

from .selectors import api_token_get
from .services import api_token_revoke, api_token_rotate, user_set_language


class ProfileView(RoleRequiredMixin, TemplateView):
    """The user's own settings: language, two-factor authentication and the API token."""

    allowed_roles = ALL_ROLES
    template_name = "accounts/profile.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        token = api_token_get(user=self.request.user)
        context["token"] = token
        context["new_token_key"] = self.request.session.pop("new_api_token", None)
        return context


class ApiTokenRotateView(RoleRequiredMixin, View):
    allowed_roles = ALL_ROLES

    def post(self, request):
        _token, secret = api_token_rotate(user=request.user)
        # Shown once on the next page, never again; only its digest is stored.
        request.session["new_api_token"] = secret
        messages.success(request, _("A new API token was created. Copy it now."))
        return redirect("profile")


class ApiTokenRevokeView(RoleRequiredMixin, View):
    allowed_roles = ALL_ROLES

    def post(self, request):
        api_token_revoke(user=request.user, actor=request.user)
        messages.success(request, _("Your API token was revoked."))
        return redirect("profile")


class SetLanguageView(View):
    """Django's set_language, plus the choice saved on the user so it follows them everywhere."""

    public = True

    def post(self, request):
        response = set_language(request)
        language = request.POST.get("language", "")
        if request.user.is_authenticated and language in dict(settings.LANGUAGES):
            user_set_language(user=request.user, language=language)
        if isinstance(response, HttpResponseRedirect):
            return response
        next_url = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            next_url = reverse("dashboard")
        return redirect(next_url)
