"""Every page carries the security headers; production settings add HSTS and secure cookies."""

import pytest
from django.urls import reverse

from .matrix import MATRIX
from .test_crafted_params import GET_PAGES, _roles

pytestmark = pytest.mark.reliability("attack", "security headers and CSP on every page")


@pytest.mark.parametrize("name", GET_PAGES)
def test_every_page_carries_the_security_headers(world, name):
    entry = MATRIX[name]
    url = reverse(name, kwargs=entry.kwargs(world))
    for role in [*_roles(entry), "anonymous"]:
        response = world.client(role).get(url, entry.data(world))
        csp = response.get("Content-Security-Policy", "")
        assert "default-src 'self'" in csp, (name, role)
        assert "frame-ancestors 'none'" in csp, (name, role)
        assert "script-src 'self'" in csp, (name, role)
        assert response["X-Content-Type-Options"] == "nosniff", (name, role)
        assert response["Referrer-Policy"] == "same-origin", (name, role)
        assert response["X-Frame-Options"] == "DENY", (name, role)
        if role != "anonymous" and response.status_code == 200:
            assert "no-store" in response["Cache-Control"], (name, role)


def test_production_settings_add_hsts_and_secure_cookies(world, settings, monkeypatch):
    import importlib
    import sys

    monkeypatch.setenv("DJANGO_SECRET_KEY", "production-settings-under-test-" + "x" * 40)
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "testserver")
    monkeypatch.delenv("DJANGO_INSECURE_LOCAL_HTTP", raising=False)
    sys.modules.pop("prm.settings.production", None)
    production = importlib.import_module("prm.settings.production")

    for name in (
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_PROXY_SSL_HEADER",
    ):
        setattr(settings, name, getattr(production, name))
    assert production.SECURE_HSTS_SECONDS >= 31536000
    client = world.client("partner_admin")
    response = client.get("/", secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert client.get("/", secure=False).status_code == 301  # plain http is redirected
    login = world.client("anonymous").post(
        reverse("account_login"),
        {"login": "admin@a.test", "password": "correct-horse-battery-staple"},
        secure=True,
    )
    assert login.cookies["sessionid"]["secure"]
    assert login.cookies["sessionid"]["httponly"]
