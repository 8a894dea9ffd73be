"""django-guardian grants for vendor staff (called from services only), and who may reach which
partner pages."""

from guardian.shortcuts import assign_perm, get_objects_for_user, remove_perm

from prm.core.access import VENDOR_ROLES, Role

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


# Who may reach which partner pages, beyond seeing the partner at all (selectors scope that).
# Deals: vendor staff, partner admins and partner sales (finance has no deals).
DEAL_ROLES = VENDOR_ROLES | {Role.PARTNER_ADMIN, Role.PARTNER_SALES}
DEAL_REGISTER_ROLES = frozenset({Role.PARTNER_ADMIN, Role.PARTNER_SALES})
# Inviting users and setting their roles; proposing and answering targets.
MEMBER_MANAGER_ROLES = VENDOR_ROLES | {Role.PARTNER_ADMIN}
TARGET_NEGOTIATOR_ROLES = VENDOR_ROLES | {Role.PARTNER_ADMIN}
