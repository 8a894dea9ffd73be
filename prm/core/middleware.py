from django.http import HttpResponseBadRequest
from django.utils.translation import gettext as _


class QueryStringGuardMiddleware:
    """A NUL character in a query string is refused with 400: no text column of PostgreSQL can
    hold it, so every search or filter that passed it on would otherwise end in a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.META.get("QUERY_STRING", "") or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            return HttpResponseBadRequest(
                _("The address contains a character that is not allowed.")
            )
        return self.get_response(request)
