"""The verbs the accounts app records: vendor roles, API tokens and sign-in security, read by
vendor staff only."""

from django.utils.translation import gettext_lazy as _

from prm.core.events import Audience, EventType, register

register(
    EventType(
        "user.vendor_role_changed",
        _(
            "%(actor)s changed the vendor role of %(user)s from %(old_vendor_role)s to "
            "%(vendor_role)s."
        ),
        audience=Audience.VENDOR,
        choices={"vendor_role": "accounts.User.vendor_role"},
    ),
    EventType("api_token.created", _("%(actor)s created an API token."), audience=Audience.VENDOR),
    EventType("api_token.revoked", _("%(actor)s revoked an API token."), audience=Audience.VENDOR),
    EventType(
        "user.login_failed",
        _("A sign-in to this account failed from %(ip)s."),
        audience=Audience.VENDOR,
    ),
    EventType(
        "user.password_changed", _("%(actor)s changed their password."), audience=Audience.VENDOR
    ),
    EventType(
        "user.password_reset",
        _("%(actor)s reset their password by email."),
        audience=Audience.VENDOR,
    ),
    EventType("user.mfa_added", _("%(actor)s added a second factor."), audience=Audience.VENDOR),
    EventType(
        "user.mfa_removed", _("%(actor)s removed a second factor."), audience=Audience.VENDOR
    ),
)
