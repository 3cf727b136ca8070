"""Cases, claims and the ledger round-trip, and the database itself refuses what the rules forbid."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DatabaseError, IntegrityError

from agency.db import db
from cases import ledger
from cases.models import Action, Case, Claim, EntryKind, LedgerEntry, Promise
from tests import factories


def refused(session, statement_or_row):
    """Assert the database refuses the row or statement, inside a savepoint so the test can go on."""
    with pytest.raises((IntegrityError, DatabaseError)):
        with session.begin_nested():
            if isinstance(statement_or_row, sa.Executable):
                session.execute(statement_or_row)
            else:
                session.add(statement_or_row)
                session.flush()


def test_case_round_trips_with_claims_ledger_actions_and_promises(db_session):
    case = factories.case(amounts=(10_000, 2_550), client_reference="C-778")
    db_session.add(
        Action(
            case=case,
            kind="call",
            channel="phone",
            outcome="right_party",
            status="done",
            done_at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
            note="Appel",
        )
    )
    db_session.add(Promise(case=case, amount_cents=5_000, due_on=date(2026, 3, 15)))
    db_session.commit()
    case_id = case.id
    db_session.expunge_all()

    loaded = db_session.get(Case, case_id)
    assert loaded.reference.startswith("D26-")
    assert loaded.client_reference == "C-778"
    assert [c.amount_cents for c in loaded.claims] == [10_000, 2_550]
    assert [e.kind for e in loaded.ledger_entries] == ["principal", "principal"]
    assert loaded.actions[0].done_at == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    assert loaded.actions[0].done_at.tzinfo is not None
    assert loaded.promises[0].amount_cents == 5_000
    assert ledger.balance(case_id).outstanding == 12_550


def test_case_references_are_sequential_per_year(db_session):
    first, second = factories.case(), factories.case()
    a, b = int(first.reference.split("-")[1]), int(second.reference.split("-")[1])
    assert b == a + 1


def test_claim_amount_cannot_be_negative(db_session):
    case = factories.case()
    refused(
        db_session,
        Claim(
            case_id=case.id,
            client_id=case.client_id,
            invoice_number="NEG",
            issue_date=date(2026, 1, 1),
            due_date=date(2026, 2, 1),
            amount_cents=-1,
        ),
    )


def test_invoice_number_is_unique_per_client_only(db_session):
    case = factories.case()
    number = case.claims[0].invoice_number
    refused(
        db_session,
        Claim(
            case_id=case.id,
            client_id=case.client_id,
            invoice_number=number,
            issue_date=date(2026, 1, 1),
            due_date=date(2026, 2, 1),
            amount_cents=100,
        ),
    )
    other = factories.case()
    db_session.add(
        Claim(
            case=other,
            client_id=other.client_id,
            invoice_number=number,
            issue_date=date(2026, 1, 1),
            due_date=date(2026, 2, 1),
            amount_cents=100,
        )
    )
    db_session.flush()


def test_claim_cannot_sit_on_another_clients_case(db_session):
    case, stranger = factories.case(), factories.client()
    refused(
        db_session,
        sa.insert(Claim).values(
            case_id=case.id,
            client_id=stranger.id,
            invoice_number="X1",
            issue_date=date(2026, 1, 1),
            due_date=date(2026, 2, 1),
            amount_cents=100,
            currency="EUR",
            description="",
            created_at=datetime.now(UTC),
        ),
    )


def test_foreign_keys_are_enforced(db_session):
    refused(
        db_session,
        sa.insert(Case).values(
            reference="D99-000001",
            client_id=999_999,
            debtor_id=999_999,
            status="new",
            kind="b2c",
            currency="EUR",
            opened_on=date(2026, 1, 1),
            client_reference="",
            closed_reason="",
            created_at=datetime.now(UTC),
        ),
    )


@pytest.mark.parametrize(
    "kind, amount", [("payment", 500), ("principal", -500), ("interest", 0), ("reversal", 10)]
)
def test_ledger_sign_follows_the_kind(db_session, kind, amount):
    case = factories.case()
    refused(
        db_session,
        LedgerEntry(
            case_id=case.id,
            client_id=case.client_id,
            kind=kind,
            amount_cents=amount,
            effective_on=date(2026, 3, 1),
        ),
    )


def test_ledger_entries_cannot_be_updated_or_deleted(db_session):
    case = factories.case()
    db_session.commit()
    entry_id = case.ledger_entries[0].id
    refused(db_session, sa.update(LedgerEntry).where(LedgerEntry.id == entry_id).values(amount_cents=1))
    refused(db_session, sa.delete(LedgerEntry).where(LedgerEntry.id == entry_id))
    assert db_session.get(LedgerEntry, entry_id).amount_cents == 12_345


def test_a_reversal_undoes_a_payment_by_a_new_entry(db_session):
    case = factories.case(amounts=(10_000,))
    payment = ledger.post_entry(case, EntryKind.PAYMENT, -4_000, date(2026, 3, 10), description="Virement")
    db_session.flush()
    assert ledger.balance(case.id).paid == 4_000
    db_session.add(
        LedgerEntry(
            case=case,
            client_id=case.client_id,
            kind="reversal",
            amount_cents=4_000,
            effective_on=date(2026, 3, 12),
            reverses_id=payment.id,
        )
    )
    db_session.flush()
    balance = ledger.balance(case.id)
    assert (balance.paid, balance.outstanding) == (0, 10_000)
    assert len(db_session.scalars(sa.select(LedgerEntry).where(LedgerEntry.case_id == case.id)).all()) == 3


def test_ledger_refuses_float_amounts(db_session):
    case = factories.case()
    with pytest.raises(TypeError):
        ledger.post_entry(case, EntryKind.PAYMENT, -10.5, date(2026, 3, 10))


def test_opening_a_case_needs_a_mandate_in_force(db_session):
    from cases.intake import IntakeError

    client = factories.client(with_mandate=False)
    with pytest.raises(IntakeError, match="R124-3"):
        factories.case(client_row=client)
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(Case).where(Case.client_id == client.id))
        == 0
    )


def test_an_entry_is_reversed_at_most_once(db_session):
    case = factories.case(amounts=(10_000,))
    payment = ledger.post_entry(case, EntryKind.PAYMENT, -4_000, date(2026, 3, 10))
    db_session.flush()
    db_session.add(
        LedgerEntry(
            case=case,
            client_id=case.client_id,
            kind="reversal",
            amount_cents=4_000,
            effective_on=date(2026, 3, 12),
            reverses_id=payment.id,
        )
    )
    db_session.flush()
    refused(
        db_session,
        LedgerEntry(
            case_id=case.id,
            client_id=case.client_id,
            kind="reversal",
            amount_cents=4_000,
            effective_on=date(2026, 3, 13),
            reverses_id=payment.id,
        ),
    )
