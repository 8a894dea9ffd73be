"""Loading a channel program file (YAML or JSON): validate everything, then upsert in one
transaction. A bad file is reported entry by entry, by its path, and nothing of it is applied."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import yaml
from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from partners.models import Membership, Partner, Territory, Tier
from partners.services import membership_change_role, membership_create, partner_create
from prm.accounts.models import User
from prm.accounts.services import user_create
from prm.core.events import event_record
from prm.core.money import MINOR_UNITS, parse_decimal

from ..models import (
    Agreement,
    AgreementVersion,
    PriceList,
    PriceListItem,
    PriceOverride,
    Product,
    ProductLine,
    Promotion,
    TierLineDiscount,
)
from .agreements import Terms, agreement_version_propose, terms_hash
from .prices import is_price_change, price_change_notice_errors, price_in_force

BASE_LIST_DATE = dt.date(2000, 1, 1)
# Sections this loader applies; the others are left to their own loaders.
SECTIONS = (
    "product_lines",
    "products",
    "tiers",
    "partners",
    "price_overrides",
    "promotions",
    "agreements",
)


@dataclass(frozen=True)
class ExtraSection:
    """A section another app loads: `validate(data, checker, context)` returns its cleaned
    entries (reporting problems through the checker); `apply(cleaned, report, actor=, today=)`
    writes them after this module's sections. With `source`, the section reads another section's
    entries (e.g. a key inside `tiers[]`) instead of a top-level section of its own name."""

    name: str
    validate: Callable
    apply: Callable
    source: str = ""


EXTRA_SECTIONS: dict[str, ExtraSection] = {}
# Context-manager factories `observer(report, dry_run=)` entered around a load, so that an app
# above this one can follow what the load changes (and add lines to `report.notes`).
LOAD_OBSERVERS: list[Callable] = []


def register_section(section: ExtraSection) -> None:
    EXTRA_SECTIONS[section.name] = section


def register_load_observer(observer: Callable) -> None:
    if observer not in LOAD_OBSERVERS:
        LOAD_OBSERVERS.append(observer)


class ProgramFileError(Exception):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class LoadReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def count(self, section: str, outcome: str) -> None:
        bucket = getattr(self, outcome)
        bucket[section] = bucket.get(section, 0) + 1


# A channel program is a few hundred entries; a file far larger is a mistake, refused unread.
MAX_PROGRAM_BYTES = 10 * 1024 * 1024
# The largest figure any program column stores (14 digits, 2 decimals).
MAX_FIGURE = Decimal("999999999999.99")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def program_parse(path: Path) -> dict:
    """Read YAML or JSON (by extension; YAML parses JSON too)."""
    if path.stat().st_size > MAX_PROGRAM_BYTES:
        raise ProgramFileError(
            [f"{path.name}: larger than {MAX_PROGRAM_BYTES // (1024 * 1024)} MB; nothing was read"]
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ProgramFileError(
            [f"{path.name}: not UTF-8 text (byte {exc.start}); save it as UTF-8"]
        ) from exc
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError, ValueError) as exc:
        # ValueError: YAML reads 2026-13-45 as a date and fails outside its own error type.
        raise ProgramFileError([f"{path.name}: not valid YAML or JSON ({exc})"]) from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ProgramFileError([f"{path.name}: the top level must be a mapping of sections"])
    return data


class _Checker:
    """Collects errors as `path: message` while reading typed values out of the file."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, path: str, message: str) -> None:
        self.errors.append(f"{path}: {message}")

    def entries(self, data: dict, section: str) -> list[tuple[str, dict]]:
        value = data.get(section) or []
        if not isinstance(value, list):
            self.fail(section, "must be a list")
            return []
        out = []
        for i, entry in enumerate(value):
            path = f"{section}[{i}]"
            if not isinstance(entry, dict):
                self.fail(path, "must be a mapping")
            else:
                out.append((path, entry))
        return out

    def text(self, entry: dict, key: str, path: str, *, required=True, max_length=200) -> str:
        value = entry.get(key)
        if value is None or value == "":
            if required:
                self.fail(f"{path}.{key}", "required")
            return ""
        if not isinstance(value, str | int) or isinstance(value, bool):
            self.fail(f"{path}.{key}", "not a string")
            return ""
        value = str(value).strip()
        found = _CONTROL.search(value)
        if found is not None:
            character = found.group()
            self.fail(
                f"{path}.{key}",
                "contains a NUL byte"
                if character == "\x00"
                else f"contains a control character (U+{ord(character):04X})",
            )
            return ""
        if len(value) > max_length:
            self.fail(f"{path}.{key}", f"longer than {max_length} characters")
        return value

    def decimal(
        self, entry: dict, key: str, path: str, *, required=True, low=None, high=None
    ) -> Decimal | None:
        value = entry.get(key)
        if value is None:
            if required:
                self.fail(f"{path}.{key}", "required")
            return None
        if isinstance(value, float | bool):
            self.fail(f"{path}.{key}", 'not a decimal (write it as a string, e.g. "12.50")')
            return None
        try:
            number = parse_decimal(value)
        except ValueError:
            self.fail(f"{path}.{key}", "not a decimal")
            return None
        if low is not None and number < low:
            self.fail(f"{path}.{key}", f"must be at least {low}")
        if high is not None and number > high:
            self.fail(f"{path}.{key}", f"must be at most {high}")
        elif abs(number) > MAX_FIGURE:
            self.fail(f"{path}.{key}", "too large")
            return None
        if number.as_tuple().exponent < -2:
            self.fail(f"{path}.{key}", "more than 2 decimal places")
        return number

    def integer(self, entry: dict, key: str, path: str, *, default: int) -> int:
        value = entry.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.fail(f"{path}.{key}", "not a whole number of days")
            return default
        return value

    def date(self, entry: dict, key: str, path: str, *, required=True) -> dt.date | None:
        value = entry.get(key)
        if value is None:
            if required:
                self.fail(f"{path}.{key}", "required")
            return None
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{path}.{key}", "not a date (YYYY-MM-DD)")
            return None

    def boolean(self, entry: dict, key: str, path: str, *, default=False) -> bool:
        value = entry.get(key, default)
        if not isinstance(value, bool):
            self.fail(f"{path}.{key}", "must be true or false")
            return default
        return value

    def codes(self, entry: dict, key: str, path: str) -> list[str]:
        value = entry.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(f"{path}.{key}", "must be a list of codes")
            return []
        return [v.strip() for v in value]

    def currency(self, entry: dict, key: str, path: str, *, required=True) -> str:
        value = self.text(entry, key, path, required=required, max_length=3).upper()
        if value and value not in MINOR_UNITS:
            self.fail(f"{path}.{key}", f"unknown currency {value!r}")
        return value


