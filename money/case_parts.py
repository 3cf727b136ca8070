"""What money adds to a case (`cases.extensions`): its panels, its history lines, a broken plan, a running plan.

`cases` never imports `money`; this module, imported with the package, tells `cases` what to ask.
"""

from __future__ import annotations

from datetime import UTC, datetime, time

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from agency import audit
from agency.clock import today
from agency.db import db, utcnow
from agency.page_reads import read_once
from cases import extensions
from cases.models import Action, Case, EntryKind, LedgerEntry
from cases.timeline import Event
from money.models import Payment, PaymentPlan, PlanStatus
from money.plans.plans import RUNNING

# A plan awaiting the client's approval was agreed with the debtor too: no demand meanwhile.
PLAN_RUNNING = (PlanStatus.ACTIVE.value, PlanStatus.AWAITING_CLIENT.value)
PAYMENT_LINE = "money/payments/_history_line.html"
PLAN_LINE = "money/plans/_history_line.html"


def payment_events(case: Case) -> list[Event]:
    """Each payment on the case, and its reversal when it was reversed."""
    payments = db.session.scalars(sa.select(Payment).where(Payment.case_id == case.id)).all()
    reversed_at = dict(db.session.execute(
        sa.select(LedgerEntry.payment_id, sa.func.min(LedgerEntry.created_at))
        .where(LedgerEntry.case_id == case.id, LedgerEntry.kind == EntryKind.REVERSAL.value)
        .group_by(LedgerEntry.payment_id)
    ).all())
    events = []
    for payment in payments:
        events.append(Event(payment.created_at, "payment", subject=payment, template=PAYMENT_LINE,
                            user=payment.created_by))
        if payment.reversed_on is not None:
            at = reversed_at.get(payment.id) or datetime.combine(payment.reversed_on, time(12), tzinfo=UTC)
            events.append(Event(at, "reversal", subject=payment, template=PAYMENT_LINE, user=payment.reversed_by))
    return events


def plan_events(case: Case) -> list[Event]:
    """Each plan's proposal, the client's decision on it and its end."""
    plans = db.session.scalars(sa.select(PaymentPlan).where(PaymentPlan.case_id == case.id)).all()
    events = []
    for plan in plans:
        events.append(Event(plan.created_at, "plan_proposed", subject=plan, template=PLAN_LINE, user=plan.created_by))
        if plan.decided_at is not None:
            events.append(Event(plan.decided_at, "plan_decided", subject=plan, template=PLAN_LINE,
                                user=plan.decided_by))
        if plan.ended_at is not None:
            events.append(Event(plan.ended_at, "plan_ended", subject=plan, template=PLAN_LINE))
    return events


def broken_plans(where) -> sa.Select:
    """Return SELECT (case_id, broken) over the plans broken in the last 7 days with no call made since, per case."""
    called_since = sa.exists().where(
        Action.case_id == PaymentPlan.case_id,
        Action.kind == "call",
        Action.status == "done",
        Action.done_at > PaymentPlan.ended_at,
    )
    return (
        sa.select(PaymentPlan.case_id, sa.literal(1).label("broken"))
        .where(PaymentPlan.status == "broken", PaymentPlan.ended_at >= sa.bindparam("recent_from"), ~called_since,
               *where(PaymentPlan.case_id))
        .group_by(PaymentPlan.case_id)
    )


@read_once(key=lambda case: case.id)
def running_plan(case: Case) -> str | None:
    """Why no demand for payment goes while a plan runs, or None when none does."""
    reference = db.session.scalar(
        sa.select(PaymentPlan.reference)
        .where(PaymentPlan.case_id == case.id, PaymentPlan.status.in_(PLAN_RUNNING))
        .limit(1)
    )
    if reference is None:
        return None
    return _("Payment plan %(reference)s is running: no demand for payment while it is kept.", reference=reference)


def end_plans_on_closing(case_ids: list[int], actor, reason_code: str) -> None:
    """Cases being closed end their running (or proposed) plans: nothing is asked of the debtors any more.
    One query for all the cases (a bulk closing passes thousands); few of them have a plan running."""
    plans = db.session.scalars(sa.select(PaymentPlan).where(PaymentPlan.case_id.in_(case_ids),
                                                            PaymentPlan.status.in_(RUNNING)))
    for plan in plans:
        before = {"status": plan.status}
        plan.status, plan.ended_on, plan.ended_at = PlanStatus.CANCELLED.value, today(), utcnow()
        audit.record("plan.cancelled", actor=actor, subject=plan, before=before,
                     after={"status": plan.status, "reason": f"case closed ({reason_code})", "case_id": plan.case_id})


extensions.add_panel("main", "money/payments/_ledger.html", order=10)
extensions.add_panel("main", "money/plans/_panel.html", order=30)
extensions.add_panel("side", "money/payments/_panel.html", order=10)
extensions.add_history_source(payment_events)
extensions.add_history_source(plan_events)
extensions.add_broken_commitment(extensions.BrokenCommitment(_l("Payment plan broken, no call since"), broken_plans))
extensions.add_demand_stopper("plan_running", running_plan)
extensions.add_closing_hook(end_plans_on_closing)
