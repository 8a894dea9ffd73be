"""`{% static %}` from the prm library: Django's URL, looked up once per process, forgotten when
the static settings change."""

from django.template import engines
from django.test import override_settings


def _render(library: str, path: str) -> str:
    load = "{% load static %}" if library == "static" else "{% load static from prm %}"
    source = load + f'{{% static "{path}" %}}|{{% static "{path}" as u %}}{{{{ u }}}}'
    return engines["django"].from_string(source).render({})


def test_same_url_as_djangos_tag():
    for path in ("css/app.css", "vendor/htmx/htmx.min.js", "img/a b&c.svg"):
        assert _render("prm", path) == _render("static", path)
    assert _render("prm", "css/app.css") == "/static/css/app.css|/static/css/app.css"


def test_a_changed_static_setting_is_followed():
    assert _render("prm", "css/app.css").startswith("/static/css/app.css")
    with override_settings(STATIC_URL="/assets/"):
        assert _render("prm", "css/app.css") == "/assets/css/app.css|/assets/css/app.css"
    assert _render("prm", "css/app.css").startswith("/static/css/app.css")
