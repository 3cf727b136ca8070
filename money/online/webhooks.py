"""The card payment provider's webhooks: signed by the provider, not by a session (no CSRF, no login).

A delivery whose signature is missing, wrong or too old (a replay) is refused with 400 and changes nothing.
A verified one is received once (money/online/events.py) and answered 200, a duplicate included, so that
the provider stops sending it. Nothing here calls the provider back: the answer never waits on it.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, request

from agency.db import db
from money.online.events import DUPLICATE, already_received, receive_event
from money.online.provider import InvalidWebhook, get_provider

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
    if already_received(event):  # a cheap look first: most repeats stop here, before any lock
        return jsonify(received=True, outcome=DUPLICATE)
    outcome = receive_event(event)
    db.session.commit()  # the event, the checkout's status, the payment and its jobs (receipt, fee), together
    return jsonify(received=True, outcome=outcome)
