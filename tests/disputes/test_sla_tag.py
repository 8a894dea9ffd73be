"""`{% sla_deadlines case sla %}`: a case's countdowns, as the case list, case page and partner
dashboard show them."""

import datetime as dt
from types import SimpleNamespace

from django.template import Context, Template
from django.utils import timezone

DUE = dt.datetime(2026, 12, 7, 1, 30, tzinfo=dt.UTC)
CASE = SimpleNamespace(first_response_due=DUE, resolution_due=DUE + dt.timedelta(days=2))


def _render(**sla) -> str:
    state = {
        "paused": False,
        "first_response_left": None,
        "resolution_left": None,
        "first_breached": False,
        "resolution_breached": False,
        **sla,
    }
    return Template("{% load cases %}{% sla_deadlines case sla %}").render(
        Context({"case": CASE, "sla": state})
    )


def test_running_clocks_carry_their_deadline_in_local_time():
    html = _render(
        first_response_left=dt.timedelta(hours=5, minutes=10),
        resolution_left=dt.timedelta(days=2, hours=3),
    )
    local = timezone.localtime(DUE).isoformat()
    assert html == (
        f'<div class="small">First response: <span data-deadline="{local}">5 h 10 min left</span>'
        "</div>\n"
        '<div class="small">Resolution: <span data-deadline="'
        f'{timezone.localtime(CASE.resolution_due).isoformat()}">2 d 3 h left</span></div>'
    )


def test_a_breached_clock_is_marked_and_a_paused_one_has_no_deadline():
    html = _render(paused=True, resolution_left=dt.timedelta(hours=-5), resolution_breached=True)
    assert html == (
        '<span class="badge text-bg-secondary">Clock paused</span>\n'
        '<div class="small text-danger fw-semibold">Resolution: <span>overdue by 5 h 0 min</span>'
        "</div>"
    )


def test_a_closed_case_shows_nothing():
    assert _render() == ""
