"""Calls: the numbers a collector may dial now, and the outcome they record after the call.

A call is judged by the contact rules at the time it was dialled; when they refuse it, it is recorded
as blocked, never as done. The outcome decides what follows: a wrong number is marked, a promise, a
dispute or a callback is recorded with the call, and otherwise the case comes back to the queue after
the delay of `FOLLOW_UP`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from agency import audit
from agency.clock import today as agency_today
from agency.db import db, utcnow
from agency.models import User
from cases.actions import record_action
from cases.contact_rules import allowed_contact_points, may_contact, record_blocked
from cases.models import Action, ActionKind, ActionStatus, CallOutcome, Case, CaseStatus
from cases.work import WorkError
from cases.work.disputes import open_dispute, open_dispute_of
from cases.work.promises import Instalment, check_instalments, record_promises
from debtors.compliance import Verdict
from debtors.contacts import mark_wrong
from debtors.models import ContactKind, ContactPoint

# When the case is due again after a call with this outcome. Promise, dispute and callback bring
# their own date (the promise's, none while disputed, the callback's).
FOLLOW_UP = {
    CallOutcome.NO_ANSWER: timedelta(days=1),
    CallOutcome.VOICEMAIL: timedelta(days=2),
    CallOutcome.WRONG_NUMBER: timedelta(days=1),
    CallOutcome.THIRD_PARTY: timedelta(days=1),
    CallOutcome.RIGHT_PARTY: timedelta(days=7),
    CallOutcome.REFUSED: timedelta(days=7),
}
# A call is judged at the time it was dialled, if the form says so within this delay; else now.
DIAL_TIME_TRUSTED = timedelta(hours=2)
CALLBACK_HORIZON = timedelta(days=60)
# A callback falling at a time the rules refuse for these reasons must be set at another time.
TIME_REASONS = ("outside_hours", "holiday")


@dataclass
class CallReport:
    """What the collector reports after a call."""

    outcome: CallOutcome
    contact_point: ContactPoint | None = None
    note: str = ""
    dialled_at: datetime | None = None
    instalments: list[Instalment] = field(default_factory=list)
    dispute_reason: str = ""
    callback_at: datetime | None = None
    incoming: bool = False  # the debtor called us: only the holds apply, not hours nor caps


def phone_numbers(case: Case, *, at: datetime | None = None) -> list[tuple[ContactPoint, Verdict]]:
    """Return the debtor's phone numbers with the rules' verdict now; on a disputed case, for the dispute."""
    if open_dispute_of(case) is None:
        return allowed_contact_points(case, "phone", at=at)
    points = sorted((cp for cp in case.debtor.contact_points if cp.kind == ContactKind.PHONE),
                    key=lambda cp: (not cp.is_primary, cp.id))
    pairs = [(cp, may_contact(case, "phone", contact_point=cp, at=at, about_dispute=True)) for cp in points]
    return sorted(pairs, key=lambda pair: not pair[1].allowed)


def record_call(case: Case, report: CallReport, *, actor: User | None, now: datetime | None = None) -> Action:
    """Record a call and what the debtor said; a call the rules refuse is recorded as blocked."""
    now = now or utcnow()
    at = dial_time(report.dialled_at, now)
    disputed = open_dispute_of(case) is not None
    _check_report(case, report, disputed, now)
    verdict = may_contact(case, "phone", contact_point=report.contact_point, at=at, about_dispute=disputed,
                          incoming=report.incoming)
    if not verdict.allowed:
        blocked = record_blocked(case, ActionKind.CALL.value, "phone", verdict, actor=actor,
                                 contact_point=report.contact_point)
        blocked.direction = "inbound" if report.incoming else "outbound"
        db.session.add(blocked)  # a new action joins the session through its case only on add
        return blocked
    action = _call_action(case, report, actor, at)
    db.session.flush()
    if report.outcome == CallOutcome.WRONG_NUMBER:
        mark_wrong(report.contact_point, actor=actor, reason="wrong_number")
    if case.status == CaseStatus.NEW:
        before, after = audit.changes(case, status=CaseStatus.ACTIVE.value)
        audit.record("case.activated", actor=actor, subject=case, before=before, after=after)
    _follow_up(case, report, action, actor, now)
    return action


def dial_time(dialled_at: datetime | None, now: datetime) -> datetime:
    """Return when the call is taken to have been dialled: the form's time if recent, else now."""
    if dialled_at is None or dialled_at > now or now - dialled_at > DIAL_TIME_TRUSTED:
        return now
    return dialled_at


