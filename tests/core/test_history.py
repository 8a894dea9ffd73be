"""History that cannot be bypassed: database triggers record every change to terms, prices, plans,
statements and cases, made by a bulk `update()`, raw SQL or Django admin; and an approved or
paid statement refuses every change but its move to paid."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from agreements.models import Agreement, AgreementVersion, PriceListItem, PriceOverride
from agreements.services.agreements import Terms, agreement_create
from commissions.models import Adjustment, PlanVersion, Rule, Statement, StatementLine
from commissions.services.compute import recompute
from commissions.services.statements import statement_approve, statement_mark_paid
from disputes.models import Case
from disputes.services import case_open
from prm.core.history import (
    HISTORY_TABLES,
    history_actor,
    history_triggers_ensure,
    history_triggers_missing,
)
from prm.core.models import RowChange
from tests.agreements.factories import PriceOverrideFactory
from tests.commissions.builders import load, partner, plan, program, sale, statement

pytestmark = pytest.mark.django_db
D = Decimal
METHODS = ["bulk update", "raw SQL", "admin"]


def _raw(sql: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _admin_form_data(response) -> dict:
    """The POST data of a Django admin change page as it was rendered (form and inlines)."""
    data = {}

    def add(form):
        for name in form.fields:
            bound = form[name]
            value = bound.value()
            key = bound.html_name
            if isinstance(value, bool):
                if value:
                    data[key] = "on"
            elif isinstance(value, list | tuple):
                data[key] = [str(v) for v in value]
            elif value is not None:
                data[key] = str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    return data


def _admin_save(client, model, pk: int, **changes) -> None:
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[pk])
    data = {**_admin_form_data(client.get(url)), **changes}
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context.get("errors")


def _changes(table: str, row_id: int, op: str = "update") -> list[RowChange]:
    return list(RowChange.objects.filter(table=table, row_id=row_id, op=op).order_by("id"))


@pytest.fixture
def admin_client_of(world):
    client = world.client("vendor_admin")
    user = world.users["vendor_admin"]
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    return client, user


@pytest.fixture
def draft(db):
    load(
        program(
            commission_plans=[plan({"priority": 10, "line": "NET", "kind": "percent", "rate": "5"})]
        )
    )
    sale("P-ACME", "SW-24", "2026-10-10", "30000.00")
    recompute(month_label="2026-10")
    return statement("P-ACME", "2026-10")


def test_every_table_under_history_has_its_triggers():
    assert history_triggers_missing(connection) == []
    assert set(HISTORY_TABLES) == {"terms", "prices", "plans", "statements", "cases"}


def test_a_trigger_lost_to_a_schema_change_is_put_back_after_migrate():
    if connection.vendor == "postgresql":
        _raw("DROP TRIGGER prm_history_update ON disputes_case")
    else:
        _raw("DROP TRIGGER prm_history_disputes_case_update")
    assert history_triggers_missing(connection)

    history_triggers_ensure(using="default")

    assert history_triggers_missing(connection) == []


@pytest.mark.reliability("history", "terms")
@pytest.mark.parametrize("method", METHODS)
def test_a_change_to_terms_is_recorded(world, admin_client_of, method):
    client, admin = admin_client_of
    agreement = agreement_create(
        actor=admin,
        partner=world.partner,
        number="AG-1",
        start=timezone.localdate(),
        end=timezone.localdate() + dt.timedelta(days=365),
        terms=Terms(effective_date=timezone.localdate(), payment_terms_days=30),
    )
    version = agreement.versions.get()

    if method == "bulk update":
        Agreement.objects.filter(pk=agreement.pk).update(auto_renew=True)
        change = _changes("agreements_agreement", agreement.pk)[-1]
        assert (change.before["auto_renew"], change.after["auto_renew"]) == (False, True)
    elif method == "raw SQL":
        _raw(
            "UPDATE agreements_agreementversion SET payment_terms_days = 90 WHERE id = %s",
            version.pk,
        )
        change = _changes("agreements_agreementversion", version.pk)[-1]
        assert (change.before["payment_terms_days"], change.after["payment_terms_days"]) == (
            30,
            90,
        )
        assert change.actor is None
    else:
        _admin_save(client, AgreementVersion, version.pk, payment_terms_days="60")
        new = AgreementVersion.objects.get(agreement=agreement, number=2)
        [created] = _changes("agreements_agreementversion", new.pk, "insert")
        assert (created.before, created.after["payment_terms_days"]) == (None, 60)
        assert created.actor == admin
        withdrawn = _changes("agreements_agreementversion", version.pk)[-1]
        assert (withdrawn.before["status"], withdrawn.after["status"]) == (
            "awaiting_acceptance",
            "withdrawn",
        )
        assert withdrawn.actor == admin


@pytest.mark.reliability("history", "prices")
@pytest.mark.parametrize("method", METHODS)
def test_a_change_to_prices_is_recorded(world, admin_client_of, draft, method):
    client, admin = admin_client_of
    item = PriceListItem.objects.get(product__sku="SW-24")

    if method == "bulk update":
        PriceListItem.objects.filter(pk=item.pk).update(list_price=D("9999.00"))
        change = _changes("agreements_pricelistitem", item.pk)[-1]
        assert (change.before["list_price"], change.after["list_price"]) == (
            D("12000.00"),
            D("9999.00"),
        )
    elif method == "raw SQL":
        _raw("DELETE FROM agreements_pricelistitem WHERE id = %s", item.pk)
        change = _changes("agreements_pricelistitem", item.pk, "delete")[-1]
        assert (change.before["list_price"], change.after) == (D("12000.00"), None)
    else:
        override = PriceOverrideFactory(partner=world.partner, discount=D("30"))
        _admin_save(client, PriceOverride, override.pk, discount="35")
        change = _changes("agreements_priceoverride", override.pk)[-1]
        assert (change.before["discount"], change.after["discount"]) == (D("30"), D("35"))
        assert change.actor == admin


@pytest.mark.reliability("history", "plans")
@pytest.mark.parametrize("method", METHODS)
def test_a_change_to_plans_is_recorded(admin_client_of, draft, method):
    client, admin = admin_client_of
    version = PlanVersion.objects.get()
    rule = Rule.objects.get()

    if method == "bulk update":
        Rule.objects.filter(pk=rule.pk).update(rate=D("7"))
        change = _changes("commissions_rule", rule.pk)[-1]
        assert (change.before["rate"], change.after["rate"]) == (D("5"), D("7"))
    elif method == "raw SQL":
        _raw("UPDATE commissions_planversion SET clawback_days = 90 WHERE id = %s", version.pk)
        change = _changes("commissions_planversion", version.pk)[-1]
        assert (change.before["clawback_days"], change.after["clawback_days"]) == (60, 90)
    else:
        _admin_save(client, PlanVersion, version.pk, clawback_days="30")
        change = _changes("commissions_planversion", version.pk)[-1]
        assert (change.before["clawback_days"], change.after["clawback_days"]) == (60, 30)
        assert change.actor == admin


@pytest.mark.reliability("history", "statements")
@pytest.mark.parametrize("method", METHODS)
def test_a_change_to_statements_is_recorded(admin_client_of, draft, method):
    client, admin = admin_client_of
    line = draft.lines.get()

    if method == "bulk update":
        with history_actor(admin.pk):
            Statement.objects.filter(pk=draft.pk).update(target=D("50000.00"))
        change = _changes("commissions_statement", draft.pk)[-1]
        assert (change.before["target"], change.after["target"]) == (None, D("50000.00"))
        assert change.actor == admin
    elif method == "raw SQL":
        _raw("UPDATE commissions_statementline SET amount = 1 WHERE id = %s", line.pk)
        change = _changes("commissions_statementline", line.pk)[-1]
        assert (change.before["amount"], change.after["amount"]) == (D("1500.00"), D("1"))
    else:
        # statements are read only in admin; an adjustment made there lands on the draft
        url = reverse("admin:commissions_adjustment_add")
        response = client.post(
            url,
            {"partner": partner("P-ACME").pk, "amount": "250.00", "reason": "Missed deal"},
        )
        assert response.status_code == 302
        adjustment = Adjustment.objects.get()
        [created] = _changes("commissions_adjustment", adjustment.pk, "insert")
        assert (created.after["amount"], created.actor) == (D("250.00"), admin)
        assert client.post(
            reverse("admin:commissions_statement_change", args=[draft.pk]), {"total": "1"}
        ).status_code in (302, 403)
        assert Statement.objects.get(pk=draft.pk).total == D("1500.00")


@pytest.mark.reliability("history", "cases")
@pytest.mark.parametrize("method", METHODS)
def test_a_change_to_cases_is_recorded(world, admin_client_of, method):
    client, _ = admin_client_of
    case = case_open(
        actor=world.users["partner_admin"],
        partner=world.partner,
        kind="payout",
        subject="Payout",
        description="Wrong",
    )
    [opened] = _changes("disputes_case", case.pk, "insert")
    assert opened.after["subject"] == "Payout"

    if method == "bulk update":
        Case.objects.filter(pk=case.pk).update(priority="high")
        change = _changes("disputes_case", case.pk)[-1]
        assert (change.before["priority"], change.after["priority"]) == ("normal", "high")
    elif method == "raw SQL":
        _raw("UPDATE disputes_case SET subject = 'Edited' WHERE id = %s", case.pk)
        change = _changes("disputes_case", case.pk)[-1]
        assert (change.before["subject"], change.after["subject"]) == ("Payout", "Edited")
    else:
        # cases are read only in admin: the page refuses the change and nothing is recorded
        url = reverse("admin:disputes_case_change", args=[case.pk])
        client.post(url, {"subject": "Edited"})
        assert _changes("disputes_case", case.pk) == []
        assert Case.objects.get(pk=case.pk).subject == "Payout"


def test_the_signed_in_user_is_the_actor_of_a_page_write(world, admin_client_of, draft):
    client, admin = admin_client_of
    response = client.post(reverse("statement_approve", args=[draft.pk]))
    assert response.status_code == 302
    [change] = _changes("commissions_statement", draft.pk)[-1:]
    assert (change.after["status"], change.actor) == ("approved", admin)


# Nothing approved is ever changed -------------------------------------------------------------


def _refused(action) -> None:
    with pytest.raises(IntegrityError, match="never change"), transaction.atomic():
        action()


@pytest.mark.reliability("history", "approved statements refuse changes")
@pytest.mark.parametrize("final", ["approved", "paid"])
def test_an_approved_or_paid_statement_refuses_every_change(draft, world, final):
    admin = world.users["vendor_admin"]
    statement_approve(statement=draft, actor=admin)
    if final == "paid":
        statement_mark_paid(statement=draft, actor=admin, reference="WIRE-1")
    line = draft.lines.get()

    _refused(lambda: Statement.objects.filter(pk=draft.pk).update(total=D("1")))
    _refused(lambda: Statement.objects.filter(pk=draft.pk).update(status="draft"))
    _refused(lambda: _raw("UPDATE commissions_statement SET net_sales = 0 WHERE id = %s", draft.pk))
    _refused(lambda: StatementLine.objects.filter(pk=line.pk).update(amount=D("1")))
    _refused(
        lambda: StatementLine.objects.create(
            statement=draft, position=2, kind="rule", description="Extra", amount=D("1")
        )
    )
    if connection.vendor == "postgresql":
        _refused(lambda: StatementLine.objects.filter(pk=line.pk).delete())
        _refused(lambda: _raw("DELETE FROM commissions_statement WHERE id = %s", draft.pk))
    if final == "paid":
        _refused(lambda: Statement.objects.filter(pk=draft.pk).update(payment_reference="X"))

    draft.refresh_from_db()
    assert (draft.status, draft.total, draft.lines.get().amount) == (
        final,
        D("1500.00"),
        D("1500.00"),
    )


def test_moving_an_approved_statement_to_paid_is_allowed(draft, world):
    admin = world.users["vendor_admin"]
    statement_approve(statement=draft, actor=admin)
    statement_mark_paid(statement=draft, actor=admin, reference="WIRE-1")
    assert Statement.objects.get(pk=draft.pk).status == "paid"
    assert Statement.objects.filter(pk=draft.pk).update(updated_at=timezone.now()) == 1
