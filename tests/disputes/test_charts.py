"""The report's charts: the geometry helpers, and the SVG the page draws from the same figures as
its tables (labels and values as text, an accessible name, a clear message when empty)."""

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from django.utils import timezone

from disputes.charts import bar_chart, column_chart
from disputes.models import Case
from disputes.services import case_message_add, case_open, case_rate, case_resolve
from disputes.templatetags.cases import column_chart_svg

# --- geometry ----------------------------------------------------------------------------------


def test_columns_scale_to_the_largest_value_and_keep_label_and_value():
    chart = column_chart([("a", 1, "1"), ("b", 4, "4"), ("c", 0, "0")], width=300, height=200)

    a, b, c = chart.columns
    plot = chart.baseline - b.y
    assert b.height == plot > 0
    assert a.height == round(plot / 4)
    assert (c.height, c.y) == (0, chart.baseline)
    assert [(x.label, x.text) for x in chart.columns] == [("a", "1"), ("b", "4"), ("c", "0")]
    assert a.x < b.x < c.x
    assert all(x.x >= 0 and x.x + x.width <= 300 for x in chart.columns)
    assert all(x.y + x.height == chart.baseline for x in chart.columns)
    assert not chart.empty


def test_columns_with_nothing_to_show_are_empty():
    assert column_chart([("a", 0, "0"), ("b", 0, "0")]).empty
    assert column_chart([]).empty


def test_bars_are_a_share_of_the_maximum_and_a_missing_value_draws_no_bar():
    chart = bar_chart(
        [("Ann", [("First", 50, "50%"), ("Then", None, "n/a")]), ("Bo", [("First", 100, "100%")])],
        width=500,
        label_width=100,
        value_width=50,
    )

    (ann_first, ann_then), (bo_first,) = (group.bars for group in chart.groups)
    assert [group.heading for group in chart.groups] == ["Ann", "Bo"]
    assert chart.plot_width == 500 - 110 - 50
    assert bo_first.width == chart.plot_width
    assert ann_first.width == round(chart.plot_width / 2)
    assert (ann_then.value, ann_then.width, ann_then.text) == (None, 0, "n/a")
    # the second series is hatched, so the two differ by more than colour
    assert (ann_first.pattern, ann_then.pattern) == ("solid", "hatch")
    # every bar sits below the previous one, and the value text follows the bar's end
    assert ann_first.y < ann_then.y < bo_first.y < chart.height
    assert ann_first.text_x == chart.plot_x + ann_first.width + 6
    assert [label for _x, label in chart.ticks] == ["0%", "50%", "100%"]
    assert not chart.empty


def test_bars_without_any_value_are_empty_and_values_beyond_the_maximum_are_capped():
    assert bar_chart([("Ann", [("First", None, "—")])]).empty
    assert bar_chart([]).empty
    chart = bar_chart([("Ann", [("First", 130, "130%")])])
    assert chart.groups[0].bars[0].width == chart.plot_width


# --- the report page ---------------------------------------------------------------------------


def _svg(html: str, chart_id: str) -> ET.Element:
    """The inline SVG with `chart_id`, parsed (the template writes it as well-formed XML)."""
    match = re.search(rf'<svg[^>]*\bid="{chart_id}".*?</svg>', html, re.DOTALL)
    assert match, f"no chart {chart_id}"
    return ET.fromstring(match.group(0))  # noqa: S314 (the page under test, not outside input)


def _bars(svg: ET.Element) -> dict[str, dict]:
    """label → {value, text} for each drawn bar."""
    bars = {}
    for bar in svg.iter("g"):
        if "chart-bar" in bar.get("class", "").split():
            texts = {t.get("class"): "".join(t.itertext()) for t in bar.iter("text")}
            bars[bar.get("data-label")] = {
                "value": bar.get("data-value"),
                "text": texts["chart-value"],
                "label": texts["chart-label"],
                "rects": len(list(bar.iter("rect"))),
            }
    return bars


