"""The Traditional Chinese catalogue is complete, keeps its placeholders, and is what zh-Hant
users actually see."""

import re

import polib
import pytest
from django.utils.translation import trans_real

from ..catalogue import PO_PATH, catalogue_compile

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
NAV_DASHBOARD_LINK = re.compile(r'<a class="nav-link[^"]*"[^>]*href="/">(.*?)</a>', re.S)


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def _entries() -> list[polib.POEntry]:
    return [entry for entry in polib.pofile(str(PO_PATH)) if not entry.obsolete]


@pytest.fixture(scope="module", autouse=True)
def _compiled_catalogue():
    """Compile the catalogue on a fresh clone (the .mo is not committed) or after an edit, then
    drop Django's cached translations so the new .mo is loaded."""
    catalogue_compile()
    trans_real._translations.clear()
    trans_real._default = None
    yield
    trans_real._translations.clear()
    trans_real._default = None


def test_every_entry_is_translated_and_none_is_fuzzy():
    entries = _entries()
    assert entries
    untranslated = [
        entry.msgid
        for entry in entries
        if (
            (entry.msgid_plural and not all(entry.msgstr_plural.values()))
            or (entry.msgid_plural and not entry.msgstr_plural)
            or (not entry.msgid_plural and not entry.msgstr)
        )
    ]
    fuzzy = [entry.msgid for entry in entries if "fuzzy" in entry.flags]
    assert untranslated == []
    assert fuzzy == []


def test_header_declares_one_plural_form():
    metadata = polib.pofile(str(PO_PATH)).metadata
    assert metadata["Language"] == "zh_Hant"
    assert metadata["Plural-Forms"].replace(" ", "") == "nplurals=1;plural=0;"


def test_placeholders_survive_translation():
    mismatches = []
    for entry in _entries():
        if entry.msgid_plural:
            for index, msgstr in entry.msgstr_plural.items():
                if _placeholders(msgstr) != _placeholders(entry.msgid_plural):
                    mismatches.append((entry.msgid_plural, index, msgstr))
        elif _placeholders(entry.msgstr) != _placeholders(entry.msgid):
            mismatches.append((entry.msgid, None, entry.msgstr))
    assert mismatches == []


@pytest.mark.parametrize(
    ("role", "how", "expected"),
    [
        ("vendor_admin", "accept_language", ["歡迎回來", "開啟合作夥伴名錄", "合作夥伴"]),
        ("vendor_admin", "saved_language", ["歡迎回來", "開啟合作夥伴名錄", "合作夥伴"]),
        ("partner_admin", "accept_language", ["組織資料", "您的客戶經理", "狀態", "等級"]),
        ("partner_admin", "saved_language", ["組織資料", "您的客戶經理", "狀態", "等級"]),
    ],
)
def test_dashboard_renders_in_traditional_chinese(world, role, how, expected):
    if how == "saved_language":
        user = world.users[role]
        user.language = "zh-hant"
        user.save(update_fields=["language"])
        # The saved preference wins over whatever the browser asks for.
        response = world.client(role).get("/", HTTP_ACCEPT_LANGUAGE="en")
    else:
        response = world.client(role).get("/", HTTP_ACCEPT_LANGUAGE="zh-TW")

    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="zh-hant">' in body
    nav_link = NAV_DASHBOARD_LINK.search(body)
    assert nav_link is not None
    assert nav_link.group(1).strip() == "儀表板"
    assert "登出" in body
    for text in expected:
        assert text in body


@pytest.mark.parametrize("role", ["vendor_admin", "partner_admin"])
def test_dashboard_renders_in_english(world, role):
    response = world.client(role).get("/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="en">' in body
    assert "Dashboard" in body
    nav_link = NAV_DASHBOARD_LINK.search(body)
    assert nav_link is not None
    assert nav_link.group(1).strip() == "Dashboard"
    assert not CJK.search(nav_link.group(1))