def _check_report(case: Case, report: CallReport, disputed: bool, now: datetime) -> None:
    """Refuse an incomplete report before anything is written."""
    outcome = report.outcome
    if outcome == CallOutcome.WRONG_NUMBER and report.contact_point is None:
        raise WorkError(_("Say which number was wrong."), "contact_point_id")
    if disputed and outcome in (CallOutcome.PROMISE, CallOutcome.DISPUTE):
        raise WorkError(_("This case is disputed: record the call about the dispute with another outcome."),
                        "outcome")
    if outcome == CallOutcome.PROMISE:
        check_instalments(case, report.instalments, today=agency_today())
    elif outcome == CallOutcome.DISPUTE and not report.dispute_reason.strip():
        raise WorkError(_("Say what the debtor disputes."), "dispute_reason")
    elif outcome == CallOutcome.CALLBACK:
        check_callback(case, report.callback_at, now)


def _call_action(case: Case, report: CallReport, actor: User | None, at: datetime) -> Action:
    """Complete the call the strategy planned, if one waits, else add the call to the history."""
    fields = {
        "outcome": report.outcome.value,
        "note": report.note.strip(),
        "contact_point_id": report.contact_point.id if report.contact_point else None,
        "direction": "inbound" if report.incoming else "outbound",
    }
    planned = db.session.scalar(
        sa.select(Action)
        .where(Action.case_id == case.id, Action.kind == ActionKind.CALL.value,
               Action.status == ActionStatus.SCHEDULED.value)
        .order_by(Action.id)
        .limit(1)
    )
    if planned is None:
        action = record_action(case, ActionKind.CALL.value, "phone", actor=actor, done_at=at, **fields)
        db.session.add(action)
        return action
    before, after = audit.changes(planned, status=ActionStatus.DONE.value, done_at=at,
                                  user_id=actor.id if actor else None, **fields)
    audit.record("action.call", actor=actor, subject=case, before=before,
                 after=after | {"kind": "call", "strategy_step": planned.strategy_step})
    return planned


def _follow_up(case: Case, report: CallReport, action: Action, actor: User | None, now: datetime) -> None:
    outcome = report.outcome
    if outcome == CallOutcome.PROMISE:
        record_promises(case, report.instalments, actor=actor, action=action, at=now)
    elif outcome == CallOutcome.DISPUTE:
        open_dispute(case, actor=actor, reason=report.dispute_reason, action=action)
    elif outcome == CallOutcome.CALLBACK:
        set_callback(case, report.callback_at, actor=actor, now=now)
    elif case.status not in (CaseStatus.DISPUTE, CaseStatus.PROMISE, CaseStatus.PLAN):
        before, after = audit.changes(case, callback_at=None, next_action_at=now + FOLLOW_UP[outcome])
        audit.record("case.next_action", actor=actor, subject=case, before=before, after=after)


def check_callback(case: Case, when: datetime | None, now: datetime) -> None:
    """Refuse a callback time that is missing, past, too far off, or outside the hours calls are allowed."""
    if when is None:
        raise WorkError(_("Give the date and time the debtor asked to be called back."), "callback_at")
    if when <= now:
        raise WorkError(_("The callback time is in the past."), "callback_at")
    if when > now + CALLBACK_HORIZON:
        raise WorkError(_("A callback is at most 60 days ahead."), "callback_at")
    verdict = may_contact(case, "phone", at=when)
    if not verdict.allowed and verdict.reason in TIME_REASONS:
        raise WorkError(verdict.detail, "callback_at")


def set_callback(case: Case, when: datetime | None, *, actor: User | None, now: datetime | None = None) -> None:
    """Note the time the debtor asked to be called back; the case comes up in the queue then."""
    now = now or utcnow()
    check_callback(case, when, now)
    before, after = audit.changes(case, callback_at=when, next_action_at=when)
    audit.record("case.callback_set", actor=actor, subject=case, before=before, after=after)
