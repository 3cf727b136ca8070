"""The dashboard's figures, one function per family, all read from the ledger and the action history.

Every figure covers the cases opened in the period (the placement cohort) and everything that happened
on them up to now: money collected after the period still counts for the cases placed in it, which is
how agencies compare portfolios. Money is summed in cents; rates are rounded once, to one decimal.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from agency.db import db, sum_cents
from cases.models import (
    Action,
    ActionKind,
    ActionStatus,
    AppliesTo,
    CallOutcome,
    Case,
    CaseStatus,
    EntryKind,
    LedgerEntry,
    Promise,
    PromiseStatus,
)
from debtors.models import Hold, HoldKind
from money.models import Payment
from reports.filters import Filters, cohort_clause, cohort_ids

# The actions that try to reach the debtor; notes are internal and reach nobody.
CONTACT_KINDS = (ActionKind.CALL.value, ActionKind.SMS.value, ActionKind.EMAIL.value, ActionKind.LETTER.value,
                 ActionKind.FORMAL_NOTICE.value)
CONVERSATIONS = tuple(o.value for o in CallOutcome if o.is_conversation)
# A payment is credited to the last contact action done on its case within this many days before it.
ATTRIBUTION_DAYS = 30
NO_CONTACT = "none"
RESOLVED_PROMISES = (PromiseStatus.KEPT.value, PromiseStatus.PARTLY_KEPT.value, PromiseStatus.BROKEN.value)


def rate(numerator: int, denominator: int) -> Decimal | None:
    """Return numerator ÷ denominator as a percentage with one decimal (half up), None when nothing to divide."""
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def entry_kind() -> tuple[sa.ColumnElement, sa.orm.util.AliasedClass]:
    """Return the kind an entry counts as (a reversal counts as the entry it undoes) and the alias it needs."""
    reversed_entry = sa.orm.aliased(LedgerEntry)
    return sa.func.coalesce(reversed_entry.kind, LedgerEntry.kind), reversed_entry


def collected_clause(kind: sa.ColumnElement) -> sa.ColumnElement[bool]:
    # Overpayments are the debtor's money held for a refund, not money recovered for the client.
    return sa.and_(kind == EntryKind.PAYMENT.value,
                   sa.func.coalesce(LedgerEntry.applies_to, "") != AppliesTo.CREDIT.value)


@dataclass(frozen=True)
class MoneyFigures:
    placed: int  # principal placed, in cents
    collected: int  # payments net of reversals, overpayments left out
    written_off: int
    outstanding: int  # the ledger's balance: principal, interest, indemnity and costs less every credit

    @property
    def recovery_rate(self) -> Decimal | None:
        return rate(self.collected, self.placed)


def money_figures(filters: Filters) -> MoneyFigures:
    """Return placed, collected, written off and outstanding amounts of the cohort."""
    kind, reversed_entry = entry_kind()
    collected = collected_clause(kind)
    row = db.session.execute(
        sa.select(
            sum_cents(sa.case((kind == EntryKind.PRINCIPAL.value, LedgerEntry.amount_cents), else_=0)),
            sum_cents(sa.case((collected, LedgerEntry.amount_cents), else_=0)),
            sum_cents(sa.case((kind == EntryKind.WRITE_OFF.value, LedgerEntry.amount_cents), else_=0)),
            sum_cents(LedgerEntry.amount_cents),
        )
        .outerjoin(reversed_entry, LedgerEntry.reverses_id == reversed_entry.id)
        .where(LedgerEntry.case_id.in_(cohort_ids(filters)))
    ).one()
    return MoneyFigures(placed=row[0], collected=-row[1], written_off=-row[2], outstanding=row[3])


@dataclass(frozen=True)
class Curve:
    """One placement month: its principal placed and the cumulative % collected after 0, 1, 2… months."""

    month: date  # the first day of the placement month
    placed: int
    collected: list[int]  # cumulative cents collected by months since placement
    points: list[Decimal | None] = field(default_factory=list)


def month_index(year: int, month: int) -> int:
    return year * 12 + month - 1


def liquidation_curves(filters: Filters, today: date) -> list[Curve]:
    """Return one liquidation curve per placement month, up to the current month."""
    opened_y, opened_m = sa.extract("year", Case.opened_on), sa.extract("month", Case.opened_on)
    placed = db.session.execute(
        sa.select(opened_y, opened_m, sum_cents(LedgerEntry.amount_cents))
        .join(Case, Case.id == LedgerEntry.case_id)
        .where(cohort_clause(filters), LedgerEntry.kind == EntryKind.PRINCIPAL.value)
        .group_by(opened_y, opened_m)
    ).all()
    kind, reversed_entry = entry_kind()
    paid_y, paid_m = sa.extract("year", LedgerEntry.effective_on), sa.extract("month", LedgerEntry.effective_on)
    collected = db.session.execute(
        sa.select(opened_y, opened_m, paid_y, paid_m, sum_cents(LedgerEntry.amount_cents))
        .join(Case, Case.id == LedgerEntry.case_id)
        .outerjoin(reversed_entry, LedgerEntry.reverses_id == reversed_entry.id)
        .where(cohort_clause(filters), collected_clause(kind))
        .group_by(opened_y, opened_m, paid_y, paid_m)
    ).all()
    by_month: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for oy, om, py, pm, cents in collected:
        start = month_index(int(oy), int(om))
        # A payment dated before the placement (recorded late) counts in the first month.
        by_month[start][max(0, month_index(int(py), int(pm)) - start)] -= cents
    now = month_index(today.year, today.month)
    curves = []
    for oy, om, cents in sorted(placed, key=lambda r: (int(r[0]), int(r[1]))):
        start = month_index(int(oy), int(om))
        running, cumulative = 0, []
        for k in range(max(0, now - start) + 1):
            running += by_month[start].get(k, 0)
            cumulative.append(running)
        curves.append(Curve(date(int(oy), int(om), 1), cents, cumulative, [rate(c, cents) for c in cumulative]))
    return curves


@dataclass(frozen=True)
class CaseCounts:
    opened: int
    paid: int
    plan: int
    dispute: int
    hold: int
    closed: int


def on_hold_clause() -> sa.ColumnElement[bool]:
    """Return the clause of an open case on hold: its status says so, or its debtor has an open hold."""
    debtor_hold = sa.exists().where(Hold.debtor_id == Case.debtor_id, Hold.ended_at.is_(None),
                                    Hold.kind != HoldKind.DISPUTE.value)
    open_case = Case.status.not_in((CaseStatus.PAID.value, CaseStatus.CLOSED.value))
    return sa.or_(Case.status == CaseStatus.HOLD.value, sa.and_(open_case, debtor_hold))


def case_counts(filters: Filters) -> CaseCounts:
    """Return how many cases were opened and how many are paid, in a plan, disputed, on hold, closed unpaid."""

    def count(clause) -> sa.ColumnElement[int]:
        return sa.func.coalesce(sa.func.sum(sa.case((clause, 1), else_=0)), 0)

    row = db.session.execute(
        sa.select(
            sa.func.count(),
            count(Case.status == CaseStatus.PAID.value),
            count(Case.status == CaseStatus.PLAN.value),
            count(Case.status == CaseStatus.DISPUTE.value),
            count(on_hold_clause()),
            count(Case.status == CaseStatus.CLOSED.value),
        ).where(cohort_clause(filters))
    ).one()
    return CaseCounts(*(int(v) for v in row))


@dataclass(frozen=True)
class ClosedRow:
    """The cases closed unpaid for one reason, and what their ledgers have written off."""

    reason: str  # a closing reason's code; "" for a case closed without one
    cases: int
    written_off: int  # cents, net of the write-offs reversed


def closed_clause() -> sa.ColumnElement[bool]:
    """Return the clause of a case closed unpaid (a case paid in full has its own status)."""
    return Case.status == CaseStatus.CLOSED.value


def write_offs(where: sa.ColumnElement[bool]) -> sa.Subquery:
    """Return a subquery of (case_id, cents): what the ledger writes off on each case `where` selects (negative)."""
    kind, reversed_entry = entry_kind()
    return (
        sa.select(LedgerEntry.case_id.label("case_id"), sa.func.sum(LedgerEntry.amount_cents).label("cents"))
        .join(Case, Case.id == LedgerEntry.case_id)
        .outerjoin(reversed_entry, LedgerEntry.reverses_id == reversed_entry.id)
        .where(where, kind == EntryKind.WRITE_OFF.value)
        .group_by(LedgerEntry.case_id)
        .subquery()
    )


def sorted_closed(rows) -> list[ClosedRow]:
    """Return (reason, cases, cents) rows as ClosedRows, the most cases first."""
    found = [ClosedRow(reason or "", int(cases), int(cents)) for reason, cases, cents in rows if cases]
    return sorted(found, key=lambda r: (-r.cases, -r.written_off, r.reason))


def closed_by_reason(filters: Filters) -> list[ClosedRow]:
    """Return the cohort's cases closed unpaid and the amount written off on them, per closing reason."""
    where = sa.and_(cohort_clause(filters), closed_clause())
    off = write_offs(where)
    return sorted_closed(db.session.execute(
        sa.select(Case.closed_reason, sa.func.count(), -sum_cents(off.c.cents))
        .outerjoin(off, off.c.case_id == Case.id)
        .where(where)
        .group_by(Case.closed_reason)
    ))


