"""Checking a whole placement before anything is written: rows, duplicates, invoices already placed,
debtors to create or match, cases to open or add to. The plan is what the preview shows and what the
import writes, so the two can never disagree.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _

from agency.bulk import select_in
from agency.db import db, sum_cents
from agency.money import case_limit_cents, limit_text
from cases.models import Case, CaseStatus, Claim
from cases.placement.checked import CheckedRows
from cases.placement.matching import DebtorGroup, group_records, match_known_debtors, merge_same_debtor
from cases.placement.reader import Table, gc_paused
from cases.placement.rows import Record, Rejection, parse_table
from debtors.models import ContactPoint, Debtor, DebtorReference

PROGRESS_EVERY = 2_000  # rows between two progress reports
MAX_LISTED = 10_000  # rejections kept in the stored report; the counts stay exact beyond it
_OPEN = [s.value for s in CaseStatus if s.is_open]


@dataclass(frozen=True)
class AlreadyPlaced:
    """An invoice of the file that the client placed before."""

    line: int
    invoice_number: str
    amount_cents: int
    placed_amount_cents: int
    case_reference: str

    @property
    def amount_differs(self) -> bool:
        return self.amount_cents != self.placed_amount_cents


@dataclass
class Plan:
    """What an import would do, row by row and in total."""

    rows_total: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    already_placed: list[AlreadyPlaced] = field(default_factory=list)
    groups: list[DebtorGroup] = field(default_factory=list)
    open_cases: dict[tuple[int, str], tuple[int, str]] = field(
        default_factory=dict
    )  # (debtor, currency) -> case
    # Rows refused against the database (a case beyond its bound), also in `rejections`: kept with the
    # settlement, since the check's stored rejections are only what the file alone says.
    settled_rejections: list[Rejection] = field(default_factory=list)

    @property
    def records(self) -> list[Record]:
        return [r for g in self.groups for r in g.records]

    @property
    def rows_rejected(self) -> int:
        return len({r.line for r in self.rejections})

    @property
    def total_cents(self) -> int:
        return sum(r.amount_cents for r in self.records)

    def case_of(self, group: DebtorGroup) -> tuple[int, str] | None:
        """Return the open case (id, reference) the group's invoices are added to, if any."""
        if group.debtor_id is None:
            return None
        return self.open_cases.get((group.debtor_id, group.first.currency))

    def counts(self) -> dict[str, int]:
        """Return the preview's figures."""
        updated = sum(1 for g in self.groups if self.case_of(g))
        return {
            "rows_total": self.rows_total,
            "rows_valid": len(self.records),
            "rows_rejected": self.rows_rejected,
            "rows_already_placed": len(self.already_placed),
            "cases_to_create": len(self.groups) - updated,
            "cases_to_update": updated,
            "debtors_to_create": len({id(g) for g in self.groups if g.debtor_id is None}),
            "debtors_matched": len({g.debtor_id for g in self.groups if g.debtor_id is not None}),
            "total_cents": self.total_cents,
        }

    def report(self) -> dict:
        """Return the stored report: rejections (the first MAX_LISTED), their counts, re-placed invoices."""
        return {
            "rejections": [_rejection_dict(r) for r in self.rejections[:MAX_LISTED]],
            "reasons": dict(Counter(r.code for r in self.rejections)),
            "already_placed": [vars(a) | {"amount_differs": a.amount_differs} for a in self.already_placed],
        }


def _rejection_dict(r: Rejection) -> dict:
    return {
        "line": r.line,
        "field": r.field,
        "column": r.column,
        "value": r.value,
        "reason": r.reason,
        "code": r.code,
    }


