"""django-guardian grants for vendor staff; called from services only."""

from guardian.shortcuts import assign_perm, get_objects_for_user, remove_perm

MANAGE_PARTNER = "partners.manage_partner"
VIEW_ALL_PARTNERS = "partners.view_all_partners"


def grant_partner_management(*, user, partner) -> None:
    assign_perm(MANAGE_PARTNER, user, partner)


def revoke_partner_management(*, user, partner) -> None:
    remove_perm(MANAGE_PARTNER, user, partner)


def managed_partners(user, queryset):
    """Partners on which `user` holds the object permission (not global grants)."""
    return get_objects_for_user(
        user, MANAGE_PARTNER, klass=queryset, accept_global_perms=False, with_superuser=False
    )
