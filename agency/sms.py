"""Text messages: sent through Twilio when configured, otherwise kept in the local outbox.

The only module that imports `twilio`. It stores messages and makes the calls, each with a connect and
a read timeout; when to call, and how often, is the delivery job's business (cases.messaging.delivery).
Twilio's answers are sorted three ways: accepted (`Accepted`), refused for good (`SmsRefused`: a 4xx such
as an invalid number, trying again changes nothing), or no useful answer (`SmsUnavailable`: 5xx, 429,
timeouts, network), which is tried again later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import requests
import sqlalchemy as sa
from flask import current_app
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client as TwilioClient

from agency.db import db
from agency.message_models import SmsMessage, SmsStatus

# Twilio lists messages newest first: an attempt is looked for among the number's latest messages.
LOOKUP_LIMIT = 50


@dataclass(frozen=True)
class Accepted:
    """Twilio holds the message: its sid, and our status for it."""

    sid: str
    status: str


class SmsRefused(Exception):
    """Twilio refused the message for good (4xx): another attempt would be refused too."""


class SmsUnavailable(Exception):
    """Twilio gave no useful answer; `maybe_sent` when it may have accepted the message all the same."""

    def __init__(self, detail: str, *, maybe_sent: bool) -> None:
        super().__init__(detail)
        self.maybe_sent = maybe_sent


def twilio_enabled() -> bool:
    """Tell whether Twilio credentials are configured (otherwise SMS go to the local outbox)."""
    cfg = current_app.config
    return bool(cfg["TWILIO_ACCOUNT_SID"] and cfg["TWILIO_AUTH_TOKEN"] and cfg["TWILIO_FROM"])


def store_sms(to_number: str, body: str) -> SmsMessage:
    """Add an outbound message: `sending` when Twilio is configured (a job delivers it), else `outbox`.

    Nothing is sent here: the caller's transaction must never wait on Twilio. The caller commits.
    """
    message = SmsMessage(direction="outbound", to_number=to_number, body=body, status=SmsStatus.OUTBOX.value)
    if twilio_enabled():
        message.status, message.from_number = SmsStatus.SENDING.value, current_app.config["TWILIO_FROM"]
    db.session.add(message)
    return message


def create_message(to_number: str, from_number: str, body: str, status_callback: str | None = None) -> Accepted:
    """Ask Twilio to send one message; raise SmsRefused or SmsUnavailable when it does not take it."""
    extra = {"status_callback": status_callback} if status_callback else {}
    try:
        sent = _client().messages.create(to=to_number, from_=from_number, body=body, **extra)
    except TwilioRestException as exc:
        detail = f"Twilio {exc.status}" + (f" ({exc.code})" if exc.code else "") + f": {exc.msg}"
        if exc.status == 429:  # too many requests: refused before anything was created
            raise SmsUnavailable(detail[:255], maybe_sent=False) from exc
        if exc.status >= 500:  # the request may have been carried out before the error
            raise SmsUnavailable(detail[:255], maybe_sent=True) from exc
        raise SmsRefused(f"{exc.code}: {exc.msg}"[:255]) from exc
    except TwilioException as exc:  # an answer the library could not read: it may have been a success
        raise SmsUnavailable(f"Twilio: {exc}"[:255], maybe_sent=True) from exc
    except requests.ConnectTimeout as exc:  # never connected, so nothing was sent
        raise SmsUnavailable(f"Twilio: {type(exc).__name__}", maybe_sent=False) from exc
    except requests.RequestException as exc:  # a read timeout, a connection cut: the request may have landed
        raise SmsUnavailable(f"Twilio: {type(exc).__name__}", maybe_sent=True) from exc
    return Accepted(sent.sid, status_from_twilio(sent.status))


def find_message(to_number: str, from_number: str, body: str, since: datetime) -> Accepted | None:
    """Look in Twilio's message list for `body` sent to `to_number` since `since` and not recorded yet.

    How an attempt whose answer never came is settled: found, it was sent. Raises SmsUnavailable when
    Twilio cannot be asked.
    """
    try:
        listed = _client().messages.list(to=to_number, from_=from_number, limit=LOOKUP_LIMIT)
    except (TwilioException, requests.RequestException) as exc:
        raise SmsUnavailable(f"Twilio (message list): {type(exc).__name__}", maybe_sent=True) from exc
    candidates = [
        m for m in listed
        # Contains rather than equals: a trial account prefixes every body.
        if m.sid and body in (m.body or "") and (m.date_created is None or m.date_created >= since)
    ]
    if not candidates:
        return None
    known = set(db.session.scalars(
        sa.select(SmsMessage.provider_sid).where(SmsMessage.provider_sid.in_([m.sid for m in candidates]))
    ))
    # The oldest unrecorded one: the same text sent twice on purpose is two rows, settled in order.
    for m in reversed(candidates):
        if m.sid not in known:
            return Accepted(m.sid, status_from_twilio(m.status))
    return None


def status_from_twilio(status: str | None) -> str:
    """Return our status for one of Twilio's message statuses (it has more steps than we track)."""
    known = {s.value for s in SmsStatus} - {SmsStatus.SENDING.value, SmsStatus.OUTBOX.value}
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


class _HttpClient(TwilioHttpClient):
    """The library's HTTP client with a connect and a read timeout, optionally sent to TWILIO_API_BASE.

    The library takes a single number as its timeout; requests takes the (connect, read) pair, set after
    the library's check. TWILIO_API_BASE is a local fake Twilio server in tests.
    """

    def __init__(self, base: str, connect_timeout: float, read_timeout: float) -> None:
        super().__init__()
        self.base = base.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)

    def request(self, method, url, *args, **kwargs):
        if self.base:
            url = self.base + url.split("twilio.com", 1)[1]
        return super().request(method, url, *args, **kwargs)


def _client() -> TwilioClient:
    cfg = current_app.config
    http = _HttpClient(cfg["TWILIO_API_BASE"], cfg["TWILIO_CONNECT_TIMEOUT"], cfg["TWILIO_READ_TIMEOUT"])
    return TwilioClient(cfg["TWILIO_ACCOUNT_SID"], cfg["TWILIO_AUTH_TOKEN"], http_client=http)
