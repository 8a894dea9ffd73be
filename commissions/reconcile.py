"""The reconciliation: checks that the stored state is what the data says it must be.

Run after an outage, a restore or a fault drill (`manage.py reconcile`):

- every draft statement equals a clean recompute: the open periods are recomputed inside a
  transaction that is rolled back, with every draft marked stale so that nothing is skipped as
  unchanged, and the result is compared with what was stored (totals and every line);
- the sales rollup that recomputes read equals the sums of the sales lines, and the paid sales
  rollup equals the sums of the lines that count on payment, by the day they count;
- every recompute request and every import batch is done, exactly once: none is left waiting or
  running, and each finished import holds as many sales lines as it reported;
- every reminder went out once: keyed reminder rows are unique, and no reminder event is recorded
  twice for the same object (automatic announcement reminders: twice on the same day).

Nothing is changed. Each check returns its findings (empty: it holds) and a figure for the report.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Case, Count, F, Q, Sum, When
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from agreements.models import AgreementReminder
from partners.models import ReviewReminder
from prm.core.models import Event

from .models import (
    ImportBatch,
    PaidSalesRollup,
    RecomputeRequest,
    Sale,
    SalesRollup,
    Statement,
    StatementLine,
)
from .services.compute import recompute

# Reminder events: these go once per object; automatic announcement reminders once a day.
ONCE_PER_OBJECT = ("deal.expiry_warned", "review.overdue")
ONCE_PER_DAY = "announcement.reminded"


@dataclass
class Check:
    name: str
    figure: str = ""
    findings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


@dataclass
class Report:
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def findings(self) -> list[str]:
        return [f"{check.name}: {finding}" for check in self.checks for finding in check.findings]

    def lines(self) -> list[str]:
        out = []
        for check in self.checks:
            out.append(f"{'ok  ' if check.ok else 'FAIL'} {check.name}: {check.figure}")
            out.extend(f"     - {finding}" for finding in check.findings)
        return out


def _statement_snapshot() -> dict[tuple[str, str], dict]:
    drafts = {
        s.pk: s
        for s in Statement.objects.filter(status=Statement.Status.DRAFT).select_related("partner")
    }
    snapshot: dict[tuple[str, str], dict] = {}
    for statement in drafts.values():
        snapshot[(statement.partner.code, statement.period)] = {
            "header": {
                "total": statement.total,
                "net_sales": statement.net_sales,
                "target": statement.target,
                "unmatched_count": statement.unmatched_count,
                "unmatched_amount": statement.unmatched_amount,
            },
            "lines": [],
        }
    lines = StatementLine.objects.filter(statement_id__in=list(drafts)).order_by(
        "statement_id", "position"
    )
    for line in lines:
        statement = drafts[line.statement_id]
        snapshot[(statement.partner.code, statement.period)]["lines"].append(
            (
                line.position,
                line.kind,
                line.rule_id,
                line.adjustment_id,
                line.description,
                line.volume,
                line.quantity,
                line.sale_count,
                line.amount,
            )
        )
    return snapshot


def _months_to_recompute() -> list[str]:
    """Every month with sales lines, and the month ending each draft statement's period."""
    months = {
        f"{m.year:04d}-{m.month:02d}"
        for m in Sale.objects.annotate(m=TruncMonth("invoice_date"))
        .values_list("m", flat=True)
        .distinct()
        if m is not None
    }
    for end in Statement.objects.filter(status=Statement.Status.DRAFT).values_list(
        "period_end", flat=True
    ):
        months.add(f"{end.year:04d}-{end.month:02d}")
    return sorted(months)


def _describe_line(line: tuple) -> str:
    position, kind, _rule, _adjustment, description, *_rest, amount = line
    return f"line {position} ({kind}) {description!r} = {amount}"


def _compare(stored: dict, clean: dict) -> list[str]:
    findings = []
    for key in sorted(set(stored) | set(clean)):
        code, period = key
        if key not in clean:
            findings.append(f"{code} {period}: a draft statement a clean recompute does not make")
            continue
        if key not in stored:
            total = clean[key]["header"]["total"]
            findings.append(f"{code} {period}: no statement, a clean recompute makes one ({total})")
            continue
        before, after = stored[key], clean[key]
        for name, value in before["header"].items():
            if value != after["header"][name]:
                findings.append(
                    f"{code} {period}: {name} is {value}, a clean recompute gives "
                    f"{after['header'][name]}"
                )
        if before["lines"] != after["lines"]:
            extra = [line for line in before["lines"] if line not in after["lines"]]
            wanted = [line for line in after["lines"] if line not in before["lines"]]
            detail = "; ".join(
                [f"stored {_describe_line(line)}" for line in extra]
                + [f"expected {_describe_line(line)}" for line in wanted]
            )
            findings.append(f"{code} {period}: lines differ: {detail}")
    return findings


