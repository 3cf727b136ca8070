"""Delivering SMS through Twilio: at most once per message whatever crashes where, tried again when Twilio does not answer.

A message is recorded `sending`, with its action, in the sender's transaction and handed to
`deliver_sms_job`: Twilio is never called inside anybody's transaction. Each run of the job

1. claims the message (a compare-and-set on its attempt count) and records the attempt, committed
   before Twilio hears of it, so that a run dying anywhere leaves a trace;
2. when an earlier attempt's outcome is unknown (its run died, Twilio timed out or answered 5xx), looks
   for it in Twilio's message list first: found, it is recorded and nothing is sent again. The status
   callback names the message by its id, so it may have settled it already;
3. calls Twilio, with connect and read timeouts, and records the answer: accepted; refused for good
   (4xx: failed at once); no useful answer (5xx, 429, timeout): another attempt after the next of
   SMS_RETRY_DELAYS, and after the last one the message and its action fail, for staff to retry.

A run is due once `next_attempt_at` has passed. `retry_due_sms` (every minute) hands due messages to
the job: the retries, and any message whose run was lost (a worker killed mid-job, a job that never
reached a worker). An attempt in progress holds its message for SMS_ATTEMPT_LEASE seconds, longer than
Twilio's timeouts: no other run looks into it before, so two runs never both send.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from rq import Retry

from agency import audit
from agency.db import db, utcnow
from agency.jobs import enqueue, is_inline, job, periodic
from agency.message_models import SmsMessage, SmsStatus
from agency.models import User
from agency.sms import Accepted, SmsRefused, SmsUnavailable, create_message, find_message
from cases.messaging.links import public_url
from cases.messaging.sending import choose_contact_point
from cases.models import Action, ActionStatus, Case
from debtors.models import ContactPoint

SENDING = SmsStatus.SENDING.value
FAILED = SmsStatus.FAILED.value
# Why an SMS failed, on its action: Twilio never answered usefully (the one a collector may retry),
# Twilio refused it (4xx), the carrier did not deliver it (status callback).
GAVE_UP, REFUSED, UNDELIVERED = "provider_unavailable", "send_failed", "undelivered"
# What the action says of its message, by the message's status.
ACTION_OUTCOME = {
    "sending": "sending", "queued": "sent", "sent": "sent", "delivered": "delivered",
    "undelivered": "failed", "failed": "failed",
}
# RQ's own retries are for a run that crashed: it is noticed late already (the worker's heartbeat must
# expire first), so the first retry is at once. Twilio's silences are retried by `retry_due_sms`.
CRASH_RETRY = Retry(max=3, interval=[0, 60, 300])
DELIVERY_TIMEOUT = 60  # seconds: a few queries and one call bounded by Twilio's timeouts
# Twilio's clock and ours may differ a little: the lookup starts a bit before the message was recorded.
CLOCK_SKEW = timedelta(minutes=5)
SWEEP_BATCH, INLINE_SWEEP_BATCH = 200, 10  # inline, each delivery waits for Twilio in the scheduler thread


@dataclass(frozen=True)
class Outgoing:
    """What a run sends, read before its first commit (the row is expired by it)."""

    id: int
    to: str
    from_: str
    body: str
    created_at: datetime


def max_attempts() -> int:
    return len(current_app.config["SMS_RETRY_DELAYS"]) + 1


def queue_delivery(message: SmsMessage) -> None:
    """Hand a `sending` message to the delivery job (in the caller's transaction; inline in embedded mode)."""
    # Should the job never run (lost with its worker), the sweep picks the message up after the lease.
    message.next_attempt_at = utcnow() + timedelta(seconds=current_app.config["SMS_ATTEMPT_LEASE"])
    db.session.flush()  # the job reads the message and its action by id
    enqueue(deliver_sms_job, message.id, job_id=f"sms-{message.id}")


@job(retry=CRASH_RETRY, timeout=DELIVERY_TIMEOUT)
def deliver_sms_job(message_id: int) -> str:
    """Deliver one SMS through Twilio, at most once whatever crashes where; return what this run did."""
    return deliver(message_id)


@periodic(every=60)
@job(timeout=DELIVERY_TIMEOUT)
def retry_due_sms() -> int:
    """Hand the messages whose next attempt is due to the delivery job; return how many."""
    ids = db.session.scalars(
        sa.select(SmsMessage.id)
        .where(SmsMessage.status == SENDING, SmsMessage.next_attempt_at <= utcnow())
        .order_by(SmsMessage.next_attempt_at)
        .limit(INLINE_SWEEP_BATCH if is_inline() else SWEEP_BATCH)
    ).all()
    for message_id in ids:
        enqueue(deliver_sms_job, message_id, job_id=f"sms-{message_id}")
    return len(ids)


def deliver(message_id: int) -> str:
    """One run of the delivery (see the module's docstring): claim, settle an unknown attempt, call, record."""
    message = db.session.get(SmsMessage, message_id)
    if message is None or message.status != SENDING:
        return "settled"
    now = utcnow()
    if message.attempts and message.next_attempt_at is not None and message.next_attempt_at > now:
        return "not due"  # an attempt in progress elsewhere, or a retry whose time has not come
    unknown = message.attempted_at is not None
    attempt = message.attempts + 1
    out = Outgoing(message.id, message.to_number, message.from_number, message.body, message.created_at)
    if not _claim(message, attempt, now):
        return "taken"  # another run claimed it first
    db.session.commit()  # the attempt is on record before Twilio hears of it
    try:
        if unknown:
            found = find_message(out.to, out.from_, out.body, since=out.created_at - CLOCK_SKEW)
            if found is not None:
                return _accepted(out.id, found)
        if attempt > max_attempts():  # this run only had to look for the last attempt: it never arrived
            return _fail(_locked(out.id), GAVE_UP)
        db.session.commit()  # ends the lookup's read: no transaction stays open while Twilio is called
        accepted = create_message(out.to, out.from_, out.body, status_callback_url(out.id))
    except SmsRefused as exc:
        return _fail(_locked(out.id), REFUSED, error=str(exc))
    except SmsUnavailable as exc:
        return _try_later(_locked(out.id), attempt, exc)
    return _accepted(out.id, accepted)


def _claim(message: SmsMessage, attempt: int, now: datetime) -> bool:
    lease = timedelta(seconds=current_app.config["SMS_ATTEMPT_LEASE"])
    claimed = db.session.execute(
        sa.update(SmsMessage)
        .where(SmsMessage.id == message.id, SmsMessage.status == SENDING, SmsMessage.attempts == attempt - 1)
        .values(attempts=attempt, attempted_at=now, next_attempt_at=now + lease, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return claimed.rowcount == 1


def _locked(message_id: int) -> SmsMessage:
    # Locked until the run commits: a status callback arriving meanwhile waits, and then sees the result.
    return db.session.get(SmsMessage, message_id, with_for_update=True, populate_existing=True)


def _accepted(message_id: int, accepted: Accepted) -> str:
    message = _locked(message_id)
    if message.provider_sid is None:
        message.provider_sid = accepted.sid
    if message.status != SENDING:
        return "settled"  # the status callback came first and said more
    _settle(message, accepted.status)
    return "sent"


def _try_later(message: SmsMessage, attempt: int, exc: SmsUnavailable) -> str:
    if message.status != SENDING:
        return "settled"
    message.error, message.updated_at = str(exc)[:255], utcnow()
    if not exc.maybe_sent:
        message.attempted_at = None  # nothing reached Twilio: the next run need not look for it
    delays = current_app.config["SMS_RETRY_DELAYS"]
    if attempt > max_attempts() or (attempt == max_attempts() and not exc.maybe_sent):
        # Given up; when Twilio may still have it, the attempt stays unknown: a retry by staff looks first.
        return _fail(message, GAVE_UP, sent_unknown=exc.maybe_sent)
    if attempt == max_attempts():
        delay = delays[0]  # one more run, only to look for the last attempt before giving up
    else:
        delay = delays[attempt - 1]
    message.next_attempt_at = utcnow() + timedelta(seconds=delay)
    return "retry"


def _fail(message: SmsMessage, reason: str, *, error: str = "", sent_unknown: bool = False) -> str:
    if message.status != SENDING:
        return "settled"
    if error:
        message.error = error[:255]
    before = message.status
    message.status, message.updated_at, message.next_attempt_at = FAILED, utcnow(), None
    if not sent_unknown:
        message.attempted_at = None
    update_actions(message, before, reason=reason)
    return "failed"


def _settle(message: SmsMessage, status: str) -> None:
    before = message.status
    message.status, message.updated_at, message.error = status, utcnow(), ""
    message.attempted_at = message.next_attempt_at = None
    update_actions(message, before)


def update_actions(message: SmsMessage, before: str, *, reason: str = "", actor_label: str = "system") -> None:
    """Bring the message's actions in line with its status, each change audited; the caller commits."""
    for action in db.session.scalars(sa.select(Action).where(Action.sms_message_id == message.id)):
        action.outcome = ACTION_OUTCOME.get(message.status, action.outcome)
        if message.status in (SmsStatus.UNDELIVERED, SmsStatus.FAILED):
            action.status, action.reason = ActionStatus.FAILED.value, reason or UNDELIVERED
        elif action.status == ActionStatus.FAILED:  # sent again by staff, or Twilio said it went out after all
            action.status, action.reason = ActionStatus.DONE.value, ""
            action.done_at = action.done_at or utcnow()
        audit.record("sms.status", actor=None, actor_label=actor_label, subject=action.case,
                     before={"sms_status": before}, after={"sms_status": message.status, "error": message.error})


def status_callback_url(message_id: int) -> str | None:
    """Return where Twilio reports delivery, naming our message (its sid may not be recorded yet).

    Only a public address can be called, so none without PUBLIC_URL.
    """
    if not current_app.config["PUBLIC_URL"]:
        return None
    return public_url("webhooks.twilio_status", sms=message_id)


def can_retry(message: SmsMessage | None, action: Action) -> bool:
    """Tell whether staff may send a failed SMS again: only when Twilio never answered (a refusal stands)."""
    return (
        message is not None and message.direction == "outbound" and message.status == FAILED
        and message.provider_sid is None and action.reason == GAVE_UP
    )


def case_sms(case: Case, message_id: int) -> tuple[SmsMessage, Action] | None:
    """Return one of the case's outbound SMS with its action, or None when the case has no such message."""
    action = db.session.scalar(
        sa.select(Action).where(Action.case_id == case.id, Action.sms_message_id == message_id,
                                Action.direction == "outbound")
    )
    return (db.session.get(SmsMessage, message_id), action) if action is not None else None


class RetryRefused(Exception):
    """The SMS is not sent again; the message says why, for the collector."""


def retry_sms(case: Case, message: SmsMessage, action: Action, *, actor: User) -> None:
    """Send a failed SMS again through the delivery job, if it may be; raise RetryRefused otherwise.

    The contact rules are asked again: the debtor may have opted out, or the hour passed, since. The caller commits.
    """
    if not can_retry(message, action):
        raise RetryRefused(_("This SMS is not waiting to be sent again."))
    point = db.session.get(ContactPoint, action.contact_point_id) if action.contact_point_id else None
    _point, verdict = choose_contact_point(case, "sms", point)
    if not verdict.allowed:
        raise RetryRefused(_("SMS not sent: %(reason)s", reason=verdict.detail))
    # Compare-and-set: of two clicks, one sends. `attempted_at` stays: an attempt whose outcome is still
    # unknown is looked for before sending again.
    retried = db.session.execute(
        sa.update(SmsMessage)
        .where(SmsMessage.id == message.id, SmsMessage.status == FAILED)
        .values(status=SENDING, attempts=0, error="", updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if not retried:
        raise RetryRefused(_("This SMS is not waiting to be sent again."))
    db.session.refresh(message)
    update_actions(message, FAILED, actor_label=actor.email)
    audit.record("sms.retried", actor=actor, subject=case, before={"sms_status": FAILED},
                 after={"sms_status": SENDING, "sms_message_id": message.id})
    queue_delivery(message)
