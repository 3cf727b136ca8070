"""Marking a plan's instalments from the ledger, and ending the plan when it is completed or broken.

Payments made under the plan (net of their reversals) fill the instalments in date order; those its total
already deducted never do. An instalment past its date is late during the grace days, then missed: the
plan breaks and the case goes back to the top of the queue, as after a broken promise. A completed
settlement writes off the rest.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import gettext as _

from agency import audit
from agency.clock import today as agency_today
from agency.db import db, sum_cents, utcnow
from agency.models import AuditEvent, User
from cases import ledger
from cases.actions import record_action
from cases.models import ActionChannel, ActionKind, Case, CaseStatus, EntryKind, LedgerEntry
from cases.queue.queue import refresh_scores
from money.models import InstalmentStatus, PaymentPlan, PlanStatus
from money.plans.plans import return_to_queue, running_plan


def paid_towards(plan_ids: list[int]) -> dict[int, int]:
    """Return, per plan, the payments made under it net of their reversals: one query.

    A plan's total already took into account every payment up to its `last_entry_id`: such a payment, and
    its reversal, never count toward an instalment. A payment recorded after the plan was agreed counts,
    whatever day it was received, since the plan's total did not deduct it.
    """
    if not plan_ids:
        return {}
    reversed_entry = sa.orm.aliased(LedgerEntry)
    kind = sa.func.coalesce(reversed_entry.kind, LedgerEntry.kind)
    payment_entry_id = sa.func.coalesce(reversed_entry.id, LedgerEntry.id)  # the payment a reversal undoes
    mark = sa.func.coalesce(PaymentPlan.last_entry_id, 0)
    rows = db.session.execute(
        sa.select(PaymentPlan.id, sum_cents(LedgerEntry.amount_cents))
        .join(LedgerEntry, sa.and_(LedgerEntry.case_id == PaymentPlan.case_id, LedgerEntry.id > mark))
        .outerjoin(reversed_entry, LedgerEntry.reverses_id == reversed_entry.id)
        .where(PaymentPlan.id.in_(plan_ids), kind == EntryKind.PAYMENT.value, payment_entry_id > mark)
        .group_by(PaymentPlan.id)
    ).all()
    paid = dict.fromkeys(plan_ids, 0)
    paid.update({plan_id: -total for plan_id, total in rows})
    return paid


def mark_instalments(plan: PaymentPlan, paid_cents: int, today: date) -> None:
    """Fill the instalments in date order with what was paid; set each one paid, pending, late or missed."""
    available = max(paid_cents, 0)
    for instalment in plan.instalments:
        instalment_paid = min(available, instalment.amount_cents)
        available -= instalment_paid
        if instalment_paid >= instalment.amount_cents:
            status = InstalmentStatus.PAID
        elif today <= instalment.due_on:
            status = InstalmentStatus.PENDING
        elif today <= instalment.due_on + timedelta(days=plan.grace_days):
            status = InstalmentStatus.LATE
        else:
            status = InstalmentStatus.MISSED
        if (instalment.status, instalment.paid_cents) != (status.value, instalment_paid):
            instalment.status, instalment.paid_cents, instalment.marked_on = status.value, instalment_paid, today


def refresh_plan(plan_id: int, today: date | None = None) -> str:
    """Mark one plan's instalments from the ledger (after a payment, or daily) and end it if due; return its status."""
    return refresh_plans([plan_id], today or agency_today()).get(plan_id, "")


def refresh_plans(plan_ids: list[int] | None, today: date) -> dict[int, str]:
    """Mark the given active plans (all of them by default) and end those completed or broken."""
    query = sa.select(PaymentPlan).where(PaymentPlan.status == PlanStatus.ACTIVE.value)
    if plan_ids is not None:
        query = query.where(PaymentPlan.id.in_(plan_ids))
    plans = list(db.session.scalars(query.order_by(PaymentPlan.id).options(
        sa.orm.selectinload(PaymentPlan.instalments), sa.orm.joinedload(PaymentPlan.case))))
    paid = paid_towards([p.id for p in plans])
    now = utcnow()
    result = {}
    for plan in plans:
        mark_instalments(plan, paid[plan.id], today)
        statuses = {i.status for i in plan.instalments}
        if InstalmentStatus.MISSED.value in statuses:
            _break(plan, today, now)
        elif statuses == {InstalmentStatus.PAID.value}:
            _complete(plan, today)
        result[plan.id] = plan.status
    db.session.flush()
    return result


def refresh_case_plan(case: Case, today: date | None = None) -> str:
    """Mark the case's active plan, if any, after a payment or a reversal on it; return its status."""
    plan = running_plan(case)
    if plan is None or plan.status != PlanStatus.ACTIVE:
        return ""
    return refresh_plan(plan.id, today)


