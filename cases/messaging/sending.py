"""What SMS and e-mail share: asking the contact rules, one message per strategy step, the history line.

A strategy step is sent at most once per case: a retried job finds the step's action and sends
nothing. A refusal that only lasts until a given time (outside hours, a public holiday) is recorded
without claiming the step, so that the step is sent once the time comes; any other refusal (opt-out,
hold, no usable contact point) closes the step as blocked.
"""

from __future__ import annotations

from collections.abc import Callable

import phonenumbers
import sqlalchemy as sa
from flask_babel import gettext as _

from agency import audit
from agency.clock import today
from agency.db import db, utcnow
from agency.message_models import EmailMessage, SmsMessage
from agency.models import User
from cases.actions import record_action
from cases.closing.limitation import prescribed_refusal
from cases.contact_rules import allowed_contact_points, may_contact, record_blocked
from cases.messaging.space_links import issue_link, new_token
from cases.messaging.templates import RenderedMessage, render_message
from cases.models import Action, ActionStatus, Case
from debtors.compliance import Verdict
from debtors.models import ContactPoint

Message = SmsMessage | EmailMessage
Deliver = Callable[[ContactPoint, RenderedMessage], Message]
LINK_FIELD = {"sms": "sms_message_id", "email": "email_message_id"}
NO_SMS = frozenset(
    {
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.TOLL_FREE,
        phonenumbers.PhoneNumberType.PREMIUM_RATE,
        phonenumbers.PhoneNumberType.SHARED_COST,
        phonenumbers.PhoneNumberType.UAN,
        phonenumbers.PhoneNumberType.VOICEMAIL,
    }
)


def send_case_message(
    case: Case,
    channel: str,
    template: str,
    *,
    actor: User | None,
    contact_point: ContactPoint | None,
    strategy_step: int | None,
    deliver: Deliver,
    extra: dict | None = None,
) -> Action:
    """Send one message of `channel` to the debtor of `case` if the rules allow it; return its action.

    `extra`: the facts an event template prints (see templates.EVENT_TEMPLATES)."""
    placeholder = None
    if strategy_step is not None:
        existing = step_action(case, strategy_step)
        if existing is not None and not _is_placeholder(existing, channel):
            return existing  # already sent, blocked or failed: never twice for one step
        placeholder = existing
    if (prescribed := prescribed_refusal(case, today())) is not None:
        # Every message asks for payment: none goes about a prescribed claim, whoever sends it.
        return _refuse(case, channel, Verdict(False, "claim_prescribed", prescribed), actor, contact_point,
                       strategy_step, placeholder)
    point, verdict = choose_contact_point(case, channel, contact_point)
    if not verdict.allowed:
        return _refuse(case, channel, verdict, actor, point, strategy_step, placeholder)
    # Each message carries a link of its own, so that one can be revoked or expire without the others.
    token, url = new_token()
    message = render_message(case, channel, template, contact_point=point, link=url, extra=extra)
    row = deliver(point, message)
    db.session.flush()
    issue_link(case, channel, token, actor=actor, **{LINK_FIELD[channel]: row.id})
    return _record(case, channel, row, message, actor, point, strategy_step, placeholder)


def step_action(case: Case, strategy_step: int) -> Action | None:
    """Return the action already created for a strategy step of the case, if any."""
    return db.session.scalar(
        sa.select(Action).where(Action.case_id == case.id, Action.strategy_step == strategy_step)
    )


def _is_placeholder(action: Action, channel: str) -> bool:
    # The strategy may plan the step first; the planned action is then completed, not duplicated.
    return (
        action.status == ActionStatus.SCHEDULED
        and action.kind == channel
        and getattr(action, LINK_FIELD[channel]) is None
    )


