"""Refresh the pre-aggregated figures: every family of reports.figures, grouped by client, placement,
collector and opening day, written in one transaction (readers see the old figures until it commits)."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from datetime import date

import sqlalchemy as sa

from agency.db import db, sum_cents, utcnow
from cases.models import (
    Action,
    ActionKind,
    Case,
    CaseStatus,
    EntryKind,
    LedgerEntry,
    Promise,
    PromiseStatus,
)
from reports.channel_cases import store_channel_cases
from reports.figures import (
    CONVERSATIONS,
    NO_CONTACT,
    RESOLVED_PROMISES,
    attributions,
    closed_clause,
    collected_clause,
    done_contacts,
    entry_kind,
    first_payments,
    month_index,
    on_hold_clause,
    step_key,
    write_offs,
)
from reports.filters import Filters
from reports.models import FigureClosing, FigureCredit, FigureCurve, FigureDays, FigureGroup, FigureRefresh

GROUP = (Case.client_id, Case.placement_id, Case.assigned_collector_id, Case.opened_on)
EVERYTHING = Filters(date(1900, 1, 1), date(9999, 12, 31))


def _count(clause) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((clause, 1), else_=0)), 0)


def _grouped(query: sa.Select) -> dict[tuple, tuple]:
    return {tuple(row[:4]): tuple(row[4:]) for row in db.session.execute(query.group_by(*GROUP))}


def _groups() -> dict[tuple, dict]:
    """Return every group's summed figures, keyed by (client, placement, collector, opening day)."""
    counts = _grouped(sa.select(*GROUP, sa.func.count(), *(_count(Case.status == s.value) for s in (
        CaseStatus.PAID, CaseStatus.PLAN, CaseStatus.DISPUTE)), _count(on_hold_clause()),
        _count(Case.status == CaseStatus.CLOSED.value)))
    kind, reversed_entry = entry_kind()
    money = _grouped(
        sa.select(*GROUP,
                  sum_cents(sa.case((kind == EntryKind.PRINCIPAL.value, LedgerEntry.amount_cents), else_=0)),
                  sum_cents(sa.case((collected_clause(kind), LedgerEntry.amount_cents), else_=0)),
                  sum_cents(sa.case((kind == EntryKind.WRITE_OFF.value, LedgerEntry.amount_cents), else_=0)),
                  sum_cents(LedgerEntry.amount_cents))
        .select_from(LedgerEntry).join(Case, Case.id == LedgerEntry.case_id)
        .outerjoin(reversed_entry, LedgerEntry.reverses_id == reversed_entry.id)
    )
    is_call = Action.kind == ActionKind.CALL.value
    actions = _grouped(
        sa.select(*GROUP, sa.func.count(), _count(is_call), _count(sa.and_(is_call, Action.outcome.in_(CONVERSATIONS))))
        .select_from(Action).join(Case, Case.id == Action.case_id).where(done_contacts())
    )
    promises = _grouped(
        sa.select(*GROUP, sa.func.count(), _count(Promise.status == PromiseStatus.KEPT.value),
                  _count(Promise.status.in_(RESOLVED_PROMISES)))
        .select_from(Promise).join(Case, Case.id == Promise.case_id)
    )
    groups = {}
    for key, (opened, paid, plan, dispute, hold, closed) in counts.items():
        placed, collected, written_off, outstanding = money.get(key, (0, 0, 0, 0))
        attempts, calls, right_party = actions.get(key, (0, 0, 0))
        made, kept, resolved = promises.get(key, (0, 0, 0))
        groups[key] = {
            "placed": placed, "collected": -collected, "written_off": -written_off, "outstanding": outstanding,
            "opened": opened, "paid": int(paid), "plan": int(plan), "dispute": int(dispute), "hold": int(hold),
            "closed": int(closed), "attempts": attempts, "calls": int(calls), "right_party": int(right_party),
            "promises": made, "kept": int(kept), "resolved": int(resolved),
        }
    return groups


def _curves() -> dict[tuple, Counter]:
    """Return, per group, the cents collected by months since placement."""
    kind, reversed_entry = entry_kind()
    paid_y, paid_m = sa.extract("year", LedgerEntry.effective_on), sa.extract("month", LedgerEntry.effective_on)
    result: dict[tuple, Counter] = defaultdict(Counter)
    for *key, year, month, cents in db.session.execute(
        sa.select(*GROUP, paid_y, paid_m, sum_cents(LedgerEntry.amount_cents))
        .select_from(LedgerEntry).join(Case, Case.id == LedgerEntry.case_id)
        .outerjoin(reversed_entry, LedgerEntry.reverses_id == reversed_entry.id)
        .where(collected_clause(kind))
        .group_by(*GROUP, paid_y, paid_m)
    ):
        opened_on = key[3]
        offset = max(0, month_index(int(year), int(month)) - month_index(opened_on.year, opened_on.month))
        result[tuple(key)][offset] -= cents
    return result


