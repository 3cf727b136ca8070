"""The seam between our checkouts and a card payment provider: what any provider must do, in our terms.

A provider opens a hosted payment page for an amount (`create_session`), and turns a webhook delivery into a
normalised `ProviderEvent` after checking its signature (`parse_webhook`), refusing anything unsigned,
forged or too old with `InvalidWebhook`. `payment_fee` asks the provider what it kept of a payment, when
its events do not say (a job asks, once the payment is recorded). Stripe is the one provider today (money/online/stripe_provider.py); Mollie or GoCardless would
be another class with these three methods, picked by `get_provider`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from flask import current_app

PAID, FAILED, EXPIRED, IGNORED = "paid", "failed", "expired", "ignored"


class InvalidWebhook(Exception):
    """A webhook delivery not signed by the provider with our secret, or signed too long ago (a replay)."""


class ProviderUnavailable(Exception):
    """The provider did not answer usefully (timeout, 5xx, refusal): nothing was opened or learnt."""


@dataclass(frozen=True)
class SessionRequest:
    """What we ask the provider to collect, and where it sends the debtor afterwards."""

    reference: str  # ours, carried by the session and its events
    amount_cents: int
    currency: str
    description: str
    success_url: str  # may hold {CHECKOUT_SESSION_ID}, replaced by the provider
    cancel_url: str
    expires_at: datetime
    locale: str = "fr"
    email: str = ""


@dataclass(frozen=True)
class ProviderSession:
    """A payment page the provider opened: its id and where to send the debtor."""

    session_id: str
    url: str
    expires_at: datetime | None = None


@dataclass(frozen=True)
class ProviderEvent:
    """A provider's event in our terms. `kind` is paid, failed, expired, or ignored (nothing for us to do)."""

    provider: str
    event_id: str
    kind: str
    session_id: str = ""
    reference: str = ""  # our checkout's reference, when the event carries it
    payment_id: str = ""  # the provider's payment (Stripe's PaymentIntent)
    amount_cents: int | None = None
    currency: str = ""
    fee_cents: int | None = None  # when the event says it; otherwise asked later (`payment_fee`)
    paid_at: datetime | None = None
    failure_reason: str = ""
    type: str = ""  # the provider's own name for the event


class PaymentProvider(Protocol):
    name: str
    page_origin: str  # scheme, host and port of the hosted payment pages

    def create_session(self, request: SessionRequest) -> ProviderSession:
        """Open a hosted payment page; raise ProviderUnavailable when the provider does not."""

    def parse_webhook(self, payload: bytes, headers) -> ProviderEvent:
        """Check a delivery's signature and age, and return its event; raise InvalidWebhook otherwise."""

    def payment_fee(self, payment_id: str) -> int | None:
        """Return the provider's fee on one of its payments, in cents; raise ProviderUnavailable if it cannot say."""


def get_provider(name: str = "stripe") -> PaymentProvider:
    """Return the configured provider `name`: real keys from the environment, else the embedded fake."""
    if name != "stripe":
        raise LookupError(f"unknown payment provider {name!r}")
    from money.online.stripe_provider import StripeProvider

    cfg = current_app.config
    if cfg["STRIPE_SECRET_KEY"]:
        return StripeProvider(cfg["STRIPE_SECRET_KEY"], cfg["STRIPE_WEBHOOK_SECRET"], api_base=cfg["STRIPE_API_BASE"])
    # Embedded mode: the real library against the local fake Stripe served by this process.
    from money.online.embedded import embedded_fake

    fake = embedded_fake()
    return StripeProvider(fake.api_key, fake.webhook_secret, api_base=fake.url)
