from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    """Sign-up is by invitation unless PRM_SIGNUP_OPEN is set; mail goes through Celery."""

    def is_open_for_signup(self, request) -> bool:
        return bool(getattr(settings, "ACCOUNT_SIGNUP_OPEN", False))
