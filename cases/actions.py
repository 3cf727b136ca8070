"""Recording an action in a case's history, with its audit event: the one way every channel does it; and the
promise a call left pending, which letters, messages and the debtor's space all ask about."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from agency import audit
from agency.db import db, utcnow
from agency.models import User
from agency.page_reads import read_once
from cases.models import SENT_STATUSES, Action, ActionKind, ActionStatus, Case, Letter, Promise, PromiseStatus

LETTER_KINDS = (ActionKind.LETTER.value, ActionKind.FORMAL_NOTICE.value)


def record_action(
    case: Case,
    kind: str,
    channel: str,
    *,
    actor: User | None,
    status: str = ActionStatus.DONE.value,
    outcome: str = "",
    note: str = "",
    reason: str = "",
    direction: str = "outbound",
    contact_point_id: int | None = None,
    scheduled_at: datetime | None = None,
    done_at: datetime | None = None,
    actor_label: str | None = None,
    **links: int | None,
) -> Action:
    """Add an action (done, planned, blocked…) to `case` and audit it; the caller commits.

    `links` are the action's optional references: `sms_message_id`, `email_message_id`, `letter_id`,
    `strategy_step`.
    """
    if status == ActionStatus.DONE.value and done_at is None:
        done_at = utcnow()
    action = Action(
        case=case,
        kind=kind,
        channel=channel,
        direction=direction,
        status=status,
        outcome=outcome,
        note=note,
        reason=reason,
        contact_point_id=contact_point_id,
        scheduled_at=scheduled_at,
        done_at=done_at,
        user=actor,
        **links,
    )
    db.session.add(action)  # assigning the case alone does not add it: SQLAlchemy 2 no longer cascades backrefs
    audit.record(
        f"action.{kind}",
        actor=actor,
        subject=case,
        actor_label=actor_label,
        after={"kind": kind, "channel": channel, "status": status, "outcome": outcome, "reason": reason},
    )
    return action


def case_history(case: Case, *, internal: bool) -> list[Action]:
    """Return the case's history, newest first: all of it for staff, the agency's contacts for the client.

    A client user sees what was done to reach the debtor, not the agency's workings: no internal note,
    no planned, blocked, failed or cancelled attempt, no message kept in the outbox (never sent), and
    a letter only once sent (issued, or recorded as sent outside the platform), so that the history and
    the letters panel tell the same story.
    """
    actions = list(case.actions)
    if internal:
        return actions
    issued = set(db.session.scalars(
        sa.select(Letter.id).where(Letter.case_id == case.id, Letter.status.in_(SENT_STATUSES))
    ))
    return [action for action in actions if _shown_to_client(action, issued)]


def _shown_to_client(action: Action, issued_letters: set[int]) -> bool:
    if action.kind == ActionKind.NOTE or action.status != ActionStatus.DONE or action.outcome == "outbox":
        return False
    return action.kind not in LETTER_KINDS or action.letter_id in issued_letters


@read_once(key=lambda case: case.id)
def pending_promise(case: Case) -> Promise | None:
    """Return the case's next promise still waiting for its date, if any."""
    # Queried, not read from `case.promises`, which misses a promise added by case_id in this session.
    return db.session.scalar(
        sa.select(Promise)
        .where(Promise.case_id == case.id, Promise.status == PromiseStatus.PENDING.value)
        .order_by(Promise.due_on, Promise.id)
        .limit(1)
    )
