"""django-guardian grants for vendor staff (called from services only). Who may reach which
pages is declared once, in prm.core.access."""

from django.db import connections
from django.db.models import Q
from django.db.models.expressions import RawSQL
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
    return queryset.filter(pk__in=managed_partner_ids(user))


def managed_partner_ids(user, using: str = "default") -> RawSQL:
    """The ids of the partners `user` manages, as one SQL subquery for `pk__in` or
    `partner_id__in`. A page scopes a dozen querysets by it, so it is built once per user object
    (a request's user): the permission is looked up first, with whether the user is in any
    group, so that the subquery is a plain semi-join on guardian's user grants (and its group
    grants only for a user in a group), which the database plans in no time and estimates
    right, instead of five joins compiled and planned for every queryset. Without groups the
    subquery reads the grants table alone (its partner ids are foreign keys, so every one is a
    partner); with groups it reads the partners in either grant table."""
    cache = user.__dict__.setdefault("_managed_partner_ids_sql", {})
    if using not in cache:
        from django.contrib.auth.models import Permission
        from django.db.models import Exists

        from .models import Partner, PartnerGroupObjectPermission, PartnerUserObjectPermission

        app_label, codename = MANAGE_PARTNER.split(".")
        user_groups = user.groups.through.objects.using(using).filter(user_id=user.pk)
        found = (
            Permission.objects.using(using)
            .filter(codename=codename, content_type__app_label=app_label)
            .annotate(in_group=Exists(user_groups))
            .values_list("pk", "in_group")
            .first()
        )
        permission_id, in_group = found or (None, False)
        ids = (
            PartnerUserObjectPermission.objects.using(using)
            .filter(user_id=user.pk, permission_id=permission_id)
            .order_by()
            .values("content_object_id")
        )
        if in_group:
            scope = Q(pk__in=ids) | Q(
                pk__in=PartnerGroupObjectPermission.objects.filter(
                    group__user=user.pk, permission_id=permission_id
                ).values("content_object_id")
            )
            ids = Partner.objects.filter(scope).order_by().values("pk")
        cache[using] = ids.query.get_compiler(connection=connections[using]).as_sql()
    sql, params = cache[using]
    return RawSQL(sql, params)  # noqa: S611 (SQL the ORM compiled, values as parameters)
