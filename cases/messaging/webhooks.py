"""Twilio's callbacks (delivery status, inbound SMS): signed by Twilio, not by a session.

Both refuse with 403 a call whose `X-Twilio-Signature` is missing or does not match our auth token
over the URL Twilio called: `PUBLIC_URL` when set (behind a proxy, the request's own URL is not the
public one), else the request's URL.
"""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, Response, abort, current_app, request

from agency.db import db
from agency.sms import valid_twilio_signature
from cases.messaging.sms import receive_sms, record_status

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def called_url() -> str:
    """Return the URL Twilio signed: the public address when configured, the request's URL otherwise."""
    public = current_app.config["PUBLIC_URL"]
    if not public:
        return request.url
    query = request.query_string.decode()
    return public + request.path + (f"?{query}" if query else "")


def twilio_signed(view):
    """Refuse (403) a call that Twilio did not sign."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not valid_twilio_signature(called_url(), request.form, request.headers.get("X-Twilio-Signature", "")):
            current_app.logger.warning("refused a Twilio webhook with a bad signature from %s", request.remote_addr)
            abort(403)
        return view(*args, **kwargs)

    return wrapped


@bp.post("/twilio/status")
@twilio_signed
def twilio_status():
    form = request.form
    if form.get("MessageSid") and form.get("MessageStatus"):
        # `sms` is our message's id, which the callback URL carries (signed by Twilio with the rest).
        record_status(form["MessageSid"], form["MessageStatus"], form.get("ErrorCode", ""),
                      message_id=request.args.get("sms", type=int))
        db.session.commit()
    return Response(status=204)


@bp.post("/twilio/inbound")
@twilio_signed
def twilio_inbound():
    form = request.form
    if not (form.get("MessageSid") and form.get("From")):
        abort(400)
    receive_sms(form["From"], form.get("To", ""), form.get("Body", ""), form["MessageSid"])
    db.session.commit()
    # Nothing to answer: a reply is a collector's job, and Twilio confirms STOP itself where it must.
    return Response(EMPTY_TWIML, mimetype="text/xml")