def _assert_named(svg: ET.Element, name: str) -> None:
    """role="img", named by its <title> and described by its <desc> through aria-labelledby."""
    assert svg.get("role") == "img"
    title_id, desc_id = svg.get("aria-labelledby").split()
    title = svg.find("title")
    desc = svg.find("desc")
    assert (title.get("id"), desc.get("id")) == (title_id, desc_id)
    assert title.text == name
    assert desc.text


def _open(world, subject="Q", days_old=0.0, now=None):
    now = now or timezone.now()
    case = case_open(
        actor=world.users["partner_admin"],
        partner=world.partner,
        kind="other",
        subject=subject,
        description="?",
        now=now - dt.timedelta(days=days_old),
    )
    Case.objects.filter(pk=case.pk).update(created_at=now - dt.timedelta(days=days_old))
    return case


@pytest.fixture
def report_cases(world):
    """Open cases of 0, 4 and 4 days; two resolved ones rated 5 and 3; one answered late."""
    now = timezone.now()
    cm = world.users["cm_assigned"]
    _open(world, "fresh", 0.1, now)
    _open(world, "four days", 4, now)
    _open(world, "four days too", 4, now)
    for rating in (5, 3):
        case = _open(world, f"rated {rating}", 20, now)
        case_message_add(case=case, actor=cm, body="On it", now=now - dt.timedelta(days=20))
        case_resolve(case=case, actor=cm, resolution="Done", now=now - dt.timedelta(days=18))
        case_rate(case=case, actor=world.users["partner_admin"], rating=rating)
    return world


def test_the_age_chart_draws_one_labelled_bar_per_band(report_cases):
    html = report_cases.client("cm_assigned").get(reverse("case_report")).content.decode()

    svg = _svg(html, "ages-chart")
    _assert_named(svg, "Open cases by age")
    bars = _bars(svg)
    assert list(bars) == ["Under 1 day", "1–3 days", "3–7 days", "7–14 days", "Over 14 days"]
    assert bars["3–7 days"] == {"value": "2", "text": "2", "label": "3–7 days", "rects": 1}
    assert bars["Under 1 day"]["text"] == "1"
    assert bars["Over 14 days"]["text"] == "0"
    assert "3–7 days: 2" in svg.find("desc").text
    # the tallest bar is the largest band; an empty band has no height
    rects = [g.find("rect") for g in svg.iter("g") if g.get("class") == "chart-bar"]
    assert [int(r.get("height")) for r in rects].index(
        max(int(r.get("height")) for r in rects)
    ) == 2
    assert int(rects[1].get("height")) == 0
    # the table with the same figures stays beside the chart
    assert 'id="case-ages"' in html
    assert "style=" not in re.search(r'<svg[^>]*id="ages-chart".*?</svg>', html, re.DOTALL)[0]


def test_the_sla_chart_shows_each_owners_attainment_as_labelled_percentages(report_cases):
    html = report_cases.client("vendor_admin").get(reverse("case_report")).content.decode()

    svg = _svg(html, "sla-chart")
    _assert_named(svg, "Share of first-response and resolution deadlines met, per channel manager")
    (group,) = [g for g in svg.iter("g") if g.get("class") == "chart-group"]
    assert group.get("data-heading") == report_cases.users["cm_assigned"].full_name
    bars = _bars(group)
    # both rated cases were answered the day they opened and resolved two days later; the two
    # four-day-old ones are still unanswered a day past their first-response deadline (missed),
    # and no resolution deadline of the open ones has come
    assert bars["First response"]["value"] == "50"
    assert bars["First response"]["text"] == "50% (2 of 4)"
    assert bars["Resolution"] == {
        "value": "100",
        "text": "100% (2 of 2)",
        "label": "Resolution",
        "rects": 1,
    }
    # the second series is hatched, not only a different colour
    assert 'fill="url(#sla-chart-hatch)"' in html


def test_an_owner_without_a_due_deadline_gets_a_text_instead_of_a_bar(world):
    _open(world)
    html = world.client("vendor_admin").get(reverse("case_report")).content.decode()

    assert 'id="sla-chart"' not in html
    assert "No deadline has come due yet." in html


