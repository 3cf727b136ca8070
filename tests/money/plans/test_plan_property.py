"""Whatever the sequence of payments, reversals, plans and days, a plan counts only the money paid under it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agency.clock import today
from cases import ledger
from cases.models import LedgerEntry
from money.models import Payment, PaymentPlan
from money.payments.payments import reverse_payment
from money.plans.marking import paid_towards, refresh_plans
from money.plans.plans import PlanError, cancel_plan, propose_plan, running_plan, split
from tests import factories

START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)

steps = st.lists(
    st.one_of(
        st.tuples(st.just("pay"), st.integers(1, 90_000), st.integers(0, 20)),
        st.tuples(st.just("reverse"), st.integers(0, 20)),
        st.tuples(st.just("plan"), st.integers(1, 4), st.sampled_from([0, 500, 1_000])),
        st.tuples(st.just("cancel")),
        st.tuples(st.just("wait"), st.integers(1, 25)),
    ),
    min_size=1,
    max_size=10,
)


def expected_marks(plan: PaymentPlan, paid: int, on: date) -> list[tuple[str, int]]:
    """The instalments as the ledger says they stand: filled in date order with what was paid under the plan."""
    marks, available = [], max(paid, 0)
    for instalment in plan.instalments:
        got = min(available, instalment.amount_cents)
        available -= got
        if got == instalment.amount_cents:
            status = "paid"
        elif on <= instalment.due_on:
            status = "pending"
        elif on <= instalment.due_on + timedelta(days=plan.grace_days):
            status = "late"
        else:
            status = "missed"
        marks.append((status, got))
    return marks


def check_plans(db_session, case, prior: dict[int, set[int]]) -> None:
    payments = list(db_session.scalars(sa.select(Payment).where(Payment.case_id == case.id)))
    for plan in db_session.scalars(sa.select(PaymentPlan).where(PaymentPlan.case_id == case.id)):
        # Money under the plan: payments recorded after it was agreed and not reversed.
        under = sum(p.amount_cents for p in payments if p.id not in prior[plan.id] and p.reversed_on is None)
        assert paid_towards([plan.id]) == {plan.id: under}
        if plan.status == "active":
            marks = [(i.status, i.paid_cents) for i in plan.instalments]
            assert marks == expected_marks(plan, under, today())
            assert "missed" not in {status for status, _paid in marks}
            remaining = sum(i.amount_cents - i.paid_cents for i in plan.instalments)
            assert remaining == plan.total_cents - min(under, plan.total_cents) > 0
            if under == 0:  # money the total already took into account never pays an instalment
                assert all(paid == 0 for _status, paid in marks)
        elif plan.status == "completed":
            assert under >= plan.total_cents
            assert all(i.status == "paid" for i in plan.instalments)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=steps)
def test_a_plan_counts_only_the_money_paid_under_it(db_session, time_machine, sequence):
    time_machine.move_to(START, tick=False)
    with db_session.begin_nested() as savepoint:
        client = factories.client()
        client.mandates[0].max_discount_bp, client.mandates[0].max_plan_months = 1_000, 12
        case = factories.case(client, amounts=(120_000, 80_000))
        made: list[Payment] = []
        prior: dict[int, set[int]] = {}  # per plan, the payments its total already took into account
        for step in sequence:
            if step[0] == "pay":
                made.append(factories.payment(case, step[1], received_on=today() - timedelta(days=step[2]),
                                              confirm_duplicate=True))  # twins are the debtor paying twice
            elif step[0] == "reverse" and made:
                payment = made[step[1] % len(made)]
                if payment.reversed_on is None:
                    reverse_payment(payment, reason="rejet", on=today(), actor=None)
            elif step[0] == "plan":
                outstanding = ledger.balance(case.id).outstanding
                total = outstanding - outstanding * step[2] // 10_000  # within the mandate's discount
                try:
                    plan = propose_plan(case, instalments=split(total, step[1], today() + timedelta(days=5), "week"),
                                        total_cents=total, grace_days=3, actor=None)
                except PlanError:
                    assert running_plan(case) is not None or case.status == "paid" or total < step[1]
                    continue
                assert plan.status == "active" and plan.balance_cents == outstanding
                last = db_session.scalar(sa.select(sa.func.max(LedgerEntry.id)).where(LedgerEntry.case_id == case.id))
                assert plan.last_entry_id == last
                prior[plan.id] = {p.id for p in made}
            elif step[0] == "cancel" and (plan := running_plan(case)) is not None:
                cancel_plan(plan, actor=None, reason="le débiteur se rétracte")
            elif step[0] == "wait":
                time_machine.shift(timedelta(days=step[1]))
                refresh_plans(None, today())
            check_plans(db_session, case, prior)
        savepoint.rollback()
