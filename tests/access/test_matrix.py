import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from prm.core.access import RoleRequiredMixin

from ..conftest import ROLES
from .matrix import MATRIX, THIRD_PARTY_PREFIXES


def _walk(patterns, prefix="", namespace=""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, route, ns)
        elif isinstance(pattern, URLPattern):
            yield route, f"{namespace}{pattern.name}" if pattern.name else None, pattern


def project_patterns():
    return [
        (route, name, pattern)
        for route, name, pattern in _walk(get_resolver().url_patterns)
        if not route.startswith(THIRD_PARTY_PREFIXES)
    ]


def test_every_url_has_an_entry():
    missing = [f"{route} ({name})" for route, name, _ in project_patterns() if name not in MATRIX]
    assert not missing, f"URL patterns without an access-matrix entry: {missing}"


def test_matrix_has_no_stale_entries():
    names = {name for _, name, _ in project_patterns()}
    assert set(MATRIX) <= names, f"entries for URLs that no longer exist: {set(MATRIX) - names}"


def test_every_project_view_declares_its_access():
    undeclared = []
    for route, name, pattern in project_patterns():
        view = getattr(pattern.callback, "view_class", None) or getattr(
            pattern.callback, "cls", None
        )
        if view is None or not view.__module__.startswith(
            (
                "prm.",
                "partners.",
                "agreements.",
                "commissions.",
                "disputes.",
                "enablement.",
                "engagement.",
            )
        ):
            continue
        declared = getattr(view, "public", False) or getattr(view, "allowed_roles", None)
        if not declared:
            undeclared.append(f"{route} ({name})")
        if getattr(view, "allowed_roles", None) and not (
            issubclass(view, RoleRequiredMixin) or hasattr(view, "permission_classes")
        ):
            undeclared.append(f"{route} ({name}): roles declared but not enforced")
    assert not undeclared, undeclared


CASES = [(name, role) for name in MATRIX for role in ROLES]


@pytest.mark.parametrize(("name", "role"), CASES, ids=[f"{n}-{r}" for n, r in CASES])
def test_access(world, name, role):
    entry = MATRIX[name]
    url = reverse(name, kwargs=entry.kwargs(world))
    client = world.client(role)
    response = getattr(client, entry.method)(url, data=entry.data(world))
    assert response.status_code == entry.expect[role], (
        f"{entry.method.upper()} {url} as {role}: {response.status_code}, "
        f"expected {entry.expect[role]}"
    )
    if response.status_code == 302 and role == "anonymous" and entry.method == "get":
        assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("role", ROLES)
def test_other_partners_objects_answer_404(world, role):
    """A partner user typing another partner's URL gets 404, in pages and in the API."""
    client = world.client(role)
    for name in ("partner_detail", "api:partner-detail", "commitment_partner"):
        response = client.get(reverse(name, kwargs={"code": world.other_partner.code}))
        if role in ("vendor_admin", "other_partner"):
            # The vendor admin sees every partner; other_partner's user belongs to it.
            assert response.status_code == 200
        elif role == "anonymous":
            assert response.status_code in (302, 401)
        else:
            assert response.status_code == 404, (name, role)


@pytest.mark.parametrize(
    ("role", "admin_status"),
    [
        ("anonymous", 302),
        ("vendor_admin", 200),
        ("cm_assigned", 302),
        ("partner_admin", 302),
        ("other_partner", 302),
    ],
)
def test_third_party_entry_points(world, role, admin_status):
    client = world.client(role)
    assert client.get(reverse("account_login")).status_code in (200, 302)
    assert client.get(reverse("admin:index")).status_code == admin_status
