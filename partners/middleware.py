from .selectors import membership_list_for_user

SESSION_KEY = "current_partner_id"
API_HEADER = "HTTP_X_PARTNER"


def attach_partner_context(request, user) -> None:
    """Set request.memberships, request.membership and request.partner for a partner user.

    The current organisation is the one named in the X-Partner header (API clients), else the one
    chosen in the switcher (kept in the session), else the first membership. A partner the user no
    longer belongs to is never current.
    """
    request.memberships = []
    request.membership = None
    request.partner = None
    request.partner_context_user_id = getattr(user, "pk", None)
    if user is None or not user.is_authenticated or user.vendor_role:
        return
    memberships = membership_list_for_user(user=user)
    request.memberships = memberships
    current = None
    header = request.META.get(API_HEADER)
    if header:
        current = next((m for m in memberships if m.partner.code == header), None)
    elif hasattr(request, "session"):
        chosen = request.session.get(SESSION_KEY)
        current = next((m for m in memberships if m.partner_id == chosen), None)
        if current is None and memberships:
            current = memberships[0]
    if current is not None:
        request.membership = current
        request.partner = current.partner


class CurrentPartnerMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        attach_partner_context(request, getattr(request, "user", None))
        return self.get_response(request)