def check_statements() -> Check:
    """Every draft statement equals a clean recompute (computed, compared, rolled back)."""
    check = Check("draft statements equal a clean recompute")
    with transaction.atomic():
        stored = _statement_snapshot()
        # A stale fingerprint makes the recompute rewrite every draft instead of keeping it.
        Statement.objects.filter(status=Statement.Status.DRAFT).update(fingerprint="")
        months = _months_to_recompute()
        for label in months:
            recompute(month_label=label)
        clean = _statement_snapshot()
        transaction.set_rollback(True)
    check.findings = _compare(stored, clean)
    check.figure = f"{len(stored)} drafts over {len(months)} months recomputed"
    return check


def check_rollup() -> Check:
    """The per-day sums recomputes read equal the sales lines they summarise."""
    check = Check("sales rollup equals the sales lines")
    no_original = dt.date.fromisoformat(SalesRollup.NO_ORIGINAL)
    expected: dict[tuple, tuple[int, int, int]] = {}
    rows = Sale.objects.values(
        "partner_id", "product_id", "kind", "invoice_date", "original__invoice_date"
    ).annotate(volume=Sum("net_amount"), quantity=Sum("quantity"), n=Count("id"))
    for row in rows:
        key = (
            row["partner_id"],
            row["product_id"],
            row["kind"],
            row["invoice_date"],
            row["original__invoice_date"] or no_original,
        )
        expected[key] = (
            int(Decimal(row["volume"]) * 100),
            int(Decimal(row["quantity"]) * 100),
            row["n"],
        )
    stored = {
        (r.partner_id, r.product_id, r.kind, r.invoice_date, r.original_date): (
            r.volume_cents,
            r.quantity_hundredths,
            r.line_count,
        )
        for r in SalesRollup.objects.exclude(line_count=0)
    }
    for key in sorted(set(expected) | set(stored), key=str):
        if expected.get(key) != stored.get(key):
            check.findings.append(
                f"partner {key[0]}, product {key[1]}, {key[2]} of {key[3]}: rollup "
                f"{stored.get(key)}, sales {expected.get(key)} (cents, hundredths, lines)"
            )
    check.figure = f"{sum(n for *_, n in expected.values())} sales lines in {len(expected)} sums"
    return check


def _paid_lines():
    """The sales lines that count on payment with the day they count: a sale on its paid day (a
    sale of 0 on its invoice date), a return on the later of its own date and its original's
    paid day; lines of unpaid sales are left out."""
    origin_amount = Coalesce(F("original__net_amount"), F("net_amount"))
    paid_day = Case(
        When(origin_amount=0, then=Coalesce(F("original__invoice_date"), F("invoice_date"))),
        When(original__isnull=True, then=F("paid__paid_on")),
        default=F("original__paid__paid_on"),
    )
    return (
        Sale.objects.annotate(origin_amount=origin_amount, paid_day=paid_day)
        .filter(paid_day__isnull=False)
        .annotate(
            counted=Case(
                When(Q(original__isnull=True) | Q(paid_day__gt=F("invoice_date")), then="paid_day"),
                default=F("invoice_date"),
            )
        )
    )


def check_paid_rollup() -> Check:
    """The per-day sums that recomputes read under accrual on payment equal the lines that
    count on payment, by the day they count."""
    check = Check("paid sales rollup equals the paid sales lines")
    no_original = dt.date.fromisoformat(SalesRollup.NO_ORIGINAL)
    expected: dict[tuple, tuple[int, int, int]] = {}
    rows = (
        _paid_lines()
        .values(
            "counted", "partner_id", "product_id", "kind", "invoice_date", "original__invoice_date"
        )
        .annotate(volume=Sum("net_amount"), quantity=Sum("quantity"), n=Count("id"))
    )
    for row in rows:
        key = (
            row["counted"],
            row["partner_id"],
            row["product_id"],
            row["kind"],
            row["invoice_date"],
            row["original__invoice_date"] or no_original,
        )
        expected[key] = (
            int(Decimal(row["volume"]) * 100),
            int(Decimal(row["quantity"]) * 100),
            row["n"],
        )
    stored = {
        (r.counted_on, r.partner_id, r.product_id, r.kind, r.invoice_date, r.original_date): (
            r.volume_cents,
            r.quantity_hundredths,
            r.line_count,
        )
        for r in PaidSalesRollup.objects.exclude(
            line_count=0, volume_cents=0, quantity_hundredths=0
        )
    }
    for key in sorted(set(expected) | set(stored), key=str):
        if expected.get(key) != stored.get(key):
            check.findings.append(
                f"partner {key[1]}, product {key[2]}, {key[3]} of {key[4]} counted on {key[0]}: "
                f"rollup {stored.get(key)}, sales {expected.get(key)} (cents, hundredths, lines)"
            )
    check.figure = (
        f"{sum(n for *_, n in expected.values())} paid sales lines in {len(expected)} sums"
    )
    return check


