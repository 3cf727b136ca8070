"""A settlement completed by a payment that then bounces: the waived remainder is owed again, the plan runs again."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from agency.clock import today
from agency.models import AuditEvent
from cases.ledger import balance
from cases.models import EntryKind, LedgerEntry
from money.payments.payments import reverse_payment
from money.plans.plans import propose_plan, split
from tests import factories


def test_a_bounced_last_instalment_takes_back_the_write_off_and_reopens_the_settlement(db_session):
    client = factories.client()
    client.mandates[0].max_discount_bp, client.mandates[0].max_plan_months = 1_000, 6
    case = factories.case(client, amounts=(100_000,))
    plan = propose_plan(case, instalments=split(90_000, 1, today() + timedelta(days=7)), total_cents=90_000,
                        actor=None)
    cheque = factories.payment(case, 90_000, method="cheque")
    assert plan.status == "completed" and case.status == "paid" and balance(case.id).outstanding == 0

    reverse_payment(cheque, reason="chèque impayé", on=today(), actor=None)

    # The debtor did not pay the settlement: the whole debt is owed again, and the plan waits for its instalment.
    assert balance(case.id).outstanding == 100_000
    assert plan.status == "active" and plan.ended_on is None and case.status == "plan"
    assert [i.status for i in plan.instalments] == ["pending"]
    write_off = db_session.scalars(sa.select(LedgerEntry).where(LedgerEntry.case_id == case.id,
                                                                LedgerEntry.kind == EntryKind.WRITE_OFF)).one()
    taken_back = db_session.scalars(sa.select(LedgerEntry).where(LedgerEntry.reverses_id == write_off.id)).one()
    assert taken_back.amount_cents == 10_000
    actions = set(db_session.scalars(sa.select(AuditEvent.action)))
    assert {"plan.reopened", "ledger.write_off_reversed", "payment.reversed"} <= actions

    # Paid again, the settlement completes again and writes the remainder off once more.
    factories.payment(case, 90_000)
    assert plan.status == "completed" and case.status == "paid" and balance(case.id).outstanding == 0
