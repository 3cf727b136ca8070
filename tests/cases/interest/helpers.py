"""Cases with known claims, mandates and payments for the interest tests."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time

from agency.db import db
from cases.intake import ClaimInput, open_case
from cases.ledger import post_entry
from cases.models import AppliesTo, CaseKind, EntryKind, LedgerEntry, Letter, LetterKind, LetterStatus
from debtors.models import Hold, HoldKind
from money.models import Payment
from tests import factories

_numbers = itertools.count(1)


def business_case(amounts_due: list[tuple[int, date]], *, kind: str = "b2b", private: bool = False,
                  status: str | None = None, **mandate_fields):
    """Open a case of claims (cents, due date) for a new client whose mandate carries `mandate_fields`."""
    client = factories.client(is_private_individual=private)
    mandate = client.mandates[0]
    for name, value in mandate_fields.items():
        setattr(mandate, name, value)
    debtor = factories.debtor("company" if kind == "b2b" else "person")
    claims = [
        ClaimInput(invoice_number=f"INT-{next(_numbers):06d}", issue_date=due, due_date=due, amount_cents=cents)
        for cents, due in amounts_due
    ]
    case = open_case(client=client, debtor=debtor, kind=CaseKind(kind), claims=claims, opened_on=date(2026, 1, 2),
                     actor=None)
    if status:
        case.status = status
    db.session.flush()
    return case


def pay_principal(case, claim, cents: int, on: date) -> LedgerEntry:
    """Record `cents` paid on `on` and allocated to the claim's principal."""
    n = next(_numbers)
    payment = Payment(case=case, client_id=case.client_id, reference=f"Q-INT-{n}", amount_cents=cents,
                      received_on=on, method="transfer", idempotency_key=f"int-{n}")
    db.session.add(payment)
    db.session.flush()
    entry = LedgerEntry(case=case, client_id=case.client_id, claim=claim, kind=EntryKind.PAYMENT.value,
                        amount_cents=-cents, currency=case.currency, effective_on=on, description="Paiement",
                        payment_id=payment.id, applies_to=AppliesTo.PRINCIPAL.value)
    db.session.add(entry)
    db.session.flush()
    return entry


def issued_notice(case, on: date) -> Letter:
    """Put an issued formal notice on the case, dated `on`."""
    letter = Letter(case=case, client_id=case.client_id, kind=LetterKind.FORMAL_NOTICE.value,
                    status=LetterStatus.ISSUED.value, reference=f"MED-INT-{next(_numbers)}", issued_on=on,
                    sha256="0" * 64)
    db.session.add(letter)
    db.session.flush()
    return letter


def insolvency(case, on: date) -> Hold:
    """Put the case's debtor under an insolvency hold started on `on`."""
    hold = Hold(debtor=case.debtor, kind=HoldKind.INSOLVENCY.value, reason="Redressement judiciaire",
                started_at=datetime.combine(on, time(9), UTC))
    db.session.add(hold)
    db.session.flush()
    return hold


def credit(case, claim, kind: EntryKind, cents: int, on: date) -> LedgerEntry:
    """Credit a note or a write-off against a claim."""
    entry = post_entry(case, kind, -cents, on, claim=claim, description=kind.value)
    db.session.flush()
    return entry


def reverse(case, entry: LedgerEntry, on: date) -> LedgerEntry:
    """Undo an entry (a bounced payment) by a reversal entry dated `on`."""
    undo = LedgerEntry(case=case, client_id=case.client_id, claim_id=entry.claim_id, kind=EntryKind.REVERSAL.value,
                       amount_cents=-entry.amount_cents, currency=case.currency, effective_on=on,
                       description="Annulation", reverses_id=entry.id, payment_id=entry.payment_id,
                       applies_to=entry.applies_to)
    db.session.add(undo)
    db.session.flush()
    return undo