def program_validate(data: dict, *, today: dt.date) -> tuple[dict, list[str]]:
    """Check the whole file; return the cleaned sections and the list of errors."""
    c = _Checker()
    price_effective = c.date(data, "price_effective", "price_effective", required=False) or today
    _check_section_names(data, c)
    clean: dict = {}
    clean["product_lines"] = _validate_product_lines(data, c)
    lines = {x["code"] for x in clean["product_lines"]}
    lines |= set(ProductLine.objects.values_list("code", flat=True))
    clean["products"] = _validate_products(data, c, lines=lines)
    skus_in_file = {x["sku"] for x in clean["products"]}
    clean["tiers"] = _validate_tiers(data, c, lines=lines)
    tiers = {x["code"] for x in clean["tiers"]}
    tiers |= set(Tier.objects.values_list("code", flat=True))
    clean["partners"] = _validate_partners(data, c, tiers=tiers)
    partners = {x["code"] for x in clean["partners"]}
    partners |= set(Partner.objects.values_list("code", flat=True))
    skus = skus_in_file | set(Product.objects.values_list("sku", flat=True))
    clean["price_overrides"] = _validate_price_overrides(data, c, partners=partners, skus=skus)
    clean["promotions"] = _validate_promotions(
        data, c, lines=lines, skus=skus, tiers=tiers, partners=partners
    )
    clean["agreements"] = _validate_agreements(data, c, lines=lines, partners=partners)
    _check_duplicates(clean, c)
    # Price changes to existing products must respect every affected agreement's notice.
    if not c.errors:
        _check_price_notices(clean["products"], c, effective=price_effective, today=today)
    clean["price_effective"] = price_effective
    context = {
        "lines": lines,
        "skus": skus,
        "partners": partners,
        "tiers": tiers,
        "file_users": {
            u["email"]: x["code"] for x in clean["partners"] for u in x["users"] if u["email"]
        },
        "partner_currency": {
            **dict(Partner.objects.values_list("code", "currency")),
            **{x["code"]: x["currency"] or "TWD" for x in clean["partners"]},
        },
    }
    clean["extra"] = {
        name: section.validate(data.get(section.source or name) or [], c, context)
        for name, section in EXTRA_SECTIONS.items()
    }
    return clean, c.errors


