"""A provider's signed events, received once each: a paid checkout records its payment, once.

Two guards, for two kinds of repetition. The same event delivered twice, or by two deliveries at once, is
stopped by the unique (provider, event id) of `online_provider_event`: the second insert waits for the first
transaction and then fails, and that delivery does nothing. Two different events both saying a session was
paid (`completed`, then `async_payment_succeeded`) are stopped by the checkout's status, changed under its
row lock: only the first finds it unpaid. The payment itself goes through `record_payment` like any other
(allocation, commission, plan, receipt), into the trust account, keyed by the checkout so a retry finds it;
the provider's fee is asked afterwards by a job (money/online/jobs.py).

A failed or expired event changes the checkout's status and records nothing; it never takes a paid checkout
back, whatever order events arrive in. An event naming no checkout of ours is kept as `unmatched` and
logged: if money moved there, someone must look.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from agency import audit
from agency.clock import today as agency_today
from agency.db import db, utcnow
from money.models import Checkout, CheckoutStatus, FeeBorneBy, PaymentChannel, PaymentMethod
from money.models import ProviderEvent as EventRow
from money.online.jobs import fetch_fee_later
from money.online.provider import EXPIRED, FAILED, PAID, ProviderEvent
from money.payments.jobs import issue_receipt_later
from money.payments.payments import record_payment

ACTOR = "payment provider"
# Outcomes of receiving an event, kept on its row.
RECORDED, ALREADY_PAID, MARKED, UNCHANGED, UNMATCHED, IGNORED, DUPLICATE = (
    "recorded", "already_paid", "marked", "unchanged", "unmatched", "ignored", "duplicate")


def already_received(event: ProviderEvent) -> bool:
    """Tell whether this event was received before (a cheap look before asking the provider for more)."""
    return db.session.scalar(
        sa.select(EventRow.id).where(EventRow.provider == event.provider, EventRow.provider_event_id == event.event_id)
    ) is not None


def receive_event(event: ProviderEvent) -> str:
    """Act on one verified event, once; return the outcome. The caller commits."""
    row = EventRow(provider=event.provider, provider_event_id=event.event_id[:255], kind=event.kind[:16],
                   provider_session_id=event.session_id[:255], outcome=IGNORED, received_at=utcnow())
    try:
        with db.session.begin_nested():  # a concurrent delivery of the same event commits first: ours stops here
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        return DUPLICATE
    if event.kind not in (PAID, FAILED, EXPIRED):
        return IGNORED
    checkout = _checkout_for(event)
    if checkout is None:
        row.outcome = UNMATCHED
        current_app.logger.error("%s event %s (%s) names no checkout of ours: session %r, reference %r",
                                 event.provider, event.event_id, event.kind, event.session_id, event.reference)
        audit.record("checkout.unmatched_event", actor=None, actor_label=ACTOR, subject=row,
                     after={"event": event.event_id, "kind": event.kind, "session": event.session_id,
                            "amount": event.amount_cents})
        return UNMATCHED
    row.checkout_id = checkout.id
    row.outcome = _paid(checkout, event) if event.kind == PAID else _not_paid(checkout, event)
    return row.outcome


def _checkout_for(event: ProviderEvent) -> Checkout | None:
    """Return the event's checkout, locked until commit (one status change at a time)."""
    if event.session_id:
        where = sa.and_(Checkout.provider == event.provider, Checkout.provider_session_id == event.session_id)
    elif event.reference:
        where = Checkout.reference == event.reference
    else:
        return None
    # populate_existing: the row as committed by whoever held the lock before us, not as this session last saw it.
    return db.session.scalar(
        sa.select(Checkout).where(where).with_for_update().execution_options(populate_existing=True)
    )


def _paid(checkout: Checkout, event: ProviderEvent) -> str:
    if checkout.status == CheckoutStatus.PAID:
        return ALREADY_PAID
    case = checkout.case
    amount = event.amount_cents if event.amount_cents else checkout.amount_cents  # what was really collected
    paid_on = _local_day(event) or agency_today()
    payment = record_payment(
        case, amount_cents=amount, received_on=min(paid_on, agency_today()), method=PaymentMethod.CARD.value,
        channel=PaymentChannel.TRUST.value, idempotency_key=f"online-{checkout.reference}",
        payer_reference=(event.payment_id or checkout.provider_session_id or "")[:100],
        note=f"{checkout.provider} {checkout.provider_session_id}", actor=None,
        currency=event.currency or None, confirm_duplicate=True,
    )
    mandate = case.client.active_mandate(payment.received_on) or case.client.active_mandate(case.opened_on)
    before = {"status": checkout.status}
    checkout.status, checkout.payment_id, checkout.completed_at = CheckoutStatus.PAID.value, payment.id, utcnow()
    checkout.provider_payment_id = event.payment_id[:255]
    checkout.fee_cents = event.fee_cents
    checkout.fee_borne_by = mandate.card_fee_borne_by if mandate is not None else FeeBorneBy.AGENCY.value
    checkout.failure_reason = ""
    audit.record(
        "checkout.paid", actor=None, actor_label=ACTOR, subject=checkout, before=before,
        after={"status": checkout.status, "payment": payment.reference, "amount": amount, "event": event.event_id,
               "fee": event.fee_cents, "fee_borne_by": checkout.fee_borne_by},
    )
    # Last: in embedded mode these jobs run here and commit, which must not precede the status change.
    issue_receipt_later(payment.id)
    if checkout.fee_cents is None:
        fetch_fee_later(checkout.id)
    return RECORDED


def _not_paid(checkout: Checkout, event: ProviderEvent) -> str:
    if checkout.status in (CheckoutStatus.PAID, CheckoutStatus.EXPIRED):
        return UNCHANGED  # a late decline or expiry never undoes a payment; an expired page stays expired
    before = {"status": checkout.status}
    checkout.status = CheckoutStatus.FAILED.value if event.kind == FAILED else CheckoutStatus.EXPIRED.value
    checkout.completed_at = utcnow()
    if event.kind == FAILED:
        checkout.failure_reason = event.failure_reason[:255]
        checkout.provider_payment_id = event.payment_id[:255] or checkout.provider_payment_id
    audit.record("checkout." + checkout.status, actor=None, actor_label=ACTOR, subject=checkout, before=before,
                 after={"status": checkout.status, "event": event.event_id, "reason": checkout.failure_reason})
    return MARKED


def _local_day(event: ProviderEvent):
    if event.paid_at is None:
        return None
    return event.paid_at.astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()
