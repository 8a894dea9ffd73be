"""django-guardian grants for vendor staff (called from services only). Who may reach which
pages is declared once, in prm.core.access."""

from django.db.models import Q
from guardian.shortcuts import assign_perm, remove_perm

MANAGE_PARTNER = "partners.manage_partner"
VIEW_ALL_PARTNERS = "partners.view_all_partners"


def grant_partner_management(*, user, partner) -> None:
    assign_perm(MANAGE_PARTNER, user, partner)


def revoke_partner_management(*, user, partner) -> None:
    remove_perm(MANAGE_PARTNER, user, partner)


def managed_partners(user, queryset):
    """Partners on which `user` holds the object permission, directly or through a group (not
    global grants). Written as two plain semi-joins on guardian's direct-FK tables, which the
    database answers from their unique indexes, rather than guardian's generic lookup."""
    from .models import PartnerGroupObjectPermission, PartnerUserObjectPermission

    app_label, codename = MANAGE_PARTNER.split(".")
    permission = {
        "permission__codename": codename,
        "permission__content_type__app_label": app_label,
    }
    direct = PartnerUserObjectPermission.objects.filter(user=user, **permission)
    grouped = PartnerGroupObjectPermission.objects.filter(group__user=user, **permission)
    return queryset.filter(
        Q(pk__in=direct.values("content_object_id")) | Q(pk__in=grouped.values("content_object_id"))
    )