def _check_section_names(data: dict, c: _Checker) -> None:
    extra = {name for name, section in EXTRA_SECTIONS.items() if not section.source}
    known = {*SECTIONS, *extra, "price_effective"}
    for name in data:
        if name not in known:
            c.fail(str(name)[:64], f"unknown section (known: {', '.join(sorted(known))})")


def _check_territory_codes(codes: list[str], path: str, c: _Checker) -> None:
    for j, code in enumerate(codes):
        try:
            Territory._meta.get_field("code").run_validators(code)
        except ValidationError:
            c.fail(f"{path}.territories[{j}]", f"not an ISO 3166-2 style code: {code!r}")


def _check_known(
    codes: list[str], known: set[str], path: str, key: str, what: str, c: _Checker
) -> None:
    for j, code in enumerate(codes):
        if code not in known:
            c.fail(f"{path}.{key}[{j}]", f"unknown {what} {code!r}")


def _validate_product_lines(data: dict, c: _Checker) -> list[dict]:
    return [
        {
            "path": path,
            "code": c.text(e, "code", path, max_length=32),
            "name": c.text(e, "name", path, max_length=100),
            "local_name": c.text(e, "local_name", path, required=False, max_length=100),
        }
        for path, e in c.entries(data, "product_lines")
    ]


def _validate_products(data: dict, c: _Checker, *, lines: set[str]) -> list[dict]:
    out = []
    for path, e in c.entries(data, "products"):
        item = {
            "path": path,
            "sku": c.text(e, "sku", path, max_length=64),
            "name": c.text(e, "name", path),
            "local_name": c.text(e, "local_name", path, required=False),
            "line": c.text(e, "line", path, max_length=32),
            "list_price": c.decimal(e, "list_price", path, low=Decimal("0")),
            "map_price": c.decimal(e, "map_price", path, required=False, low=Decimal("0")),
            "currency": c.currency(e, "currency", path),
        }
        if item["line"] and item["line"] not in lines:
            c.fail(f"{path}.line", f"unknown product line {item['line']!r}")
        price = item["list_price"]
        if (
            item["currency"]
            and price is not None
            and price.as_tuple().exponent < -_minor(item["currency"])
        ):
            c.fail(f"{path}.list_price", f"more decimals than {item['currency']} has")
        out.append(item)
    return out


def _validate_tiers(data: dict, c: _Checker, *, lines: set[str]) -> list[dict]:
    out = []
    for path, e in c.entries(data, "tiers"):
        discounts = e.get("discounts") or {}
        item = {
            "path": path,
            "code": c.text(e, "code", path, max_length=32),
            "name": c.text(e, "name", path, max_length=100),
            "rank": c.integer(e, "rank", path, default=0),
            "default_discount": c.decimal(
                e, "default_discount", path, required=False, low=Decimal(0), high=Decimal(100)
            )
            or Decimal("0"),
            "discounts": _tier_discounts(discounts, path, c, lines=lines),
        }
        out.append(item)
    return out


