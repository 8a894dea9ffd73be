"""The program file's `mdf_funds` section; FundsConfig.ready() registers it. A fund names a
partner or a tier; loading it writes one budget per partner (see funds.models)."""

from __future__ import annotations

from decimal import Decimal

from agreements.services.program import MAX_FIGURE, ExtraSection
from partners.models import Partner, Tier

from .models import Fund
from .services import fund_budgets_sync

MAX_CLAIM_DAYS = 3650


def validate_mdf_funds(section, c, context: dict) -> list[dict]:
    out = []
    seen: dict[str, str] = {}
    for path, e in c.entries({"mdf_funds": section}, "mdf_funds"):
        item = {
            "path": path,
            "code": c.text(e, "code", path, max_length=32),
            "name": c.text(e, "name", path, max_length=200),
            "partner": c.text(e, "partner", path, required=False, max_length=32),
            "tier": c.text(e, "tier", path, required=False, max_length=32),
            "amount": c.decimal(e, "amount", path, low=Decimal(0), high=MAX_FIGURE),
            "start": c.date(e, "start", path),
            "end": c.date(e, "end", path),
            "share": c.decimal(e, "share", path, low=Decimal("0.01"), high=Decimal(100)),
            "claim_days": None,
        }
        days = e.get("claim_days")
        if days is None:
            c.fail(f"{path}.claim_days", "required")
        elif isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_CLAIM_DAYS:
            c.fail(f"{path}.claim_days", f"must be a whole number from 0 to {MAX_CLAIM_DAYS}")
        else:
            item["claim_days"] = days
        if bool(item["partner"]) == bool(item["tier"]):
            c.fail(path, "name either a partner or a tier")
        elif item["partner"] and item["partner"] not in context["partners"]:
            c.fail(f"{path}.partner", f"unknown partner {item['partner']!r}")
        elif item["tier"] and item["tier"] not in context["tiers"]:
            c.fail(f"{path}.tier", f"unknown tier {item['tier']!r}")
        if item["start"] and item["end"] and item["end"] < item["start"]:
            c.fail(f"{path}.end", "before start")
        if item["code"] in seen:
            c.fail(f"{path}.code", f"duplicate of {seen[item['code']]}")
        elif item["code"]:
            seen[item["code"]] = path
        out.append(item)
    return out


def apply_mdf_funds(items: list[dict], report, *, actor, today) -> None:
    for item in items:
        values = {
            "name": item["name"],
            "partner": Partner.objects.get(code=item["partner"]) if item["partner"] else None,
            "tier": Tier.objects.get(code=item["tier"]) if item["tier"] else None,
            "amount": item["amount"],
            "start": item["start"],
            "end": item["end"],
            "share": item["share"],
            "claim_days": item["claim_days"],
        }
        fund = Fund.objects.filter(code=item["code"]).first()
        if fund is None:
            fund = Fund(code=item["code"], **values)
            fund.full_clean()
            fund.save()
            outcome = "created"
        else:
            changed = [k for k, v in values.items() if getattr(fund, k) != v]
            for k in changed:
                setattr(fund, k, values[k])
            if changed:
                fund.full_clean()
                fund.save(update_fields=[*changed, "updated_at"])
            outcome = "updated" if changed else "unchanged"
        budgets = fund_budgets_sync(fund)
        if outcome == "unchanged" and (budgets["created"] or budgets["removed"]):
            outcome = "updated"
        report.count("mdf_funds", outcome)


SECTIONS = (ExtraSection("mdf_funds", validate_mdf_funds, apply_mdf_funds),)