def _case_groups(case_ids: set[int]) -> dict[int, tuple]:
    found: dict[int, tuple] = {}
    ordered = sorted(case_ids)
    for start in range(0, len(ordered), 10_000):
        chunk = ordered[start:start + 10_000]
        found.update((row[0], tuple(row[1:])) for row in db.session.execute(
            sa.select(Case.id, *GROUP).where(Case.id.in_(chunk))))
    return found


def _store_closings() -> None:
    """Store each group's cases closed unpaid per reason, with their write-offs: one INSERT … SELECT.

    Run once the groups are written: every case has its group (the group's null placement or collector
    compared as 0, ids being positive, so that the join stays an equality the database can hash).
    """
    off = write_offs(closed_clause())
    same_group = sa.and_(
        FigureGroup.client_id == Case.client_id, FigureGroup.opened_on == Case.opened_on,
        sa.func.coalesce(FigureGroup.placement_id, 0) == sa.func.coalesce(Case.placement_id, 0),
        sa.func.coalesce(FigureGroup.collector_id, 0) == sa.func.coalesce(Case.assigned_collector_id, 0),
    )
    db.session.execute(sa.insert(FigureClosing).from_select(
        ["group_id", "reason_code", "cases", "written_off"],
        sa.select(FigureGroup.id, Case.closed_reason, sa.func.count(), -sa.func.coalesce(sa.func.sum(off.c.cents), 0))
        .select_from(Case).join(FigureGroup, same_group).outerjoin(off, off.c.case_id == Case.id)
        .where(closed_clause())
        .group_by(FigureGroup.id, Case.closed_reason),
    ))


def _insert(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), 10_000):  # executemany in bounded batches; nothing to do for none
        db.session.execute(sa.insert(model), rows[start:start + 10_000])


def refresh_figures() -> FigureRefresh:
    """Recompute every pre-aggregated figure, and the channel lists, from the ledger and the action history.

    The caller commits.
    """
    started = time.perf_counter()
    groups = _groups()
    curves = _curves()
    days: dict[int, tuple[date, date]] = {}
    for case_id, opened_on, first in db.session.execute(first_payments(EVERYTHING)):
        days[case_id] = (opened_on, first)
    found = attributions(EVERYTHING)
    case_group = _case_groups({a.case_id for a in found} | set(days))
    first_days: dict[tuple, Counter] = defaultdict(Counter)
    for case_id, (opened_on, first) in days.items():
        first_days[case_group[case_id]][max(0, (first - opened_on).days)] += 1
    credits: dict[tuple, dict[tuple[str, str], list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for a in found:
        cell = credits[case_group[a.case_id]][(a.kind, NO_CONTACT if a.kind == NO_CONTACT else step_key(a.step))]
        cell[0] += 1
        cell[1] += a.cents

    for model in (FigureClosing, FigureCredit, FigureDays, FigureCurve, FigureGroup):
        db.session.execute(sa.delete(model))
    rows = [FigureGroup(client_id=k[0], placement_id=k[1], collector_id=k[2], opened_on=k[3], **v)
            for k, v in groups.items()]
    db.session.add_all(rows)
    db.session.flush()
    ids = {(r.client_id, r.placement_id, r.collector_id, r.opened_on): r.id for r in rows}
    _insert(FigureCurve, [{"group_id": ids[k], "month_offset": m, "cents": c}
                          for k, by in curves.items() for m, c in by.items() if c])
    _insert(FigureDays, [{"group_id": ids[k], "days": d, "cases": n} for k, by in first_days.items() for d, n in by.items()])
    _insert(FigureCredit, [{"group_id": ids[k], "channel": ch, "step": st, "payments": n, "cents": c}
                           for k, by in credits.items() for (ch, st), (n, c) in by.items()])
    _store_closings()
    store_channel_cases(found)
    refresh = FigureRefresh(refreshed_at=utcnow(), cases=sum(v["opened"] for v in groups.values()),
                            duration_ms=int((time.perf_counter() - started) * 1000))
    db.session.add(refresh)
    return refresh