def _tier_discounts(discounts, path: str, c: _Checker, *, lines: set[str]) -> dict:
    out: dict[str, Decimal] = {}
    if not isinstance(discounts, dict):
        c.fail(f"{path}.discounts", "must map product line codes to percentages")
        return out
    for line in discounts:
        if str(line) not in lines:
            c.fail(f"{path}.discounts.{line}", f"unknown product line {line!r}")
        value = c.decimal(discounts, line, f"{path}.discounts", low=Decimal(0), high=Decimal(100))
        if value is not None:
            out[str(line)] = value
    return out


def _validate_partners(data: dict, c: _Checker, *, tiers: set[str]) -> list[dict]:
    out = []
    for path, e in c.entries(data, "partners"):
        item = {
            "path": path,
            "code": c.text(e, "code", path, max_length=32),
            "name": c.text(e, "name", path),
            "local_name": c.text(e, "local_name", path, required=False),
            "legal_name": c.text(e, "legal_name", path, required=False, max_length=255),
            "tax_id": c.text(e, "tax_id", path, required=False, max_length=32),
            "country": c.text(e, "country", path, required=False, max_length=2).upper(),
            "tier": c.text(e, "tier", path, required=False, max_length=32),
            "currency": c.currency(e, "currency", path, required=False),
            "territories": c.codes(e, "territories", path),
        }
        if item["tier"] and item["tier"] not in tiers:
            c.fail(f"{path}.tier", f"unknown tier {item['tier']!r}")
        _check_territory_codes(item["territories"], path, c)
        item["users"] = _partner_users(e.get("users") or [], path, c)
        out.append(item)
    return out


def _partner_users(users, path: str, c: _Checker) -> list[dict]:
    if not isinstance(users, list):
        c.fail(f"{path}.users", "must be a list")
        return []
    out = []
    for j, u in enumerate(users):
        upath = f"{path}.users[{j}]"
        if not isinstance(u, dict):
            c.fail(upath, "must be a mapping")
            continue
        email = c.text(u, "email", upath, max_length=254).lower()
        try:
            validate_email(email)
        except ValidationError:
            if email:
                c.fail(f"{upath}.email", "not an email address")
        role = c.text(u, "role", upath, max_length=16)
        if role and role not in Membership.Role.values:
            c.fail(f"{upath}.role", f"must be one of {', '.join(Membership.Role.values)}")
        out.append({"email": email, "role": role, "name": str(u.get("name", ""))})
    return out


def _validate_price_overrides(
    data: dict, c: _Checker, *, partners: set[str], skus: set[str]
) -> list[dict]:
    out = []
    for path, e in c.entries(data, "price_overrides"):
        item = {
            "path": path,
            "partner": c.text(e, "partner", path, max_length=32),
            "sku": c.text(e, "sku", path, max_length=64),
            "discount": c.decimal(
                e, "discount", path, required=False, low=Decimal(0), high=Decimal(100)
            ),
            "net_price": c.decimal(e, "net_price", path, required=False, low=Decimal(0)),
        }
        if (item["discount"] is None) == (item["net_price"] is None) and not any(
            err.startswith(f"{path}.") for err in c.errors
        ):
            c.fail(path, "give either discount or net_price")
        if item["partner"] and item["partner"] not in partners:
            c.fail(f"{path}.partner", f"unknown partner {item['partner']!r}")
        if item["sku"] and item["sku"] not in skus:
            c.fail(f"{path}.sku", f"unknown SKU {item['sku']!r}")
        out.append(item)
    return out


