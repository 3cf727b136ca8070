"""Promises to pay: recorded in instalments, reminded before their date, checked against the ledger after it.

A promise is one (amount, date) instalment; the instalments given together share their `created_at`
(and their call, `action_id`). Recording new ones cancels those still pending: the debtor's latest word
replaces the earlier one. The day after an instalment's date, the payments posted to the ledger since
the promise was made say whether it was kept, partly kept or broken.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from agency import audit
from agency.clock import today as agency_today
from agency.db import db, sum_cents, utcnow
from agency.models import AuditEvent, User
from cases import ledger
from cases.contact_rules import may_contact
from cases.messaging.sms import send_case_sms
from cases.models import Action, Case, CaseStatus, EntryKind, LedgerEntry, Promise, PromiseStatus
from cases.work import WorkError

MAX_INSTALMENTS = 12
# The reminder SMS goes out this many days (or fewer) before the instalment's date.
REMINDER_DAYS_BEFORE = 2


@dataclass(frozen=True)
class Instalment:
    amount_cents: int
    due_on: date


def check_instalments(case: Case, instalments: list[Instalment], *, today: date) -> None:
    """Refuse instalments that are not positive, fall in the past or add up to more than is owed."""
    if not instalments:
        raise WorkError(_("Give at least one instalment (amount and date)."), "instalments-0-amount")
    if len(instalments) > MAX_INSTALMENTS:
        raise WorkError(_("At most %(n)d instalments.", n=MAX_INSTALMENTS), "instalments")
    for i, item in enumerate(instalments):
        if item.amount_cents <= 0:
            raise WorkError(_("Instalment %(n)d: the amount must be positive.", n=i + 1), f"instalments-{i}-amount")
        if item.due_on < today:
            raise WorkError(_("Instalment %(n)d: the date is in the past.", n=i + 1), f"instalments-{i}-due_on")
    outstanding = ledger.balance(case.id).outstanding
    total = sum(item.amount_cents for item in instalments)
    if total > outstanding:
        raise WorkError(
            _("The instalments add up to more than the outstanding balance of the case."), "instalments-0-amount"
        )


def record_promises(
    case: Case,
    instalments: list[Instalment],
    *,
    actor: User | None,
    action: Action | None = None,
    at: datetime | None = None,
) -> list[Promise]:
    """Record the debtor's promise in instalments, replacing pending ones; the case waits for the first date."""
    at = at or utcnow()
    if not CaseStatus(case.status).is_open or case.status == CaseStatus.DISPUTE:
        raise WorkError(_("A promise can only be recorded on an open case that is not disputed."))
    check_instalments(case, instalments, today=agency_today())
    cancel_pending(case, actor=actor, reason="replaced")
    promises = [
        Promise(
            case=case,
            action_id=action.id if action is not None else None,
            amount_cents=item.amount_cents,
            currency=case.currency,
            due_on=item.due_on,
            created_at=at,
            created_by_id=actor.id if actor else None,
        )
        for item in sorted(instalments, key=lambda i: i.due_on)
    ]
    db.session.add_all(promises)
    db.session.flush()
    before, after = audit.changes(case, status=CaseStatus.PROMISE.value, next_action_at=None, callback_at=None)
    audit.record(
        "promise.recorded",
        actor=actor,
        subject=case,
        before=before,
        after=after | {"instalments": ", ".join(f"{p.amount_cents}@{p.due_on}" for p in promises)},
    )
    return promises


def cancel_pending(case: Case, *, actor: User | None, reason: str) -> int:
    """Cancel the case's pending promises (replaced by new ones, or a dispute); return how many."""
    pending = pending_promises(case)
    for promise in pending:
        promise.status = PromiseStatus.CANCELLED.value
        promise.resolved_at = utcnow()
        audit.record(
            "promise.cancelled",
            actor=actor,
            subject=promise,
            client_id=case.client_id,
            after={"case_id": case.id, "reason": reason},
        )
    return len(pending)


