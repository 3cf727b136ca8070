"""Collector performance: what each collector did and brought in, per day, week or month of a period.

The rules, read from the action history, the promises and the ledger (never from counters):

- Days are the agency's calendar days (Europe/Paris by default); a week starts on Monday, a month on its 1st.
- Cases worked: distinct cases with an action done by the collector that day, week or month.
- Calls: call actions done by the collector; right-party contacts: those whose outcome is a conversation
  (`CallOutcome.is_conversation`).
- Promises obtained: promises the collector recorded, on the day recorded. Promises kept: those promises
  found kept (in full), counted on their due date.
- Collected: payment lines of the ledger, less the part held as a credit for the debtor (an overpayment is
  not collected debt), net of reversals; a payment counts on the day received, its reversal on the day
  reversed. Both are credited to the collector the case was assigned to on the day the payment was
  received, read from the case's reassignment history (`case.reassigned`, `case.moved_to_pool` audit
  events): the last change on or before that day, else the assignment before the first later change,
  else the case's assignment today. A payment on a case assigned to nobody is credited to no one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from agency.db import db
from agency.models import AuditEvent, User
from cases.models import (
    Action,
    ActionKind,
    ActionStatus,
    AppliesTo,
    CallOutcome,
    Case,
    LedgerEntry,
    Promise,
    PromiseStatus,
)
from money.models import Payment

CONVERSATIONS = tuple(o.value for o in CallOutcome if o.is_conversation)
ASSIGNMENT_EVENTS = ("case.reassigned", "case.moved_to_pool")
MAX_DAYS = 731  # two years: a longer period is a question for the dashboard, not for this table


class Grain(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


def period_start(day: date, grain: Grain) -> date:
    """Return the first day of the day, week (Monday) or month that holds `day`."""
    if grain is Grain.WEEK:
        return day - timedelta(days=day.weekday())
    if grain is Grain.MONTH:
        return day.replace(day=1)
    return day


@dataclass
class Figures:
    """One collector's figures over one day, week, month or the whole period."""

    cases_worked: int = 0
    calls: int = 0
    right_party: int = 0
    promises: int = 0
    promises_kept: int = 0
    collected_cents: int = 0

    def add(self, other: Figures) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


@dataclass(frozen=True)
class CollectorLine:
    """A collector's figures for one period start (None: the whole period)."""

    user_id: int
    name: str
    start: date | None
    figures: Figures


@dataclass
class Performance:
    """The figures of every collector who did or brought something in the period."""

    date_from: date
    date_to: date
    grain: Grain
    lines: list[CollectorLine]  # by period start, then collector name
    totals: list[CollectorLine]  # one per collector over the whole period


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def _bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    zone = _zone()
    return datetime.combine(date_from, time(), zone), datetime.combine(date_to + timedelta(days=1), time(), zone)


def _local_day(moment: datetime) -> date:
    return moment.astimezone(_zone()).date()


