"""Template tags of the partner pages written in Python: a partner select's options, and the
review and statement badges that replaced per-row templates."""

import pytest
from django.template import Context, RequestContext, Template
from django.utils import translation

from partners.models import BusinessReview
from partners.selectors import partner_choice_rows

from ..factories import PartnerFactory

ROWS = [("P-1", "Acme <Trading>", "甲公司"), ("P-2", "Bravo & Co", "")]


def _render(source: str, **context) -> str:
    return Template("{% load partner_tags %}" + source).render(Context(context))


def test_partner_options_escape_and_mark_the_chosen_partner():
    html = _render(
        "{% partner_options rows chosen %}", rows=ROWS, chosen=PartnerFactory.build(code="P-2")
    )
    assert html == (
        '<option value="P-1">P-1 · Acme &lt;Trading&gt;</option>'
        '<option value="P-2" selected>P-2 · Bravo &amp; Co</option>'
    )
    assert "selected" not in _render("{% partner_options rows chosen %}", rows=ROWS, chosen=None)


def test_partner_options_use_the_chinese_name_where_there_is_one():
    with translation.override("zh-hant"):
        html = _render("{% partner_options rows %}", rows=ROWS)
    assert "P-1 · 甲公司" in html
    assert "P-2 · Bravo &amp; Co" in html


@pytest.mark.django_db
def test_partner_choice_rows_are_the_partners_the_user_sees(world):
    PartnerFactory(code="P-0", name="Zero", local_name="")
    everyone = partner_choice_rows(user=world.users["vendor_admin"])
    assert [row[0] for row in everyone] == ["P-0", "P-A", "P-B"]
    assert everyone[1] == ("P-A", "Acme Trading", world.partner.local_name)
    assert partner_choice_rows(user=world.users["cm_assigned"]) == [everyone[1]]
    assert partner_choice_rows(user=world.users["cm_unassigned"]) == []
    assert len(partner_choice_rows(user=world.users["vendor_admin"], limit=2)) == 2


@pytest.mark.parametrize(
    ("status", "css"),
    [
        ("held", "text-bg-success"),
        ("scheduled", "bg-primary-subtle text-primary-emphasis border border-primary-subtle"),
        ("cancelled", "bg-secondary-subtle text-secondary-emphasis border"),
    ],
)
def test_review_status_badge(status, css):
    review = BusinessReview(status=status)
    html = _render("{{ review|review_status_badge:overdue }}", review=review, overdue=False)
    assert html == f'<span class="badge rounded-pill {css}">{review.get_status_display()}</span>'
    overdue = _render("{{ review|review_status_badge:overdue }}", review=review, overdue=True)
    assert overdue.startswith(html)
    assert (
        'review-overdue"><i class="bi bi-alarm" aria-hidden="true"></i> Overdue</span>' in overdue
    )


@pytest.mark.parametrize(
    ("sort", "link", "aria", "caret"),
    [
        ("code", "?status=active&amp;sort=-code", ' aria-sort="ascending"', "caret-up-fill"),
        ("-code", "?status=active&amp;sort=code", ' aria-sort="descending"', "caret-down-fill"),
        ("name", "?status=active&amp;sort=code", "", None),
    ],
)
def test_sort_th_links_to_the_other_order_and_marks_the_current_one(rf, sort, link, aria, caret):
    request = rf.get("/partners/", {"status": "active", "page": "3", "sort": sort})
    html = Template(
        '{% load partner_tags %}{% sort_th "code" label "#partner-table" numeric=True %}'
    ).render(RequestContext(request, {"sort": sort, "label": "Code <1>"}))
    assert html.startswith(f'<th scope="col" class="text-nowrap text-end"{aria}><a ')
    assert f'href="{link}" hx-get="{link}" hx-target="#partner-table"' in html
    assert ">Code &lt;1&gt;" in html
    assert (caret is not None and caret in html) or "caret" not in html


@pytest.mark.parametrize(
    "data",
    [{}, {"status": "active", "risk": "high"}, {"status": "nonsense"}, {"attainment": "none"}],
)
def test_filter_select_writes_what_the_field_renders_in_each_language(data):
    from partners.forms import PartnerFilterForm
    from partners.selectors.directory import PartnerFilterOptions
    from partners.templatetags.partner_tags import _filter_select

    options = PartnerFilterOptions(tiers=[], territories=[], account_managers=[])
    source = '{% filter_select form.status "col-6" %}{% filter_select form.attainment "col-6" %}'
    written = {}
    for language in ["en", "zh-hant", "en"]:
        with translation.override(language):
            form = PartnerFilterForm(data, options=options)
            form.filters()
            expected = _filter_select(form["status"], "col-6") + _filter_select(
                form["attainment"], "col-6"
            )
            html = _render(source, form=form)
            assert html == expected
            assert _render(source, form=form) == expected
            written.setdefault(language, html)
            assert written[language] == html
    assert written["en"] != written["zh-hant"]
    if data.get("status") == "nonsense":
        assert 'aria-invalid="true"' in written["en"]
    elif data.get("status"):
        assert '<option value="active" selected>' in written["en"]


