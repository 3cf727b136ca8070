"""The receipt (quittance) of every payment (CPCE R124-6): rendered with the letters' layout, stored once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from flask import current_app

from agency import audit
from agency.clock import today
from agency.models import AgencyProfile
from agency.pdf import render_pdf
from cases import ledger
from cases.letters.documents import (
    ASSETS_DIR,
    _context,
    amounts_due,
    letter_language,
    postal_address,
    recipient_snapshot,
)
from cases.letters.storage import store_document
from cases.models import Case, Claim
from money.models import Payment, PaymentChannel
from money.payments.items import allocation_of


@dataclass
class ReceiptPage:
    """What the letters' layout reads from a letter, for a receipt (it has no row of its own: the payment is it)."""

    case: Case
    reference: str
    language: str
    currency: str
    issued_on: date
    recipient: dict
    kind: str = "receipt"
    first_notice: None = None
    lines: list = field(default_factory=list)


@dataclass(frozen=True)
class ReceiptLine:
    claim: Claim | None
    applies_to: str
    amount_cents: int


def render_receipt(payment: Payment, profile: AgencyProfile, *, issued_on: date | None = None) -> bytes:
    """Render the receipt of `payment` to PDF bytes, in the debtor's language."""
    case = payment.case
    language = letter_language(case.debtor)
    address = postal_address(case.debtor)
    recipient = (
        recipient_snapshot(case.debtor, address, language) if address else {"lines": [case.debtor.display_name]}
    )
    page = ReceiptPage(case, payment.reference, language, payment.currency, issued_on or today(), recipient)
    claims = {claim.id: claim for claim in case.claims}
    lines = [
        ReceiptLine(claims.get(entry.claim_id), entry.applies_to, -entry.amount_cents)
        for entry in allocation_of([payment.id])[payment.id]
    ]
    context = _context(page, profile, amounts_due(ledger.balance(case.id)), False)
    context.update(payment=payment, lines=lines, direct=payment.channel == PaymentChannel.DIRECT)
    html = current_app.jinja_env.get_template(f"letters/{language}/receipt.html").render(**context)
    return render_pdf(html, assets_dir=Path(ASSETS_DIR))


def issue_receipt(payment: Payment, profile: AgencyProfile) -> bool:
    """Render and store the receipt of `payment` unless it has one; tell whether one was issued now."""
    if payment.receipt_path:
        return False
    data = render_receipt(payment, profile)
    stored = store_document(data, f"receipts/{payment.received_on.year}/{payment.case.reference}", payment.reference)
    payment.receipt_path, payment.receipt_sha256 = stored.path, stored.sha256
    audit.record(
        "payment.receipt_issued",
        actor=None,
        subject=payment,
        after={"reference": payment.reference, "sha256": stored.sha256, "size": stored.size_bytes},
    )
    return True
