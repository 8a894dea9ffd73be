"""The partner pulse and the ideas board in a real browser, in English and zh-Hant: a partner
admin answers the pulse (a low score), a sales user posts an idea, the other partner votes and
sees no name, vendor staff plan it and read the pulse results. Screenshots and an axe pass on
each page."""

import pytest

from .conftest import login, screenshot_path
from .test_login import _assert_no_critical

pytestmark = pytest.mark.e2e

LOCALES = {"en-US": "en", "zh-TW": "zh-hant"}


def _shot(page, name: str) -> None:
    page.screenshot(path=str(screenshot_path(name)), full_page=True)


@pytest.mark.parametrize("locale", list(LOCALES))
def test_pulse_and_board(new_page, live_server, e2e_world, locale):
    from engagement.defaults import defaults_ensure
    from engagement.models import Post, PulseResponse
    from partners.models import ActionItem

    # A transactional test flushes the rows the first migration wrote.
    defaults_ensure()
    world = e2e_world
    lang = LOCALES[locale]

    admin = new_page(locale)
    login(admin, live_server, world.email("partner_admin"))
    admin.goto(f"{live_server.url}/pulse/")
    _assert_no_critical(admin, f"the pulse form ({lang})")
    admin.click("label[for='id_q_recommend_5']")
    for code in ("pricing", "payouts", "communication", "support", "training"):
        admin.click(f"label[for='id_q_{code}_2']")
    admin.fill("#id_q_comments", "Payout corrections took too long.")
    with admin.expect_navigation():
        admin.click("main button[type=submit]")
    _shot(admin, f"pulse-form-{lang}")
    response = PulseResponse.objects.get(partner=world.partner)
    assert response.recommend == 5
    assert ActionItem.objects.filter(partner=world.partner).count() == 1

    sales = new_page(locale)
    login(sales, live_server, world.email("partner_sales"))
    sales.goto(f"{live_server.url}/community/new/")
    _assert_no_critical(sales, f"the new post form ({lang})")
    sales.select_option("#id_kind", "idea")
    sales.select_option("#id_category", index=1)
    sales.fill("#id_title", "Chinese price sheet PDF")
    sales.fill("#id_body", "Resellers want a printable sheet.")
    with sales.expect_navigation():
        sales.click("main form button[type=submit]")
    post = Post.objects.get(title="Chinese price sheet PDF")

    other = new_page(locale)
    login(other, live_server, world.email("other_partner"))
    other.goto(f"{live_server.url}/community/")
    with other.expect_navigation():
        other.click("#post-list form button[type=submit]")
    html = other.content()
    for name in (world.partner.code, world.partner.name, world.partner.local_name):
        assert name not in html
    _assert_no_critical(other, f"the board ({lang})")
    _shot(other, f"board-list-{lang}")
    post.refresh_from_db()
    assert post.vote_count == 1

    vendor = new_page(locale)
    login(vendor, live_server, world.email("cm_assigned"))
    vendor.goto(f"{live_server.url}/community/{post.pk}/")
    vendor.select_option("#id_status", "planned")
    with vendor.expect_navigation():
        vendor.click("form[action$='/status/'] button[type=submit]")
    _assert_no_critical(vendor, f"a post, vendor side ({lang})")
    _shot(vendor, f"board-post-vendor-{lang}")
    post.refresh_from_db()
    assert post.status == "planned"
    vendor.goto(f"{live_server.url}/pulse/results/")
    _assert_no_critical(vendor, f"the pulse results ({lang})")
    _shot(vendor, f"pulse-results-{lang}")
    assert "Payout corrections took too long." in vendor.content()