@dataclass(frozen=True)
class ContactFigures:
    attempts: int  # contact actions done: calls, SMS, e-mails, letters, formal notices
    calls: int
    right_party: int  # calls where the debtor was spoken to
    promises: int
    kept: int
    resolved: int  # promises whose date has passed: kept, partly kept or broken
    days: dict[int, int]  # days from placement to first payment -> how many cases

    @property
    def contact_rate(self) -> Decimal | None:
        return rate(self.right_party, self.calls)

    @property
    def kept_rate(self) -> Decimal | None:
        return rate(self.kept, self.resolved)

    @property
    def paying_cases(self) -> int:
        return sum(self.days.values())

    @property
    def average_days(self) -> Decimal | None:
        if not self.paying_cases:
            return None
        total = sum(d * n for d, n in self.days.items())
        return (Decimal(total) / self.paying_cases).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def median_days(self) -> Decimal | None:
        """Return the median from the histogram: the middle case, or the mean of the two middle ones."""
        count = self.paying_cases
        if not count:
            return None
        middle, seen, values = {(count - 1) // 2, count // 2}, 0, []
        for d in sorted(self.days):
            values.extend(d for i in range(seen, seen + self.days[d]) if i in middle)
            seen += self.days[d]
        return (Decimal(sum(values)) / len(values)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def done_contacts() -> sa.ColumnElement[bool]:
    """Return the clause of an action that was a contact attempt actually made."""
    return sa.and_(Action.status == ActionStatus.DONE.value, Action.direction == "outbound",
                   Action.kind.in_(CONTACT_KINDS))


def first_payments(filters: Filters) -> sa.Select:
    """Return a SELECT of (case_id, opened_on, first received_on) for the cohort's cases paid something."""
    return (
        sa.select(Payment.case_id, Case.opened_on, sa.func.min(Payment.received_on))
        .join(Case, Case.id == Payment.case_id)
        .where(cohort_clause(filters), Payment.reversed_on.is_(None))
        .group_by(Payment.case_id, Case.opened_on)
    )


def contact_figures(filters: Filters) -> ContactFigures:
    """Return attempts, right-party contacts, promises made and kept, and days from placement to first payment."""
    cohort = cohort_ids(filters)
    is_call = Action.kind == ActionKind.CALL.value
    actions = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(sa.case((is_call, 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((sa.and_(is_call, Action.outcome.in_(CONVERSATIONS)), 1), else_=0)), 0),
        ).where(Action.case_id.in_(cohort), done_contacts())
    ).one()
    promises = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(sa.case((Promise.status == PromiseStatus.KEPT.value, 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((Promise.status.in_(RESOLVED_PROMISES), 1), else_=0)), 0),
        ).where(Promise.case_id.in_(cohort))
    ).one()
    days = Counter(max(0, (first - opened).days) for _id, opened, first in db.session.execute(first_payments(filters)))
    return ContactFigures(
        attempts=int(actions[0]), calls=int(actions[1]), right_party=int(actions[2]), promises=int(promises[0]),
        kept=int(promises[1]), resolved=int(promises[2]), days=dict(days),
    )