def _break(plan: PaymentPlan, today: date, now: datetime) -> None:
    missed = next(i for i in plan.instalments if i.status == InstalmentStatus.MISSED)
    plan.status, plan.ended_on, plan.ended_at = PlanStatus.BROKEN.value, today, now
    audit.record("plan.broken", actor=None, subject=plan, before={"status": PlanStatus.ACTIVE.value}, after={
        "status": plan.status, "instalment": missed.number, "due_on": missed.due_on,
        "amount_cents": missed.amount_cents, "paid_cents": missed.paid_cents,
    })
    case = plan.case
    record_action(case, ActionKind.NOTE.value, ActionChannel.INTERNAL.value, actor=None,
                  note=_("Plan %(reference)s broken: instalment %(n)d due %(date)s was not paid.",
                         reference=plan.reference, n=missed.number, date=format_date(missed.due_on, "short")))
    if case.status == CaseStatus.PLAN:
        return_to_queue(case, actor=None, event="case.plan_ended", now=now,
                      detail={"plan_id": plan.id, "broken": True})
        # Back to the top of the queue now, as after a broken promise, rather than at the next daily scoring.
        db.session.flush()
        refresh_scores(now, [case.id])
        db.session.expire(case, ["queue_score"])


def _complete(plan: PaymentPlan, today: date) -> None:
    """End a fully paid plan; a settlement's remainder is waived, and a case with nothing owed is paid."""
    plan.status, plan.ended_on, plan.ended_at = PlanStatus.COMPLETED.value, today, utcnow()
    audit.record("plan.completed", actor=None, subject=plan, before={"status": PlanStatus.ACTIVE.value},
                 after={"status": plan.status, "total_cents": plan.total_cents})
    case = plan.case
    outstanding = ledger.balance(case.id).outstanding
    if plan.is_settlement and outstanding > 0:
        entry = ledger.post_entry(case, EntryKind.WRITE_OFF, -outstanding, today,
                                  description=f"Transaction {plan.reference} : solde abandonné comme convenu")
        db.session.flush()
        audit.record("ledger.write_off", actor=None, subject=entry, after={
            "case_id": case.id, "plan_id": plan.id, "amount_cents": entry.amount_cents,
            "description": entry.description,
        })
        outstanding = 0
    if case.status != CaseStatus.PLAN:
        return  # disputed, on hold… meanwhile: the case follows its own course
    if outstanding <= 0:
        before, after = audit.changes(case, status=CaseStatus.PAID.value, closed_on=today, next_action_at=None,
                                      closed_reason="paid")
        audit.record("case.paid", actor=None, subject=case, before=before, after=after | {"plan_id": plan.id})
    else:  # interest posted since the plan was agreed is still owed
        return_to_queue(case, actor=None, event="case.plan_ended", detail={"plan_id": plan.id, "completed": True})


def reopen_after_reversal(case: Case, *, on: date, actor: User | None) -> PaymentPlan | None:
    """Reopen the case's completed plan that a reversed payment leaves short, taking back a settlement's write-off.

    A bounced cheque means the instalment was never paid: the debtor did not keep the settlement, so the
    waived remainder is owed again unless the instalment is paid after all (the marking decides, as for
    any instalment). The caller sets the case's status and marks the plan.
    """
    plan = db.session.scalar(
        sa.select(PaymentPlan).where(PaymentPlan.case_id == case.id, PaymentPlan.status == PlanStatus.COMPLETED.value)
        .order_by(PaymentPlan.id.desc()).limit(1)
    )
    if plan is None or running_plan(case) is not None or paid_towards([plan.id])[plan.id] >= plan.total_cents:
        return None
    before = {"status": plan.status, "ended_on": plan.ended_on}
    plan.status, plan.ended_on, plan.ended_at = PlanStatus.ACTIVE.value, None, None
    write_off = _write_off_of(plan)
    if write_off is not None:
        entry = LedgerEntry(
            case=case, client_id=case.client_id, claim_id=write_off.claim_id, kind=EntryKind.REVERSAL.value,
            amount_cents=-write_off.amount_cents, currency=write_off.currency, effective_on=on,
            description=f"Transaction {plan.reference} non honorée : abandon de solde annulé",
            reverses_id=write_off.id, created_by_id=actor.id if actor else None,
        )
        db.session.add(entry)
        db.session.flush()
        audit.record("ledger.write_off_reversed", actor=actor, subject=entry, after={
            "case_id": case.id, "plan_id": plan.id, "reverses_id": write_off.id, "amount_cents": entry.amount_cents,
        })
    audit.record("plan.reopened", actor=actor, subject=plan, before=before,
                 after={"status": plan.status, "write_off_reversed": write_off is not None})
    return plan


def _write_off_of(plan: PaymentPlan) -> LedgerEntry | None:
    """Return the write-off a completed settlement posted, unless it was already reversed."""
    undone = sa.orm.aliased(LedgerEntry)
    entries = db.session.scalars(
        sa.select(LedgerEntry).where(
            LedgerEntry.case_id == plan.case_id, LedgerEntry.kind == EntryKind.WRITE_OFF.value,
            ~sa.select(undone.id).where(undone.reverses_id == LedgerEntry.id).exists(),
        )
    ).all()
    if not entries:
        return None
    events = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "ledger.write_off", AuditEvent.subject_id.in_([e.id for e in entries])))
    ids = {event.subject_id for event in events if (event.after or {}).get("plan_id") == plan.id}
    return next((e for e in entries if e.id in ids), None)


def active_plan_ids() -> list[int]:
    """Return the ids of every active plan, oldest first (the daily marking walks them in batches)."""
    return list(db.session.scalars(
        sa.select(PaymentPlan.id).where(PaymentPlan.status == PlanStatus.ACTIVE.value).order_by(PaymentPlan.id)
    ))
