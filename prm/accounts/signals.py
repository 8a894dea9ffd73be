"""Sign-in side effects: the user's language, the session's clocks, and the security log.

Failed sign-ins, password changes and resets, and second factors added or removed are written
to the `prm.security` log and recorded as events. A changed password or a deactivated account
revokes the user's API token, whatever path made the change (the portal, a reset link, the
Django admin, a shell).
"""

import logging

from allauth.account.signals import password_changed, password_reset, password_set
from allauth.mfa.signals import authenticator_added, authenticator_removed
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.utils import translation

from prm.core.events import event_record

from .sessions import SESSION_HAS_TOTP_KEY, session_start

security_log = logging.getLogger("prm.security")
User = get_user_model()


@receiver(user_logged_in)
def activate_user_language(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        session_start(request, user)
    if user.language:
        translation.activate(user.language)
        if request is not None:
            request.LANGUAGE_CODE = user.language


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


@receiver(user_login_failed)
def record_failed_login(sender, credentials, request=None, **kwargs) -> None:
    email = str(credentials.get("email") or credentials.get("username") or "")[:254]
    security_log.warning("Failed sign-in for %r from %s", email, _client_ip(request))
    user = User.objects.filter(email__iexact=email).first() if email else None
    if user is not None:
        event_record(
            actor=None, verb="user.login_failed", target=user, after={"ip": _client_ip(request)}
        )


def _record(verb: str, message: str, request, user, **after) -> None:
    security_log.info(message, user.pk, _client_ip(request))
    event_record(actor=user, verb=verb, target=user, after=after)


@receiver(password_changed)
def record_password_changed(sender, request, user, **kwargs) -> None:
    _record("user.password_changed", "Password changed by user %s from %s", request, user)


@receiver(password_set)
def record_password_set(sender, request, user, **kwargs) -> None:
    _record("user.password_changed", "Password set by user %s from %s", request, user)


@receiver(password_reset)
def record_password_reset(sender, request, user, **kwargs) -> None:
    _record("user.password_reset", "Password reset by user %s from %s", request, user)


@receiver(authenticator_added)
def record_authenticator_added(sender, request, user, authenticator, **kwargs) -> None:
    _record(
        "user.mfa_added",
        "Second factor added by user %s from %s",
        request,
        user,
        type=authenticator.type,
    )


@receiver(authenticator_removed)
def forget_totp_in_session(sender, request, user, authenticator, **kwargs) -> None:
    """The session that removed the authenticator app asks the database again."""
    session = getattr(request, "session", None)
    if session is not None:
        session.pop(SESSION_HAS_TOTP_KEY, None)


@receiver(authenticator_removed)
def record_authenticator_removed(sender, request, user, authenticator, **kwargs) -> None:
    _record(
        "user.mfa_removed",
        "Second factor removed by user %s from %s",
        request,
        user,
        type=authenticator.type,
    )


@receiver(pre_save, sender=User)
def note_credential_change(sender, instance, **kwargs) -> None:
    """AbstractBaseUser.set_password keeps the new raw password until the save."""
    if instance.pk is None:
        return
    if getattr(instance, "_password", None) is not None:
        instance._prm_revoke_tokens_reason = "password changed"
    elif not instance.is_active:
        instance._prm_revoke_tokens_reason = "account deactivated"


@receiver(post_save, sender=User)
def revoke_tokens_on_credential_change(sender, instance, created, **kwargs) -> None:
    reason = instance.__dict__.pop("_prm_revoke_tokens_reason", "")
    if reason and not created:
        from .services import api_token_revoke

        api_token_revoke(user=instance, actor=None, reason=reason)
