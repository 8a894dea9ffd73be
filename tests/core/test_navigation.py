"""The navigation bar (prm.core.navigation): what each role is offered, which section is current,
the organisation and language switchers, and escaping."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from partners.models import Membership

from ..factories import MembershipFactory, PartnerFactory

pytestmark = pytest.mark.django_db


def _nav(page: str) -> str:
    return re.search(r"<nav class=\"navbar.*?</nav>", page, re.S).group(0)


def _get(world, role: str, path: str = "/") -> str:
    response = world.client(role).get(path)
    assert response.status_code == 200
    return _nav(response.content.decode())


def _links(nav: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', nav)


MAIN = ["partner_list", "agreement_list", "price_sheet", "statement_list", "deal_list", "case_list"]


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        (
            "vendor_admin",
            [*MAIN, "admin:index", "tier_review_list", "learning_course_report", "fund_list"],
            ["tier_next", "learning_home", "pulse_form", "certificate_list"],
        ),
        (
            "cm_assigned",
            [*MAIN, "tier_review_list", "pulse_results", "protection_claim_list"],
            ["admin:index", "tier_next", "certificate_list"],
        ),
        (
            "partner_admin",
            ["agreement_list", "statement_list", "deal_list", "tier_next", "pulse_form"],
            ["partner_list", "admin:index", "tier_review_list", "pulse_results"],
        ),
        (
            "partner_finance",
            ["statement_list", "protection_claim_list", "certificate_list", "learning_home"],
            ["deal_list", "partner_list", "pulse_form", "admin:index"],
        ),
        (
            "partner_sales",
            ["deal_list", "fund_list", "case_list", "board_list"],
            ["statement_list", "protection_claim_list", "pulse_form", "partner_list"],
        ),
    ],
)
def test_each_role_is_offered_its_own_sections(world, role, shown, hidden):
    links = _links(_get(world, role))
    for name in shown:
        assert reverse(name) in links, name
    for name in hidden:
        assert reverse(name) not in links, name


def test_a_partner_user_reaches_their_organisation_and_a_vendor_the_directory(world):
    partner_nav = _get(world, "partner_admin")
    assert f'href="{reverse("partner_detail", args=[world.partner.code])}"' in partner_nav
    assert world.other_partner.code not in partner_nav
    assert "Acme Trading" in partner_nav  # the current organisation, beside the switchers
    vendor_nav = _get(world, "vendor_admin")
    assert f'href="{reverse("partner_list")}">Partners' in vendor_nav
    assert "Organisation" not in vendor_nav


@pytest.mark.parametrize(
    ("path", "current", "aria"),
    [
        ("/", "dashboard", True),
        ("/deals/", "deal_list", True),
        ("/disputes/", "case_list", True),
        ("/partners/", "partner_list", False),
        ("/agreements/", "agreement_list", False),
        ("/announcements/", "announcement_list", True),
        ("/community/", "board_list", True),
    ],
)
def test_the_current_section_is_marked(world, path, current, aria):
    nav = _get(world, "vendor_admin", path)
    url = reverse(current)
    marked = re.findall(r'class="[^"]*\bactive"[^>]*href="([^"]+)"', nav)
    assert marked == [url]
    assert (f'aria-current="page" href="{url}"' in nav) is aria
    more_active = 'dropdown-toggle active" type="button" data-bs-toggle="dropdown"' in nav
    assert more_active is (current in ("announcement_list", "review_list"))


def test_a_subpage_marks_its_section_and_the_dashboard_only_at_the_root(world):
    nav = _get(world, "vendor_admin", reverse("partner_detail", args=[world.partner.code]))
    assert re.findall(r'class="[^"]*\bactive"[^>]*href="([^"]+)"', nav) == [reverse("partner_list")]


def test_a_member_of_two_organisations_can_switch_and_names_are_escaped(world):
    second = PartnerFactory(code="P-C", name="Charlie <b>&</b> Co")
    user = world.users["partner_sales"]
    MembershipFactory(user=user, partner=second, role=Membership.Role.FINANCE)
    nav = _get(world, "partner_sales", "/deals/?q=<x>")
    assert 'id="partner-switcher"' in nav
    assert 'value="P-A"' in nav
    assert 'value="P-C"' in nav
    assert "Charlie &lt;b&gt;&amp;&lt;/b&gt; Co" in nav
    assert "<b>&</b>" not in nav
    assert re.search(r'class="dropdown-item active" type="submit" name="partner" value="P-A"', nav)
    assert nav.count('name="next" value="/deals/?q=%3Cx%3E"') == 2  # switchers keep the page
    assert nav.count('name="csrfmiddlewaretoken"') == 3  # two switchers and sign-out


def test_one_organisation_shows_no_switcher(world):
    nav = _get(world, "partner_finance")
    assert 'id="partner-switcher"' not in nav
    assert 'title="Acme Trading"' in nav


def test_signed_out_visitors_get_only_the_language_switcher(world, client):
    nav = _nav(client.get(reverse("account_login")).content.decode())
    assert 'id="language-switcher"' in nav
    assert 'id="user-menu"' not in nav
    assert 'id="notification-bell"' not in nav
    assert reverse("partner_list") not in nav
    assert '<div class="me-auto"></div>' in nav


def test_the_user_menu_names_the_user_and_role(world):
    nav = _get(world, "partner_finance")
    assert "finance@a.test<br>Acme Trading · Finance" in nav
    vendor = _get(world, "cm_assigned")
    assert "cm@vendor.test<br>Channel manager" in vendor


def test_labels_follow_the_language(world):
    user = world.users["partner_admin"]
    user.language = "zh-hant"
    user.save(update_fields=["language"])
    nav = _get(world, "partner_admin")
    with translation.override("zh-hant"):
        expected = [translation.gettext(label) for label in ("Dashboard", "Agreements", "Sign out")]
    assert all(label in nav for label in expected)
    assert "Dashboard<" not in nav
    assert 'class="dropdown-item active" type="submit" name="language" value="zh-hant"' in nav


def test_every_label_of_the_bar_is_translated(world):
    from prm.core import navigation

    labels = [
        *(item.label for item in (*navigation.MAIN, *navigation.MORE, *navigation.USER_MENU)),
        navigation.PARTNERS.label,
        navigation.HOME.label,
        *(
            getattr(navigation, name)
            for name in (
                "ORGANISATION",
                "MORE_LABEL",
                "SWITCH_ORGANISATION",
                "LANGUAGE",
                "NOTIFICATIONS",
                "SIGN_OUT",
                "MAIN_NAVIGATION",
                "BRAND",
                "TOGGLE_NAVIGATION",
            )
        ),
    ]
    english = [str(label) for label in labels]
    with translation.override("zh-hant"):
        chinese = [str(label) for label in labels]
    untranslated = [e for e, c in zip(english, chinese, strict=True) if e == c]
    assert untranslated == []