def test_the_satisfaction_chart_shows_the_distribution_of_ratings(report_cases):
    html = report_cases.client("cm_assigned").get(reverse("case_report")).content.decode()

    svg = _svg(html, "ratings-chart")
    _assert_named(svg, "Resolutions by the partner's rating, 1 (poor) to 5 (excellent)")
    bars = _bars(svg)
    assert [(label, bar["text"]) for label, bar in bars.items()] == [
        ("1 star", "0"),
        ("2 stars", "0"),
        ("3 stars", "1"),
        ("4 stars", "0"),
        ("5 stars", "1"),
    ]
    assert "Mean rating 4.0 of 5 from 2 ratings." in html
    assert 'id="case-ratings"' in html


def test_without_data_each_chart_says_so_instead_of_drawing_empty_axes(world):
    response = world.client("vendor_admin").get(reverse("case_report"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<svg" not in html.split("<main", 1)[1]
    assert 'id="ages-chart-empty"' in html
    assert "No open cases." in html
    assert "No deadline has come due yet." in html
    assert "No resolution has been rated yet." in html
    # the tables are still there, with zeros
    assert 'id="case-ages"' in html
    assert 'id="case-ratings"' in html


def test_resolved_cases_alone_leave_the_age_chart_empty(report_cases):
    Case.objects.filter(status="open").update(status="closed")
    html = report_cases.client("vendor_admin").get(reverse("case_report")).content.decode()

    assert 'id="ages-chart"' not in html
    assert "No open cases." in html
    assert 'id="ratings-chart"' in html


def test_the_report_page_runs_a_constant_number_of_queries(world, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = world.client("vendor_admin")
    url = reverse("case_report")
    _open(world)
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    for index in range(6):
        _open(world, f"more {index}", days_old=index * 3)
    with django_assert_num_queries(len(captured.captured_queries)):
        assert client.get(url).status_code == 200


def test_the_column_chart_is_written_with_each_column_labelled_and_escaped():
    chart = column_chart([("< 1 day", 2, "2"), ("1-3 days", 4, "4")], width=200, height=100)
    first, second = chart.columns
    svg = column_chart_svg(chart, "age", "Open cases by age", "No open cases.")
    assert svg.startswith(
        '<svg class="img-fluid d-block mb-3" id="age" width="200" height="100" viewBox="0 0 200 '
        '100" font-size="12" role="img" aria-labelledby="age-title age-desc">\n'
        '<title id="age-title">Open cases by age</title>\n'
        '<desc id="age-desc">&lt; 1 day: 2; 1-3 days: 4</desc>\n'
        f'<line x1="0" y1="{chart.baseline}" x2="200" y2="{chart.baseline}"'
    )
    assert (
        f'<g class="chart-bar" data-label="&lt; 1 day" data-value="2">\n<rect x="{first.x}" '
        f'y="{first.y}" width="{first.width}" height="{first.height}" fill="#2c5282"></rect>\n'
        f'<text class="chart-value" x="{first.centre}" y="{first.y - 6}" text-anchor="middle" '
        'font-weight="600" fill="#1e293b">2</text>\n'
        f'<text class="chart-label" x="{first.centre}" y="{chart.baseline + 16}" '
        'text-anchor="middle" fill="#334155">&lt; 1 day</text>\n</g>'
    ) in svg
    assert f'data-label="1-3 days" data-value="4">\n<rect x="{second.x}"' in svg
    empty = column_chart([("a", 0, "0")])
    assert column_chart_svg(empty, "age", "Open cases by age", "No <open> cases.") == (
        '<p class="chart-empty text-body-secondary mb-3" id="age-empty">No &lt;open&gt; cases.</p>'
    )


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_a_chart_coordinate_reads_as_localize_writes_it(language):
    from django.utils.formats import localize
    from django.utils.translation import override

    from disputes.templatetags.cases import _coordinate

    with override(language):
        for value in [*range(-1200, 1200, 7), 999, -999, 1000, 2336, 1234567, 12.5, True]:
            assert _coordinate(value) == str(localize(value))
