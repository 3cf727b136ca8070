"""The aged balance (balance âgée): what open cases still owe, by how long each claim is past its due date.

The rule, read from the ledger only:

- A claim's outstanding is the sum of the ledger entries that name it: its principal, interest, indemnity
  and costs, the payment lines allocated to it and their reversals, its credit notes and write-offs.
- Entries that name no claim (costs of the whole case, a credit note or write-off of the case, a payment
  line held as a credit for the debtor) count on the case's oldest claim (earliest due date, then issue
  date, then id), so that a case's outstanding across the buckets is exactly its ledger balance.
- Only entries effective on or before the date count, and only cases open on that date: opened by then and
  not paid or closed by then.
- Days past due = the date − the claim's due date. A claim's principal is effective on its due date, so a
  claim not yet due owes nothing yet; should an entry name it all the same, it counts as 0 days. Day 30 is in 0–30,
  day 31 in 31–60, day 365 in 181–365, day 366 over 365.
- A claim whose outstanding is zero is in no bucket; an overpaid claim (negative) lowers its bucket, so the
  total is the sum of the open cases' balances.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from agency.db import db, sum_cents
from agency.models import Client
from cases.models import Case, CaseStatus, Claim, LedgerEntry
from debtors.models import Debtor


@dataclass(frozen=True)
class Bucket:
    """A band of days past due, `low` to `high` inclusive (`high` None: no upper bound)."""

    key: str
    low: int
    high: int | None
    label: str


BUCKETS = (
    Bucket("0-30", 0, 30, _l("0–30 days")),
    Bucket("31-60", 31, 60, _l("31–60 days")),
    Bucket("61-90", 61, 90, _l("61–90 days")),
    Bucket("91-180", 91, 180, _l("91–180 days")),
    Bucket("181-365", 181, 365, _l("181–365 days")),
    Bucket("366+", 366, None, _l("Over 365 days")),
)
BUCKET_KEYS = tuple(b.key for b in BUCKETS)
CLOSED = (CaseStatus.PAID.value, CaseStatus.CLOSED.value)


def bucket_of(days_past_due: int) -> Bucket:
    """Return the bucket a claim `days_past_due` days past its due date falls in."""
    for bucket in BUCKETS:
        if bucket.high is None or days_past_due <= bucket.high:
            return bucket
    raise AssertionError("the last bucket has no upper bound")


@dataclass(frozen=True)
class Cell:
    """What one client (or every client) owes in one bucket, and on how many cases."""

    cents: int = 0
    cases: int = 0


@dataclass
class ClientRow:
    """One client's line of the aged balance: a cell per bucket and its total."""

    client_id: int
    client_name: str
    cells: dict[str, Cell] = field(default_factory=dict)
    total: Cell = field(default_factory=Cell)


@dataclass
class AgedBalance:
    """The aged balance as of a date: one row per client owed something, and the totals."""

    as_of: date
    rows: list[ClientRow]
    totals: dict[str, Cell]
    total: Cell


@dataclass(frozen=True)
class AgedCase:
    """One case behind a cell: what it owes in the bucket(s) and its oldest claim there."""

    case_id: int
    reference: str
    client_name: str
    debtor_name: str
    status: str
    oldest_due: date
    days_past_due: int
    claims: int
    cents: int


def _bucket_expr(due_date, as_of: date) -> sa.ColumnElement[str]:
    # Compared as dates (due date ≥ as_of − high), which both databases do alike and an index can serve.
    whens = [(due_date >= as_of - timedelta(days=b.high), b.key) for b in BUCKETS if b.high is not None]
    return sa.case(*whens, else_=BUCKETS[-1].key)


def _open_on(as_of: date) -> sa.ColumnElement[bool]:
    return sa.and_(Case.opened_on <= as_of,
                   sa.or_(Case.status.not_in(CLOSED), sa.and_(Case.closed_on.is_not(None), Case.closed_on > as_of)))


def _claim_outstanding(as_of: date, client_id: int | Collection[int] | None) -> sa.Subquery:
    """Return a subquery of (claim_id, case_id, cents): each claim's outstanding on open cases, as of the date.

    `client_id` restricts it to one client, or to several given as a collection.
    """
    oldest = (
        sa.select(Claim.id).where(Claim.case_id == LedgerEntry.case_id)
        .order_by(Claim.due_date, Claim.issue_date, Claim.id).limit(1).correlate(LedgerEntry).scalar_subquery()
    )
    claim_id = sa.func.coalesce(LedgerEntry.claim_id, oldest).label("claim_id")
    where = [LedgerEntry.effective_on <= as_of, _open_on(as_of)]
    if isinstance(client_id, int):
        where.append(Case.client_id == client_id)
    elif client_id is not None:
        where.append(Case.client_id.in_(client_id))
    return (
        sa.select(claim_id, LedgerEntry.case_id, sum_cents(LedgerEntry.amount_cents).label("cents"))
        .join(Case, Case.id == LedgerEntry.case_id)
        .where(*where)
        .group_by(claim_id, LedgerEntry.case_id)
        .subquery("claim_outstanding")
    )