def check_rows(
    table: Table, mapping: dict[str, int], progress: Callable[[int, int], None] | None = None
) -> CheckedRows:
    """Parse and check every row on its own and against the rows before it (what the file alone says)."""
    accepted: list[Record] = []
    rejected: list[Rejection] = []
    first_line: dict[str, int] = {}
    total = len(table.rows)
    # The table is only read here: its cells are released as the rows become records.
    for record, rejections in parse_table(table, mapping, progress, every=PROGRESS_EVERY, release=True):
        if record is not None and record.invoice_number in first_line:
            rejections = [_duplicate(record, table, mapping, first_line[record.invoice_number])]
            record = None
        rejected.extend(rejections)
        if record is not None:
            first_line[record.invoice_number] = record.line
            accepted.append(record)
    return CheckedRows(total, accepted, rejected)


def settle(checked: CheckedRows, client_id: int, amount_column: str = "") -> Plan:
    """Set the checked rows against the database: invoices placed before, known debtors, open cases.

    `amount_column` is the file's header of the amounts, named in the rejection of an invoice that
    would take its case beyond the bound.
    """
    plan = Plan(rows_total=checked.rows_total, rejections=list(checked.rejections))
    accepted = _drop_already_placed(plan, checked.accepted, client_id)
    with gc_paused():
        plan.groups = group_records(accepted)
    match_known_debtors(plan.groups, client_id)
    plan.groups = merge_same_debtor(plan.groups)
    plan.open_cases = _open_cases(client_id, {g.debtor_id for g in plan.groups if g.debtor_id})
    _refuse_beyond_case_limit(plan, amount_column)
    return plan


def _refuse_beyond_case_limit(plan: Plan, amount_column: str) -> None:
    """Refuse, in file order, the invoices that would take their case (with what it holds) beyond the bound.

    Each invoice is bounded on its own (rows.py); this bounds their sum per case, so that one client's
    data can never make a case's sums overflow and break the pages that read them.
    """
    limit = case_limit_cents()
    held = _placed_per_case({case[0] for case in plan.open_cases.values()})
    refused: list[Rejection] = []
    for group in plan.groups:
        case = plan.case_of(group)
        total = held.get(case[0], 0) if case else 0
        if total + sum(r.amount_cents for r in group.records) <= limit:
            continue
        kept = []
        for record in sorted(group.records, key=lambda r: r.line):
            if total + record.amount_cents > limit:
                refused.append(_beyond_case_limit(record, amount_column, limit))
            else:
                total += record.amount_cents
                kept.append(record)
        group.records = kept
    if refused:
        plan.groups = [g for g in plan.groups if g.records]
        _add_settled_rejections(plan, refused)


def _placed_per_case(case_ids: set[int]) -> dict[int, int]:
    """Return the sum of the invoices each of these cases already holds."""
    select = sa.select(Claim.case_id, sum_cents(Claim.amount_cents)).group_by(Claim.case_id)
    return dict(select_in(select, Claim.case_id, sorted(case_ids), sa.Integer))


def _beyond_case_limit(record: Record, column: str, limit: int) -> Rejection:
    reason = _(
        "Amount too high for one case: with this invoice, the debtor's case would hold more than %(limit)s.",
        limit=limit_text(limit, None),
    )
    value = f"{record.amount_cents // 100},{record.amount_cents % 100:02d}"
    return Rejection(record.line, "amount", column, value, reason, "case_too_large")


def _add_settled_rejections(plan: Plan, refused: list[Rejection]) -> None:
    plan.settled_rejections.extend(refused)
    plan.rejections.extend(refused)
    plan.rejections.sort(key=lambda r: r.line)  # stable: a row's reasons stay in their order


def _duplicate(record: Record, table: Table, mapping: dict[str, int], first: int) -> Rejection:
    column = table.headers[mapping["invoice_number"]]
    reason = _(
        "invoice %(number)s already appears on line %(line)d", number=record.invoice_number, line=first
    )
    return Rejection(
        record.line, "invoice_number", column, record.invoice_number, reason, "duplicate_in_file"
    )


