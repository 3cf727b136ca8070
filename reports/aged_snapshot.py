"""The aged balance pre-computed for one date, and the choice between it and the live computation.

Computed live, the aged balance reads every ledger entry of every open case (seconds over a million cases).
A job recomputes it for today every hour with the very queries of `reports.aged`, into `reports.aged_models`;
the page reads it when asked for that date, and computes any other date live.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from agency.db import db, sum_cents, utcnow
from agency.models import Client
from cases.models import Case, Claim
from debtors.models import Debtor
from reports.aged import (
    BUCKET_KEYS,
    AgedBalance,
    AgedCase,
    Cell,
    ClientRow,
    _bucket_expr,
    _claim_outstanding,
    aged_balance,
    aged_case_page,
    aged_cases,
)
from reports.aged_models import ALL, AgedSnapshot, AgedSnapshotCase, AgedSnapshotCell


def refresh_aged(as_of: date) -> AgedSnapshot:
    """Recompute the aged balance as of `as_of` from the ledger, replacing the previous one; the caller commits."""
    started = time.perf_counter()
    for model in (AgedSnapshotCase, AgedSnapshotCell, AgedSnapshot):
        db.session.execute(sa.delete(model))
    owed = _claim_outstanding(as_of, None)
    bucket = _bucket_expr(Claim.due_date, as_of).label("bucket")
    case = AgedSnapshotCase
    columns = ["case_id", "bucket", "client_id", "reference", "oldest_due", "claims", "cents"]
    db.session.execute(sa.insert(case).from_select(columns, (
        sa.select(owed.c.case_id, bucket, Case.client_id, Case.reference, sa.func.min(Claim.due_date),
                  sa.func.count(), sum_cents(owed.c.cents))
        .select_from(owed).join(Claim, Claim.id == owed.c.claim_id).join(Case, Case.id == owed.c.case_id)
        .where(owed.c.cents != 0)
        .group_by(owed.c.case_id, bucket, Case.client_id, Case.reference)
    )))
    # Each case's claims across every bucket: the unfiltered drill-down list and the clients' case counts.
    db.session.execute(sa.insert(case).from_select(columns, (
        sa.select(case.case_id, sa.literal(ALL), case.client_id, case.reference, sa.func.min(case.oldest_due),
                  sa.func.sum(case.claims), sum_cents(case.cents))
        .group_by(case.case_id, case.client_id, case.reference)
    )))
    db.session.execute(sa.insert(AgedSnapshotCell).from_select(["client_id", "bucket", "cents", "cases"], (
        sa.select(case.client_id, case.bucket, sum_cents(case.cents), sa.func.count())
        .group_by(case.client_id, case.bucket)
    )))
    owing = db.session.scalar(sa.select(sa.func.count()).where(case.bucket == ALL))
    snapshot = AgedSnapshot(as_of=as_of, refreshed_at=utcnow(), cases=owing,
                            duration_ms=int((time.perf_counter() - started) * 1000))
    db.session.add(snapshot)
    db.session.flush()
    return snapshot


def latest_snapshot() -> AgedSnapshot | None:
    """Return the last refresh of the aged balance, if any."""
    return db.session.scalar(sa.select(AgedSnapshot).order_by(AgedSnapshot.id.desc()).limit(1))


def snapshot_balance(snapshot: AgedSnapshot, client_id: int | None = None) -> AgedBalance:
    """Return the pre-computed aged balance, of every client or of `client_id` only."""
    query = sa.select(AgedSnapshotCell, Client.name).join(Client, Client.id == AgedSnapshotCell.client_id)
    if client_id is not None:
        query = query.where(AgedSnapshotCell.client_id == client_id)
    rows: dict[int, ClientRow] = {}
    for cell, name in db.session.execute(query):
        row = rows.setdefault(cell.client_id, ClientRow(cell.client_id, name))
        if cell.bucket == ALL:
            row.total = Cell(cell.cents, cell.cases)
        else:
            row.cells[cell.bucket] = Cell(cell.cents, cell.cases)
    for row in rows.values():
        for key in BUCKET_KEYS:
            row.cells.setdefault(key, Cell())
    totals = {key: Cell(sum(r.cells[key].cents for r in rows.values()), sum(r.cells[key].cases for r in rows.values()))
              for key in BUCKET_KEYS}
    total = Cell(sum(r.total.cents for r in rows.values()), sum(r.total.cases for r in rows.values()))
    ordered = sorted(rows.values(), key=lambda r: (r.client_name.lower(), r.client_id))
    return AgedBalance(as_of=snapshot.as_of, rows=ordered, totals=totals, total=total)


def _snapshot_query(client_id: int | None, bucket_key: str | None) -> sa.Select:
    if bucket_key is not None and bucket_key not in BUCKET_KEYS:
        raise ValueError(f"unknown bucket {bucket_key!r}")
    case = AgedSnapshotCase
    query = sa.select(case).where(case.bucket == (bucket_key or ALL))
    if client_id is not None:
        query = query.where(case.client_id == client_id)
    return query


def snapshot_cases(snapshot: AgedSnapshot, client_id: int | None, bucket_key: str | None, page: int | None = None,
                   size: int = 100) -> tuple[int, int, list[AgedCase]]:
    """Return how many pre-computed cases are behind one cell, what they owe, and those of page `page` (None: all)."""
    query = _snapshot_query(client_id, bucket_key)
    found = query.subquery()
    count, cents = db.session.execute(sa.select(sa.func.count(), sum_cents(found.c.cents))).one()
    case = AgedSnapshotCase
    listed = (
        query.add_columns(Case.status, Client.name, Debtor)
        .join(Case, Case.id == case.case_id).join(Client, Client.id == case.client_id)
        .join(Debtor, Debtor.id == Case.debtor_id)
        .order_by(case.oldest_due, case.reference)
    )
    if page is not None:
        listed = listed.limit(size).offset((page - 1) * size)
    as_of = snapshot.as_of
    return count, int(cents), [
        AgedCase(case_id=c.case_id, reference=c.reference, client_name=name, debtor_name=debtor.display_name,
                 status=status, oldest_due=c.oldest_due, days_past_due=max((as_of - c.oldest_due).days, 0),
                 claims=c.claims, cents=c.cents)
        for c, status, name, debtor in db.session.execute(listed)
    ]


@dataclass(frozen=True)
class Source:
    """Where the figures come from: the snapshot of that date, or the ledger now (snapshot None)."""

    as_of: date
    snapshot: AgedSnapshot | None


def source_for(as_of: date | None, default: date) -> Source:
    """Return the snapshot to read for `as_of` (None: the latest snapshot's date, else `default`), if there is one."""
    snapshot = latest_snapshot()
    if as_of is None:
        return Source(snapshot.as_of, snapshot) if snapshot is not None else Source(default, None)
    return Source(as_of, snapshot if snapshot is not None and snapshot.as_of == as_of else None)


def balance_from(source: Source, client_id: int | None) -> AgedBalance:
    """Return the aged balance of `source`."""
    if source.snapshot is not None:
        return snapshot_balance(source.snapshot, client_id)
    return aged_balance(source.as_of, client_id)


def cases_from(source: Source, client_id: int | None, bucket_key: str | None,
               page: int | None = None, size: int = 100) -> tuple[int, int, list[AgedCase]]:
    """Return how many cases are behind one cell of `source`, what they owe, and those of page `page` (None: all)."""
    if source.snapshot is not None:
        return snapshot_cases(source.snapshot, client_id, bucket_key, page, size)
    if page is None:
        rows = aged_cases(source.as_of, client_id, bucket_key)
        return len(rows), sum(r.cents for r in rows), rows
    return aged_case_page(source.as_of, client_id, bucket_key, page, size)
