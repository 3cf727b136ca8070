"""What the space shows of a case, read through the operations the letters and the staff use.

The amounts are the letters' (`cases.letters.documents.amounts_due` over the ledger), the interest of each
invoice is `cases.interest.rules.explain`'s, the plan is `money.plans`': one rule, one place. Nothing
here writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from agency.clock import today
from agency.db import db
from agency.models import AgencyProfile, Client
from cases import ledger
from cases.actions import pending_promise
from cases.interest.rules import ClaimInterest, explain
from cases.letters.documents import AmountsDue, amounts_due
from cases.models import Case, CaseStatus, Claim, EntryKind, LedgerEntry, Letter, LetterStatus
from cases.work.disputes import open_dispute_of
from money.models import Payment, PaymentPlan
from money.models.plans import InstalmentStatus
from money.plans.plans import running_plan


@dataclass(frozen=True)
class Invoice:
    """One invoice as the debtor reads it: its amount, its interest (rate and start) and its indemnity."""

    claim: Claim
    interest: ClaimInterest | None
    interest_cents: int  # posted to the ledger, as the letters count it
    indemnity_cents: int  # the €40 of L441-10 C. com., when the ledger carries it

    @property
    def rates(self) -> list[tuple[date, date, int]]:
        """Return the (from, until, rate) stretches of the interest, merged where the rate did not change."""
        merged: list[tuple[date, date, int]] = []
        for period in self.interest.periods if self.interest else []:
            if merged and merged[-1][2] == period.rate_bp:
                merged[-1] = (merged[-1][0], period.end, period.rate_bp)
            else:
                merged.append((period.start, period.end, period.rate_bp))
        return merged

    @property
    def interest_from(self) -> date | None:
        periods = self.interest.periods if self.interest else []
        return periods[0].start if periods else None


@dataclass(frozen=True)
class NextStep:
    kind: str  # instalment, promise, letter_deadline, pay_now, none
    on: date | None = None
    amount_cents: int = 0
    reference: str = ""


@dataclass
class Statement:
    case: Case
    agency: AgencyProfile | None
    client: Client
    amounts: AmountsDue
    invoices: list[Invoice]
    payments: list[Payment]
    letters: list[Letter]
    plan: PaymentPlan | None
    next_step: NextStep
    other_cases: list[Case] = field(default_factory=list)

    @property
    def receipts(self) -> list[Payment]:
        return [p for p in self.payments if p.receipt_path]

    @property
    def is_open(self) -> bool:
        return CaseStatus(self.case.status).is_open


def statement(case: Case, other_cases: list[Case] | None = None) -> Statement:
    """Gather what the space shows of `case` today."""
    balance = ledger.balance(case.id)
    # The plan and the issued letters are read once: the page lists them and the next step is taken from them.
    plan = running_plan(case)
    issued = _issued_letters(case)
    return Statement(
        case=case,
        agency=db.session.get(AgencyProfile, 1),
        client=case.client,
        amounts=amounts_due(balance),
        invoices=invoices(case),
        payments=payments_of(case),
        letters=[letter for letter in issued if letter.file_path],
        plan=plan,
        next_step=_next_step(case, balance.outstanding, plan, issued),
        other_cases=other_cases or [],
    )


def invoices(case: Case) -> list[Invoice]:
    """Return the case's invoices with the interest and indemnity the ledger holds for each."""
    explained = {c.claim_id: c for c in explain(case, today())}
    posted = _posted_by_claim(case)
    return [
        Invoice(claim, explained.get(claim.id), posted.get((claim.id, EntryKind.INTEREST.value), 0),
                posted.get((claim.id, EntryKind.INDEMNITY.value), 0))
        for claim in sorted(case.claims, key=lambda c: (c.due_date, c.invoice_number))
    ]


def _posted_by_claim(case: Case) -> dict[tuple[int, str], int]:
    # Reversals count against the kind they undo, as in cases.ledger.
    kind = sa.func.coalesce(ledger.UNDONE.kind, LedgerEntry.kind)
    rows = db.session.execute(
        sa.select(LedgerEntry.claim_id, kind, sa.func.sum(LedgerEntry.amount_cents))
        .outerjoin(ledger.UNDONE, LedgerEntry.reverses_id == ledger.UNDONE.id)
        .where(LedgerEntry.case_id == case.id, kind.in_([EntryKind.INTEREST.value, EntryKind.INDEMNITY.value]))
        .group_by(LedgerEntry.claim_id, kind)
    ).all()
    return {(claim_id, entry_kind): int(total or 0) for claim_id, entry_kind, total in rows}


def payments_of(case: Case) -> list[Payment]:
    """Return the payments received on the case, newest first (a reversed one says so)."""
    return list(db.session.scalars(
        sa.select(Payment).where(Payment.case_id == case.id).order_by(Payment.received_on.desc(), Payment.id.desc())
    ))


def letters_sent(case: Case) -> list[Letter]:
    """Return the letters issued to the debtor with their stored PDF, newest first."""
    return [letter for letter in _issued_letters(case) if letter.file_path]


def _issued_letters(case: Case) -> list[Letter]:
    """The case's issued letters, newest first (a case has a few)."""
    return list(db.session.scalars(
        sa.select(Letter).where(Letter.case_id == case.id, Letter.status == LetterStatus.ISSUED.value)
        .order_by(Letter.issued_on.desc(), Letter.id.desc())
    ))


def next_step(case: Case, outstanding: int) -> NextStep:
    """Return what is expected of the debtor next, and by when."""
    return _next_step(case, outstanding, running_plan(case), _issued_letters(case))


def _next_step(case: Case, outstanding: int, plan: PaymentPlan | None, issued: list[Letter]) -> NextStep:
    if not CaseStatus(case.status).is_open or outstanding <= 0:
        return NextStep("none")
    if (dispute := open_dispute_of(case)) is not None:
        # No payment is asked while the dispute is checked: the page says so rather than a deadline.
        return NextStep("disputed", dispute.started_at.date())
    if plan is not None:
        due = next((i for i in plan.instalments if i.status != InstalmentStatus.PAID.value), None)
        if due is not None:
            return NextStep("instalment", due.due_on, due.amount_cents - due.paid_cents, plan.reference)
    promise = pending_promise(case)
    if promise is not None:
        return NextStep("promise", promise.due_on, promise.amount_cents)
    letter = next((letter for letter in issued if letter.pay_by is not None), None)
    if letter is not None and letter.pay_by >= today():
        return NextStep("letter_deadline", letter.pay_by, outstanding, letter.reference)
    return NextStep("pay_now", None, outstanding)


def case_letter(case: Case, letter_id: int) -> Letter | None:
    """Return one issued letter of this case, else None."""
    letter = db.session.get(Letter, letter_id)
    ok = letter is not None and letter.case_id == case.id and letter.status == LetterStatus.ISSUED and letter.file_path
    return letter if ok else None


def case_receipt(case: Case, payment_id: int) -> Payment | None:
    """Return one payment of this case that has its receipt, else None."""
    payment = db.session.get(Payment, payment_id)
    return payment if payment is not None and payment.case_id == case.id and payment.receipt_path else None


def case_plan(case: Case, plan_id: int) -> PaymentPlan | None:
    """Return one plan of this case that has its agreement letter, else None."""
    plan = db.session.get(PaymentPlan, plan_id)
    return plan if plan is not None and plan.case_id == case.id and plan.agreement_path else None