def collector_performance(date_from: date, date_to: date, grain: Grain = Grain.DAY) -> Performance:
    """Return each collector's figures per `grain` from `date_from` to `date_to` inclusive."""
    start, end = _bounds(date_from, date_to)
    cells: dict[tuple[int, date], Figures] = defaultdict(Figures)
    worked: dict[tuple[int, date], set[int]] = defaultdict(set)
    worked_total: dict[int, set[int]] = defaultdict(set)

    actions = db.session.execute(
        sa.select(Action.user_id, Action.case_id, Action.done_at, Action.kind, Action.outcome)
        .where(Action.user_id.is_not(None), Action.status == ActionStatus.DONE.value,
               Action.done_at >= start, Action.done_at < end)
    ).all()
    for user_id, case_id, done_at, kind, outcome in actions:
        key = (user_id, period_start(_local_day(done_at), grain))
        worked[key].add(case_id)
        worked_total[user_id].add(case_id)
        if kind == ActionKind.CALL.value:
            cells[key].calls += 1
            cells[key].right_party += outcome in CONVERSATIONS
    for key, cases in worked.items():
        cells[key].cases_worked = len(cases)

    obtained = db.session.execute(
        sa.select(Promise.created_by_id, Promise.created_at)
        .where(Promise.created_by_id.is_not(None), Promise.created_at >= start, Promise.created_at < end)
    ).all()
    for user_id, created_at in obtained:
        cells[(user_id, period_start(_local_day(created_at), grain))].promises += 1
    kept = db.session.execute(
        sa.select(Promise.created_by_id, Promise.due_on)
        .where(Promise.created_by_id.is_not(None), Promise.status == PromiseStatus.KEPT.value,
               Promise.due_on >= date_from, Promise.due_on <= date_to)
    ).all()
    for user_id, due_on in kept:
        cells[(user_id, period_start(due_on, grain))].promises_kept += 1

    for user_id, day, cents in _collected(date_from, date_to):
        cells[(user_id, period_start(day, grain))].collected_cents += cents

    names = dict(db.session.execute(
        sa.select(User.id, User.name).where(User.id.in_({uid for uid, _start in cells}))
    ).all())
    lines = sorted((CollectorLine(uid, names[uid], day, figures) for (uid, day), figures in cells.items()),
                   key=lambda line: (line.start, line.name.lower(), line.user_id))
    totals: dict[int, Figures] = defaultdict(Figures)
    for line in lines:
        totals[line.user_id].add(line.figures)
    for uid, cases in worked_total.items():
        totals[uid].cases_worked = len(cases)  # a case worked on two days is one case over the period
    total_lines = sorted((CollectorLine(uid, names[uid], None, figures) for uid, figures in totals.items()),
                         key=lambda line: (line.name.lower(), line.user_id))
    return Performance(date_from=date_from, date_to=date_to, grain=grain, lines=lines, totals=total_lines)


def _collected(date_from: date, date_to: date) -> list[tuple[int, date, int]]:
    """Return (collector id, day, cents collected) for payment lines and reversals effective in the period."""
    rows = db.session.execute(
        sa.select(LedgerEntry.payment_id, LedgerEntry.effective_on, sa.func.sum(LedgerEntry.amount_cents),
                  Payment.case_id, Payment.received_on)
        .join(Payment, Payment.id == LedgerEntry.payment_id)
        .where(LedgerEntry.payment_id.is_not(None), LedgerEntry.applies_to != AppliesTo.CREDIT.value,
               LedgerEntry.effective_on >= date_from, LedgerEntry.effective_on <= date_to)
        .group_by(LedgerEntry.payment_id, LedgerEntry.effective_on, Payment.case_id, Payment.received_on)
    ).all()
    collector = assigned_on({(case_id, received_on) for _pid, _day, _sum, case_id, received_on in rows})
    result = []
    for _pid, day, total, case_id, received_on in rows:
        user_id = collector.get((case_id, received_on))
        if user_id is not None:
            # Payment lines are credits (negative); their reversals are positive.
            result.append((user_id, day, -int(total)))
    return result


def assigned_on(case_days: set[tuple[int, date]]) -> dict[tuple[int, date], int | None]:
    """Return the collector each case was assigned to at the end of each given day (see the module's rule)."""
    if not case_days:
        return {}
    case_ids = sorted({case_id for case_id, _day in case_days})
    current = dict(db.session.execute(sa.select(Case.id, Case.assigned_collector_id).where(Case.id.in_(case_ids))).all())
    history: dict[int, list[tuple[date, dict, dict]]] = defaultdict(list)
    events = db.session.execute(
        sa.select(AuditEvent.subject_id, AuditEvent.created_at, AuditEvent.before, AuditEvent.after)
        .where(AuditEvent.subject_type == Case.__tablename__, AuditEvent.action.in_(ASSIGNMENT_EVENTS),
               AuditEvent.subject_id.in_(case_ids))
        .order_by(AuditEvent.created_at, AuditEvent.id)
    ).all()
    for case_id, created_at, before, after in events:
        if "assigned_collector_id" in (after or {}):
            history[case_id].append((_local_day(created_at), before or {}, after))
    result = {}
    for case_id, day in case_days:
        changes = history.get(case_id, [])
        earlier = [after for changed_on, _before, after in changes if changed_on <= day]
        later = [before for changed_on, before, _after in changes if changed_on > day]
        if earlier:
            result[(case_id, day)] = earlier[-1]["assigned_collector_id"]
        elif later:
            result[(case_id, day)] = later[0].get("assigned_collector_id")
        else:
            result[(case_id, day)] = current.get(case_id)
    return result
