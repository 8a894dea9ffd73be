"""Every event reads as a sentence in the reader's language: each verb recorded anywhere is
declared once in its app's events.py, renders with whatever values it lacks, and no page shows a
dotted code."""

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from disputes.services import case_open, case_rate, case_resolve, case_status_change
from partners.selectors import event_list
from prm.core.events import REGISTRY, Audience, event_record, event_sentence
from prm.core.models import Event

ROOT = Path(settings.BASE_DIR)
SOURCE_DIRS = [
    "prm",
    "partners",
    "agreements",
    "commissions",
    "disputes",
    "enablement",
    "funds",
    "engagement",
]
VERB = re.compile(r"^[a-z_]+\.[a-z_]+$")


def _constants(node) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _constants(node.body) + _constants(node.orelse)
    return []


def _name(func) -> str:
    return getattr(func, "id", None) or getattr(func, "attr", "")


def recorded_verbs() -> set[str]:
    """Every verb the code base records: `verb=` literals in any call, and literals passed to
    a function that takes a `verb` argument and hands it on (`_set_status(a, s, "x.y")`)."""
    trees = [
        ast.parse(path.read_text(encoding="utf-8"))
        for folder in SOURCE_DIRS
        for path in (ROOT / folder).rglob("*.py")
        if "migrations" not in path.parts
    ]
    takes_verb = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                names = [a.arg for a in node.args.args]
                kw_only = [a.arg for a in node.args.kwonlyargs]
                if "verb" in names:
                    takes_verb[node.name] = names.index("verb")
                elif "verb" in kw_only:
                    takes_verb[node.name] = None
    found = set()
    for tree in trees:
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            for keyword in node.keywords:
                if keyword.arg == "verb":
                    found.update(_constants(keyword.value))
            index = takes_verb.get(_name(node.func))
            if index is not None and len(node.args) > index:
                found.update(_constants(node.args[index]))
    return {verb for verb in found if VERB.match(verb)}


def test_every_recorded_verb_is_declared():
    recorded = recorded_verbs()
    # the scan finds the verbs the services record, the dynamic ones included
    assert len(recorded) >= 55
    assert {"agreement.expired", "case.owner_changed", "case.status_changed"} <= recorded
    assert sorted(recorded - set(REGISTRY)) == []


def test_every_declared_verb_is_recorded():
    assert sorted(set(REGISTRY) - recorded_verbs()) == []


def _bare(verb: str) -> Event:
    return Event(verb=verb, target_id="3", before={}, after={})


@pytest.mark.parametrize("verb", sorted(REGISTRY))
@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_a_sentence_renders_without_its_values(verb, language):
    with translation.override(language):
        text = event_sentence(_bare(verb))
    assert text
    assert verb not in text
    assert "%(" not in text


VARIANTS = [
    {},
    {"conflict": True},
    {"source": "program"},
    {"number": "AG-1"},
    {"corrects": "2026-09"},
    {"attachment": True},
    {"recipients": 2, "partners": 2},
    {"kind": "target_reached"},
    {"kind": "first_deal"},
    {"kind": "anniversary", "years": 2},
]


def _sentences(kind) -> set[str]:
    found = {str(kind.sentence)}
    if kind.choose is not None:
        for after in VARIANTS:
            chosen = kind.choose(Event(verb=kind.verb, target_id="3", before={}, after=after))
            if chosen:
                found.add(str(chosen))
    return found


@pytest.mark.parametrize("verb", sorted(REGISTRY))
def test_every_sentence_is_translated(verb):
    kind = REGISTRY[verb]
    with translation.override("en"):
        english = _sentences(kind)
    with translation.override("zh-hant"):
        chinese = _sentences(kind)
    assert len(chinese) == len(english)
    assert not chinese & english


def test_an_undeclared_verb_never_shows_its_code():
    assert event_sentence(_bare("something.new")) == "The system made a change."


