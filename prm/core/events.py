"""Audit events: writing them, and the registry that says what each verb means.

Services call `event_record` inside their transaction. Each app declares its verbs once, in
`<app>/events.py`, with `register(EventType(...))`: the sentence a reader sees (a lazy
translation with named placeholders filled from the event), who may read it, and which part of
an organisation's pages it belongs to. `event_sentence` renders one event in the active language;
`partners.selectors.event_list` decides who reads which."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .access import PARTNER_ROLES, Role
from .kept import Kept
from .models import Event
from .money import quantize

MISSING = "—"
# Dates in a sentence read as on the rest of the portal's pages.
DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"


class Audience(StrEnum):
    """Who may read an event."""

    # Vendor staff only: internal notes, reminders, and every event about two partners, which
    # belongs to neither of them.
    VENDOR = "vendor"
    # Vendor staff and the partner the event is filed under; nobody outside it.
    PARTNER = "partner"


class Area(StrEnum):
    """The pages an event belongs to; a partner role reads it only if it may open them."""

    GENERAL = "general"
    PAYOUTS = "payouts"
    CASES = "cases"
    DEALS = "deals"


# What each partner role does not read in its organisation's history, as the pages they may
# open (spec: Roles and access): sales users see no payouts and no cases; finance users see no
# deal registrations.
HIDDEN_AREAS: dict[Role, frozenset[Area]] = {
    Role.PARTNER_SALES: frozenset({Area.PAYOUTS, Area.CASES}),
    Role.PARTNER_FINANCE: frozenset({Area.DEALS}),
}


@dataclass(frozen=True)
class EventType:
    """What one verb means to a reader.

    `sentence` is a lazy translation whose named placeholders come from the event: `actor`
    (the actor's name, or "The system"), `partner` (the organisation's name), every key of
    `after`, and every key of `before` prefixed `old_`. `choices` names the model field whose
    choice labels translate a stored value ("status": "disputes.Case.status"); `values` adds or
    replaces placeholders; `choose` picks another sentence for one event (a variant, a plural)."""

    verb: str
    sentence: Any
    audience: Audience = Audience.PARTNER
    area: Area = Area.GENERAL
    choices: Mapping[str, str] = field(default_factory=dict)
    values: Callable[[Event], Mapping[str, Any]] | None = None
    choose: Callable[[Event], Any] | None = None
    icon: str | Callable[[Event], str] = ""


REGISTRY: dict[str, EventType] = {}


def register(*types: EventType) -> None:
    """Declare verbs; a verb is declared once."""
    for kind in types:
        if kind.verb in REGISTRY and REGISTRY[kind.verb] != kind:
            raise ValueError(f"event verb {kind.verb!r} is declared twice")
        REGISTRY[kind.verb] = kind


def event_record(
    *,
    actor: Any,
    verb: str,
    target: models.Model,
    partner: Any = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> Event:
    """Record that `actor` did `verb` to `target` (optionally on behalf of a partner). An event
    about two partners is filed under neither (`partner=None`) and declared vendor-only."""
    return Event.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        verb=verb,
        target_type=ContentType.objects.get_for_model(target),
        target_id=str(target.pk),
        partner=partner,
        before=before or {},
        after=after or {},
        reason=reason,
    )


def readable_verbs(role: Role | str | None) -> list[str] | None:
    """The verbs `role` may read in its organisation's history; None means every verb (vendor
    staff), an empty list nothing."""
    if role is None:
        return []
    if role not in PARTNER_ROLES:
        return None
    hidden = HIDDEN_AREAS.get(Role(role), frozenset())
    return sorted(
        verb
        for verb, kind in REGISTRY.items()
        if kind.audience == Audience.PARTNER and kind.area not in hidden
    )


class _Values(dict):
    """Placeholder values; one the event lacks reads as a dash, never a KeyError."""

    def __missing__(self, key: str) -> str:
        return MISSING


def _date_text(value: str) -> str:
    """An ISO date or date-time stored in a JSON field, formatted for the active language."""
    try:
        moment = parse_datetime(value) if len(value) > 10 else None
        day = None if moment else parse_date(value)
    except ValueError:
        return value
    if moment is not None:
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return date_format(moment, DATETIME_FORMAT)
    return date_format(day, DATE_FORMAT) if day else value


def _plain(value: Any) -> Any:
    """A stored value as a reader reads it: dates formatted, lists joined, nothing as a dash."""
    if value is None or value == "":
        return MISSING
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list | tuple):
        return ", ".join(str(_plain(v)) for v in value) or MISSING
    if isinstance(value, dt.datetime):
        moment = timezone.localtime(value) if timezone.is_aware(value) else value
        return date_format(moment, DATETIME_FORMAT)
    if isinstance(value, dt.date):
        return date_format(value, DATE_FORMAT)
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        return _date_text(value)
    return value


# The registry's texts (sentences, choice labels, the system's name) in each language,
# translated once per process.
_TEXTS: Kept = Kept(1024)


def _text(language: str | None, key: tuple, write: Callable[[], Any]) -> Any:
    return _TEXTS.get((language, *key), write)


@functools.cache
def _choice_labels(field_path: str) -> dict:
    """The labels of the choices of the model field `app.model.field` (lazy, translated when
    read), by value: read once per process."""
    app_label, model_name, field_name = field_path.split(".")
    model_field = apps.get_model(app_label, model_name)._meta.get_field(field_name)
    return dict(model_field.flatchoices)


def _choice_texts(field_path: str, language: str | None) -> dict[Any, str]:
    """The labels of the choices of the model field `app.model.field` in `language`, the active
    language, by value."""
    return _text(
        language,
        ("choices", field_path),
        lambda: {value: str(label) for value, label in _choice_labels(field_path).items()},
    )


def _choice_label(value: Any, field_path: str, language: str | None) -> Any:
    if value is None:
        return MISSING
    return _choice_texts(field_path, language).get(value) or value or MISSING


def event_values(event: Event, kind: EventType | None = None) -> _Values:
    """The placeholder values of `event`, read from its own row and the actor and partner the
    selector joined: no query per event."""
    language = get_language()
    values = _Values()
    values["actor"] = (
        str(event.actor)
        if event.actor_id
        else _text(language, ("system",), lambda: _("The system"))
    )
    values["partner"] = event.partner.display_name if event.partner_id else MISSING
    choices = kind.choices if kind else {}
    for prefix, data in (("old_", event.before or {}), ("", event.after or {})):
        for key, value in data.items():
            if key in choices:
                values[prefix + key] = _choice_label(value, choices[key], language)
            else:
                values[prefix + key] = _plain(value)
    if kind is not None and kind.values is not None:
        values.update({k: _plain(v) for k, v in kind.values(event).items()})
    return values


def event_sentence(event: Event) -> str:
    """`event` as one sentence in the active language (plain text, not yet escaped)."""
    kind = REGISTRY.get(event.verb)
    values = event_values(event, kind)
    if kind is None:
        return _("%(actor)s made a change.") % values
    sentence = kind.choose(event) if kind.choose is not None else None
    if sentence:
        return str(sentence) % values
    return _text(get_language(), ("verb", kind.verb), lambda: str(kind.sentence)) % values


def event_icon(event: Event) -> str:
    kind = REGISTRY.get(event.verb)
    if kind is None:
        return ""
    return kind.icon(event) if callable(kind.icon) else kind.icon


# Helpers for the apps' declarations.


def localised(event: Event, key: str, local_key: str) -> str:
    """The zh-Hant value of `local_key` when the reader reads Chinese and it is set, else the
    value of `key`."""
    data = event.after or event.before or {}
    local = data.get(local_key)
    if local and (get_language() or "").startswith("zh"):
        return local
    return data.get(key) or MISSING


def amount(value: Any, currency: str | None) -> str:
    """A stored amount for reading ("12,000.00 TWD"); the raw text when it is not a number."""
    if value in (None, ""):
        return MISSING
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if currency:
        return f"{quantize(number, currency):,f} {currency}"
    return f"{number:,f}"


def number_from_id(prefix: str) -> Callable[[Event], str]:
    """The reference of the event's object built from its id ("CASE-000003"), with no query."""

    def build(event: Event) -> str:
        target_id = str(event.target_id)
        return f"{prefix}-{int(target_id):06d}" if target_id.isdigit() else MISSING

    return build
