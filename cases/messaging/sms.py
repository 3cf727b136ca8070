"""Text messages of cases: sending from templates, delivery statuses, debtors' replies and STOP requests."""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa

from agency.db import db, utcnow
from agency.message_models import SmsMessage, SmsStatus
from agency.models import User
from agency.sms import status_from_twilio, store_sms
from cases.actions import record_action
from cases.messaging.delivery import queue_delivery, update_actions
from cases.messaging.sending import send_case_message
from cases.messaging.templates import RenderedMessage
from cases.models import Action, Case, CaseStatus
from debtors.contacts import opt_out
from debtors.models import ContactKind, ContactPoint

# Replies that stop every message at once (DESIGN.md §4), compared without case, accents or punctuation.
STOP_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "ARRET"}
)
# These mean nothing else, so they count even when the debtor writes more ("Stop svp").
STOP_LEADING_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "OPTOUT", "ARRET"})
# A later status never goes back to an earlier one: Twilio's callbacks may arrive out of order.
STATUS_RANK = {"outbox": 0, "sending": 0, "queued": 1, "sent": 2, "delivered": 3, "undelivered": 3, "failed": 3}


def send_case_sms(
    case: Case,
    template: str,
    *,
    actor: User | None,
    contact_point: ContactPoint | None = None,
    strategy_step: int | None = None,
    extra: dict | None = None,
) -> Action:
    """Send the SMS `template` to the case's debtor if the contact rules allow it, else record it blocked.

    Without `contact_point`, the first allowed number is used. Once per `strategy_step`. The message is
    recorded `sending` and delivered by a job once the caller commits (at once in embedded mode), or kept
    in the outbox without Twilio. The caller commits.
    """
    stored: list[SmsMessage] = []

    def store(point: ContactPoint, message: RenderedMessage) -> SmsMessage:
        stored.append(store_sms(point.value, message.body))
        return stored[-1]

    action = send_case_message(
        case, "sms", template, actor=actor, contact_point=contact_point, strategy_step=strategy_step,
        deliver=store, extra=extra,
    )
    for row in stored:
        if row.status == SmsStatus.SENDING:
            queue_delivery(row)  # once the action exists: the job completes it
    return action


def record_status(
    provider_sid: str, twilio_status: str, error_code: str = "", message_id: int | None = None
) -> SmsMessage | None:
    """Apply a delivery status Twilio reported to the message and its action; None for an unknown message.

    `message_id` is our id, which the callback URL carries: the callback may come before the delivery
    job recorded the sid (or after it gave up on a Twilio that answered too late).
    """
    message = db.session.scalar(
        sa.select(SmsMessage).where(SmsMessage.provider_sid == provider_sid).with_for_update()
    )
    learned = False
    if message is None and message_id is not None:
        message = db.session.get(SmsMessage, message_id, with_for_update=True)
        if message is None or message.direction != "outbound" or message.provider_sid is not None:
            return None
        message.provider_sid, learned = provider_sid, True
    if message is None:
        return None
    status = status_from_twilio(twilio_status)
    if not learned and STATUS_RANK.get(status, 0) <= STATUS_RANK.get(message.status, 0):
        return message
    before = message.status
    message.status, message.updated_at = status, utcnow()
    message.attempted_at = message.next_attempt_at = None  # settled: no run needs to look for it
    if error_code:
        message.error = f"Twilio {error_code}"[:255]
    update_actions(message, before, actor_label="twilio")
    return message


def is_stop_request(body: str) -> bool:
    """Tell whether a reply asks to stop messages: STOP, Arrêt, « stop ! », "Stop svp"…"""
    words = _plain(body).split()
    if not words:
        return False
    return " ".join(words) in STOP_WORDS or words[0] in STOP_LEADING_WORDS


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^A-Z0-9]+", " ", letters.upper())


def receive_sms(from_number: str, to_number: str, body: str, provider_sid: str) -> SmsMessage:
    """Store a debtor's reply, attach it to their open cases, honour a STOP at once; the caller commits."""
    known = db.session.scalar(sa.select(SmsMessage).where(SmsMessage.provider_sid == provider_sid))
    if known is not None:  # Twilio retries a webhook that timed out
        return known
    message = SmsMessage(direction="inbound", to_number=to_number[:20], from_number=from_number[:20],
                         body=body, status=SmsStatus.RECEIVED.value, provider_sid=provider_sid)
    db.session.add(message)
    db.session.flush()
    points = db.session.scalars(
        sa.select(ContactPoint).where(ContactPoint.kind == ContactKind.PHONE, ContactPoint.value == from_number)
    ).all()
    stop = is_stop_request(body)
    if stop:
        for point in points:
            opt_out(point, actor=None, source="sms_stop", actor_label=from_number)
    seen: set[int] = set()
    for point in points:
        for case in _open_cases(point.debtor_id):
            if case.id in seen:  # the debtor has this number twice
                continue
            seen.add(case.id)
            record_action(case, "sms", "sms", actor=None, actor_label=from_number, direction="inbound",
                          outcome="opted_out" if stop else "received", note=body,
                          contact_point_id=point.id, sms_message_id=message.id)
            if not stop:
                _queue_now(case)
    return message


def _open_cases(debtor_id: int) -> list[Case]:
    closed = [CaseStatus.PAID.value, CaseStatus.CLOSED.value]
    return list(db.session.scalars(
        sa.select(Case).where(Case.debtor_id == debtor_id, Case.status.not_in(closed)).order_by(Case.id)
    ))


def _queue_now(case: Case) -> None:
    # A reply waits for a collector: the case comes up in the queue now.
    now = utcnow()
    if case.next_action_at is None or case.next_action_at > now:
        case.next_action_at = now