@pytest.mark.django_db
def test_a_case_event_names_the_actor_the_case_and_the_translated_values(world):
    actor = world.users["partner_admin"]
    actor.full_name = "Wang Mei-ling"
    actor.save(update_fields=["full_name"])
    case = case_open(
        actor=actor,
        partner=world.partner,
        kind="payout",
        subject="October payout",
        description="Short",
    )
    cm = world.users["cm_assigned"]
    case_status_change(case=case, actor=cm, status="in_progress", reason="Looking")
    case_resolve(case=case, actor=cm, resolution="Paid")
    case_rate(case=case, actor=actor, rating=4)
    number = f"CASE-{case.pk:06d}"

    events = event_list(user=cm, role="channel_manager", partner=world.partner)
    sentences = [event_sentence(e) for e in events]
    assert f"Wang Mei-ling rated the resolution of {number}: 4 of 5." in sentences
    assert f"Wang Mei-ling opened {number}." in sentences
    assert f"{cm} moved {number} from Open to In progress." in sentences
    with translation.override("zh-hant"):
        rated = event_sentence(Event.objects.get(verb="case.rated"))
    assert rated.startswith("Wang Mei-ling")
    assert number in rated
    assert "rated" not in rated


@pytest.mark.django_db
def test_the_filter_escapes_what_users_typed(world):
    event = event_record(
        actor=world.users["partner_admin"],
        verb="action_item.added",
        target=world.partner,
        partner=world.partner,
        after={"title": "<script>alert(1)</script>", "owner": "Lee"},
    )
    html = Template("{% load prm %}{{ event|event_sentence }}").render(Context({"event": event}))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


@pytest.mark.django_db
def test_no_page_shows_a_dotted_code(world):
    """One event of every verb a partner may read, then the dashboards, the profile and the
    agreement page in both languages: sentences everywhere, never a verb."""
    for verb, kind in REGISTRY.items():
        event_record(
            actor=world.users["vendor_admin"],
            verb=verb,
            target=world.partner,
            partner=world.partner if kind.audience == Audience.PARTNER else None,
        )
    every = list(Event.objects.select_related("actor", "partner"))
    for language in ("en", "zh-hant"):
        with translation.override(language):
            listed = Template('{% include "partials/_events.html" with show_partner=True %}')
            content = listed.render(Context({"events": every}))
        assert [verb for verb in REGISTRY if verb in content] == [], language
    pages = [
        ("partner_admin", reverse("dashboard")),
        ("partner_admin", reverse("partner_detail", kwargs={"code": world.partner.code})),
        ("vendor_admin", reverse("dashboard")),
        ("vendor_admin", reverse("partner_detail", kwargs={"code": world.partner.code})),
    ]
    for language in ("en", "zh-hant"):
        for role, url in pages:
            response = world.client(role).get(url, HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 200
            content = response.content.decode()
            shown = [verb for verb in REGISTRY if verb in content]
            assert shown == [], (role, url, language)


def test_values_are_formatted_for_reading():
    target = Event(
        verb="target.proposed",
        target_id="1",
        before={},
        after={"period": "2026-12", "amount": "5200000", "currency": "TWD"},
    )
    assert event_sentence(target) == (
        "The system proposed a target of 5,200,000.00 TWD for 2026-12."
    )
    deal = Event(
        verb="deal.approved",
        target_id="1",
        before={},
        after={"number": "DR-000001", "protected_until": "2027-03-05"},
    )
    assert event_sentence(deal).endswith("the customer is protected until 2027-03-05.")
    status = Event(
        verb="partner.status_changed",
        target_id="1",
        before={"status": "onboarding"},
        after={"status": "active"},
    )
    with translation.override("zh-hant"):
        assert "「啟用中」" in event_sentence(status)


def test_tier_sentences_name_the_tiers_in_the_readers_language():
    notice = Event(
        verb="tier.demotion_notified",
        target_id="1",
        before={},
        after={
            "from_tier": "Gold",
            "local_from_tier": "金級",
            "to_tier": "Silver",
            "local_to_tier": "銀級",
            "effective_on": "2026-07-15",
        },
    )
    assert event_sentence(notice) == (
        "Notice of demotion: the partner no longer meets the requirements of Gold and moves "
        "to Silver on 2026-07-15 unless it meets them again by then."
    )
    with translation.override("zh-hant"):
        chinese = event_sentence(notice)
    assert "金級" in chinese
    assert "銀級" in chinese
    assert "2026-07-15" in chinese
    first = Event(
        verb="tier.promotion_proposed",
        target_id="1",
        before={},
        after={"from_tier": "", "to_tier": "Registered", "local_to_tier": ""},
    )
    assert event_sentence(first) == (
        "The partner qualifies for Registered, its first tier: the promotion awaits the "
        "vendor's approval."
    )
