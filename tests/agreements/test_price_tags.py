"""The price sheet's tags write what the template markup they replace wrote, in every language."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.paginator import Paginator
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import translation

from agreements.pricing import UpcomingChange
from agreements.templatetags.price_tags import (
    price_caption,
    price_pagination,
    price_sheet_form,
    price_sheet_header,
    upcoming_rows,
    upcoming_section,
)

LANGUAGES = ["en", "zh-hant"]

# The markup the tags replace, as the price sheet wrote it.
HEADER = Template(
    """{% load i18n prm %}<div class="page-header">
  <div>
    <h1>{% translate "Pricing" %}{% if sheet_partner %} · {{ sheet_partner.display_name }}{% endif %}</h1>
    <p class="text-body-secondary mb-0">{% blocktranslate with date=on|date:"Y-m-d" %}Net prices on {{ date }}. Open any row to see how its price was derived.{% endblocktranslate %}</p>
  </div>
  {% if sheet_partner %}
    <a class="btn btn-outline-primary" href="{% nav_url 'price_export' %}?{{ request.GET.urlencode }}"><i class="bi bi-download" aria-hidden="true"></i> {% translate "Export CSV" %}</a>
  {% endif %}
</div>"""  # noqa: E501
)
UPCOMING = Template(
    """{% load i18n price_tags %}<section class="card" aria-labelledby="upcoming-heading">
  <h2 class="card-header h6" id="upcoming-heading">{% translate "Upcoming price changes" %}</h2>
  {% if upcoming %}
    <div class="table-responsive">
      <table class="table table-stack mb-0 align-middle">
        {% upcoming_head %}
        <tbody>
          {% upcoming_rows upcoming %}
        </tbody>
      </table>
    </div>
  {% else %}
    <p class="card-body text-body-secondary mb-0">{% translate "No price changes are scheduled." %}</p>
  {% endif %}
</section>"""  # noqa: E501
)
FORM = Template(
    """{% load prm %}<form class="row g-2 align-items-end mb-3" method="get" action="{% nav_url 'price_sheet' %}" role="search"
      {% if sheet_partner %}hx-get="{% nav_url 'price_sheet' %}" hx-target="#price-table" hx-swap="outerHTML" hx-push-url="true" hx-trigger="input changed delay:300ms from:#id_q, change from:#id_line, change from:#id_date, submit"{% endif %}>"""  # noqa: E501
)
CAPTION = Template(
    "{% load i18n %}{% blocktranslate count counter=count %}{{ counter }} product{% plural %}"
    "{{ counter }} products{% endblocktranslate %}"
)
PAGINATION = Template('{% include "partials/_pagination.html" %}')


def _squeezed(text: str) -> str:
    """`text` with each run of white space made one space."""
    return " ".join(text.split())


def _request(query: str = ""):
    return RequestFactory().get(f"/pricing/?{query}" if query else "/pricing/")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("query", ["", "page=2&q=%3Cb%3E+%26+{x}&line=NET", "date=2026-02-03"])
@pytest.mark.parametrize("name", [None, 'Acme <"Taipei"> & {co}'])
def test_price_sheet_header_writes_what_the_template_wrote(language, query, name):
    partner = None if name is None else SimpleNamespace(display_name=name)
    on = dt.date(2026, 2, 3)
    request = _request(query)
    with translation.override(language):
        written = price_sheet_header(partner, on, request.GET.urlencode())
        expected = HEADER.render(Context({"sheet_partner": partner, "on": on, "request": request}))
    assert written == expected
    if name is not None:
        assert "&lt;&quot;Taipei&quot;&gt; &amp; {co}" in written


def _changes() -> list[UpcomingChange]:
    return [
        UpcomingChange(
            sku=f"SW-{i}",
            name=f"Switch <{i}> & {{x}}",
            effective_from=dt.date(2027, 1 + i % 2, 1),
            price_list="Y2027",
            currency="JPY" if i == 2 else "TWD",
            current=None if i == 1 else Decimal("1000.5"),
            new=Decimal("1234567.891"),
            new_map=None,
        )
        for i in range(4)
    ]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("changes", [[], _changes()])
def test_upcoming_section_writes_what_the_template_wrote(language, changes):
    with translation.override(language):
        written = upcoming_section(changes)
        expected = UPCOMING.render(Context({"upcoming": changes}))
    assert written == expected
    if changes:
        assert "Switch &lt;1&gt; &amp; {x}" in written
        assert "1,234,568" in written  # JPY has no minor unit


@pytest.mark.parametrize("language", LANGUAGES)
def test_upcoming_rows_kept_are_those_of_the_values_they_show(language):
    """The rows kept for a list of changes are those of its values: the same values (other
    objects) give the same rows, another name or price other rows."""
    with translation.override(language):
        first = upcoming_rows(_changes())
        again = upcoming_rows(_changes())
        changed = _changes()
        changed[0].name = "Router"
        changed[3].new = Decimal("99")
        written = upcoming_rows(changed)
    assert again == first
    assert written != first
    assert "Router" in written
    assert "99.00" in written


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("count", [3, 10, 25])
@pytest.mark.parametrize("query", ["", "q=%3Cb%3E+%26+{x}%25&line=NET&page=1", "page=2&date=x"])
def test_price_pagination_writes_what_the_include_wrote(language, count, query):
    paginator = Paginator(list(range(count)), 5)
    request = _request(query)
    for number in paginator.page_range:
        page = paginator.page(number)
        with translation.override(language):
            written = price_pagination(page, request.GET)
            expected = PAGINATION.render(Context({"page_obj": page, "request": request}))
        assert written == expected
    with translation.override(language):
        single = Paginator([1], 5).page(1)
        assert price_pagination(single, request.GET) == PAGINATION.render(
            Context({"page_obj": single, "request": request})
        )


def test_price_pagination_keeps_every_parameter_but_the_page():
    paginator = Paginator(list(range(30)), 10)
    request = _request("q=%3Cb%3E+%26&page=2&line=NET")
    with translation.override("en"):
        written = _squeezed(price_pagination(paginator.page(2), request.GET))
    assert 'href="?q=%3Cb%3E%20%26&line=NET&page=1">Previous</a>' in written
    assert "Page 2 of 3" in written
    assert 'href="?q=%3Cb%3E%20%26&line=NET&page=3">Next</a>' in written


@pytest.mark.parametrize("partner", [None, SimpleNamespace(display_name="Acme")])
def test_price_sheet_form_writes_what_the_template_wrote(partner):
    assert price_sheet_form(partner) == FORM.render(Context({"sheet_partner": partner}))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("count", [0, 1, 2, 1234])
def test_price_caption_writes_what_the_template_wrote(language, count):
    with translation.override(language):
        assert price_caption(count) == CAPTION.render(Context({"count": count}))
