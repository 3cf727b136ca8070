"""Which parts of a debt a payment settles (C. civ. 1342-10, 1343-1): a pure function of the open items.

The debtor's stated choice comes first, in the order given. Otherwise claims already due are paid
before those not yet due, the oldest due date first. Within a claim, costs, the recovery indemnity and
interest are paid before principal. Costs of the case that belong to no claim come first of all; what
is left once everything is paid is a credit held for the debtor.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from cases.models import AppliesTo

# Within one claim: accessories before principal (C. civ. 1343-1; the €40 indemnity counts as costs).
CLAIM_ORDER = (AppliesTo.COST, AppliesTo.INDEMNITY, AppliesTo.INTEREST, AppliesTo.PRINCIPAL)


@dataclass(frozen=True)
class ClaimItems:
    """What is still owed on one claim, by part, in cents (never negative)."""

    claim_id: int
    due_date: date
    issue_date: date
    costs: int = 0
    indemnity: int = 0
    interest: int = 0
    principal: int = 0

    def owed(self, part: AppliesTo) -> int:
        """Return what is owed on `part` of this claim."""
        return {
            AppliesTo.COST: self.costs,
            AppliesTo.INDEMNITY: self.indemnity,
            AppliesTo.INTEREST: self.interest,
            AppliesTo.PRINCIPAL: self.principal,
        }[part]

    @property
    def total(self) -> int:
        return self.costs + self.indemnity + self.interest + self.principal


@dataclass(frozen=True)
class Line:
    """One line of an allocation: `amount_cents` settles `applies_to` of a claim (none: the case, or a credit)."""

    claim_id: int | None
    applies_to: AppliesTo
    amount_cents: int


def claim_order(claims: Iterable[ClaimItems], paid_on: date, debtor_choice: Sequence[int] = ()) -> list[ClaimItems]:
    """Return the claims in the order a payment made on `paid_on` settles them."""
    by_id = {c.claim_id: c for c in claims}
    chosen = [by_id[cid] for cid in dict.fromkeys(debtor_choice) if cid in by_id]
    chosen_ids = {c.claim_id for c in chosen}
    # A claim is due on its due date; among due claims the oldest first, then by issue date, then by id.
    rest = sorted(
        (c for c in by_id.values() if c.claim_id not in chosen_ids),
        key=lambda c: (c.due_date > paid_on, c.due_date, c.issue_date, c.claim_id),
    )
    return chosen + rest


def allocate(
    amount_cents: int,
    claims: Iterable[ClaimItems],
    *,
    paid_on: date,
    case_costs: int = 0,
    debtor_choice: Sequence[int] = (),
) -> list[Line]:
    """Split `amount_cents` over the open items; lines sum to the amount, the remainder is a credit line."""
    if amount_cents <= 0:
        raise ValueError("a payment allocates a positive amount")
    left = amount_cents
    lines: list[Line] = []

    def take(claim_id: int | None, part: AppliesTo, owed: int) -> None:
        nonlocal left
        used = min(max(owed, 0), left)
        if used > 0:
            lines.append(Line(claim_id, part, used))
            left -= used

    take(None, AppliesTo.COST, case_costs)
    for claim in claim_order(claims, paid_on, debtor_choice):
        for part in CLAIM_ORDER:
            take(claim.claim_id, part, claim.owed(part))
    if left > 0:
        lines.append(Line(None, AppliesTo.CREDIT, left))
    return lines