def test_sort_th_is_written_for_each_query_string_and_label(rf):
    source = '{% load partner_tags %}{% sort_th "code" label "#partner-table" %}'
    written = []
    for status, label in (("active", "Code"), ("suspended", "Code"), ("active", "代碼")):
        request = rf.get("/partners/", {"status": status, "sort": "code"})
        html = Template(source).render(RequestContext(request, {"sort": "code", "label": label}))
        assert f'href="?status={status}&amp;sort=-code"' in html
        assert f">{label} <i" in html
        written.append(html)
    assert len(set(written)) == 3


@pytest.mark.parametrize(
    "query",
    ["", "status=active&risk=high", "status=nonsense&flagged=on", "tier=gold&attainment=none"],
)
def test_directory_filter_bar_is_what_its_form_writes_in_each_language(query):
    from django.http import QueryDict

    from partners.forms import PartnerFilterForm
    from partners.models import Territory, Tier
    from partners.selectors.directory import PartnerFilterOptions
    from partners.templatetags.partner_tags import _filter_select
    from partners.views.directory import (
        COLUMN_FILTER_WIDTH,
        FILTER_SELECTS,
        partner_filter_bar,
    )

    data = QueryDict(query)
    gold = Tier(code="gold", name="Gold", local_name="金牌")
    options = PartnerFilterOptions(
        tiers=[gold], territories=[Territory(code="TW", name="Taiwan")], account_managers=[]
    )
    written = {}
    for language in ["en", "zh-hant", "en"]:
        with translation.override(language):
            form = PartnerFilterForm(data, options=options)
            filters = form.filters()
            selects = [_filter_select(form[name], width) for name, width in FILTER_SELECTS]
            selects += [_filter_select(f, COLUMN_FILTER_WIDTH) for f in form.column_fields]
            bar = partner_filter_bar(data, options)
            assert bar.filters == filters
            assert bar.selects == "\n    ".join(selects)
            assert bar.flagged == str(form["flagged"])
            written.setdefault(language, bar.selects)
            assert written[language] == bar.selects
    assert written["en"] != written["zh-hant"]
    assert ">Gold</option>" in written["en"]
    renamed = PartnerFilterOptions(
        tiers=[Tier(code="gold", name="Golden", local_name="金牌")],
        territories=options.territories,
        account_managers=[],
    )
    with translation.override("en"):
        assert ">Golden</option>" in partner_filter_bar(data, renamed).selects


@pytest.mark.parametrize("number", [1, 2, 40])
@pytest.mark.parametrize("query", [{}, {"status": "active", "sort": "-name"}, {"q": "a&b"}])
def test_pagination_is_what_the_pagination_template_writes(rf, number, query):
    from django.core.paginator import Paginator

    include = Template(
        '{% include "partners/partials/_pagination.html" with target="#deal-table" %}'
    )
    tag = Template('{% load partner_tags %}{% pagination page_obj "#deal-table" %}')
    request = rf.get("/deals/", {**query, "page": number})
    for count in (10, 1000, 25_000):
        page = Paginator(range(count), 25).get_page(number)
        for language in ["en", "zh-hant"]:
            with translation.override(language):
                context = {"page_obj": page}
                expected = include.render(RequestContext(request, context)).strip()
                assert tag.render(RequestContext(request, context)).strip() == expected
                if count > 25:
                    assert "page=" in expected


# The category links of the partner's announcement feed as its template wrote them.
_CATEGORY_LINKS_TEMPLATE = """{% load i18n %}{% load nav_url from prm %}
        <a class="list-group-item list-group-item-action d-flex justify-content-between align-items-center{% if not category %} active{% endif %}" href="{% nav_url 'announcement_list' %}"{% if not category %} aria-current="true"{% endif %}>
          {% translate "All categories" %}
          {% if unread_total %}<span class="badge rounded-pill text-bg-primary" id="unread-total">{% blocktranslate count counter=unread_total %}{{ counter }} unread{% plural %}{{ counter }} unread{% endblocktranslate %}</span>{% endif %}
        </a>
        {% for value, label, unread in unread_by_category %}
          <a class="list-group-item list-group-item-action d-flex justify-content-between align-items-center{% if value == category %} active{% endif %}" href="?category={{ value }}"{% if value == category %} aria-current="true"{% endif %}>
            {{ label }}
            {% if unread %}<span class="badge rounded-pill text-bg-primary" data-category="{{ value }}">{% blocktranslate count counter=unread %}{{ counter }} unread{% plural %}{{ counter }} unread{% endblocktranslate %}</span>{% endif %}
          </a>
        {% endfor %}
"""  # noqa: E501


@pytest.mark.parametrize("category", ["", "policy", "price_change"])
@pytest.mark.parametrize("unread", [(0, 0, 0, 0, 0), (1, 0, 2, 0, 1234)])
def test_announcement_category_links_are_what_the_feed_template_wrote(category, unread):
    from partners.models import Announcement

    for language in ["en", "zh-hant", "en"]:
        with translation.override(language):
            context = {
                "unread_by_category": [
                    (value, label, count)
                    for (value, label), count in zip(
                        Announcement.Category.choices, unread, strict=True
                    )
                ],
                "unread_total": sum(unread),
                "category": category,
            }
            expected = Template(_CATEGORY_LINKS_TEMPLATE).render(Context(context))
            written = Template(
                "{% load announcement_category_links from partner_tags %}\n        "
                "{% announcement_category_links unread_by_category unread_total category %}\n"
            ).render(Context(context))
            assert written == expected
