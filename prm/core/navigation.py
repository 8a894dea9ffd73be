"""The navigation bar, written in Python: every page draws it, and as a template its forty-odd
conditions and links cost more than many a page's own content.

The menus are data (`MAIN`, `MORE`, `USER_MENU`): a link's URL name, its label, its icon, when
it is shown (a function of the context) and when it is the current section (the request's path
starts with the link's path). `navbar(context)` writes the HTML; `{% navbar %}` puts it in the
base template.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from django.template.defaulttags import CsrfTokenNode
from django.urls import get_script_prefix
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from prm.core.links import link, nav

_CSRF = CsrfTokenNode()

Shown = Callable[[dict], bool]


def _always(c: dict) -> bool:
    return True


def _vendor(c: dict) -> bool:
    return bool(c["is_vendor"])


def _partner_user(c: dict) -> bool:
    return not c["is_vendor"]


def _vendor_or_partner(c: dict) -> bool:
    return bool(c["is_vendor"] or c["current_partner"])


def _can(name: str) -> Shown:
    def shown(c: dict) -> bool:
        return bool((c["can"] or {}).get(name))

    return shown


@dataclass(frozen=True)
class Link:
    url: str  # URL name, argument-free
    label: object  # lazy translation
    icon: str = ""
    shown: Shown = _always
    # The current section: "exact" (the path is the link's), "prefix" (it starts with it) or ""
    # (never marked).
    current: str = "prefix"
    # aria-current="page" on the current section's link.
    aria: bool = True


HOME = Link("dashboard", _("Dashboard"), current="exact")
PARTNERS = Link("partner_list", _("Partners"), aria=False)
# After the dashboard: the directory for vendor staff, or the partner's own page for its users.
MAIN = (
    Link("agreement_list", _("Agreements"), shown=_vendor_or_partner, aria=False),
    Link("price_sheet", _("Pricing"), shown=_vendor_or_partner, aria=False),
    Link(
        "statement_list",
        _("Payouts"),
        shown=lambda c: _vendor_or_partner(c) and _can("see_payouts")(c),
        aria=False,
    ),
    Link("deal_list", _("Deals"), shown=_can("see_deals")),
    Link("case_list", _("Cases"), shown=_vendor_or_partner),
)

MORE = (
    Link("announcement_list", _("Announcements"), "megaphone"),
    Link("review_list", _("Reviews"), "calendar-event"),
    Link("commitment_home", _("Our commitments"), "patch-check", shown=_vendor),
    Link("commitment_home", _("Our commitments to you"), "patch-check", shown=_partner_user),
    Link("tier_review_list", _("Tier reviews"), "arrow-down-up", shown=_vendor, current=""),
    Link("tier_next", _("Your next tier"), "graph-up-arrow", shown=_partner_user, current=""),
    Link("learning_course_report", _("Learning"), "mortarboard", shown=_vendor, current=""),
    Link("learning_home", _("Courses"), "mortarboard", shown=_partner_user, current=""),
    Link("resource_list", _("Resource library"), "journal-richtext"),
    Link("fund_list", _("Funds"), "piggy-bank", shown=_can("see_funds")),
    Link("board_list", _("Ideas and questions"), "lightbulb"),
    Link("pulse_results", _("Partner pulse"), "heart-pulse", shown=_vendor, current=""),
    Link(
        "pulse_form",
        _("Partner pulse"),
        "heart-pulse",
        shown=lambda c: not c["is_vendor"] and _can("answer_pulse")(c),
        current="",
    ),
    Link(
        "protection_claim_list",
        _("Price protection"),
        "shield-check",
        shown=_can("see_payouts"),
        current="",
    ),
)

USER_MENU = (
    Link("profile", _("Profile and API token"), "gear"),
    Link("admin:index", _("Administration"), "tools", shown=lambda c: bool(c["is_vendor_admin"])),
    Link(
        "certificate_list",
        _("My certificates"),
        "award",
        shown=lambda c: bool(c["current_membership"]),
    ),
    Link("notification_preferences", _("Notification settings"), "bell"),
    Link("mfa_index", _("Two-factor authentication"), "shield-lock"),
    Link("account_change_password", _("Change password"), "key"),
)

LANGUAGES = (("en", "en", "English"), ("zh-hant", "zh-Hant", "繁體中文"))
# Labels written inside f-strings below, where makemessages cannot see a gettext call.
ORGANISATION = _("Organisation")
MORE_LABEL = _("More")
SWITCH_ORGANISATION = _("Switch organisation")
LANGUAGE = _("Language")
NOTIFICATIONS = _("Notifications")
SIGN_OUT = _("Sign out")
MAIN_NAVIGATION = _("Main navigation")
BRAND = _("PRM Portal")
TOGGLE_NAVIGATION = _("Toggle navigation")
ARIA_CURRENT = ' aria-current="page"'
SHORT_LANGUAGE = {"zh-hant": '<span lang="zh-Hant">繁中</span>'}


def _e(value) -> str:
    return conditional_escape(value)


@lru_cache(maxsize=16)
def _words(language: str | None) -> dict[str, str]:
    """The bar's fixed words in `language`, translated and escaped once per process."""
    return {
        name: _e(message)
        for name, message in (
            ("language", LANGUAGE),
            ("notifications", NOTIFICATIONS),
            ("sign_out", SIGN_OUT),
            ("main_navigation", MAIN_NAVIGATION),
            ("brand", BRAND),
            ("toggle_navigation", TOGGLE_NAVIGATION),
            ("organisation", ORGANISATION),
            ("switch_organisation", SWITCH_ORGANISATION),
        )
    }


