"""The trust account: reconciliation, the ledger check, funds held too long, and a property over any history."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from money.models import Remittance
from money.remittances.statements import mark_paid, run_remittances
from money.remittances.trust import aged_funds, trust_position
from tests import factories
from tests.money.remittances.conftest import pay, reverse


def assert_reconciles(position) -> None:
    assert position.balanced, (position.held_cents, position.breakdown_cents)
    assert position.ledger_matches, (position.ledger_collected_cents, position.collected_cents)


def test_position_through_a_month(db_session, creditor):
    base = trust_position()
    case = factories.case(client_row=creditor, amounts=(100_000,))
    pay(case, 40_000, date(2026, 3, 3))
    pay(case, 7_000, date(2026, 3, 4), channel="direct")  # not on the trust account
    position = trust_position()
    assert position.collected_cents - base.collected_cents == 40_000
    mine = next(h for h in position.clients if h.client.id == creditor.id)
    assert (mine.unstated_cents, mine.issued_cents) == (40_000, 0)
    assert_reconciles(position)

    (march,) = run_remittances(date(2026, 3, 31))
    position = trust_position()
    mine = next(h for h in position.clients if h.client.id == creditor.id)
    assert (mine.unstated_cents, mine.issued_cents, mine.held_cents) == (0, 40_000, 40_000)
    assert_reconciles(position)

    mark_paid(march, paid_on=date(2026, 4, 2), reference="VIR-1", actor=None)
    position = trust_position()
    assert position.remitted_cents - base.remitted_cents == march.net_cents
    assert position.commission_earned_cents - base.commission_earned_cents == march.commission_cents + march.vat_cents
    assert position.held_cents == base.held_cents  # everything of this client went out: to it, or as commission
    assert all(h.client.id != creditor.id for h in position.clients)
    assert_reconciles(position)


def test_overpayment_is_held_for_the_debtor_not_remitted(db_session, creditor):
    case = factories.case(client_row=creditor, amounts=(10_000,))
    overpaid = pay(case, 12_500, date(2026, 3, 3))
    assert overpaid.credit_cents == 2_500
    (march,) = run_remittances(date(2026, 3, 31))
    assert march.trust_collected_cents == 10_000
    mark_paid(march, paid_on=date(2026, 4, 2), reference="VIR-1", actor=None)
    position = trust_position()
    mine = next(h for h in position.clients if h.client.id == creditor.id)
    assert (mine.credit_cents, mine.held_cents) == (2_500, 2_500)
    assert_reconciles(position)


def test_ledger_check_sees_a_payment_without_its_entries(db_session, creditor):
    case = factories.case(client_row=creditor, amounts=(10_000,))
    pay(case, 1_000, date(2026, 3, 3))
    assert trust_position().ledger_matches
    # A payment row written around the ledger (a bad import, a hand-made fix): the page must say so.
    from money.models import Payment

    db_session.add(Payment(case_id=case.id, client_id=creditor.id, reference="R-HAND-1", amount_cents=555,
                           received_on=date(2026, 3, 4), method="cash", channel="trust", idempotency_key="hand-1"))
    db_session.flush()
    position = trust_position()
    assert not position.ledger_matches
    assert position.collected_cents - position.ledger_collected_cents == 555


def test_funds_older_than_the_mandate_delay_are_listed(db_session, creditor):
    mandate = creditor.mandates[0]
    mandate.remittance_delay_days = 20
    other = factories.client()  # the default month
    mine = factories.case(client_row=creditor, amounts=(50_000,))
    theirs = factories.case(client_row=other, amounts=(50_000,))
    today = date(2026, 5, 31)
    old = pay(mine, 3_000, today - timedelta(days=21))
    pay(mine, 4_000, today - timedelta(days=20))  # exactly the delay: still in time
    pay(theirs, 5_000, today - timedelta(days=25))  # within its month
    late_theirs = pay(theirs, 6_000, today - timedelta(days=31))
    bounced = pay(mine, 7_000, today - timedelta(days=40))
    reverse(bounced, today - timedelta(days=35))
    pay(mine, 8_000, today - timedelta(days=40), channel="direct")  # never on the trust account
    mark_paid_before = pay(mine, 9_000, date(2026, 4, 1))
    (april,) = run_remittances(date(2026, 4, 30), [creditor.id])
    found = {f.payment_reference: f for f in aged_funds(today)}
    assert old.reference in found and late_theirs.reference in found
    assert mark_paid_before.reference in found  # in a statement, but not yet paid
    assert found[mark_paid_before.reference].statement_reference == april.reference
    assert found[old.reference].due_by == old.received_on + timedelta(days=20)
    assert found[late_theirs.reference].due_by == late_theirs.received_on + timedelta(days=30)
    assert len([f for f in found.values() if f.client_id in (creditor.id, other.id)]) == 3

    mark_paid(april, paid_on=date(2026, 5, 2), reference="VIR-4", actor=None)
    found = {f.payment_reference for f in aged_funds(today, creditor.id)}
    assert found == {old.reference}


movement = st.one_of(
    st.tuples(st.just("pay"), st.integers(0, 2), st.integers(1, 500_000), st.sampled_from(["trust", "direct"])),
    st.tuples(st.just("reverse"), st.integers(0, 50)),
    st.tuples(st.just("run"), st.sampled_from([None, 0, 1])),
    st.tuples(st.just("paid"), st.integers(0, 50)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(movement, min_size=1, max_size=25))
def test_trust_reconciliation_holds_for_any_history(db_session, steps):
    savepoint = db_session.begin_nested()
    try:
        clients = [factories.client(), factories.client()]
        clients[1].mandates[0].fixed_fee_cents = 1_234
        cases = [factories.case(client_row=clients[0], amounts=(300_000,)),
                 factories.case(client_row=clients[1], amounts=(200_000,)),
                 factories.case(client_row=clients[1], amounts=(50_000,))]
        payments, statements = [], []
        day = date(2026, 3, 1)
        for step in steps:
            day += timedelta(days=2)
            if step[0] == "pay":
                _, which, amount, channel = step
                if cases[which].status != "paid":
                    payments.append(pay(cases[which], amount, day, channel=channel))
            elif step[0] == "reverse" and payments:
                payment = payments[step[1] % len(payments)]
                if payment.reversed_on is None:
                    reverse(payment, day)
            elif step[0] == "run":
                ids = None if step[1] is None else [clients[step[1]].id]
                statements += run_remittances(day - timedelta(days=1), ids)
            elif step[0] == "paid" and statements:
                statement = statements[step[1] % len(statements)]
                if statement.status == "issued":
                    mark_paid(statement, paid_on=day, reference="VIR", actor=None)
            position = trust_position()
            assert_reconciles(position)
        ours = {c.id for c in clients}
        for statement in db_session.scalars(sa.select(Remittance).where(Remittance.client_id.in_(ours))):
            assert statement.net_cents == statement.trust_collected_cents - statement.commission_cents - \
                statement.vat_cents
        # Every trust payment is in exactly one statement or still pending: nothing remitted twice, none lost.
        statements += run_remittances(day)
        position = trust_position()
        held = sum(h.held_cents for h in position.clients if h.client.id in ours)
        unstated = sum(h.unstated_cents for h in position.clients if h.client.id in ours)
        assert unstated == 0
        collected = sum(p.amount_cents for p in payments if p.channel == "trust" and p.reversed_on is None)
        paid_out = sum(s.trust_collected_cents for s in statements if s.status == "paid")
        assert held == collected - paid_out
    finally:
        savepoint.rollback()