def _validate_promotions(
    data: dict,
    c: _Checker,
    *,
    lines: set[str],
    skus: set[str],
    tiers: set[str],
    partners: set[str],
) -> list[dict]:
    out = []
    for path, e in c.entries(data, "promotions"):
        item = {
            "path": path,
            "code": c.text(e, "code", path, max_length=64),
            "name": c.text(e, "name", path, required=False),
            "percent": c.decimal(e, "percent", path, low=Decimal(0), high=Decimal(100)),
            "start": c.date(e, "start", path),
            "end": c.date(e, "end", path),
            "line": c.text(e, "line", path, required=False, max_length=32),
            "sku": c.text(e, "sku", path, required=False, max_length=64),
            "tiers": c.codes(e, "tiers", path),
            "territories": c.codes(e, "territories", path),
            "partners": c.codes(e, "partners", path),
        }
        if item["start"] and item["end"] and item["end"] < item["start"]:
            c.fail(f"{path}.end", "before start")
        if item["line"] and item["sku"]:
            c.fail(path, "scope is a line or a SKU, not both")
        if item["line"] and item["line"] not in lines:
            c.fail(f"{path}.line", f"unknown product line {item['line']!r}")
        if item["sku"] and item["sku"] not in skus:
            c.fail(f"{path}.sku", f"unknown SKU {item['sku']!r}")
        _check_known(item["tiers"], tiers, path, "tiers", "tier", c)
        _check_known(item["partners"], partners, path, "partners", "partner", c)
        out.append(item)
    return out


def _validate_agreements(
    data: dict, c: _Checker, *, lines: set[str], partners: set[str]
) -> list[dict]:
    existing = dict(Agreement.objects.values_list("number", "partner__code"))
    out = []
    for path, e in c.entries(data, "agreements"):
        item = _agreement_entry(e, path, c)
        if item["type"] not in Agreement.Type.values:
            c.fail(f"{path}.type", f"must be one of {', '.join(Agreement.Type.values)}")
        if item["start"] and item["end"] and item["end"] < item["start"]:
            c.fail(f"{path}.end", "before start")
        if item["partner"] and item["partner"] not in partners:
            c.fail(f"{path}.partner", f"unknown partner {item['partner']!r}")
        owner = existing.get(item["number"])
        if owner and item["partner"] and owner != item["partner"]:
            c.fail(f"{path}.partner", f"agreement {item['number']} belongs to {owner}")
        _check_known(item["lines"], lines, path, "lines", "product line", c)
        _check_territory_codes(item["territories"], path, c)
        out.append(item)
    return out


def _agreement_entry(e: dict, path: str, c: _Checker) -> dict:
    return {
        "path": path,
        "number": c.text(e, "number", path, max_length=32),
        "partner": c.text(e, "partner", path, max_length=32),
        "type": c.text(e, "type", path, required=False, max_length=16) or "distribution",
        "plan": c.text(e, "plan", path, required=False, max_length=32),
        "start": c.date(e, "start", path),
        "end": c.date(e, "end", path),
        "auto_renew": c.boolean(e, "auto_renew", path),
        "notice_days": c.integer(e, "notice_days", path, default=90),
        "price_notice_days": c.integer(e, "price_notice_days", path, default=30),
        "price_protection_days": c.integer(e, "price_protection_days", path, default=0),
        "payment_terms_days": c.integer(e, "payment_terms_days", path, default=30),
        "territories": c.codes(e, "territories", path),
        "lines": c.codes(e, "lines", path),
        "segments": c.codes(e, "segments", path),
        "exclusive": c.boolean(e, "exclusive", path),
        "compensation": c.text(e, "compensation", path, required=False, max_length=2000),
    }


# The key each section is upserted by; price overrides are keyed by partner and SKU together.
_SECTION_KEYS = {
    "product_lines": "code",
    "products": "sku",
    "tiers": "code",
    "partners": "code",
    "promotions": "code",
    "agreements": "number",
}


def _check_duplicates(clean: dict, c: _Checker) -> None:
    for section in SECTIONS:
        key = _SECTION_KEYS.get(section)
        if key is None:
            continue
        seen: dict[str, str] = {}
        for item in clean[section]:
            value = item.get(key)
            if value and value in seen:
                c.fail(f"{item['path']}.{key}", f"duplicate of {seen[value]}")
            elif value:
                seen[value] = item["path"]


def _check_price_notices(
    products: list[dict], c: _Checker, *, effective: dt.date, today: dt.date
) -> None:
    for item in products:
        product = Product.objects.filter(sku=item["sku"]).first()
        if product is None:
            continue
        current = price_in_force(product=product, on=effective)
        if current is None or (current.list_price, current.map_price) == (
            item["list_price"],
            item["map_price"],
        ):
            continue
        for message in price_change_notice_errors(
            products=[product], effective=effective, today=today
        ):
            c.fail(f"{item['path']}.list_price", message)