@lru_cache(maxsize=64)
def _choice_text(language: str | None, model, field: str, value) -> str:
    """`instance.get_<field>_display()` of a `model` instance whose `field` is `value`, escaped:
    looked up once per process and language rather than by hashing every choice's label."""
    return _e(dict(model._meta.get_field(field).flatchoices).get(value, value))


def _is_current(item: Link, path: str) -> bool:
    url = nav(item.url)
    if item.current == "exact":
        return path == url
    if item.current == "prefix":
        return path.startswith(url)
    return False


def _link(item: Link, current: bool, *, dropdown: bool = False) -> str:
    """A menu entry: a link of the bar, or of a dropdown (`dropdown`), marked when `current`."""
    li, css = ("<li>", "dropdown-item") if dropdown else ('<li class="nav-item">', "nav-link")
    icon = f'<i class="bi bi-{item.icon}" aria-hidden="true"></i> ' if item.icon else ""
    return (
        f'{li}<a class="{css}{" active" if current else ""}"'
        f'{ARIA_CURRENT if current and item.aria else ""} href="{nav(item.url)}">'
        f"{icon}{_e(item.label)}</a></li>"
    )


def _csrf_input(context) -> str:
    """What `{% csrf_token %}` writes."""
    return _CSRF.render(context)


def _main_menu(c: dict, path: str) -> str:
    """The bar's menus, from what decides them: the same facts always give the same HTML, so it
    is written once per process for each combination (language, who, where)."""
    partner = c["current_partner"]
    shown = tuple(item.shown(c) for item in MAIN + MORE)
    current = tuple(_is_current(item, path) for item in (HOME, PARTNERS, *MAIN, *MORE))
    return _menus(
        get_language(),
        get_script_prefix(),
        bool(c["is_vendor"]),
        partner.code if partner else None,
        shown,
        current,
    )


@lru_cache(maxsize=1024)
def _menus(
    language: str | None,
    prefix: str,
    is_vendor: bool,
    partner_code: str | None,
    shown: tuple[bool, ...],
    current: tuple[bool, ...],
) -> str:
    home_current, partners_current, *rest = current
    main_current, more_current = rest[: len(MAIN)], rest[len(MAIN) :]
    parts = ['<ul class="navbar-nav me-auto">', _link(HOME, home_current)]
    if is_vendor:
        parts.append(_link(PARTNERS, partners_current))
    elif partner_code:
        parts.append(
            '<li class="nav-item"><a class="nav-link" '
            f'href="{link("partner_detail", partner_code)}">{_e(ORGANISATION)}</a></li>'
        )
    parts += [_link(item, main_current[i]) for i, item in enumerate(MAIN) if shown[i]]
    if is_vendor or partner_code:
        more_shown = shown[len(MAIN) :]
        active = " active" if any(more_current[:2]) else ""
        parts += [
            '<li class="nav-item dropdown">',
            f'<button class="nav-link dropdown-toggle{active}" type="button" '
            'data-bs-toggle="dropdown" aria-expanded="false" id="more-menu">'
            f"{_e(MORE_LABEL)}</button>",
            '<ul class="dropdown-menu" aria-labelledby="more-menu">',
            *(
                _link(item, more_current[i], dropdown=True)
                for i, item in enumerate(MORE)
                if more_shown[i]
            ),
            "</ul>",
            "</li>",
        ]
    parts.append("</ul>")
    return "\n".join(parts)


