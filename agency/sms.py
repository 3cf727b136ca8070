"""Text messages: sent through Twilio when configured, otherwise kept in the local outbox.

The only module that imports `twilio`.
"""

from __future__ import annotations

from flask import current_app
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client as TwilioClient

from agency.db import db, utcnow
from agency.models import SmsMessage, SmsStatus


def twilio_enabled() -> bool:
    """Tell whether Twilio credentials are configured (otherwise SMS go to the local outbox)."""
    cfg = current_app.config
    return bool(cfg["TWILIO_ACCOUNT_SID"] and cfg["TWILIO_AUTH_TOKEN"] and cfg["TWILIO_FROM"])


def send_sms(to_number: str, body: str) -> SmsMessage:
    """Send `body` to an E.164 number, or store it in the outbox in embedded mode; return the row."""
    message = SmsMessage(direction="outbound", to_number=to_number, body=body, status=SmsStatus.OUTBOX.value)
    db.session.add(message)
    if not twilio_enabled():
        return message
    cfg = current_app.config
    message.from_number = cfg["TWILIO_FROM"]
    try:
        sent = _client().messages.create(to=to_number, from_=cfg["TWILIO_FROM"], body=body)
    except TwilioRestException as exc:
        message.status, message.error = SmsStatus.FAILED.value, f"{exc.code}: {exc.msg}"[:255]
    else:
        message.provider_sid = sent.sid
        message.status = _status_from_twilio(sent.status)
    message.updated_at = utcnow()
    return message


def _status_from_twilio(status: str | None) -> str:
    known = {s.value for s in SmsStatus}
    if status in ("accepted", "queued", "sending", "scheduled"):
        return SmsStatus.QUEUED.value
    return status if status in known else SmsStatus.QUEUED.value


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
