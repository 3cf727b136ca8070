"""Stripe behind the provider seam: Checkout sessions, signed webhooks, the fee of a payment.

The only module that imports `stripe`. Each call goes through a `StripeClient` of its own settings (never the
library's global key or base), with a connect and a read timeout and the library's retries with backoff;
the session is created with our reference as idempotency key, so a retried request never opens two pages.
`api_base` points the library at another server: the local fake Stripe in embedded mode and in tests.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

import stripe
from flask import current_app

from money.online.provider import (
    EXPIRED,
    FAILED,
    IGNORED,
    PAID,
    InvalidWebhook,
    ProviderEvent,
    ProviderSession,
    ProviderUnavailable,
    SessionRequest,
)

SIGNATURE_HEADER = "Stripe-Signature"
# Checkout's session events, and the PaymentIntent's decline (a declined card leaves the session open).
_SESSION_KINDS = {
    "checkout.session.async_payment_succeeded": PAID,
    "checkout.session.async_payment_failed": FAILED,
    "checkout.session.expired": EXPIRED,
}

_clients: dict[tuple, stripe.StripeClient] = {}
_clients_lock = threading.Lock()


class StripeProvider:
    """Stripe Checkout, through the official library."""

    name = "stripe"

    def __init__(self, api_key: str, webhook_secret: str, *, api_base: str = "") -> None:
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.api_base = api_base.rstrip("/")
        # Where the payment page lives, for the Content-Security-Policy of the page whose form sends the debtor
        # there: Stripe's Checkout, or the fake that also serves the API.
        self.page_origin = self.api_base or "https://checkout.stripe.com"

    def create_session(self, request: SessionRequest) -> ProviderSession:
        """Open a Checkout session for one card payment of `request.amount_cents`."""
        params = {
            "mode": "payment",
            "payment_method_types": ["card"],
            "line_items": [{
                "quantity": 1,
                "price_data": {
                    "currency": request.currency.lower(),
                    "unit_amount": request.amount_cents,
                    "product_data": {"name": request.description[:250]},
                },
            }],
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "client_reference_id": request.reference,
            "metadata": {"checkout": request.reference},
            # The PaymentIntent carries it too: its decline event names no session.
            "payment_intent_data": {"metadata": {"checkout": request.reference}},
            "expires_at": int(request.expires_at.timestamp()),
            "locale": request.locale if request.locale in ("fr", "en") else "auto",
        }
        if request.email:
            params["customer_email"] = request.email
        try:
            session = self._client().v1.checkout.sessions.create(
                params=params, options={"idempotency_key": f"checkout-{request.reference}"}
            ).to_dict()
        except stripe.StripeError as exc:
            raise ProviderUnavailable(f"Stripe: {type(exc).__name__}: {exc.user_message or exc}"[:255]) from exc
        expires = datetime.fromtimestamp(session["expires_at"], UTC) if session.get("expires_at") else None
        return ProviderSession(session["id"], session["url"], expires)

    def parse_webhook(self, payload: bytes, headers) -> ProviderEvent:
        """Verify `Stripe-Signature` (HMAC-SHA256 of `t.payload`, at most the tolerance old); return the event."""
        header = headers.get(SIGNATURE_HEADER, "")
        if not header:
            raise InvalidWebhook("unsigned")
        if not self.webhook_secret:
            raise InvalidWebhook("no webhook secret configured")
        tolerance = current_app.config["STRIPE_WEBHOOK_TOLERANCE"]
        try:
            stripe.WebhookSignature.verify_header(payload, header, self.webhook_secret, tolerance)
            data = json.loads(payload)
        except (stripe.SignatureVerificationError, ValueError, IndexError) as exc:
            raise InvalidWebhook(str(exc)[:200]) from exc
        if not isinstance(data, dict) or data.get("object") != "event" or not data.get("id"):
            raise InvalidWebhook("not an event")
        return _normalise(data)

    def payment_fee(self, payment_id: str) -> int | None:
        """Return the fee Stripe took on a PaymentIntent, read from its charge's balance transaction."""
        try:
            intent = self._client().v1.payment_intents.retrieve(
                payment_id, params={"expand": ["latest_charge.balance_transaction"]}
            ).to_dict()
        except stripe.StripeError as exc:
            raise ProviderUnavailable(f"Stripe: {type(exc).__name__}: {exc}"[:255]) from exc
        charge = intent.get("latest_charge")
        transaction = charge.get("balance_transaction") if isinstance(charge, dict) else None
        fee = transaction.get("fee") if isinstance(transaction, dict) else None
        return int(fee) if fee is not None else None

    def _client(self) -> stripe.StripeClient:
        cfg = current_app.config
        timeouts = (cfg["STRIPE_CONNECT_TIMEOUT"], cfg["STRIPE_READ_TIMEOUT"])
        key = (self.api_key, self.api_base, timeouts, cfg["STRIPE_MAX_RETRIES"])
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                client = stripe.StripeClient(
                    self.api_key,
                    base_addresses={"api": self.api_base} if self.api_base else None,
                    http_client=stripe.RequestsClient(timeout=timeouts),
                    max_network_retries=cfg["STRIPE_MAX_RETRIES"],
                )
                _clients[key] = client
        return client


def _normalise(data: dict) -> ProviderEvent:
    """Return Stripe's event in our terms; types we do not act on are `ignored`."""
    kind_name = str(data.get("type", ""))
    obj = (data.get("data") or {}).get("object") or {}
    created = datetime.fromtimestamp(int(data.get("created") or 0), UTC)
    common = {"provider": "stripe", "event_id": str(data["id"]), "type": kind_name[:64]}
    if kind_name.startswith("checkout.session."):
        kind = _SESSION_KINDS.get(kind_name, IGNORED)
        if kind_name == "checkout.session.completed":
            # A card is paid at completion; a delayed method (a transfer) is paid at async_payment_succeeded.
            kind = PAID if obj.get("payment_status") in ("paid", "no_payment_required") else IGNORED
        return ProviderEvent(
            **common, kind=kind, session_id=str(obj.get("id", "")),
            reference=str(obj.get("client_reference_id") or (obj.get("metadata") or {}).get("checkout", "")),
            payment_id=str(obj.get("payment_intent") or ""),
            amount_cents=_int(obj.get("amount_total")), currency=str(obj.get("currency") or "").upper(),
            paid_at=created if kind == PAID else None,
        )
    if kind_name == "payment_intent.payment_failed":
        error = obj.get("last_payment_error") or {}
        return ProviderEvent(
            **common, kind=FAILED, reference=str((obj.get("metadata") or {}).get("checkout", "")),
            payment_id=str(obj.get("id", "")), amount_cents=_int(obj.get("amount")),
            currency=str(obj.get("currency") or "").upper(),
            failure_reason=str(error.get("message") or error.get("code") or "")[:255],
        )
    return ProviderEvent(**common, kind=IGNORED)


def _int(value) -> int | None:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None
