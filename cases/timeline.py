"""The case's history as the case screen tells it: every action, and for staff the money and plan events too.

The actions come from `cases.actions.case_history` (which decides what a client user sees); staff also
read each payment, each reversal and each step of a payment plan in the same list, newest first, and a
letter's line names its kind, its reference and, for a formal notice, the manager who approved it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time

import sqlalchemy as sa

from agency.db import db
from agency.models import User
from cases.models import Action, Case, EntryKind, LedgerEntry, Letter, Payment, PaymentPlan


@dataclass(frozen=True)
class Event:
    """One line of the history: an action, or a payment, reversal or plan step (`kind`)."""

    at: datetime
    kind: str  # "action", "payment", "reversal", "plan_proposed", "plan_decided", "plan_ended"
    action: Action | None = None
    letter: Letter | None = None
    payment: Payment | None = None
    plan: PaymentPlan | None = None
    user: User | None = None


def timeline(case: Case, actions: list[Action], *, internal: bool) -> list[Event]:
    """Return the history lines of `case`, newest first: `actions`, and the money and plan events for staff."""
    letter_ids = {a.letter_id for a in actions if a.letter_id}
    letters = {
        letter.id: letter
        for letter in db.session.scalars(sa.select(Letter).where(Letter.id.in_(letter_ids)))
    } if letter_ids else {}
    events = [
        Event(_action_time(a), "action", action=a, letter=letters.get(a.letter_id), user=a.user) for a in actions
    ]
    if internal:
        events += _payment_events(case) + _plan_events(case)
    return sorted(events, key=lambda e: e.at, reverse=True)


def _action_time(action: Action) -> datetime:
    return action.done_at or action.scheduled_at or action.created_at


def _payment_events(case: Case) -> list[Event]:
    payments = db.session.scalars(sa.select(Payment).where(Payment.case_id == case.id)).all()
    reversed_at = dict(db.session.execute(
        sa.select(LedgerEntry.payment_id, sa.func.min(LedgerEntry.created_at))
        .where(LedgerEntry.case_id == case.id, LedgerEntry.kind == EntryKind.REVERSAL.value)
        .group_by(LedgerEntry.payment_id)
    ).all())
    events = []
    for payment in payments:
        events.append(Event(payment.created_at, "payment", payment=payment, user=payment.created_by))
        if payment.reversed_on is not None:
            at = reversed_at.get(payment.id) or datetime.combine(payment.reversed_on, time(12), tzinfo=UTC)
            events.append(Event(at, "reversal", payment=payment, user=payment.reversed_by))
    return events


def _plan_events(case: Case) -> list[Event]:
    plans = db.session.scalars(sa.select(PaymentPlan).where(PaymentPlan.case_id == case.id)).all()
    events = []
    for plan in plans:
        events.append(Event(plan.created_at, "plan_proposed", plan=plan, user=plan.created_by))
        if plan.decided_at is not None:
            events.append(Event(plan.decided_at, "plan_decided", plan=plan, user=plan.decided_by))
        if plan.ended_at is not None:
            events.append(Event(plan.ended_at, "plan_ended", plan=plan))
    return events
