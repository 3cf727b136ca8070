"""Posting interest and the €40 indemnity to case ledgers, set-based: one INSERT … SELECT each.

What is posted on a claim is the difference between its accrued total (cases.interest.rules) and the interest
already posted on it, so a rerun posts nothing and a backdated payment or a corrected rate posts a
correction (possibly negative). A claim is brought up to the later of the date asked and its last
posting: a horizon is never rolled back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import sqlalchemy as sa

from agency import audit
from agency.db import db, utcnow
from agency.models import User
from cases.interest.rules import INDEMNITY_CENTS
from cases.interest.series import Segment
from cases.interest.sql import (
    CASE_IDS,
    THROUGH,
    accrual_params,
    accrual_query,
    indemnity_query,
    rate_segments,
)
from cases.models import Case, CaseStatus, EntryKind, LedgerEntry

# Concurrent runs on the same case would each post the same difference: PostgreSQL runs them one at a time.
# A run over every case (or many) holds this lock alone; a run over a few cases shares it and holds one lock per
# case (CASE_LOCK + case id), so that payments on different cases post at the same time while the daily run
# still waits for them, and they for it.
POSTING_LOCK = 0x1E7E_0005
CASE_LOCK = 0x1E7E_0006 << 32
FEW_CASES = 32  # beyond, one lock for the run: advisory locks share a table of a few thousand slots
# Nothing is posted on closed cases, nor while a payment plan runs: the debtor was promised the plan's
# total. Interest is not waived though: a broken plan's case is posted again from the due date on.
NOT_POSTED = (CaseStatus.PAID.value, CaseStatus.CLOSED.value, CaseStatus.PLAN.value)


@dataclass(frozen=True)
class PostingResult:
    """What one posting run added."""

    through: date
    interest_entries: int
    indemnity_entries: int

    @property
    def entries(self) -> int:
        return self.interest_entries + self.indemnity_entries


def post_interest(
    through: date,
    case_ids: list[int] | None = None,
    *,
    actor: User | None = None,
    stale_before: date | None = None,
    segments: tuple[Segment, ...] | None = None,
) -> PostingResult:
    """Post each open claim's interest up to `through` (or its later horizon), and due indemnities; no commit.

    `case_ids` limits the run to those cases; `stale_before` to claims whose last interest posting is
    older than that date (or that never had one), as the daily job does. `segments` are the rate segments
    of `rate_segments()` when the caller has just read them.
    """
    if case_ids is not None and not case_ids:
        return PostingResult(through, 0, 0)
    db.session.flush()  # the INSERT … SELECT reads the ledger through the session's connection
    _lock(case_ids)
    segments = rate_segments() if segments is None else segments
    interest_insert, indemnity_insert = _statements(segments, case_ids is not None, stale_before is not None)
    parameters = {
        **accrual_params(through),
        "case_ids": list(case_ids or ()),
        "stale_before": stale_before,
        "created_at": utcnow(),
        "actor_id": actor.id if actor else None,
    }
    interest = _insert(interest_insert, parameters)
    indemnity = _insert(indemnity_insert, parameters)

    for row in list(db.session.identity_map.values()):
        if isinstance(row, Case):
            db.session.expire(row, ["ledger_entries"])  # written behind the session's back
    audit.record(
        "interest.posted",
        actor=actor,
        subject_type="ledger_entry",
        after={
            "through": through.isoformat(),
            "cases": "all" if case_ids is None else ",".join(map(str, case_ids[:50])),
            "interest_entries": interest,
            "indemnity_entries": indemnity,
        },
    )
    return PostingResult(through, interest, indemnity)


@lru_cache(maxsize=16)
def _statements(rate_series: tuple[Segment, ...], by_case: bool, stale: bool) -> tuple[sa.Insert, sa.Insert]:
    """Return the two INSERT … SELECT of a run (interest, indemnities), built once per rate series and shape.

    What changes from run to run is a parameter: the day (`accrual_params`), `case_ids`, `stale_before`,
    `created_at`, `actor_id`.
    """
    case_filter = Case.status.not_in(NOT_POSTED)
    if by_case:
        case_filter = sa.and_(case_filter, CASE_IDS)
    created_at = sa.bindparam("created_at", type_=LedgerEntry.created_at.type)
    actor_id = sa.bindparam("actor_id", type_=sa.Integer)
    accrual = accrual_query(rate_series, case_filter, horizon=True, by_case=by_case).subquery("accrual")
    a = accrual.c
    interest_rows = sa.select(
        a.case_id, a.client_id, a.claim_id, sa.literal(EntryKind.INTEREST.value), a.total - a.posted, a.currency,
        a.horizon, sa.case((a.total < a.posted, sa.literal("Correction : ") + a.description), else_=a.description),
        a.horizon, created_at, actor_id,
    ).where(a.total != a.posted)
    if stale:
        interest_rows = interest_rows.where(_stale(a.claim_id, sa.bindparam("stale_before", type_=sa.Date)))
    columns = ["case_id", "client_id", "claim_id", "kind", "amount_cents", "currency", "effective_on",
               "description", "accrued_through", "created_at", "created_by_id"]

    owed = indemnity_query(case_filter).subquery("owed")
    indemnity_rows = sa.select(
        owed.c.case_id, owed.c.client_id, owed.c.claim_id, sa.literal(EntryKind.INDEMNITY.value),
        sa.literal(INDEMNITY_CENTS, sa.BigInteger), owed.c.currency, THROUGH,
        sa.literal("Indemnité forfaitaire pour frais de recouvrement (D441-5), facture ") + owed.c.invoice_number,
        sa.null(), created_at, actor_id,
    )
    table = LedgerEntry.__table__
    return sa.insert(table).from_select(columns, interest_rows), sa.insert(table).from_select(columns, indemnity_rows)


def _insert(statement: sa.Insert, parameters: dict) -> int:
    """Run an INSERT … SELECT into the ledger and return how many rows it inserted."""
    connection = db.session.connection()
    # Without preserve_rowcount the PostgreSQL driver reports -1 for INSERT … SELECT.
    count = connection.execute(statement, parameters, execution_options={"preserve_rowcount": True}).rowcount
    if count < 0:  # SQLite's driver does not count a statement that opens with WITH: ask SQLite itself
        count = connection.execute(sa.select(sa.func.changes())).scalar_one()
    return count


def _stale(claim_id, before: sa.ColumnElement) -> sa.ColumnElement[bool]:
    """Claims without an interest posting on or after `before`."""
    recent = sa.select(LedgerEntry.id).where(
        LedgerEntry.claim_id == claim_id,
        LedgerEntry.kind == EntryKind.INTEREST.value,
        LedgerEntry.accrued_through >= before,
    )
    return ~recent.exists()


def _lock(case_ids: list[int] | None) -> None:
    """Wait for any run posting on these cases (all of them without `case_ids`), until the transaction ends."""
    if db.session.get_bind().dialect.name != "postgresql":
        return  # SQLite writes one transaction at a time
    if case_ids is None or len(set(case_ids)) > FEW_CASES:
        db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(POSTING_LOCK)))
        return
    # Cases in one order: two runs over the same cases never hold one each and wait for the other's.
    locks = [sa.func.pg_advisory_xact_lock(sa.cast(CASE_LOCK + case_id, sa.BigInteger))
             for case_id in sorted(set(case_ids))]
    db.session.execute(sa.select(sa.func.pg_advisory_xact_lock_shared(POSTING_LOCK), *locks))
