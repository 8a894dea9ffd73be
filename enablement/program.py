"""The program file's enablement sections: `certifications`, `certified_people`,
`tiers[].requirements` and `tier_policy`; EnablementConfig.ready() registers them."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from agreements.services.program import ExtraSection
from partners.models import Membership, Tier

from .models import (
    Certification,
    TierCertificationRequirement,
    TierPolicy,
    TierRequirements,
)
from .services import certificate_earn

MAX_COUNT = 10_000


def _whole(c, entry: dict, key: str, path: str, *, low: int, required: bool) -> int | None:
    value = entry.get(key)
    if value is None:
        if required:
            c.fail(f"{path}.{key}", "required")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= MAX_COUNT:
        c.fail(f"{path}.{key}", f"must be a whole number from {low} to {MAX_COUNT}")
        return None
    return value


# certifications


def validate_certifications(section, c, context: dict) -> list[dict]:
    out = []
    seen: dict[str, str] = {}
    for path, e in c.entries({"certifications": section}, "certifications"):
        item = {
            "path": path,
            "code": c.text(e, "code", path, max_length=32),
            "name": c.text(e, "name", path, max_length=200),
            "validity_months": _whole(c, e, "validity_months", path, low=1, required=True),
        }
        if item["code"] in seen:
            c.fail(f"{path}.code", f"duplicate of {seen[item['code']]}")
        elif item["code"]:
            seen[item["code"]] = path
        out.append(item)
    context["certifications"] = set(seen) | set(
        Certification.objects.values_list("code", flat=True)
    )
    return out


def apply_certifications(items: list[dict], report, *, actor, today) -> None:
    for item in items:
        obj = Certification.objects.filter(code=item["code"]).first()
        values = {"name": item["name"], "validity_months": item["validity_months"]}
        if obj is None:
            obj = Certification(code=item["code"], **values)
            obj.full_clean()
            obj.save()
            report.count("certifications", "created")
            continue
        changed = [k for k, v in values.items() if getattr(obj, k) != v]
        if not changed:
            report.count("certifications", "unchanged")
            continue
        for k in changed:
            setattr(obj, k, values[k])
        obj.full_clean()
        obj.save(update_fields=[*changed, "updated_at"])
        report.count("certifications", "updated")


# certified_people


def validate_certified_people(section, c, context: dict) -> list[dict]:
    certifications = context.get("certifications", set())
    out = []
    for path, e in c.entries({"certified_people": section}, "certified_people"):
        item = {
            "path": path,
            "email": c.text(e, "email", path, max_length=254).lower(),
            "partner": c.text(e, "partner", path, max_length=32),
            "certification": c.text(e, "certification", path, max_length=32),
            "earned": c.date(e, "earned", path),
        }
        _check_person(item, c, context)
        if item["certification"] and item["certification"] not in certifications:
            c.fail(f"{path}.certification", f"unknown certification {item['certification']!r}")
        out.append(item)
    return out


def _check_person(item: dict, c, context: dict) -> None:
    path, email, partner = item["path"], item["email"], item["partner"]
    if email:
        try:
            validate_email(email)
        except ValidationError:
            c.fail(f"{path}.email", "not an email address")
            return
    if partner and partner not in context["partners"]:
        c.fail(f"{path}.partner", f"unknown partner {partner!r}")
        return
    if not (email and partner):
        return
    member = context["file_users"].get(email) == partner or (
        Membership.objects.filter(user__email__iexact=email, partner__code=partner).exists()
    )
    if not member:
        c.fail(f"{path}.email", f"{email} is not a user of partner {partner}")


def apply_certified_people(items: list[dict], report, *, actor, today) -> None:
    users = get_user_model().objects
    for item in items:
        user = users.get(email__iexact=item["email"])
        certification = Certification.objects.get(code=item["certification"])
        existed = certification.certificates.filter(user=user, earned=item["earned"]).exists()
        certificate_earn(user=user, certification=certification, earned=item["earned"], actor=actor)
        report.count("certified_people", "unchanged" if existed else "created")


# tiers[].requirements


def validate_tier_requirements(section, c, context: dict) -> list[dict]:
    certifications = context.get("certifications", set())
    out = []
    for path, e in c.entries({"tiers": section}, "tiers"):
        code = e.get("code")
        if not isinstance(code, str) or not code.strip():
            continue  # the tiers section reports it
        req = e.get("requirements")
        rpath = f"{path}.requirements"
        if req is None:
            out.append({"path": rpath, "tier": code.strip(), "requirements": None})
            continue
        if not isinstance(req, dict):
            c.fail(rpath, "must be a mapping")
            continue
        unknown = set(req) - {"revenue_12m", "certifications", "max_open_incidents"}
        for key in sorted(map(str, unknown)):
            c.fail(
                f"{rpath}.{key}",
                "unknown requirement (known: certifications, max_open_incidents, revenue_12m)",
            )
        item = {
            "path": rpath,
            "tier": code.strip(),
            "requirements": {
                "revenue_12m": c.decimal(req, "revenue_12m", rpath, required=False, low=Decimal(0)),
                "max_open_incidents": _whole(
                    c, req, "max_open_incidents", rpath, low=0, required=False
                ),
                "certifications": _certification_counts(req, rpath, c, certifications),
            },
        }
        out.append(item)
    return out


def _certification_counts(req: dict, rpath: str, c, certifications: set[str]) -> dict[str, int]:
    counts = req.get("certifications") or {}
    if not isinstance(counts, dict):
        c.fail(f"{rpath}.certifications", "must map certification codes to numbers of people")
        return {}
    out = {}
    for code in counts:
        if str(code) not in certifications:
            c.fail(f"{rpath}.certifications.{code}", f"unknown certification {code!r}")
        n = _whole(c, counts, code, f"{rpath}.certifications", low=1, required=True)
        if n is not None:
            out[str(code)] = n
    return out


def apply_tier_requirements(items: list[dict], report, *, actor, today) -> None:
    for item in items:
        tier = Tier.objects.get(code=item["tier"])
        req = item["requirements"]
        if req is None:
            deleted, _ = TierRequirements.objects.filter(tier=tier).delete()
            report.count("tier_requirements", "updated" if deleted else "unchanged")
            continue
        _apply_one_tier(tier, req, report)


def _apply_one_tier(tier: Tier, req: dict, report) -> None:
    rule = TierRequirements.objects.filter(tier=tier).first()
    wanted = dict(req["certifications"])
    values = {"revenue_12m": req["revenue_12m"], "max_open_incidents": req["max_open_incidents"]}
    if rule is None:
        rule = TierRequirements(tier=tier, **values)
        rule.full_clean()
        rule.save()
        outcome = "created"
    else:
        changed = [k for k, v in values.items() if getattr(rule, k) != v]
        for k in changed:
            setattr(rule, k, values[k])
        if changed:
            rule.full_clean()
            rule.save(update_fields=[*changed, "updated_at"])
        current = dict(rule.certifications.values_list("certification__code", "count"))
        outcome = "updated" if changed or current != wanted else "unchanged"
    rule.certifications.exclude(certification__code__in=list(wanted)).delete()
    for code, n in wanted.items():
        TierCertificationRequirement.objects.update_or_create(
            requirements=rule,
            certification=Certification.objects.get(code=code),
            defaults={"count": n},
        )
    report.count("tier_requirements", outcome)


# tier_policy


def validate_tier_policy(section, c, context: dict) -> dict | None:
    if section in ([], None, {}):
        return None
    if not isinstance(section, dict):
        c.fail("tier_policy", "must be a mapping")
        return None
    for key in sorted(map(str, set(section) - {"demotion_notice_days"})):
        c.fail(f"tier_policy.{key}", "unknown setting (known: demotion_notice_days)")
    days = _whole(c, section, "demotion_notice_days", "tier_policy", low=0, required=True)
    return None if days is None else {"demotion_notice_days": days}


def apply_tier_policy(item: dict | None, report, *, actor, today) -> None:
    if item is None:
        return
    policy = TierPolicy.objects.order_by("pk").first()
    if policy is None:
        policy = TierPolicy(**item)
        policy.full_clean()
        policy.save()
        report.count("tier_policy", "created")
    elif policy.demotion_notice_days != item["demotion_notice_days"]:
        policy.demotion_notice_days = item["demotion_notice_days"]
        policy.full_clean()
        policy.save(update_fields=["demotion_notice_days", "updated_at"])
        report.count("tier_policy", "updated")
    else:
        report.count("tier_policy", "unchanged")


SECTIONS = (
    ExtraSection("certifications", validate_certifications, apply_certifications),
    ExtraSection("certified_people", validate_certified_people, apply_certified_people),
    ExtraSection(
        "tier_requirements", validate_tier_requirements, apply_tier_requirements, source="tiers"
    ),
    ExtraSection("tier_policy", validate_tier_policy, apply_tier_policy),
)
