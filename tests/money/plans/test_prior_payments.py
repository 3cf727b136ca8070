"""A plan counts only the money received under it: payments its total already took into account pay no instalment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agency.clock import today
from cases.ledger import balance
from money.payments.payments import reverse_payment
from money.plans.marking import paid_towards
from money.plans.plans import propose_plan, split
from tests import factories


def test_reversing_a_payment_made_before_the_plan_pays_no_instalment(db_session, time_machine):
    time_machine.move_to(datetime(2026, 12, 7, 9, 0, tzinfo=UTC))
    client = factories.client()
    client.mandates[0].max_discount_bp, client.mandates[0].max_plan_months = 1_000, 6
    case = factories.case(client, amounts=(200_000,))
    first = factories.payment(case, 30_000, payer_reference="VIR SEPA 0412")
    factories.payment(case, 30_000, payer_reference="CHQ 5512034", method="cheque")
    assert balance(case.id).outstanding == 140_000
    plan = propose_plan(case, instalments=split(140_000, 4, today() + timedelta(days=10)), total_cents=140_000,
                        actor=None)
    assert plan.starts_on == today() and plan.status == "active"

    reverse_payment(first, reason="virement rejeté", on=today(), actor=None)

    # Nothing was paid under the plan: the reversal of money it already took into account pays nothing.
    assert paid_towards([plan.id]) == {plan.id: 0}
    assert [(i.status, i.paid_cents) for i in plan.instalments] == [("pending", 0)] * 4
    assert balance(case.id).outstanding == 170_000

    # Money received under the plan pays the first instalment, and only that money.
    factories.payment(case, 35_000)
    assert paid_towards([plan.id]) == {plan.id: 35_000}
    assert [(i.status, i.paid_cents) for i in plan.instalments] == [
        ("paid", 35_000), ("pending", 0), ("pending", 0), ("pending", 0)]