def _drop_already_placed(plan: Plan, records: list[Record], client_id: int) -> list[Record]:
    """Set aside invoices this client placed before: reported, never imported twice."""
    select = (
        sa.select(Claim.invoice_number, Claim.amount_cents, Case.reference)
        .join(Case, Claim.case_id == Case.id)
        .where(Claim.client_id == client_id)
    )
    placed = {
        number: (amount, reference)
        for number, amount, reference in select_in(
            select, Claim.invoice_number, (r.invoice_number for r in records)
        )
    }
    kept = []
    for record in records:
        if record.invoice_number in placed:
            amount, reference = placed[record.invoice_number]
            plan.already_placed.append(
                AlreadyPlaced(record.line, record.invoice_number, record.amount_cents, amount, reference)
            )
        else:
            kept.append(record)
    return kept


def _open_cases(client_id: int, debtor_ids: set[int]) -> dict[tuple[int, str], tuple[int, str]]:
    """Return the client's open case for each (debtor, currency): new invoices join it."""
    select = (
        sa.select(Case.debtor_id, Case.currency, Case.id, Case.reference)
        .where(Case.client_id == client_id, Case.status.in_(_OPEN))
        .order_by(Case.id)
    )
    found: dict[tuple[int, str], tuple[int, str]] = {}
    for debtor_id, currency, case_id, reference in select_in(
        select, Case.debtor_id, sorted(debtor_ids), sa.Integer
    ):
        found.setdefault((debtor_id, currency), (case_id, reference))
    return found


# --- reusing a check's settlement at import time ---------------------------------------------------

# The tables a settlement reads: a row added to any of them may change which invoices are already
# placed, which debtors are known, or which case an invoice joins.
_WATCHED = (Claim, Debtor, ContactPoint, DebtorReference, Case)


def database_state(client_id: int) -> dict:
    """Return what a settlement depended on: each watched table's row count and highest id, and the
    client's open cases."""
    state = {}
    for model in _WATCHED:
        count, top = db.session.execute(
            sa.select(sa.func.count(), sa.func.coalesce(sa.func.max(model.id), 0)).select_from(model)
        ).one()
        state[model.__tablename__] = [count, top]
    # The sum of their ids too: a case closed and another reopened leave the count alone.
    count, ids = db.session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(Case.id), 0)).where(
            Case.client_id == client_id, Case.status.in_(_OPEN)
        )
    ).one()
    state["open_cases"] = [count, int(ids)]
    return state


def settled_parts(plan: Plan, accepted: list[Record], state: dict) -> dict:
    """Return the plan's settlement as JSON values, records named by their index in `accepted`."""
    index = {id(record): i for i, record in enumerate(accepted)}
    return {
        "state": state,
        "groups": [[[index[id(r)] for r in g.records], g.debtor_id, g.matched_by] for g in plan.groups],
        "already_placed": [dataclasses.astuple(a) for a in plan.already_placed],
        "open_cases": [
            [debtor, currency, case[0], case[1]] for (debtor, currency), case in plan.open_cases.items()
        ],
        "rejections": [dataclasses.astuple(r) for r in plan.settled_rejections],
    }


def restore(checked: CheckedRows, client_id: int) -> Plan | None:
    """Return the check's plan if the database is as it was when the check settled it, else None."""
    parts = checked.settled
    if not parts or parts["state"] != database_state(client_id):
        return None
    plan = Plan(rows_total=checked.rows_total, rejections=list(checked.rejections))
    plan.already_placed = [AlreadyPlaced(*values) for values in parts["already_placed"]]
    accepted = checked.accepted
    with gc_paused():
        plan.groups = [
            DebtorGroup(records=[accepted[i] for i in indices], debtor_id=debtor_id, matched_by=matched_by)
            for indices, debtor_id, matched_by in parts["groups"]
        ]
    plan.open_cases = {
        (debtor, currency): (case_id, ref) for debtor, currency, case_id, ref in parts["open_cases"]
    }
    _add_settled_rejections(plan, [Rejection(*values) for values in parts.get("rejections", [])])
    return plan
