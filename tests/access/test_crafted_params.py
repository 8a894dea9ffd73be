"""Crafted query parameters never cause a server error.

For every GET URL of the access matrix, as each role that may see it (a vendor and a partner
role at most), the parameters the view actually reads are found by watching a plain request
(every `request.GET` / `query_params` access, filter forms and django-filter included), then
each is sent with hostile values, one parameter at a time: any answer but a 5xx passes.
"""

from contextlib import contextmanager

import pytest
from django.http import QueryDict
from django.urls import reverse
from django.utils.datastructures import MultiValueDict

from .matrix import MATRIX

HOSTILE = [
    "²",
    "\x00",
    "'",
    "x" * 5000,
    "-1",
    "9999999999999999999999",
    "1e999",
    "NaN",
    "2026-13-45",
    "99999-01",
]
# Keys Django itself reads from every query string; they are not view parameters.
IGNORED = {"csrfmiddlewaretoken", "format"}
GET_PAGES = [name for name, entry in MATRIX.items() if entry.method == "get"]
ROLE_ORDER = ["vendor_admin", "cm_assigned", "partner_admin", "partner_finance", "partner_sales"]


@contextmanager
def parameters_read():
    """Every key looked up in a QueryDict while the block runs."""
    seen: set[str] = set()
    originals = {
        name: getattr(MultiValueDict, name)
        for name in ("get", "__getitem__", "getlist", "__contains__")
    }

    def spy(name):
        original = originals[name]

        def wrapper(self, key, *args, **kwargs):
            if isinstance(self, QueryDict) and isinstance(key, str):
                seen.add(key)
            return original(self, key, *args, **kwargs)

        return wrapper

    for name in originals:
        setattr(MultiValueDict, name, spy(name))
    try:
        yield seen
    finally:
        for name, original in originals.items():
            setattr(MultiValueDict, name, original)


def _roles(entry) -> list[str]:
    """One vendor role and one partner role that get a 200 for this URL."""
    vendor = [r for r in ROLE_ORDER[:2] if entry.expect.get(r) == 200][:1]
    partner = [r for r in ROLE_ORDER[2:] if entry.expect.get(r) == 200][:1]
    roles = vendor + partner
    return roles or (["anonymous"] if entry.expect.get("anonymous") == 200 else [])


@pytest.mark.reliability("attack", "crafted query parameters")
@pytest.mark.parametrize("name", GET_PAGES)
def test_crafted_query_parameters_never_cause_a_server_error(world, name):
    entry = MATRIX[name]
    url = reverse(name, kwargs=entry.kwargs(world))
    roles = _roles(entry)
    assert roles, f"{name}: no role sees it"
    failures = []
    base = entry.data(world)
    for role in roles:
        client = world.client(role)
        with parameters_read() as seen:
            assert client.get(url, base).status_code == entry.expect[role], (name, role)
        params = sorted(seen - IGNORED)
        for param in params:
            for value in HOSTILE:
                response = client.get(url, {**base, param: value})
                if response.status_code >= 500:
                    failures.append(f"{role} {url}?{param}={value[:20]!r}")
            response = client.get(url, {**base, param: ["1", "2"]})
            if response.status_code >= 500:
                failures.append(f"{role} {url}?{param}=1&{param}=2")
    assert not failures, failures


@pytest.mark.reliability("attack", "crafted query parameters")
@pytest.mark.parametrize(
    ("url", "role"),
    [
        ("/disputes/new/?deal=²", "partner_admin"),
        ("/disputes/new/?line=²", "partner_admin"),
        ("/disputes/new/?product=²", "partner_admin"),
        ("/disputes/new/?version=²", "partner_admin"),
        ("/disputes/new/?deal=9999999999999999999999", "partner_admin"),
        ("/deals/?q=%00", "partner_admin"),
        ("/api/v1/deals/?status=%00", "partner_admin"),
    ],
)
def test_reported_crafted_parameters(world, url, role):
    response = world.client(role).get(url)
    assert response.status_code in (200, 400, 404), (url, response.status_code)


@pytest.mark.reliability("attack", "crafted query parameters")
@pytest.mark.parametrize("value", ["²", "9999999999999999999999", "-1"])
def test_agreement_version_compare_with_a_crafted_number(world, value):
    url = reverse("agreement_version", kwargs=MATRIX["agreement_version"].kwargs(world))
    response = world.client("vendor_admin").get(url, {"compare": value})
    assert response.status_code in (200, 400, 404)
