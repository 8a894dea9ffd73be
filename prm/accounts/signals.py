"""Language preference follows the user: applied at login, kept when they switch."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import translation


@receiver(user_logged_in)
def activate_user_language(sender, request, user, **kwargs) -> None:
    if user.language:
        translation.activate(user.language)
        request.LANGUAGE_CODE = user.language
