"""Opening cases: a debtor's unpaid invoices for one client become a case with its claims and ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from agency import audit
from agency.db import db
from agency.models import Client, User
from cases.ledger import post_entry
from cases.models import Case, CaseKind, Claim, EntryKind
from cases.references import allocate_references
from debtors.models import Debtor


class IntakeError(ValueError):
    """A case could not be opened; the message says why, `field` names the field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ClaimInput:
    invoice_number: str
    issue_date: date
    due_date: date
    amount_cents: int
    description: str = ""


def open_case(
    *,
    client: Client,
    debtor: Debtor,
    kind: CaseKind,
    claims: list[ClaimInput],
    opened_on: date,
    actor: User | None,
    currency: str = "EUR",
    client_reference: str = "",
    reference: str | None = None,
) -> Case:
    """Open a case with its claims, post each claim's principal to the ledger, audit; do not commit."""
    if client.active_mandate(opened_on) is None:
        raise IntakeError("client", f"client {client.code} has no mandate in force on {opened_on} (R124-3)")
    if not claims:
        raise IntakeError("claims", "a case needs at least one claim")
    case = Case(
        reference=reference or allocate_references(opened_on.year)[0],
        client=client,
        debtor=debtor,
        kind=kind.value,
        currency=currency,
        opened_on=opened_on,
        client_reference=client_reference,
    )
    db.session.add(case)
    for item in claims:
        add_claim(case, item, actor=actor)
    db.session.flush()
    audit.record(
        "case.opened",
        actor=actor,
        subject=case,
        after={"reference": case.reference, "claims": len(claims), "kind": case.kind},
    )
    return case


def add_claim(case: Case, item: ClaimInput, *, actor: User | None) -> Claim:
    """Attach one invoice to the case and post its principal to the ledger."""
    if not isinstance(item.amount_cents, int) or item.amount_cents <= 0:
        raise IntakeError("amount", f"invoice {item.invoice_number}: the amount must be positive")
    if item.due_date < item.issue_date:
        raise IntakeError("due_date", f"invoice {item.invoice_number}: due before it was issued")
    claim = Claim(
        case=case,
        client_id=case.client.id,
        invoice_number=item.invoice_number,
        issue_date=item.issue_date,
        due_date=item.due_date,
        amount_cents=item.amount_cents,
        currency=case.currency,
        description=item.description,
    )
    db.session.add(claim)
    post_entry(
        case,
        EntryKind.PRINCIPAL,
        item.amount_cents,
        item.due_date,
        claim=claim,
        description=f"Facture {item.invoice_number}",
        actor=actor,
    )
    return claim