def pending_promises(case: Case) -> list[Promise]:
    """Return the case's pending promises, earliest first."""
    return db.session.scalars(
        sa.select(Promise)
        .where(Promise.case_id == case.id, Promise.status == PromiseStatus.PENDING.value)
        .order_by(Promise.due_on, Promise.id)
    ).all()


def paid_since(case_id: int, since: date, until: date | None = None) -> int:
    """Return the payments (net of their reversals) posted on the case dated from `since` (to `until`)."""
    reversed_entry = sa.orm.aliased(LedgerEntry)
    kind = sa.func.coalesce(reversed_entry.kind, LedgerEntry.kind)
    query = (
        sa.select(sum_cents(LedgerEntry.amount_cents))
        .outerjoin(reversed_entry, LedgerEntry.reverses_id == reversed_entry.id)
        .where(LedgerEntry.case_id == case_id, LedgerEntry.effective_on >= since, kind == EntryKind.PAYMENT.value)
    )
    if until is not None:
        query = query.where(LedgerEntry.effective_on <= until)
    return -db.session.scalar(query)


@dataclass(frozen=True)
class PromiseLine:
    """One instalment as the case screen shows it: what was paid toward it so far, and what replaced it."""

    promise: Promise
    paid_cents: int
    replaced_by: str  # "plan" when a payment plan replaced it, else ""


def promise_lines(case: Case) -> list[PromiseLine]:
    """Return the case's promises with what was paid toward each, as payments arrive; cancelled ones only
    when a plan replaced them (a newer promise or a dispute makes them moot)."""
    promises = sorted(case.promises, key=lambda p: (p.created_at, p.due_on, p.id))
    cancelled = [p.id for p in promises if p.status == PromiseStatus.CANCELLED]
    by_plan = set(db.session.scalars(
        sa.select(AuditEvent.subject_id).where(
            AuditEvent.action == "promise.cancelled", AuditEvent.subject_type == Promise.__tablename__,
            AuditEvent.subject_id.in_(cancelled), AuditEvent.after["reason"].as_string() == "plan",
        )
    )) if cancelled else set()
    lines: list[PromiseLine] = []
    groups: dict[datetime, list[Promise]] = {}
    for promise in promises:
        groups.setdefault(promise.created_at, []).append(promise)
    for group in groups.values():
        shown = [p for p in group if p.status != PromiseStatus.CANCELLED or p.id in by_plan]
        if not shown:
            continue
        ended = max((p.resolved_at for p in shown if p.status == PromiseStatus.CANCELLED and p.resolved_at),
                    default=None)
        # The same sharing as `resolve_promise`: payments go to the instalments in date order.
        available = paid_since(case.id, _agency_date(group[0].created_at), _agency_date(ended) if ended else None)
        taken = 0
        for promise in shown:
            paid = promise.paid_cents if promise.paid_cents is not None else min(
                max(available - taken, 0), promise.amount_cents)
            taken += paid
            lines.append(PromiseLine(promise, paid, "plan" if promise.id in by_plan else ""))
    return lines


def resolve_due_promises(today: date, *, now: datetime | None = None) -> dict[str, int]:
    """Settle every pending promise whose date has passed: kept, partly kept or broken (a daily job)."""
    now = now or utcnow()
    due = db.session.scalars(
        sa.select(Promise)
        .where(Promise.status == PromiseStatus.PENDING.value, Promise.due_on < today)
        .order_by(Promise.case_id, Promise.due_on, Promise.id)
    ).all()
    counts = {s.value: 0 for s in (PromiseStatus.KEPT, PromiseStatus.PARTLY_KEPT, PromiseStatus.BROKEN)}
    by_case: dict[int, list[Promise]] = {}
    for promise in due:
        by_case.setdefault(promise.case_id, []).append(promise)
    for promises in by_case.values():
        for promise in promises:
            counts[resolve_promise(promise, now=now)] += 1
        _after_resolution(promises[0].case, promises, now)
    return counts