def _switchers(context, c: dict, request) -> list[str]:
    parts = []
    partner = c["current_partner"]
    memberships = c["user_memberships"]
    csrf = _csrf_input(context)
    next_input = f'<input type="hidden" name="next" value="{_e(request.get_full_path())}">'
    language = get_language()
    words = _words(language)
    if len(memberships) > 1:
        parts += [
            '<li class="nav-item dropdown">',
            '<button class="btn btn-sm btn-outline-light dropdown-toggle" type="button" '
            'data-bs-toggle="dropdown" aria-expanded="false" id="partner-switcher">',
            f'<i class="bi bi-building" aria-hidden="true"></i> <span class="visually-hidden">'
            f'{words["organisation"]}:</span> <span class="navbar-partner-name">'
            f"{_e(partner.display_name if partner else '')}</span>",
            "</button>",
            '<div class="dropdown-menu dropdown-menu-end">',
            f'<form method="post" action="{nav("partner_switch")}">',
            csrf,
            next_input,
            f'<h2 class="dropdown-header h6">{words["switch_organisation"]}</h2>',
        ]
        current_pk = partner.pk if partner else None
        for m in memberships:
            active = " active" if m.partner_id == current_pk else ""
            parts.append(
                f'<button class="dropdown-item{active}" type="submit" name="partner" '
                f'value="{_e(m.partner.code)}">{_e(m.partner.display_name)} '
                f'<small class="text-body-secondary">'
                f"({_choice_text(language, m._meta.model, 'role', m.role)})</small></button>"
            )
        parts += ["</form>", "</div>", "</li>"]
    elif partner:
        name = _e(partner.display_name)
        parts.append(
            '<li class="nav-item navbar-text text-light small navbar-partner text-truncate '
            f'd-none d-xxl-block" title="{name}"><i class="bi bi-building" aria-hidden="true"></i> '
            f"{name}</li>"
        )
    parts += [_language_menu_top(language, get_script_prefix()), csrf, next_input]
    parts.append(_language_buttons(language))
    parts += ["</form>", "</div>", "</li>"]
    return parts


@lru_cache(maxsize=16)
def _language_menu_top(language: str | None, prefix: str) -> str:
    short = SHORT_LANGUAGE.get(language, '<span lang="en">EN</span>')
    return "\n".join(
        [
            '<li class="nav-item dropdown">',
            '<button class="btn btn-sm btn-outline-light dropdown-toggle" type="button" '
            'data-bs-toggle="dropdown" aria-expanded="false" id="language-switcher">',
            f'<i class="bi bi-translate" aria-hidden="true"></i> <span class="visually-hidden">'
            f"{_words(language)['language']}:</span> {short}",
            "</button>",
            '<div class="dropdown-menu dropdown-menu-end">',
            f'<form method="post" action="{nav("set_language")}">',
        ]
    )


@lru_cache(maxsize=16)
def _language_buttons(language: str | None) -> str:
    return "\n".join(
        f'<button class="dropdown-item{" active" if language == code else ""}" type="submit" '
        f'name="language" value="{code}" lang="{lang}">{name}</button>'
        for code, lang, name in LANGUAGES
    )


