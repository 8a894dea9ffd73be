"""django-guardian grants for vendor staff (called from services only). Who may reach which
pages is declared once, in prm.core.access."""

from django.db import connections
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    When,
)
from django.db.models.expressions import RawSQL
from guardian.shortcuts import assign_perm, remove_perm

from prm.core.prepared import PreparedQuery

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


# The permission facts of vendor staff (`_permission_facts`), under the names they have as
# columns of the user's row.
_READ_FACTS = {
    "manage_id": "partner_facts_manage_id",
    "in_group": "partner_facts_in_group",
    "view_all": "partner_facts_view_all",
    "managed_total": "partner_facts_managed_total",
    "partner_total": "partner_facts_partner_total",
}


def _fact_expressions() -> dict:
    """Each permission fact (`_READ_FACTS`' keys) as an expression over the user row (its
    subqueries refer to it as OuterRef("pk")): the id of the manage-partner permission, whether
    the user is in any group, whether the view-all-partners permission is granted to the user or
    one of their groups, on how many partners the user holds the manage-partner permission
    through their own grants and how many partners there are (PartnerGrantTotal)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission

    from .models import PartnerGrantTotal

    user_model = get_user_model()
    app_label = MANAGE_PARTNER.split(".")[0]

    def permission(name: str):
        codename = name.split(".")[1]
        return Permission.objects.filter(codename=codename, content_type__app_label=app_label)

    manage = permission(MANAGE_PARTNER).order_by().values("pk")
    granted = permission(VIEW_ALL_PARTNERS).values("pk")
    own = user_model.user_permissions.through.objects.filter(
        user_id=OuterRef("pk"), permission_id__in=granted
    )
    # The user's groups, a subquery of the group grants' subquery of the user row.
    groups = user_model.groups.through.objects.filter(user_id=OuterRef(OuterRef("pk")))
    through_group = Group.permissions.through.objects.filter(
        permission_id__in=granted, group_id__in=groups.values("group_id")
    )
    managed = PartnerGrantTotal.objects.filter(user_id=OuterRef("pk"), permission_id__in=manage)
    every = PartnerGrantTotal.EVERY_PARTNER
    partners = PartnerGrantTotal.objects.filter(user_id=every, permission_id=every)
    return {
        "manage_id": Subquery(manage[:1], output_field=IntegerField()),
        "in_group": Exists(user_model.groups.through.objects.filter(user_id=OuterRef("pk"))),
        "view_all": ExpressionWrapper(Exists(own) | Exists(through_group), BooleanField()),
        "managed_total": Subquery(managed.values("total")[:1], output_field=IntegerField()),
        "partner_total": Subquery(partners.values("total")[:1], output_field=IntegerField()),
    }


def _permission_facts_query(user: int):
    from django.contrib.auth import get_user_model

    facts = _fact_expressions()
    return (
        get_user_model()
        ._base_manager.filter(pk=user)
        .annotate(**{_READ_FACTS[key]: expression for key, expression in facts.items()})
        .order_by()
        .values_list(*_READ_FACTS.values())
    )


# Read by every request of vendor staff that scopes partners and whose user came without the
# facts: compiled once, and planned once per database connection.
_PERMISSION_FACTS = PreparedQuery(_permission_facts_query, "user", plan_once=True)


def permission_fact_expressions() -> dict:
    """The permission facts (`_fact_expressions`) of a channel manager as functions giving
    expressions over the user row, for prm.accounts.models.read_with_user: the signed-in user of
    a channel manager's request comes with them, and every page that scopes partners reads
    them without a query of its own. NULL for anyone else (the subqueries are not run)."""
    from django.contrib.auth import get_user_model

    channel_manager = get_user_model().VendorRole.CHANNEL_MANAGER

    def for_channel_managers(key: str):
        def make():
            expression = _fact_expressions()[key]
            return Case(
                When(vendor_role=channel_manager, then=expression),
                default=None,
                output_field=expression.output_field,
            )

        return make

    return {name: for_channel_managers(key) for key, name in _READ_FACTS.items()}


def _facts(values) -> dict:
    """The permission facts from their values, in the order of `_READ_FACTS`."""
    facts = dict(zip(_READ_FACTS, values, strict=True))
    facts["in_group"] = bool(facts["in_group"])
    facts["view_all"] = bool(facts["view_all"])
    facts["managed_total"] = facts["managed_total"] or 0
    facts["partner_total"] = facts["partner_total"] or 0
    return facts


def _read_facts(user, using: str) -> dict | None:
    """The permission facts that came with `user` from `using` (`permission_fact_expressions`),
    or None when the user was read without them."""
    if getattr(user, _READ_FACTS["in_group"], None) is None or user._state.db != using:
        return None
    return _facts(getattr(user, name) for name in _READ_FACTS.values())


def _permission_facts(user, using: str = "default") -> dict:
    """What the partner scope of vendor staff needs to know about `user` (`_fact_expressions`),
    cached on the user object (a request's user). A channel manager read by id comes with them
    (`permission_fact_expressions`); anyone else's are read in one query."""
    cache = user.__dict__.setdefault("_partner_permission_facts", {})
    if using not in cache:
        read = _read_facts(user, using)
        if read is None:
            rows = _PERMISSION_FACTS(using=using, user=user.pk)
            read = _facts(rows[0] if rows else [None] * len(_READ_FACTS))
        cache[using] = read
    return cache[using]


def manages_every_partner(user, using: str = "default") -> bool:
    """Whether the grants of the manage-partner permission `user` holds themselves (not
    through a group) are on every partner: the totals the database keeps, read with the
    permission facts (no query of its own)."""
    facts = _permission_facts(user, using)
    every = facts.get("partner_total", 0)
    return every > 0 and facts.get("managed_total", 0) == every


def partner_total(user, using: str = "default") -> int:
    """How many partners there are, as PartnerGrantTotal keeps it, read with the permission
    facts of `user`, vendor staff (no query of its own)."""
    return _permission_facts(user, using)["partner_total"]


def may_view_all_partners(user) -> bool:
    """`user.has_perm(VIEW_ALL_PARTNERS)` (a global grant, to the user or a group of theirs),
    read with the facts the managed-partner scope needs (one query for both)."""
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    if "_perm_cache" in user.__dict__:
        return user.has_perm(VIEW_ALL_PARTNERS)
    return _permission_facts(user)["view_all"]


def managed_scope(user, using: str = "default") -> tuple[int | None, bool]:
    """The id of the manage-partner permission, and whether `user` is in any group: what the
    subquery of the partners `user` manages depends on (read once per user object)."""
    facts = _permission_facts(user, using)
    return facts["manage_id"], facts["in_group"]


def managed_partner_total(user, using: str = "default") -> int:
    """How many partners `user` manages through their own grants of the manage-partner
    permission (not a group's): the number of rows of `managed_partner_ids_query` for a user in
    no group, read with the facts of their scope (no query of its own)."""
    return _permission_facts(user, using)["managed_total"]


def managed_partner_ids_query(
    *, user: int, permission: int | None, in_group: bool, using: str = "default"
):
    """The ids of the partners user `user` manages through permission `permission` (a values
    queryset): the user's grants alone, or, for a user in a group (`in_group`), the partners in
    either grant table."""
    from .models import Partner, PartnerGroupObjectPermission, PartnerUserObjectPermission

    ids = (
        PartnerUserObjectPermission.objects.using(using)
        .filter(user_id=user, permission_id=permission)
        .order_by()
        .values("content_object_id")
    )
    if not in_group:
        return ids
    scope = Q(pk__in=ids) | Q(
        pk__in=PartnerGroupObjectPermission.objects.filter(
            group__user=user, permission_id=permission
        ).values("content_object_id")
    )
    return Partner.objects.filter(scope).order_by().values("pk")


def partner_scope_shape(user) -> tuple:
    """What the partner scope of `user` (partners.selectors.partner_visible_queryset) depends on
    besides the user's id: every partner, the managed ones (read through the grants of the
    manage-partner permission, and its group grants for a user in a group), or none."""
    if not user.is_authenticated or not user.is_active:
        return ("none",)
    if user.is_vendor_admin or (user.is_channel_manager and may_view_all_partners(user)):
        return ("all",)
    if user.is_channel_manager:
        facts = _permission_facts(user)
        return ("managed", facts["manage_id"], facts["in_group"])
    return ("partner",)


def partner_scope_stand_in(shape: tuple, pk: int):
    """An unsaved user with id `pk` whose partner scope has the shape `shape`
    (`partner_scope_shape`), read from the shape rather than looked up for `pk`: the querysets
    scoped by it are those of every user of that shape, with `pk` for the user's id."""
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    kind = shape[0]
    if kind == "all":
        return user_model(pk=pk, vendor_role=user_model.VendorRole.ADMIN, is_active=True)
    stand_in = user_model(pk=pk, vendor_role=user_model.VendorRole.NONE, is_active=kind != "none")
    if kind == "managed":
        stand_in.vendor_role = user_model.VendorRole.CHANNEL_MANAGER
        facts = {"manage_id": shape[1], "in_group": shape[2], "view_all": False}
        stand_in.__dict__["_partner_permission_facts"] = {"default": facts}
    return stand_in


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
        permission_id, in_group = managed_scope(user, using)
        ids = managed_partner_ids_query(
            user=user.pk, permission=permission_id, in_group=in_group, using=using
        )
        cache[using] = ids.query.get_compiler(connection=connections[using]).as_sql()
    sql, params = cache[using]
    return RawSQL(sql, params)  # noqa: S611 (SQL the ORM compiled, values as parameters)