def resolve_promise(promise: Promise, *, now: datetime) -> str:
    """Compare one instalment with the payments made since it was promised; store and audit the result."""
    made_on = _agency_date(promise.created_at)
    siblings = db.session.scalars(
        sa.select(Promise).where(
            Promise.case_id == promise.case_id,
            Promise.created_at == promise.created_at,
            Promise.id != promise.id,
            Promise.paid_cents.is_not(None),
        )
    ).all()
    # Payments go to the instalments in date order: what earlier ones took is not available any more.
    taken = sum(p.paid_cents for p in siblings if (p.due_on, p.id) < (promise.due_on, promise.id))
    available = max(paid_since(promise.case_id, made_on) - taken, 0)
    promise.paid_cents = min(available, promise.amount_cents)
    if promise.paid_cents >= promise.amount_cents:
        status = PromiseStatus.KEPT
    elif promise.paid_cents > 0:
        status = PromiseStatus.PARTLY_KEPT
    else:
        status = PromiseStatus.BROKEN
    promise.status, promise.resolved_at = status.value, now
    audit.record(
        f"promise.{status.value}",
        actor=None,
        subject=promise,
        client_id=promise.case.client_id,
        after={"case_id": promise.case_id, "amount_cents": promise.amount_cents, "paid_cents": promise.paid_cents},
    )
    db.session.flush()
    return status.value


def _after_resolution(case: Case, resolved: list[Promise], now: datetime) -> None:
    """Put the case back to work when an instalment was missed, or when the last one was kept."""
    if case.status != CaseStatus.PROMISE:
        return  # disputed, paid, closed… meanwhile: the case follows its own course
    missed = any(p.status != PromiseStatus.KEPT for p in resolved)
    if not missed and pending_promises(case):
        return  # kept so far: wait for the next instalment
    still_owed = ledger.balance(case.id).outstanding > 0
    # A broken promise sends the case to the top of the queue (the queue's score reads broken promises).
    before, after = audit.changes(
        case, status=CaseStatus.ACTIVE.value, next_action_at=now if (missed or still_owed) else None
    )
    audit.record("case.promise_ended", actor=None, subject=case, before=before,
                 after=after | {"missed": missed})


def promises_to_remind(today: date) -> list[int]:
    """Return the pending promises due within the reminder window, made before today and not yet reminded."""
    start_of_today = _start_of_day(today)
    return db.session.scalars(
        sa.select(Promise.id)
        .join(Case, Case.id == Promise.case_id)
        .where(
            Promise.status == PromiseStatus.PENDING.value,
            Promise.reminded_at.is_(None),
            Promise.due_on > today,
            Promise.due_on <= today + timedelta(days=REMINDER_DAYS_BEFORE),
            Promise.created_at < start_of_today,
            Case.status == CaseStatus.PROMISE.value,
        )
        .order_by(Promise.due_on, Promise.id)
    ).all()


def remind_promise(promise: Promise, *, now: datetime) -> bool:
    """Send the promise-reminder SMS if it is still due and the contact rules allow it now; once per promise."""
    case = promise.case
    if promise.reminded_at is not None or promise.status != PromiseStatus.PENDING or case.status != CaseStatus.PROMISE:
        return False
    if not may_contact(case, "sms", at=now).allowed:
        return False  # asked again at the next run, while the date has not come
    action = send_case_sms(case, "promise_reminder", actor=None)
    if action.status not in ("done", "scheduled"):
        return False
    # One SMS speaks for every instalment of the case falling due in the window.
    window_end = _agency_date(now) + timedelta(days=REMINDER_DAYS_BEFORE)
    for other in pending_promises(case):
        if other.reminded_at is None and other.due_on <= max(window_end, promise.due_on):
            other.reminded_at = now
            audit.record("promise.reminded", actor=None, subject=other, client_id=case.client_id,
                         after={"case_id": case.id, "action_id": action.id})
    return True


def _agency_date(moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def _start_of_day(day: date) -> datetime:
    tz = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return datetime.combine(day, datetime.min.time(), tzinfo=tz)
