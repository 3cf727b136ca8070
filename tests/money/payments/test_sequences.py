"""No sequence of payments and reversals creates or loses a cent."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agency.clock import today
from cases import ledger
from cases.intake import ClaimInput, open_case
from cases.models import CaseKind, EntryKind, LedgerEntry
from money.models import Payment
from money.payments.payments import DuplicatePaymentError, PaymentError, reverse_payment
from tests import factories

DEBITS = {EntryKind.PRINCIPAL.value, EntryKind.INTEREST.value, EntryKind.INDEMNITY.value, EntryKind.COST.value}

steps = st.lists(
    st.one_of(
        st.tuples(st.just("pay"), st.integers(min_value=1, max_value=150_000), st.integers(0, 400),
                  st.lists(st.integers(0, 2), max_size=2)),
        st.tuples(st.just("reverse"), st.integers(min_value=0, max_value=20)),
        st.tuples(st.just("retry"), st.integers(min_value=0, max_value=20)),
    ),
    min_size=1,
    max_size=8,
)


def check_invariants(db_session, case) -> None:
    entries = list(db_session.scalars(sa.select(LedgerEntry).where(LedgerEntry.case_id == case.id)))
    by_id = {e.id: e for e in entries}
    payments = list(db_session.scalars(sa.select(Payment).where(Payment.case_id == case.id)))

    def own_kind(entry):
        return by_id[entry.reverses_id].kind if entry.reverses_id else entry.kind

    debits = sum(e.amount_cents for e in entries if own_kind(e) in DEBITS)
    net_paid = sum(p.amount_cents for p in payments if p.reversed_on is None)
    total = sum(e.amount_cents for e in entries)
    assert total == debits - net_paid
    balance = ledger.balance(case.id)
    assert balance.outstanding == total and balance.paid == net_paid
    assert balance.credit == sum(p.credit_cents for p in payments if p.reversed_on is None)
    for payment in payments:
        own = [e for e in entries if e.payment_id == payment.id]
        assert sum(e.amount_cents for e in own if e.kind == EntryKind.PAYMENT) == -payment.amount_cents
        assert sum(e.amount_cents for e in own) == (0 if payment.reversed_on else -payment.amount_cents)
        assert all(e.amount_cents < 0 for e in own if e.kind == EntryKind.PAYMENT)
    # Allocation never pays more than is owed on a part: what is left per (claim, part) is never negative.
    left: dict = {}
    for e in entries:
        kind = own_kind(e)
        part = e.applies_to if kind == EntryKind.PAYMENT else kind
        if part != "credit":
            left[(e.claim_id, part)] = left.get((e.claim_id, part), 0) + e.amount_cents
    assert all(v >= 0 for (_claim, part), v in left.items() if part != EntryKind.INTEREST.value)
    assert case.status == ("paid" if balance.outstanding <= 0 else case.status)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=steps)
def test_no_sequence_of_payments_and_reversals_creates_or_loses_a_cent(db_session, sequence):
    with db_session.begin_nested() as savepoint:
        client = factories.client()
        client.mandates[0].claims_indemnity = True
        case = open_case(
            client=client, debtor=factories.debtor("company"), kind=CaseKind.B2B, opened_on=date(2026, 2, 1),
            actor=None, claims=[
                ClaimInput(invoice_number=f"S{n}", issue_date=date(2025, 11, 1) + timedelta(days=20 * n),
                           due_date=date(2025, 12, 1) + timedelta(days=20 * n), amount_cents=amount)
                for n, amount in enumerate((40_000, 25_000, 60_000))
            ],
        )
        claim_ids = [c.id for c in case.claims]
        made: list[Payment] = []
        for step in sequence:
            if step[0] == "pay":
                _, amount, days_ago, picks = step
                choice = [claim_ids[i] for i in picks]
                received_on = today() - timedelta(days=days_ago)
                twins = [p for p in made if (p.amount_cents, p.received_on, p.reversed_on) == (amount, received_on, None)]
                try:
                    made.append(factories.payment(case, amount, received_on=received_on, debtor_choice=choice))
                except DuplicatePaymentError as exc:
                    # The same amount on the same day (no payer reference) asks for confirmation, then is recorded.
                    assert exc.earlier == twins[0]
                    check_invariants(db_session, case)
                    made.append(factories.payment(case, amount, received_on=received_on, debtor_choice=choice,
                                                  confirm_duplicate=True))
                except PaymentError:
                    assert case.status == "closed"
                else:
                    assert not twins
            elif made and step[0] == "reverse":
                payment = made[step[1] % len(made)]
                try:
                    reverse_payment(payment, reason="rejet", on=today(), actor=None)
                except PaymentError:
                    assert payment.reversed_on is not None  # reversing twice is refused
            elif made and step[0] == "retry":
                payment = made[step[1] % len(made)]
                again = factories.payment(case, payment.amount_cents, received_on=payment.received_on,
                                          idempotency_key=payment.idempotency_key)
                assert again.id == payment.id
            check_invariants(db_session, case)
        savepoint.rollback()