def aged_balance(as_of: date, client_id: int | Collection[int] | None = None) -> AgedBalance:
    """Return the aged balance as of `as_of`, of every client, of `client_id` only, or of a collection of clients."""
    owed = _claim_outstanding(as_of, client_id)
    bucket = _bucket_expr(Claim.due_date, as_of).label("bucket")
    base = (
        sa.select(Claim.client_id, bucket, sum_cents(owed.c.cents), sa.func.count(sa.distinct(owed.c.case_id)))
        .join(Claim, Claim.id == owed.c.claim_id)
        .where(owed.c.cents != 0)
    )
    cells = db.session.execute(base.group_by(Claim.client_id, bucket)).all()
    # A case with claims in two buckets counts once in its client's total.
    per_client = db.session.execute(
        sa.select(Claim.client_id, sum_cents(owed.c.cents), sa.func.count(sa.distinct(owed.c.case_id)))
        .join(Claim, Claim.id == owed.c.claim_id).where(owed.c.cents != 0).group_by(Claim.client_id)
    ).all()
    names = dict(db.session.execute(
        sa.select(Client.id, Client.name).where(Client.id.in_([r[0] for r in per_client]))
    ).all())
    rows = {cid: ClientRow(cid, names[cid], total=Cell(int(cents), int(cases))) for cid, cents, cases in per_client}
    for cid, key, cents, cases in cells:
        rows[cid].cells[key] = Cell(int(cents), int(cases))
    totals: dict[str, Cell] = {}
    for key in BUCKET_KEYS:
        for row in rows.values():
            row.cells.setdefault(key, Cell())
        # Cases belong to one client, so a bucket's case count is the sum of its clients' counts.
        totals[key] = Cell(sum(r.cells[key].cents for r in rows.values()), sum(r.cells[key].cases for r in rows.values()))
    total = Cell(sum(r.total.cents for r in rows.values()), sum(r.total.cases for r in rows.values()))
    ordered = sorted(rows.values(), key=lambda r: (r.client_name.lower(), r.client_id))
    return AgedBalance(as_of=as_of, rows=ordered, totals=totals, total=total)


def _cases_query(as_of: date, client_id: int | None, bucket_key: str | None) -> sa.Select:
    if bucket_key is not None and bucket_key not in BUCKET_KEYS:
        raise ValueError(f"unknown bucket {bucket_key!r}")
    owed = _claim_outstanding(as_of, client_id)
    where = [owed.c.cents != 0]
    if bucket_key is not None:
        where.append(_bucket_expr(Claim.due_date, as_of) == bucket_key)
    return (
        sa.select(owed.c.case_id, sum_cents(owed.c.cents).label("cents"), sa.func.min(Claim.due_date).label("oldest"),
                  sa.func.count().label("claims"))
        .join(Claim, Claim.id == owed.c.claim_id).where(*where).group_by(owed.c.case_id)
    )


def case_details(as_of: date, found: sa.Select, page: int | None = None, size: int = 100) -> list[AgedCase]:
    """Return the cases of `found` (case_id, cents, oldest, claims) most overdue first, all or page `page` (from 1)."""
    per_case = found.subquery("per_case")
    query = (
        sa.select(per_case, Case.reference, Case.status, Client.name, Debtor)
        .join(Case, Case.id == per_case.c.case_id).join(Client, Client.id == Case.client_id)
        .join(Debtor, Debtor.id == Case.debtor_id)
        .order_by(per_case.c.oldest, Case.reference)  # references are unique: pages end to end are the whole list
    )
    if page is not None:
        query = query.limit(size).offset((page - 1) * size)
    return [
        AgedCase(case_id=r.case_id, reference=r.reference, client_name=r.name, debtor_name=r.Debtor.display_name,
                 status=r.status, oldest_due=r.oldest, days_past_due=max((as_of - r.oldest).days, 0),
                 claims=int(r.claims), cents=int(r.cents))
        for r in db.session.execute(query)
    ]


def aged_cases(as_of: date, client_id: int | None = None, bucket_key: str | None = None) -> list[AgedCase]:
    """Return the cases behind one cell (a client and/or a bucket; None = all), most overdue first."""
    return case_details(as_of, _cases_query(as_of, client_id, bucket_key))


def aged_case_page(as_of: date, client_id: int | None, bucket_key: str | None, page: int,
                   size: int) -> tuple[int, int, list[AgedCase]]:
    """Return how many cases are behind one cell, what they owe, and the cases of page `page` (from 1)."""
    query = _cases_query(as_of, client_id, bucket_key)
    found = query.subquery()
    count, cents = db.session.execute(sa.select(sa.func.count(), sum_cents(found.c.cents))).one()
    return count, int(cents), case_details(as_of, query, page, size)


def bucket_labels() -> dict[str, str]:
    """Return each bucket's label by key, in the current language."""
    return {b.key: str(b.label) for b in BUCKETS}

