"""Recording and reversing payments: the ledger, the case's status, commission, idempotency, refusals."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from agency.clock import today
from agency.db import utcnow
from agency.models import AuditEvent
from cases import ledger
from cases.intake import ClaimInput, open_case
from cases.interest.posting import post_interest
from cases.models import CaseKind, EntryKind, LedgerEntry
from money.models import Payment
from money.payments.payments import PaymentError, record_payment, reverse_payment
from tests import factories


def entries_of(db_session, payment) -> list[LedgerEntry]:
    return list(db_session.scalars(
        sa.select(LedgerEntry).where(LedgerEntry.payment_id == payment.id).order_by(LedgerEntry.id)))


def events(db_session, action: str, subject_id: int) -> list[AuditEvent]:
    return list(db_session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == action, AuditEvent.subject_id == subject_id)))


def two_claim_case(**fields):
    """A consumer case (no interest without a formal notice) with an older and a newer invoice."""
    client = factories.client()
    return open_case(
        client=client, debtor=factories.debtor(), kind=CaseKind.B2C, opened_on=date(2026, 3, 1), actor=None,
        claims=[
            ClaimInput(invoice_number="F-OLD", issue_date=date(2025, 10, 1), due_date=date(2025, 11, 1),
                       amount_cents=50_000),
            ClaimInput(invoice_number="F-NEW", issue_date=date(2025, 12, 1), due_date=date(2026, 1, 1),
                       amount_cents=30_000),
        ],
        **fields,
    )


def test_a_partial_payment_settles_the_oldest_claim_first_and_snapshots_the_commission(db_session):
    case = two_claim_case()
    actor = factories.user("collector")
    payment = factories.payment(case, 60_000, actor=actor)

    old, new = sorted(case.claims, key=lambda c: c.due_date)
    assert [(e.claim_id, e.applies_to, e.amount_cents) for e in entries_of(db_session, payment)] == [
        (old.id, "principal", -50_000), (new.id, "principal", -10_000)]
    assert payment.reference.startswith("Q") and payment.balance_after_cents == 20_000
    assert ledger.balance(case.id).outstanding == 20_000 and case.status == "new"
    # The mandate's 15 % and 20 % VAT on it, fixed on the payment.
    assert (payment.commission_bp, payment.commission_cents, payment.commission_vat_cents) == (1500, 9_000, 1_800)
    [event] = events(db_session, "payment.recorded", payment.id)
    assert event.before["outstanding"] == 80_000 and event.after["outstanding"] == 20_000
    assert event.actor_id == actor.id


def test_the_debtors_choice_is_followed(db_session):
    case = two_claim_case()
    old, new = sorted(case.claims, key=lambda c: c.due_date)
    payment = factories.payment(case, 35_000, debtor_choice=[new.id])
    assert [(e.claim_id, e.amount_cents) for e in entries_of(db_session, payment)] == [
        (new.id, -30_000), (old.id, -5_000)]
    assert payment.debtor_choice == [new.id]


def test_full_payment_closes_the_case_and_takes_it_out_of_the_queue(db_session):
    case = two_claim_case()
    collector = factories.user("collector")
    case.next_action_at, case.leased_by_id = utcnow(), collector.id
    case.lease_expires_at = utcnow() + timedelta(minutes=20)
    factories.payment(case, 80_000, received_on=today() - timedelta(days=2))
    assert case.status == "paid" and case.closed_on == today() - timedelta(days=2) and case.closed_reason == "paid"
    assert case.next_action_at is None and case.leased_by_id is None and case.lease_expires_at is None
    assert ledger.balance(case.id).outstanding == 0


def test_an_overpayment_is_kept_as_a_credit_without_commission(db_session):
    case = two_claim_case()
    payment = factories.payment(case, 100_000)
    credit = [e for e in entries_of(db_session, payment) if e.applies_to == "credit"]
    assert [(e.claim_id, e.amount_cents) for e in credit] == [(None, -20_000)]
    assert payment.credit_cents == 20_000 and payment.balance_after_cents == -20_000
    balance = ledger.balance(case.id)
    assert balance.credit == 20_000 and balance.paid == 100_000 and case.status == "paid"
    assert payment.commission_cents == 12_000  # 15 % of the 800 € owed, not of the 200 € to refund

    # A paid case still takes money (it was received and must not be lost): all of it is a credit.
    more = factories.payment(case, 500)
    assert more.credit_cents == 500 and ledger.balance(case.id).credit == 20_500


def test_the_same_idempotency_key_records_one_payment(db_session):
    case = two_claim_case()
    first = factories.payment(case, 10_000, idempotency_key="form-123")
    again = factories.payment(case, 10_000, idempotency_key="form-123")
    assert again.id == first.id
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Payment).where(Payment.case_id == case.id)) == 1
    assert len(entries_of(db_session, first)) == 1 and ledger.balance(case.id).paid == 10_000
    assert len(events(db_session, "payment.recorded", first.id)) == 1
    # The same key with another amount is a mistake, not a retry.
    with pytest.raises(PaymentError, match="déjà servi pour un autre règlement"):
        factories.payment(case, 20_000, idempotency_key="form-123")


def test_the_key_is_unique_per_client_in_the_database(db_session):
    """The constraint a concurrent twin runs into: the service catches it in a savepoint."""
    case = two_claim_case()
    first = factories.payment(case, 10_000, idempotency_key="same")
    twin = Payment(case=case, client_id=case.client_id, reference="Q-twin", amount_cents=10_000,
                   received_on=first.received_on, method="transfer", channel="trust", idempotency_key="same")
    with pytest.raises(sa.exc.IntegrityError), db_session.begin_nested():
        db_session.add(twin)
        db_session.flush()
    # Another client may use the same key.
    other = factories.payment(factories.case(), 1_000, idempotency_key="same")
    assert other.id != first.id


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount_cents": 0}, "amount"),
        ({"amount_cents": -5}, "amount"),
        ({"received_on": date(2099, 1, 1)}, "received_on"),
        ({"currency": "USD"}, "amount"),
        ({"method": "bitcoin"}, "method"),
        ({"channel": "pocket"}, "channel"),
        ({"debtor_choice": [999_999_999]}, "debtor_choice"),
        ({"idempotency_key": ""}, ""),
    ],
)
def test_bad_input_is_refused_with_its_field_and_changes_nothing(db_session, changes, field):
    case = two_claim_case()
    before = db_session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry).where(LedgerEntry.case_id == case.id))
    values = {"amount_cents": 1_000, "received_on": today(), "method": "transfer", "channel": "trust",
              "idempotency_key": "k1", "actor": None, **changes}
    with pytest.raises(PaymentError) as refused:
        record_payment(case, **values)
    assert refused.value.field == field and str(refused.value)
    after = db_session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry).where(LedgerEntry.case_id == case.id))
    assert after == before
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Payment).where(Payment.case_id == case.id)) == 0


def test_a_case_closed_unpaid_still_records_a_late_payment(db_session):
    # Closed before closings wrote their balance off (no write-off to take back): allocated as it stands.
    case = two_claim_case()
    case.status, case.closed_on = "closed", date(2026, 6, 1)
    before = ledger.balance(case.id).outstanding
    factories.payment(case, 1_000)
    assert case.status == "closed" and ledger.balance(case.id).outstanding == before - 1_000


def test_reversal_undoes_each_entry_reopens_the_case_and_refuses_twice(db_session):
    case = two_claim_case()
    manager = factories.user("manager")
    payment = factories.payment(case, 90_000, received_on=today() - timedelta(days=3))
    assert case.status == "paid" and ledger.balance(case.id).credit == 10_000

    reversals = reverse_payment(payment, reason="Chèque impayé", on=today(), actor=manager)
    originals = [e for e in entries_of(db_session, payment) if e.kind == EntryKind.PAYMENT]
    assert len(reversals) == len(originals) == 3
    for original, reversal in zip(originals, reversals, strict=True):
        assert reversal.kind == "reversal" and reversal.reverses_id == original.id
        assert reversal.amount_cents == -original.amount_cents
        assert (reversal.payment_id, reversal.applies_to, reversal.claim_id) == (
            payment.id, original.applies_to, original.claim_id)
    balance = ledger.balance(case.id)
    assert balance.outstanding == 80_000 and balance.paid == 0 and balance.credit == 0
    assert case.status == "active" and case.closed_on is None and case.next_action_at is not None
    assert payment.reversed_on == today() and payment.reversal_reason == "Chèque impayé"
    assert payment.reversed_by_id == manager.id
    [event] = events(db_session, "payment.reversed", payment.id)
    assert event.before["status"] == "paid" and event.after["status"] == "active"

    with pytest.raises(PaymentError, match="a déjà été contrepassé"):
        reverse_payment(payment, reason="encore", on=today(), actor=manager)
    assert len(entries_of(db_session, payment)) == 6


def test_a_reversal_needs_a_reason_and_a_sensible_date(db_session):
    case = two_claim_case()
    payment = factories.payment(case, 1_000, received_on=today() - timedelta(days=1))
    with pytest.raises(PaymentError) as refused:
        reverse_payment(payment, reason="  ", on=today(), actor=None)
    assert refused.value.field == "reason"
    with pytest.raises(PaymentError) as refused:
        reverse_payment(payment, reason="rejet", on=today() - timedelta(days=5), actor=None)
    assert refused.value.field == "on"
    assert payment.reversed_on is None and len(entries_of(db_session, payment)) == 1


def test_a_backdated_payment_pays_the_interest_owed_that_day_not_interest_posted_since(db_session):
    """The worked example: 10 000 € due 15 January 2026, paid 16 March 2026 → 199,73 € interest + 40 €."""
    client = factories.client()
    client.mandates[0].claims_indemnity = True
    case = open_case(
        client=client, debtor=factories.debtor("company"), kind=CaseKind.B2B, opened_on=date(2026, 2, 1),
        actor=None, claims=[ClaimInput(invoice_number="F-2026-01", issue_date=date(2025, 12, 16),
                                       due_date=date(2026, 1, 15), amount_cents=1_000_000)],
    )
    post_interest(today(), [case.id])  # the daily run has posted interest up to today
    assert ledger.balance(case.id).interest > 19_973

    payment = factories.payment(case, 1_000_000 + 19_973 + 4_000, received_on=date(2026, 3, 16))
    lines = {(e.applies_to, e.amount_cents) for e in entries_of(db_session, payment)}
    assert lines == {("indemnity", -4_000), ("interest", -19_973), ("principal", -1_000_000)}
    balance = ledger.balance(case.id)
    assert balance.interest == 19_973  # interest posted beyond 16 March was corrected
    assert balance.outstanding == 0 and payment.credit_cents == 0 and case.status == "paid"