@dataclass(frozen=True)
class Attribution:
    """Where one payment's money is credited: the contact action's kind and strategy step, or none."""

    payment_id: int
    case_id: int
    cents: int
    kind: str  # an ActionKind value, or NO_CONTACT
    step: int | None  # the strategy step that created the action; None when done by hand


def attributions(filters: Filters) -> list[Attribution]:
    """Credit each payment of the cohort to the last contact action done on its case in the 30 days before it.

    The action counts when it was done on the payment's day or up to 30 days earlier (agency time); a
    payment with no such action is credited to "no contact". Reversed payments bring nothing.
    """
    payments = db.session.execute(
        sa.select(Payment.id, Payment.case_id, Payment.received_on, Payment.amount_cents - Payment.credit_cents)
        .join(Case, Case.id == Payment.case_id)
        .where(cohort_clause(filters), Payment.reversed_on.is_(None))
        .order_by(Payment.id)
    ).all()
    paid_cases = sa.select(Payment.case_id).join(Case, Case.id == Payment.case_id).where(
        cohort_clause(filters), Payment.reversed_on.is_(None))
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    history: dict[int, list[tuple]] = defaultdict(list)  # (local day, id, kind, step, done_at)
    for case_id, done_at, action_id, kind, step in db.session.execute(
        sa.select(Action.case_id, Action.done_at, Action.id, Action.kind, Action.strategy_step)
        .where(Action.case_id.in_(paid_cases), done_contacts())
    ):
        history[case_id].append((done_at.astimezone(zone).date(), action_id, kind, step, done_at))
    result = []
    for payment_id, case_id, received_on, cents in payments:
        window = [a for a in history.get(case_id, ())
                  if received_on - timedelta(days=ATTRIBUTION_DAYS) <= a[0] <= received_on]
        last = max(window, key=lambda a: (a[4], a[1])) if window else None
        result.append(Attribution(payment_id, case_id, cents, last[2] if last else NO_CONTACT,
                                  last[3] if last else None))
    return result


def step_key(step: int | None) -> str:
    """Return the key of a strategy step in the figures: "step-3", or "step-manual" for an action done by hand."""
    return f"step-{step}" if step is not None else "step-manual"


@dataclass(frozen=True)
class ChannelRow:
    key: str  # an ActionKind value or NO_CONTACT, or "step-<n>" / "step-manual"
    payments: int
    cents: int
    share: Decimal | None  # % of the money collected


def channel_figures(found: list[Attribution]) -> tuple[list[ChannelRow], list[ChannelRow]]:
    """Return the money collected by channel and by strategy step, largest first."""
    total = sum(a.cents for a in found)

    def rows(key_of) -> list[ChannelRow]:
        sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for a in found:
            sums[key_of(a)][0] += 1
            sums[key_of(a)][1] += a.cents
        return sorted((ChannelRow(k, n, c, rate(c, total)) for k, (n, c) in sums.items()),
                      key=lambda r: (-r.cents, r.key))

    by_channel = rows(lambda a: a.kind)
    by_step = rows(lambda a: NO_CONTACT if a.kind == NO_CONTACT else step_key(a.step))
    return by_channel, by_step
