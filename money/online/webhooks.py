"""The card payment provider's webhooks: signed by the provider, not by a session (no CSRF, no login).

A delivery whose signature is missing, wrong or too old (a replay) is refused with 400 and changes nothing.
A verified one is received once (money/online/events.py) and answered 200, a duplicate included, so that
the provider stops sending it; 503 when the provider could not be asked for the payment's fee, so that it
delivers the event again later.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, request

from agency.db import db
from money.online.events import DUPLICATE, already_received, receive_event
from money.online.provider import InvalidWebhook, ProviderUnavailable, get_provider

bp = Blueprint("online_payments", __name__, url_prefix="/webhooks/payments")
MAX_PAYLOAD_BYTES = 512 * 1024  # Stripe's events are a few kilobytes


@bp.post("/stripe")
def stripe_webhook():
    return _receive("stripe")


def _receive(name: str):
    if (request.content_length or 0) > MAX_PAYLOAD_BYTES:
        abort(413)
    payload = request.get_data(cache=False)
    provider = get_provider(name)
    try:
        event = provider.parse_webhook(payload, request.headers)
    except InvalidWebhook as exc:
        current_app.logger.warning("refused a %s webhook from %s: %s", name, request.remote_addr, exc)
        return jsonify(error="invalid signature"), 400
    if already_received(event):
        return jsonify(received=True, outcome=DUPLICATE)
    try:
        event = provider.payment_details(event)
    except ProviderUnavailable as exc:
        current_app.logger.warning("%s event %s left for a later delivery: %s", name, event.event_id, exc)
        return jsonify(error="provider unavailable"), 503
    outcome = receive_event(event)
    db.session.commit()  # the event, the checkout's status, the payment and its receipt job, together
    return jsonify(received=True, outcome=outcome)