def _minor(currency: str) -> int:
    return MINOR_UNITS.get(currency, 2)


@transaction.atomic
def program_load(
    data: dict, *, actor=None, today: dt.date | None = None, dry_run: bool = False
) -> LoadReport:
    """Validate then upsert every section by its code. Raises ProgramFileError with every
    problem found, before anything is written. With `dry_run`, the load is rolled back: the
    report says what it would do and nothing is written."""
    today = today or timezone.localdate()
    clean, errors = program_validate(data, today=today)
    if errors:
        raise ProgramFileError(errors)
    report = LoadReport()
    with ExitStack() as observers:
        for observer in LOAD_OBSERVERS:
            observers.enter_context(observer(report, dry_run=dry_run))
        _apply(clean, report, actor=actor, today=today)
        for name, section in EXTRA_SECTIONS.items():
            section.apply(clean["extra"][name], report, actor=actor, today=today)
    if dry_run:
        transaction.set_rollback(True)
    return report


def _upsert(model, lookup: dict, values: dict, report: LoadReport, section: str):
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values)
        obj.full_clean()
        obj.save()
        report.count(section, "created")
        return obj
    changed = [k for k, v in values.items() if getattr(obj, k) != v]
    if changed:
        for k in changed:
            setattr(obj, k, values[k])
        obj.full_clean()
        obj.save(update_fields=[*changed, "updated_at"])
        report.count(section, "updated")
    else:
        report.count(section, "unchanged")
    return obj


class _Cache:
    """Objects by their code: those this load wrote, then any other fetched once when named."""

    def __init__(self, model, key: str) -> None:
        self.model = model
        self.key = key
        self.objects: dict = {}

    def add(self, obj) -> None:
        self.objects[getattr(obj, self.key)] = obj

    def get(self, code: str):
        if code not in self.objects:
            self.objects[code] = self.model.objects.get(**{self.key: code})
        return self.objects[code]

    def get_or_none(self, code: str):
        return self.get(code) if code else None


def _territories(codes: list[str]) -> list[Territory]:
    return [
        Territory.objects.get_or_create(code=code, defaults={"name": code})[0] for code in codes
    ]


def _apply(clean: dict, report: LoadReport, *, actor, today: dt.date) -> None:
    lines = _Cache(ProductLine, "code")
    tiers = _Cache(Tier, "code")
    partners = _Cache(Partner, "code")
    _apply_product_lines(clean["product_lines"], report, lines)
    _apply_products(clean["products"], report, lines, clean["price_effective"], actor=actor)
    _apply_tiers(clean["tiers"], report, lines, tiers)
    _apply_partners(clean["partners"], report, tiers, partners, actor=actor)
    _apply_price_overrides(clean["price_overrides"], report, partners)
    _apply_promotions(clean["promotions"], report, lines, tiers, partners)
    for item in clean["agreements"]:
        _territories(item["territories"])
        _program_agreement(
            item, partners.get(item["partner"]), actor=actor, report=report, today=today
        )


def _apply_product_lines(items: list[dict], report: LoadReport, lines: _Cache) -> None:
    for item in items:
        lines.add(
            _upsert(
                ProductLine,
                {"code": item["code"]},
                {"name": item["name"], "local_name": item["local_name"]},
                report,
                "product_lines",
            )
        )


def _apply_products(
    items: list[dict], report: LoadReport, lines: _Cache, effective: dt.date, *, actor
) -> None:
    for item in items:
        product = _upsert(
            Product,
            {"sku": item["sku"]},
            {
                "name": item["name"],
                "local_name": item["local_name"],
                "line": lines.get(item["line"]),
                "currency": item["currency"],
            },
            report,
            "products",
        )
        _set_program_price(product, item, effective, actor=actor, report=report)