def check_recompute_requests() -> Check:
    """No request left waiting or running; every finished one ran to its end."""
    check = Check("recompute requests done once")
    counts = Counter(RecomputeRequest.objects.values_list("status", flat=True))
    for request in RecomputeRequest.objects.exclude(status=RecomputeRequest.Status.DONE).order_by(
        "pk"
    ):
        check.findings.append(
            f"request {request.pk} ({request.period}, {request.reason}) is {request.status}"
        )
    unfinished = RecomputeRequest.objects.filter(
        status=RecomputeRequest.Status.DONE, finished_at__isnull=True
    ).values_list("pk", flat=True)
    check.findings.extend(f"request {pk} is done with no finish time" for pk in unfinished)
    short = [
        r
        for r in RecomputeRequest.objects.filter(status=RecomputeRequest.Status.DONE)
        if r.done_partners != r.total_partners
    ]
    check.findings.extend(
        f"request {r.pk} is done after {r.done_partners} of {r.total_partners} partners"
        for r in short
    )
    check.figure = f"{counts.get(RecomputeRequest.Status.DONE, 0)} of {sum(counts.values())} done"
    return check


def check_imports() -> Check:
    """No batch left waiting or running; each finished batch holds the sales it reported."""
    check = Check("imports done once")
    kept = dict(
        Sale.objects.filter(batch__isnull=False)
        .values_list("batch_id")
        .annotate(n=Count("id"))
        .values_list("batch_id", "n")
    )
    batches = list(ImportBatch.objects.order_by("pk"))
    rows = 0
    for batch in batches:
        batch.kept = kept.get(batch.pk, 0)
        if batch.status in (ImportBatch.Status.PENDING, ImportBatch.Status.RUNNING):
            check.findings.append(f"batch {batch.pk} ({batch.filename}) is {batch.status}")
        elif batch.status == ImportBatch.Status.DONE and batch.kept != batch.created_count:
            check.findings.append(
                f"batch {batch.pk} ({batch.filename}) reported {batch.created_count} sales "
                f"lines and holds {batch.kept}"
            )
        rows += batch.kept
    check.figure = f"{len(batches)} batches, {rows} sales lines"
    return check


def check_reminders() -> Check:
    """Each reminder went out once. Reminders of agreements and reviews are rows with a unique
    key; deal expiry warnings and overdue reviews are recorded once per object, and automatic
    announcement reminders once per announcement and day."""
    check = Check("reminders sent once")
    repeated = (
        Event.objects.filter(verb__in=ONCE_PER_OBJECT)
        .values("verb", "target_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by("verb", "target_id")
    )
    check.findings.extend(
        f"{row['verb']} recorded {row['n']} times for object {row['target_id']}" for row in repeated
    )
    daily: Counter = Counter(
        (target_id, timezone.localdate(created_at))
        for target_id, created_at in Event.objects.filter(
            verb=ONCE_PER_DAY, actor__isnull=True
        ).values_list("target_id", "created_at")
    )
    check.findings.extend(
        f"{ONCE_PER_DAY} recorded {n} times for object {target_id} on {day}"
        for (target_id, day), n in sorted(daily.items())
        if n > 1
    )
    once = Event.objects.filter(verb__in=ONCE_PER_OBJECT).count() + sum(daily.values())
    rows = AgreementReminder.objects.count() + ReviewReminder.objects.count()
    check.figure = f"{rows + once} reminders ({rows} keyed rows, {once} recorded events)"
    return check


CHECKS: tuple[Callable[[], Check], ...] = (
    check_statements,
    check_rollup,
    check_paid_rollup,
    check_recompute_requests,
    check_imports,
    check_reminders,
)


def reconcile() -> Report:
    """Run every check; nothing is changed."""
    return Report([check() for check in CHECKS])
