"""The plan agreement letter: laid out as the other letters, in the debtor's language, stored once with its hash."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from agency import audit
from agency.clock import today
from cases import ledger
from cases.letters.documents import (
    amounts_due,
    letter_language,
    postal_address,
    recipient_snapshot,
    render_letter,
)
from cases.letters.letters import agency_profile, first_notice_of
from cases.letters.storage import store_document
from cases.models import Case, Letter
from money.models import PaymentPlan

KIND = "plan_agreement"  # templates/letters/<language>/plan_agreement.html


@dataclass
class AgreementSheet:
    """What the letters' layout reads from a letter, for a plan's agreement (never stored as a letter)."""

    plan: PaymentPlan
    case: Case
    language: str
    reference: str
    issued_on: date
    currency: str
    first_notice: Letter | None
    recipient: dict = field(default_factory=dict)
    kind: str = KIND
    id: int | None = None


def agreement_sheet(plan: PaymentPlan, on: date) -> AgreementSheet:
    """Gather what the agreement prints: the plan, the debtor's window address, the first notice."""
    case = plan.case
    debtor = case.debtor
    language = letter_language(debtor)
    address = postal_address(debtor)
    # No postal address: the agreement is handed over or sent by e-mail, with the name alone at the top.
    recipient = recipient_snapshot(debtor, address, language) if address else {"lines": [debtor.display_name]}
    return AgreementSheet(plan=plan, case=case, language=language, reference=plan.reference, issued_on=on,
                          currency=plan.currency, first_notice=first_notice_of(case), recipient=recipient)


def render_agreement(plan: PaymentPlan, on: date | None = None) -> bytes:
    """Render the plan's agreement letter as of `on` (today by default) to PDF bytes."""
    sheet = agreement_sheet(plan, on or today())
    return render_letter(sheet, agency_profile(), amounts_due(ledger.balance(plan.case_id)))


def store_agreement(plan: PaymentPlan) -> None:
    """Render the agreement, store it under the documents folder and record its SHA-256 on the plan."""
    pdf = render_agreement(plan)
    stored = store_document(pdf, f"plans/{plan.starts_on.year}/{plan.case.reference}", plan.reference)
    plan.agreement_path, plan.agreement_sha256 = stored.path, stored.sha256
    audit.record("plan.agreement_stored", actor=None, subject=plan,
                 after={"reference": plan.reference, "sha256": stored.sha256, "size": stored.size_bytes})
