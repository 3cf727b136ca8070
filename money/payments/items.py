"""What is still owed on a case, claim by claim and part by part, read from the ledger: the input of allocation."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa

from agency.db import db, sum_cents
from cases.ledger import UNDONE
from cases.models import AppliesTo, Case, EntryKind, LedgerEntry
from money.payments.allocation import ClaimItems

DEBIT_PARTS = {
    EntryKind.PRINCIPAL.value: AppliesTo.PRINCIPAL,
    EntryKind.INTEREST.value: AppliesTo.INTEREST,
    EntryKind.INDEMNITY.value: AppliesTo.INDEMNITY,
    EntryKind.COST.value: AppliesTo.COST,
}


@dataclass(frozen=True)
class OpenItems:
    """A case's open items: costs that belong to no claim, and each claim's parts."""

    case_costs: int
    claims: list[ClaimItems]

    @property
    def total(self) -> int:
        return self.case_costs + sum(c.total for c in self.claims)


def open_items(case: Case, interest_cap: dict[int, int] | None = None) -> OpenItems:
    """Return what is owed on `case` by claim and part; `interest_cap` (claim id → cents) limits interest owed.

    A cap is the interest accrued on the claim through the payment's date: interest posted for later days
    is not yet owed by a payment made earlier. Interest already paid on the claim counts against the cap.
    """
    kind = sa.func.coalesce(UNDONE.kind, LedgerEntry.kind)  # a reversal counts as what it undoes
    rows = db.session.execute(
        sa.select(LedgerEntry.claim_id, kind, LedgerEntry.applies_to, sum_cents(LedgerEntry.amount_cents))
        .outerjoin(UNDONE, LedgerEntry.reverses_id == UNDONE.id)
        .where(LedgerEntry.case_id == case.id)
        .group_by(LedgerEntry.claim_id, kind, LedgerEntry.applies_to)
    ).all()
    owed: dict[int | None, dict[AppliesTo, int]] = defaultdict(lambda: defaultdict(int))
    paid: dict[int | None, dict[AppliesTo, int]] = defaultdict(lambda: defaultdict(int))
    loose_credits = 0  # credit notes and write-offs that name no claim
    for claim_id, entry_kind, applies_to, total in rows:
        if entry_kind in DEBIT_PARTS:
            owed[claim_id][DEBIT_PARTS[entry_kind]] += total
        elif entry_kind == EntryKind.PAYMENT and applies_to != AppliesTo.CREDIT:
            paid[claim_id][AppliesTo(applies_to)] -= total
        elif entry_kind in (EntryKind.CREDIT_NOTE, EntryKind.WRITE_OFF):
            # A credit note or write-off cancels principal: the claim's own, or the oldest claims'.
            if claim_id is None:
                loose_credits -= total
            else:
                paid[claim_id][AppliesTo.PRINCIPAL] -= total

    claims = []
    for claim in sorted(case.claims, key=lambda c: (c.due_date, c.issue_date, c.id)):
        parts = {part: owed[claim.id][part] - paid[claim.id][part] for part in DEBIT_PARTS.values()}
        # A part paid beyond what it now amounts to (interest corrected down after a payment recorded late)
        # has in effect settled principal: without this, the excess would be owed twice and a final
        # overpayment would not be held as the debtor's credit.
        for part in (AppliesTo.COST, AppliesTo.INDEMNITY, AppliesTo.INTEREST):
            if parts[part] < 0:
                parts[AppliesTo.PRINCIPAL] += parts[part]
                parts[part] = 0
        if interest_cap is not None and claim.id in interest_cap:
            owed_at_date = interest_cap[claim.id] - paid[claim.id][AppliesTo.INTEREST]
            parts[AppliesTo.INTEREST] = min(parts[AppliesTo.INTEREST], owed_at_date)
        used = min(max(parts[AppliesTo.PRINCIPAL], 0), loose_credits)
        parts[AppliesTo.PRINCIPAL] -= used
        loose_credits -= used
        claims.append(
            ClaimItems(
                claim_id=claim.id,
                due_date=claim.due_date,
                issue_date=claim.issue_date,
                costs=max(parts[AppliesTo.COST], 0),
                indemnity=max(parts[AppliesTo.INDEMNITY], 0),
                interest=max(parts[AppliesTo.INTEREST], 0),
                principal=max(parts[AppliesTo.PRINCIPAL], 0),
            )
        )
    case_costs = owed[None][AppliesTo.COST] - paid[None][AppliesTo.COST]
    return OpenItems(case_costs=max(case_costs, 0), claims=claims)


def allocation_of(payment_ids: list[int]) -> dict[int, list[LedgerEntry]]:
    """Return each payment's own entries (its allocation, reversals excluded), in the order written."""
    if not payment_ids:
        return {}
    entries = db.session.scalars(
        sa.select(LedgerEntry)
        .where(LedgerEntry.payment_id.in_(payment_ids), LedgerEntry.kind == EntryKind.PAYMENT.value)
        .order_by(LedgerEntry.id)
    ).all()
    result: dict[int, list[LedgerEntry]] = {pid: [] for pid in payment_ids}
    for entry in entries:
        result[entry.payment_id].append(entry)
    return result

