"""Reading a case's ledger: the balance and its breakdown, always summed from the entries."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from agency.db import db, sum_cents
from agency.page_reads import read_once
from cases.models import AppliesTo, EntryKind, LedgerEntry

# The entry a reversal undoes, joined to count the reversal as its kind. Built once: an alias of the ledger costs
# more to build than a case's balance takes to read.
UNDONE = sa.orm.aliased(LedgerEntry, name="undone")


@dataclass(frozen=True)
class Balance:
    """A case's account in cents: what is owed by kind, what was credited, what is outstanding."""

    principal: int = 0
    interest: int = 0
    indemnity: int = 0
    costs: int = 0
    paid: int = 0  # payments net of their reversals, as a positive number
    other_credits: int = 0  # credit notes and write-offs, as a positive number
    credit: int = 0  # the part of `paid` beyond what was owed: held for the debtor, to refund (in `paid` too)

    @property
    def outstanding(self) -> int:
        return self.principal + self.interest + self.indemnity + self.costs - self.paid - self.other_credits


def balances(case_ids: list[int]) -> dict[int, Balance]:
    """Return the balance of each case, in one query; cases without entries get a zero balance."""
    if not case_ids:
        return {}
    # A reversal counts against the kind of the entry it undoes.
    kind = sa.func.coalesce(UNDONE.kind, LedgerEntry.kind)
    # Payment entries allocated to a credit (and their reversals) are also summed on their own.
    credit = sa.case((LedgerEntry.applies_to == AppliesTo.CREDIT.value, True), else_=False)
    rows = db.session.execute(
        sa.select(LedgerEntry.case_id, kind, credit, sum_cents(LedgerEntry.amount_cents))
        .outerjoin(UNDONE, LedgerEntry.reverses_id == UNDONE.id)
        .where(LedgerEntry.case_id.in_(case_ids))
        .group_by(LedgerEntry.case_id, kind, credit)
    ).all()
    sums: dict[int, dict[str, int]] = {cid: {} for cid in case_ids}
    for case_id, entry_kind, is_credit, total in rows:
        sums[case_id][entry_kind] = sums[case_id].get(entry_kind, 0) + total
        if is_credit:
            sums[case_id][AppliesTo.CREDIT] = sums[case_id].get(AppliesTo.CREDIT, 0) + total
    return {cid: _balance(s) for cid, s in sums.items()}


@read_once()
def balance(case_id: int) -> Balance:
    """Return one case's balance."""
    return balances([case_id])[case_id]


def _balance(sums: dict[str, int]) -> Balance:
    return Balance(
        principal=sums.get(EntryKind.PRINCIPAL, 0),
        interest=sums.get(EntryKind.INTEREST, 0),
        indemnity=sums.get(EntryKind.INDEMNITY, 0),
        costs=sums.get(EntryKind.COST, 0),
        paid=-sums.get(EntryKind.PAYMENT, 0),
        other_credits=-(sums.get(EntryKind.CREDIT_NOTE, 0) + sums.get(EntryKind.WRITE_OFF, 0)),
        credit=-sums.get(AppliesTo.CREDIT, 0),
    )


def post_entry(
    case, kind: EntryKind, amount_cents: int, effective_on, *, claim=None, description: str = "", actor=None
) -> LedgerEntry:
    """Append one entry to the case's ledger (the sign follows the kind); the caller commits."""
    if not isinstance(amount_cents, int) or isinstance(amount_cents, bool):
        raise TypeError("amounts are integer cents")
    entry = LedgerEntry(
        case=case,
        client_id=case.client_id,
        claim=claim,
        kind=kind.value,
        amount_cents=amount_cents,
        currency=case.currency,
        effective_on=effective_on,
        description=description,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(entry)
    return entry
