"""The program file's vendor obligations; EngagementConfig.ready() registers both sections.

    obligations: {payout_days: 30, mdf_decision_days: 10, price_protection_decision_days: 15}
    agreements:
      - number: AG-1
        obligations: {payout_days: 21}

The top-level mapping sets the program's defaults; an agreement's own mapping applies to its
version in force (or its latest published version), a key it leaves out taking the default.
"""

from __future__ import annotations

from agreements.models import Agreement, AgreementVersion
from agreements.services.program import ExtraSection

from .models_commitments import DEFAULT_OBLIGATIONS, Obligations

KEYS = tuple(DEFAULT_OBLIGATIONS)
MAX_DAYS = 365


def _clean(c, mapping, path: str) -> dict | None:
    if not isinstance(mapping, dict):
        c.fail(path, "must be a mapping")
        return None
    for key in sorted(map(str, set(mapping) - set(KEYS))):
        c.fail(f"{path}.{key}", f"unknown obligation (known: {', '.join(KEYS)})")
    out = {}
    for key in KEYS:
        if key not in mapping:
            continue
        value = mapping[key]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DAYS:
            c.fail(f"{path}.{key}", f"must be a whole number of days from 0 to {MAX_DAYS}")
        else:
            out[key] = value
    return out


def validate_obligations(section, c, context: dict) -> dict | None:
    if section in ([], None, {}):
        return None
    return _clean(c, section, "obligations")


def _store(version: AgreementVersion | None, values: dict, report, section: str) -> None:
    row = Obligations.objects.filter(agreement_version=version).first()
    if row is None:
        row = Obligations(agreement_version=version, **values)
        row.full_clean()
        row.save()
        report.count(section, "created")
        return
    changed = [k for k, v in values.items() if getattr(row, k) != v]
    if not changed:
        report.count(section, "unchanged")
        return
    for key in changed:
        setattr(row, key, values[key])
    row.full_clean()
    row.save(update_fields=[*changed, "updated_at"])
    report.count(section, "updated")


def apply_obligations(item: dict | None, report, *, actor, today) -> None:
    if item is not None:
        _store(None, {**DEFAULT_OBLIGATIONS, **item}, report, "obligations")


def validate_agreement_obligations(section, c, context: dict) -> list[dict]:
    out = []
    for path, e in c.entries({"agreements": section}, "agreements"):
        number = e.get("number")
        if "obligations" not in e or not isinstance(number, str) or not number.strip():
            continue  # the agreements section reports a missing number
        values = _clean(c, e["obligations"], f"{path}.obligations")
        if values is not None:
            out.append({"number": number.strip(), "values": values})
    return out


def apply_agreement_obligations(items: list[dict], report, *, actor, today) -> None:
    defaults = Obligations.objects.filter(agreement_version__isnull=True).first()
    base = {k: getattr(defaults, k) for k in KEYS} if defaults else dict(DEFAULT_OBLIGATIONS)
    for item in items:
        agreement = Agreement.objects.get(number=item["number"])
        version = (
            agreement.versions.exclude(
                status__in=[AgreementVersion.Status.DRAFT, AgreementVersion.Status.WITHDRAWN]
            )
            .order_by("-number")
            .first()
        )
        if version is not None:
            _store(version, {**base, **item["values"]}, report, "agreement_obligations")


SECTIONS = (
    ExtraSection("obligations", validate_obligations, apply_obligations),
    ExtraSection(
        "agreement_obligations",
        validate_agreement_obligations,
        apply_agreement_obligations,
        source="agreements",
    ),
)
