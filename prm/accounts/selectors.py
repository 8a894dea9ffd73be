from .models import ApiToken


def api_token_get(*, user) -> ApiToken | None:
    return ApiToken.objects.filter(user=user).first()
