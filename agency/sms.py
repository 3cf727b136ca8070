"""Text messages: sent through Twilio when configured, otherwise kept in the local outbox.

The only module that imports `twilio`.
"""

from __future__ import annotations

from flask import current_app
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client as TwilioClient

from agency.db import db, utcnow
from agency.models import SmsMessage, SmsStatus


def twilio_enabled() -> bool:
    """Tell whether Twilio credentials are configured (otherwise SMS go to the local outbox)."""
    cfg = current_app.config
    return bool(cfg["TWILIO_ACCOUNT_SID"] and cfg["TWILIO_AUTH_TOKEN"] and cfg["TWILIO_FROM"])


def send_sms(to_number: str, body: str, *, status_callback: str | None = None) -> SmsMessage:
    """Send `body` to an E.164 number, or store it in the outbox in embedded mode; return the row.

    `status_callback` is the public URL Twilio reports the delivery status to.
    """
    message = SmsMessage(direction="outbound", to_number=to_number, body=body, status=SmsStatus.OUTBOX.value)
    db.session.add(message)
    if not twilio_enabled():
        return message
    cfg = current_app.config
    message.from_number = cfg["TWILIO_FROM"]
    extra = {"status_callback": status_callback} if status_callback else {}
    try:
        sent = _client().messages.create(to=to_number, from_=cfg["TWILIO_FROM"], body=body, **extra)
    except TwilioRestException as exc:
        message.status, message.error = SmsStatus.FAILED.value, f"{exc.code}: {exc.msg}"[:255]
    else:
        message.provider_sid = sent.sid
        message.status = status_from_twilio(sent.status)
    message.updated_at = utcnow()
    return message


def status_from_twilio(status: str | None) -> str:
    """Return our status for one of Twilio's message statuses (it has more steps than we track)."""
    known = {s.value for s in SmsStatus}
    if status in ("accepted", "queued", "sending", "scheduled"):
        return SmsStatus.QUEUED.value
    if status == "read":  # read receipts (WhatsApp, RCS) come after delivery
        return SmsStatus.DELIVERED.value
    if status == "canceled":
        return SmsStatus.FAILED.value
    if status in ("receiving", "received"):
        return SmsStatus.RECEIVED.value
    return status if status in known else SmsStatus.QUEUED.value


def valid_twilio_signature(url: str, params, signature: str) -> bool:
    """Tell whether a webhook call was signed by Twilio with our auth token (`X-Twilio-Signature`).

    `url` is the full URL Twilio called (as the public sees it), `params` the POSTed form.
    """
    token = current_app.config["TWILIO_AUTH_TOKEN"]
    if not token or not signature:
        return False
    return RequestValidator(token).validate(url, params, signature)


class _RedirectingHttpClient(TwilioHttpClient):
    """Send the library's calls to TWILIO_API_BASE (a local fake Twilio server in tests)."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        path = url.split("twilio.com", 1)[1]
        return super().request(method, self.base + path, *args, **kwargs)


def _client() -> TwilioClient:
    cfg = current_app.config
    http = _RedirectingHttpClient(cfg["TWILIO_API_BASE"]) if cfg["TWILIO_API_BASE"] else None
    return TwilioClient(cfg["TWILIO_ACCOUNT_SID"], cfg["TWILIO_AUTH_TOKEN"], http_client=http)