def _user_menu(context, c: dict, user) -> list[str]:
    partner = c["current_partner"]
    membership = c["current_membership"]
    language, prefix = get_language(), get_script_prefix()
    role = (
        _choice_text(language, membership._meta.model, "role", membership.role)
        if membership
        else _choice_text(language, user._meta.model, "vendor_role", user.vendor_role)
    )
    where = f"{_e(partner.display_name)} · " if partner else ""
    parts = [
        _bell(language, prefix),
        '<li class="nav-item dropdown">',
        '<button class="btn btn-sm btn-light dropdown-toggle" type="button" '
        'data-bs-toggle="dropdown" aria-expanded="false" id="user-menu">',
        f'<i class="bi bi-person-circle" aria-hidden="true"></i> {_e(user.get_short_name())}',
        "</button>",
        '<div class="dropdown-menu dropdown-menu-end">',
        '<span class="dropdown-item-text small text-body-secondary">'
        f"{_e(user.email)}<br>{where}{role}</span>",
        '<hr class="dropdown-divider">',
    ]
    parts.append(_user_links(language, prefix, tuple(item.shown(c) for item in USER_MENU)))
    parts += [
        '<hr class="dropdown-divider">',
        f'<form method="post" action="{nav("account_logout")}">',
        _csrf_input(context),
        '<button class="dropdown-item" type="submit"><i class="bi bi-box-arrow-right" '
        f'aria-hidden="true"></i> {_words(language)["sign_out"]}</button>',
        "</form>",
        "</div>",
        "</li>",
    ]
    return parts


@lru_cache(maxsize=16)
def _bell(language: str | None, prefix: str) -> str:
    """The notification bell, whose badge loads and refreshes itself."""
    badge = nav("notification_badge")
    return "\n".join(
        [
            '<li class="nav-item">',
            f'<a class="btn btn-sm btn-outline-light" href="{nav("notification_list")}" '
            f'id="notification-bell" hx-get="{badge}" hx-trigger="load, every 60s, '
            'notifications-changed from:body" hx-target="#notification-badge" '
            'hx-swap="outerHTML">',
            f'<i class="bi bi-bell" aria-hidden="true"></i><span class="visually-hidden">'
            f'{_words(language)["notifications"]}</span> <span id="notification-badge"></span>',
            "</a>",
            "</li>",
        ]
    )


@lru_cache(maxsize=64)
def _user_links(language: str | None, prefix: str, shown: tuple[bool, ...]) -> str:
    return "\n".join(
        f'<a class="dropdown-item" href="{nav(item.url)}"><i class="bi bi-{item.icon}" '
        f'aria-hidden="true"></i> {_e(item.label)}</a>'
        for i, item in enumerate(USER_MENU)
        if shown[i]
    )


@lru_cache(maxsize=16)
def _head(language: str | None, prefix: str) -> str:
    """The bar's brand and toggler, up to its menus."""
    words = _words(language)
    return "\n".join(
        [
            '<nav class="navbar navbar-expand-xl navbar-dark bg-brand" '
            f'aria-label="{words["main_navigation"]}">',
            '<div class="container-fluid px-xl-4">',
            f'<a class="navbar-brand fw-semibold" href="{nav("dashboard")}"><i '
            f'class="bi bi-diagram-3" aria-hidden="true"></i> {words["brand"]}</a>',
            '<button class="navbar-toggler" type="button" data-bs-toggle="collapse" '
            'data-bs-target="#main-nav" aria-controls="main-nav" aria-expanded="false" '
            f'aria-label="{words["toggle_navigation"]}">',
            '<span class="navbar-toggler-icon"></span>',
            "</button>",
            '<div class="collapse navbar-collapse" id="main-nav">',
        ]
    )


def navbar(context) -> SafeString:
    """The navigation bar's HTML for the template context of a page (its request, user and the
    `navigation` context processor's values)."""
    request = context["request"]
    user = context.get("user")
    signed_in = user is not None and user.is_authenticated
    c = {
        key: context.get(key)
        for key in (
            "is_vendor",
            "is_vendor_admin",
            "can",
            "current_partner",
            "current_membership",
        )
    }
    c["user_memberships"] = context.get("user_memberships") or []
    path = request.path
    parts = [_head(get_language(), get_script_prefix())]
    if signed_in:
        parts.append(_main_menu(c, path))
    else:
        parts.append('<div class="me-auto"></div>')
    parts.append(
        '<ul class="navbar-nav align-items-xl-center gap-2 flex-row flex-wrap py-2 py-xl-0">'
    )
    parts += _switchers(context, c, request)
    if signed_in:
        parts += _user_menu(context, c, user)
    parts += ["</ul>", "</div>", "</div>", "</nav>"]
    return mark_safe("\n".join(parts))  # noqa: S308 - every value above is escaped
