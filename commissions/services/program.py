"""The channel program file's `commission_plans` and `targets` sections."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from agreements.models import Product, ProductLine
from agreements.services.program import ExtraSection, LoadReport, ProgramFileError
from partners.models import Partner, Target
from prm.core.events import event_record

from .. import periods
from ..models import CommissionPlan, PlanVersion, Rule, StatementLine
from ..rules import rule_amount
from .recompute import recompute_request_create

FIRST_VERSION_DATE = dt.date(2000, 1, 1)
KINDS = ("percent", "per_unit", "tiered_marginal", "tiered_flat")


def validate_plans(entries, c, context) -> list[dict]:
    if not isinstance(entries, list):
        c.fail("commission_plans", "must be a list")
        return []
    out = []
    seen: dict[str, str] = {}
    for i, e in enumerate(entries):
        path = f"commission_plans[{i}]"
        if not isinstance(e, dict):
            c.fail(path, "must be a mapping")
            continue
        out.append(_validate_plan(e, path, c, context, seen))
    return out


def _validate_plan(e: dict, path: str, c, context, seen: dict[str, str]) -> dict:
    plan = {
        "path": path,
        "code": c.text(e, "code", path, max_length=32),
        "name": c.text(e, "name", path, required=False) or "",
        "settlement": c.text(e, "settlement", path, required=False, max_length=8) or "month",
        "clawback_days": c.integer(e, "clawback_days", path, default=0),
        "cap": c.decimal(e, "cap", path, required=False, low=Decimal(0)),
        "effective_from": c.date(e, "effective_from", path, required=False),
        "accelerator": None,
        "carry_forward": c.boolean(e, "carry_forward", path, default=False),
        "accrual": c.text(e, "accrual", path, required=False, max_length=8) or "invoice",
        "rules": [],
    }
    # Two entries for one code would each be saved as a version of the same plan.
    if plan["code"] in seen:
        c.fail(f"{path}.code", f"duplicate of {seen[plan['code']]}")
    elif plan["code"]:
        seen[plan["code"]] = path
    if plan["settlement"] not in PlanVersion.Settlement.values:
        c.fail(f"{path}.settlement", "must be month or quarter")
    if plan["accrual"] not in PlanVersion.Accrual.values:
        c.fail(f"{path}.accrual", "must be invoice or payment")
    plan["accelerator"] = _accelerator(e.get("accelerator"), f"{path}.accelerator", c)
    plan["rules"] = _validate_rules(e.get("rules") or [], f"{path}.rules", c, context)
    return plan


def _accelerator(accel, path: str, c) -> tuple | None:
    if accel is None:
        return None
    if not isinstance(accel, dict):
        c.fail(path, "must be a mapping or null")
        return None
    return (
        c.decimal(accel, "threshold", path, low=Decimal(0)),
        c.decimal(accel, "multiplier", path, low=Decimal(0)),
    )


def _validate_rules(rules, path: str, c, context) -> list[dict]:
    if not isinstance(rules, list) or not rules:
        c.fail(path, "must be a non-empty list")
        return []
    out = []
    priorities: set[int] = set()
    for j, r in enumerate(rules):
        rpath = f"{path}[{j}]"
        if not isinstance(r, dict):
            c.fail(rpath, "must be a mapping")
            continue
        out.append(_validate_rule(r, rpath, c, context, priorities))
    return out


def _validate_rule(r: dict, rpath: str, c, context, priorities: set[int]) -> dict:
    rule = {
        "priority": c.integer(r, "priority", rpath, default=0),
        "kind": c.text(r, "kind", rpath, max_length=16),
        "line": c.text(r, "line", rpath, required=False, max_length=32),
        "sku": c.text(r, "sku", rpath, required=False, max_length=64),
        "rate": None,
        "amount": None,
        "brackets": [],
    }
    if rule["priority"] in priorities:
        c.fail(f"{rpath}.priority", f"duplicate priority {rule['priority']}")
    priorities.add(rule["priority"])
    if rule["line"] and rule["sku"]:
        c.fail(rpath, "scope is a line or a SKU, not both")
    if rule["line"] and rule["line"] not in context["lines"]:
        c.fail(f"{rpath}.line", f"unknown product line {rule['line']!r}")
    if rule["sku"] and rule["sku"] not in context["skus"]:
        c.fail(f"{rpath}.sku", f"unknown SKU {rule['sku']!r}")
    kind = rule["kind"]
    if kind and kind not in KINDS:
        c.fail(f"{rpath}.kind", f"must be one of {', '.join(KINDS)}")
    elif kind == "percent":
        rule["rate"] = c.decimal(r, "rate", rpath, low=Decimal(-100), high=Decimal(100))
    elif kind == "per_unit":
        rule["amount"] = c.decimal(r, "amount", rpath)
    elif kind:
        rule["brackets"] = _brackets(r.get("brackets"), f"{rpath}.brackets", c)
    return rule


def _brackets(raw, path: str, c) -> list[dict]:
    if not isinstance(raw, list) or not raw:
        c.fail(path, "must be a non-empty list of {upto, rate}")
        return []
    out, previous = [], None
    for k, b in enumerate(raw):
        bpath = f"{path}[{k}]"
        if not isinstance(b, dict):
            c.fail(bpath, "must be a mapping")
            continue
        upto = c.decimal(b, "upto", bpath, required=False, low=Decimal(0))
        rate = c.decimal(b, "rate", bpath, low=Decimal(-100), high=Decimal(100))
        if upto is None and k != len(raw) - 1:
            c.fail(f"{bpath}.upto", "only the last bracket may be open-ended")
        if upto is not None and previous is not None and upto <= previous:
            c.fail(f"{bpath}.upto", "brackets must rise")
        previous = upto if upto is not None else previous
        out.append({"upto": str(upto) if upto is not None else None, "rate": str(rate)})
    if out:
        # A dry run proves the table computes.
        rule_amount(
            kind="tiered_marginal", volume=Decimal("1"), quantity=Decimal("1"), brackets=out
        )
    return out


def validate_targets(entries, c, context) -> list[dict]:
    if not isinstance(entries, list):
        c.fail("targets", "must be a list")
        return []
    out = []
    seen: dict[tuple[str, str], str] = {}
    for i, e in enumerate(entries):
        path = f"targets[{i}]"
        if not isinstance(e, dict):
            c.fail(path, "must be a mapping")
            continue
        item = {
            "partner": c.text(e, "partner", path, max_length=32),
            "period": c.text(e, "period", path, max_length=7),
            "amount": c.decimal(e, "amount", path, low=Decimal("0.01")),
        }
        if item["partner"] and item["partner"] not in context["partners"]:
            c.fail(f"{path}.partner", f"unknown partner {item['partner']!r}")
        if item["period"]:
            try:
                periods.month(item["period"])
            except ValueError:
                c.fail(f"{path}.period", "not a month (YYYY-MM)")
        key = (item["partner"], item["period"])
        if key in seen:
            c.fail(f"{path}.period", f"duplicate of {seen[key]}")
        elif all(key):
            seen[key] = path
        item["currency"] = context["partner_currency"].get(item["partner"], "TWD")
        out.append(item)
    return out


def _number(value) -> str:
    """A decimal as canonical text, so that "5", "5.0000" (as stored) and "5.00" compare equal."""
    if value is None or value == "":
        return ""
    return format(Decimal(str(value)).normalize(), "f")


def _rules_signature(rules) -> list[tuple]:
    return sorted(
        (
            r["priority"],
            r["kind"],
            r["line"] or "",
            r["sku"] or "",
            _number(r["rate"]),
            _number(r["amount"]),
            tuple((_number(b["upto"]), _number(b["rate"])) for b in r["brackets"]),
        )
        for r in rules
    )


def _version_signature(pv: PlanVersion) -> tuple:
    rules = [
        {
            "priority": r.priority,
            "kind": r.kind,
            "line": r.line.code if r.line_id else "",
            "sku": r.product.sku if r.product_id else "",
            "rate": r.rate,
            "amount": r.amount,
            "brackets": r.brackets,
        }
        for r in pv.rules.select_related("line", "product")
    ]
    accel = (
        (_number(pv.accelerator_threshold), _number(pv.accelerator_multiplier))
        if pv.accelerator_threshold is not None
        else None
    )
    return (
        pv.settlement,
        pv.clawback_days,
        _number(pv.cap),
        accel,
        _rules_signature(rules),
        pv.carry_forward,
        pv.accrual,
    )


def apply_plans(plans: list[dict], report: LoadReport, *, actor, today: dt.date) -> None:
    for item in plans:
        plan, created = CommissionPlan.objects.get_or_create(
            code=item["code"], defaults={"name": item["name"] or item["code"]}
        )
        if item["name"] and plan.name != item["name"]:
            plan.name = item["name"]
            plan.save(update_fields=["name", "updated_at"])
        latest = plan.versions.order_by("-effective_from").first()
        accel = tuple(item["accelerator"]) if item["accelerator"] else None
        wanted = (
            item["settlement"],
            item["clawback_days"],
            _number(item["cap"]),
            (_number(accel[0]), _number(accel[1])) if accel else None,
            _rules_signature(item["rules"]),
            item["carry_forward"],
            item["accrual"],
        )
        if latest is not None and _version_signature(latest) == wanted:
            report.count("commission_plans", "unchanged")
            continue
        effective = item["effective_from"] or (FIRST_VERSION_DATE if latest is None else today)
        if StatementLine.objects.filter(
            rule__version__plan=plan, rule__version__effective_from=effective
        ).exists():
            # Rewriting those rules would change what statements were computed with (and the
            # lines protect them): a change takes a new version from a later date.
            raise ProgramFileError(
                [
                    f"{item['path']}.effective_from: the version of plan {plan.code} from "
                    f"{effective:%Y-%m-%d} is already used by payout statements; "
                    "give the change a later effective_from"
                ]
            )
        version, _ = PlanVersion.objects.update_or_create(
            plan=plan,
            effective_from=effective,
            defaults={
                "settlement": item["settlement"],
                "clawback_days": item["clawback_days"],
                "cap": item["cap"],
                "accelerator_threshold": accel[0] if accel else None,
                "accelerator_multiplier": accel[1] if accel else None,
                "carry_forward": item["carry_forward"],
                "accrual": item["accrual"],
            },
        )
        version.rules.all().delete()
        lines = {line.code: line for line in ProductLine.objects.all()}
        products = {
            p.sku: p
            for p in Product.objects.filter(sku__in=[r["sku"] for r in item["rules"] if r["sku"]])
        }
        Rule.objects.bulk_create(
            Rule(
                version=version,
                priority=r["priority"],
                kind=r["kind"],
                line=lines.get(r["line"]) if r["line"] else None,
                product=products.get(r["sku"]) if r["sku"] else None,
                rate=r["rate"],
                amount=r["amount"],
                brackets=r["brackets"],
            )
            for r in item["rules"]
        )
        event_record(
            actor=actor,
            verb="commission_plan.version_saved",
            target=version,
            after={"plan": plan.code, "effective_from": effective, "rules": len(item["rules"])},
        )
        report.count("commission_plans", "created" if created else "updated")
        recompute_request_create(
            period=periods.month_of(max(effective, today.replace(day=1))), reason="plan changed"
        )


def apply_targets(targets: list[dict], report: LoadReport, *, actor, today: dt.date) -> None:
    partners = {p.code: p for p in Partner.objects.filter(code__in=[t["partner"] for t in targets])}
    for item in targets:
        partner = partners[item["partner"]]
        target = Target.objects.filter(partner=partner, period=item["period"]).first()
        if (
            target is not None
            and target.status == Target.Status.AGREED
            and target.amount == item["amount"]
        ):
            report.count("targets", "unchanged")
            continue
        before = {"amount": target.amount, "status": target.status} if target else {}
        if target is None:
            target = Target(partner=partner, period=item["period"], currency=item["currency"])
        target.amount = item["amount"]
        target.status = Target.Status.AGREED
        target.agreed_at = timezone.now()
        target.full_clean()
        target.save()
        event_record(
            actor=actor,
            verb="target.loaded",
            target=target,
            partner=partner,
            before=before,
            after={
                "amount": item["amount"],
                "currency": target.currency,
                "period": item["period"],
                "status": "agreed",
            },
        )
        report.count("targets", "updated" if before else "created")
        recompute_request_create(period=item["period"], partner=partner, reason="target changed")


PLAN_SECTION = ExtraSection("commission_plans", validate_plans, apply_plans)
TARGET_SECTION = ExtraSection("targets", validate_targets, apply_targets)