def _apply_tiers(items: list[dict], report: LoadReport, lines: _Cache, tiers: _Cache) -> None:
    for item in items:
        tier = _upsert(
            Tier,
            {"code": item["code"]},
            {
                "name": item["name"],
                "rank": item["rank"],
                "default_discount": item["default_discount"],
            },
            report,
            "tiers",
        )
        tiers.add(tier)
        for line_code, pct in item["discounts"].items():
            _upsert(
                TierLineDiscount,
                {"tier": tier, "line": lines.get(line_code)},
                {"percent": pct},
                report,
                "tier_discounts",
            )
        TierLineDiscount.objects.filter(tier=tier).exclude(
            line__code__in=list(item["discounts"])
        ).delete()


def _apply_partners(
    items: list[dict], report: LoadReport, tiers: _Cache, partners: _Cache, *, actor
) -> None:
    for item in items:
        partner = Partner.objects.filter(code=item["code"]).first()
        values = {
            "name": item["name"],
            "local_name": item["local_name"],
            "legal_name": item["legal_name"],
            "tax_id": item["tax_id"],
            "country": item["country"]
            or (item["territories"][0][:2] if item["territories"] else "TW"),
            "currency": item["currency"] or "TWD",
            "tier": tiers.get_or_none(item["tier"]),
        }
        if partner is None:
            partner = partner_create(
                actor=actor, code=item["code"], status=Partner.Status.ACTIVE, **values
            )
            report.count("partners", "created")
        else:
            partner = _upsert(Partner, {"code": item["code"]}, values, report, "partners")
        territories = _territories(item["territories"])
        if {t.pk for t in territories} != set(partner.territories.values_list("id", flat=True)):
            partner.territories.set(territories)
        for user_item in item["users"]:
            _program_user(partner, user_item, actor=actor, report=report)
        partners.add(partner)


def _apply_price_overrides(items: list[dict], report: LoadReport, partners: _Cache) -> None:
    for item in items:
        _upsert(
            PriceOverride,
            {
                "partner": partners.get(item["partner"]),
                "product": Product.objects.get(sku=item["sku"]),
            },
            {"discount": item["discount"], "net_price": item["net_price"]},
            report,
            "price_overrides",
        )


def _apply_promotions(
    items: list[dict], report: LoadReport, lines: _Cache, tiers: _Cache, partners: _Cache
) -> None:
    for item in items:
        promotion = _upsert(
            Promotion,
            {"code": item["code"]},
            {
                "name": item["name"],
                "percent": item["percent"],
                "start": item["start"],
                "end": item["end"],
                "line": lines.get(item["line"]) if item["line"] else None,
                "product": Product.objects.get(sku=item["sku"]) if item["sku"] else None,
            },
            report,
            "promotions",
        )
        promotion.tiers.set([tiers.get_or_none(code) for code in item["tiers"]])
        promotion.territories.set(_territories(item["territories"]))
        promotion.partners.set([partners.get(code) for code in item["partners"]])


def _set_program_price(product: Product, item: dict, effective: dt.date, *, actor, report) -> None:
    list_price, map_price = item["list_price"], item["map_price"]
    current = price_in_force(product=product, on=effective)
    if current is not None and (current.list_price, current.map_price) == (list_price, map_price):
        return
    if current is None and not PriceListItem.objects.filter(product=product).exists():
        price_list, _ = PriceList.objects.get_or_create(
            code=f"LIST-{product.currency}",
            defaults={
                "name": f"List prices {product.currency}",
                "currency": product.currency,
                "effective_from": BASE_LIST_DATE,
            },
        )
    else:
        price_list, _ = PriceList.objects.get_or_create(
            code=f"LIST-{product.currency}-{effective.isoformat()}",
            defaults={
                "name": f"List prices {product.currency} from {effective.isoformat()}",
                "currency": product.currency,
                "effective_from": effective,
            },
        )
    if (
        not is_price_change(
            product=product, price_list=price_list, list_price=list_price, map_price=map_price
        )
        and current is not None
    ):
        return
    item_obj, created = PriceListItem.objects.update_or_create(
        price_list=price_list,
        product=product,
        defaults={"list_price": list_price, "map_price": map_price},
    )
    event_record(
        actor=actor,
        verb="price.set",
        target=item_obj,
        before={"list_price": current.list_price, "map_price": current.map_price}
        if current
        else {},
        after={
            "list_price": list_price,
            "map_price": map_price,
            "price_list": price_list.code,
            "sku": product.sku,
        },
    )
    report.count("prices", "created" if created else "updated")