def choose_contact_point(
    case: Case, channel: str, contact_point: ContactPoint | None = None
) -> tuple[ContactPoint | None, Verdict]:
    """Return the point to write to and the verdict: the given point, else the first one allowed."""
    if contact_point is not None:
        return contact_point, recheck(channel, contact_point, may_contact(case, channel, contact_point=contact_point))
    options = contact_options(case, channel)
    allowed = [pair for pair in options if pair[1].allowed]
    if allowed:
        return allowed[0]
    if options:
        # A point refused only for the hour will do later: its refusal must not close a strategy step.
        return min(options, key=lambda pair: pair[1].next_allowed_at is None)
    return None, may_contact(case, channel)


def contact_options(case: Case, channel: str) -> list[tuple[ContactPoint, Verdict]]:
    """Return the debtor's points for `channel` with their verdicts, allowed ones first."""
    pairs = [(cp, recheck(channel, cp, verdict)) for cp, verdict in allowed_contact_points(case, channel)]
    return sorted(pairs, key=lambda pair: not pair[1].allowed)


def recheck(channel: str, contact_point: ContactPoint, verdict: Verdict) -> Verdict:
    """Add the messaging rules to the contact rules' verdict: opt-outs of the same number, SMS to mobiles.

    A refusal for the hour gives way to them: a landline stays one when the hours open.
    """
    if not verdict.allowed and verdict.next_allowed_at is None:
        return verdict
    if opted_out_value(contact_point.kind, contact_point.value):
        return Verdict(False, "opted_out", _("This number or address asked to receive no more messages."))
    if channel == "sms" and not can_receive_sms(contact_point.value):
        return Verdict(False, "not_mobile", _("This number cannot receive text messages (not a mobile)."))
    return verdict


def opted_out_value(kind: str, value: str) -> bool:
    """Tell whether any debtor's contact point with this number or address opted out."""
    return db.session.scalar(
        sa.select(sa.exists().where(
            ContactPoint.kind == kind,
            # Values are stored normalized (E.164, lower-case e-mail); the lower-case form is a safety net.
            ContactPoint.value.in_({value, value.lower()}),
            ContactPoint.opted_out_at.is_not(None),
        ))
    )


def can_receive_sms(number: str) -> bool:
    """Tell whether a number may take a text message (not a landline or a service number)."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(parsed) not in NO_SMS


def _refuse(case, channel, verdict, actor, point, strategy_step, placeholder) -> Action:
    if verdict.next_allowed_at is not None and strategy_step is not None:
        # Only too early: the attempt is recorded, the step stays open and is due again then.
        if placeholder is not None:
            placeholder.scheduled_at = verdict.next_allowed_at
        return record_blocked(case, channel, channel, verdict, actor=actor, contact_point=point)
    if placeholder is None:
        return record_blocked(
            case, channel, channel, verdict, actor=actor, contact_point=point, strategy_step=strategy_step
        )
    _complete(placeholder, actor, status=ActionStatus.BLOCKED.value, reason=verdict.reason,
              note=verdict.detail, contact_point_id=point.id if point else None)
    return placeholder


def _record(case, channel, row: Message, message: RenderedMessage, actor, point, strategy_step, placeholder):
    failed = row.status == "failed"
    fields = {
        "status": ActionStatus.FAILED.value if failed else ActionStatus.DONE.value,
        # "sending": an SMS the delivery job has yet to hand to Twilio (cases.messaging.delivery).
        "outcome": "failed" if failed else row.status if row.status in ("outbox", "sending") else "sent",
        "reason": "send_failed" if failed else "",
        # What was sent, for the collectors (notes are never shown to client users).
        "note": message.subject or message.body,
        "contact_point_id": point.id,
        LINK_FIELD[channel]: row.id,
    }
    if placeholder is not None:
        _complete(placeholder, actor, **fields)
        return placeholder
    return record_action(case, channel, channel, actor=actor, strategy_step=strategy_step, **fields)


def _complete(action: Action, actor: User | None, **fields) -> None:
    """Turn a planned action into what happened, with its audit event."""
    before, after = audit.changes(action, user_id=actor.id if actor else None, **fields)
    if action.status == ActionStatus.DONE and action.done_at is None:
        action.done_at = utcnow()
    audit.record(f"action.{action.kind}", actor=actor, subject=action.case, before=before, after=after)