def _program_user(partner: Partner, item: dict, *, actor, report) -> None:
    user = User.objects.filter(email=item["email"]).first()
    if user is None:
        # Program users sign in after resetting their password; the address is the vendor's record.
        user = user_create(
            email=item["email"], password=None, full_name=item["name"], email_verified=True
        )
        report.count("users", "created")
    elif not EmailAddress.objects.filter(user=user, email=user.email).exists():
        EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    membership = Membership.objects.filter(partner=partner, user=user).first()
    if membership is None:
        membership_create(partner=partner, user=user, role=item["role"], actor=actor)
        report.count("memberships", "created")
    elif membership.role != item["role"]:
        membership_change_role(membership=membership, role=item["role"], actor=actor)
        report.count("memberships", "updated")


def _program_terms(item: dict, effective: dt.date) -> Terms:
    return Terms(
        effective_date=effective,
        territories=item["territories"],
        product_lines=item["lines"],
        segments=item["segments"],
        exclusive=item["exclusive"],
        commission_plan=item["plan"],
        payment_terms_days=item["payment_terms_days"],
        price_notice_days=item["price_notice_days"],
        price_protection_days=item["price_protection_days"],
        termination_notice_days=item["notice_days"],
        termination_compensation=item["compensation"],
    )


def _program_agreement(item: dict, partner: Partner, *, actor, report, today: dt.date) -> None:
    agreement = Agreement.objects.filter(number=item["number"]).first()
    if agreement is None:
        agreement = Agreement(
            number=item["number"],
            partner=partner,
            type=item["type"],
            start=item["start"],
            end=item["end"],
            auto_renew=item["auto_renew"],
            status=Agreement.Status.ACTIVE,
        )
        agreement.full_clean()
        agreement.save()
        event_record(
            actor=actor,
            verb="agreement.created",
            target=agreement,
            partner=partner,
            after={"number": agreement.number, "source": "program"},
        )
        version = agreement_version_propose(
            actor=actor,
            agreement=agreement,
            terms=_program_terms(item, item["start"]),
            change_summary="Signed agreement loaded from the channel program file.",
        )
        # The signed contract is the acceptance: in force from its start date.
        version.status = AgreementVersion.Status.ACCEPTED
        version.accepted_hash = version.terms_hash
        version.accepted_at = timezone.now()
        version.in_force_from = version.effective_date
        version.save(update_fields=["status", "accepted_hash", "accepted_at", "in_force_from"])
        event_record(
            actor=actor,
            verb="agreement_version.accepted",
            target=version,
            partner=partner,
            after={"version": version.number, "hash": version.accepted_hash, "source": "program"},
        )
        report.count("agreements", "created")
        return
    changed = False
    for key in ("type", "start", "end", "auto_renew"):
        if getattr(agreement, key) != item[key]:
            setattr(agreement, key, item[key])
            changed = True
    if changed:
        agreement.full_clean()
        agreement.save()
    latest = (
        agreement.versions.exclude(
            status__in=[AgreementVersion.Status.DRAFT, AgreementVersion.Status.WITHDRAWN]
        )
        .order_by("-number")
        .first()
    )
    wanted = _program_terms(item, latest.effective_date if latest else item["start"])
    if latest is not None and terms_hash(wanted.canonical()) == latest.terms_hash:
        report.count("agreements", "updated" if changed else "unchanged")
        return
    agreement_version_propose(
        actor=actor,
        agreement=agreement,
        terms=_program_terms(item, max(today, item["start"])),
        change_summary="Terms changed in the channel program file.",
    )
    report.count("agreements", "updated")
