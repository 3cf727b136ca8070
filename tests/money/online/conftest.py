"""Card payments against the local fake Stripe on a real port, spoken to by the real `stripe` library."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests

from money.online.fake_stripe import Delivery, FakeStripe, sign
from tests import factories

SECRET = "whsec_test_amiable"
WEBHOOK_URL = "/webhooks/payments/stripe"
SUCCESS_URL = "http://localhost/space/paid?session_id={CHECKOUT_SESSION_ID}"
CANCEL_URL = "http://localhost/space"
# A Monday morning in Paris; every test runs on this clock, whatever today's date is.
MOMENT = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
SETTINGS = ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE", "STRIPE_MAX_RETRIES")


def configure(app, fake: FakeStripe) -> dict:
    """Point the app's Stripe settings at `fake`; return the settings it had."""
    saved = {name: app.config[name] for name in SETTINGS}
    app.config.update(STRIPE_SECRET_KEY=fake.api_key, STRIPE_WEBHOOK_SECRET=fake.webhook_secret,
                      STRIPE_API_BASE=fake.url, STRIPE_MAX_RETRIES=0)
    return saved


@pytest.fixture
def fake_stripe(app):
    fake = FakeStripe(api_key="sk_test_amiable", webhook_secret=SECRET).start()
    saved = configure(app, fake)
    yield fake
    app.config.update(saved)
    fake.stop()


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(MOMENT, tick=True)
    return time_machine


@pytest.fixture
def case(db_session, clock):
    """A case of €500.00 placed on 1 December 2026 (no interest yet: a consumer without formal notice)."""
    factories.agency_profile()
    row = factories.case(amounts=(50_000,), opened_on=datetime(2026, 12, 1).date())
    db_session.commit()
    return row


def post_event(client, delivery: Delivery, signature: str | None = "fresh", payload: bytes | None = None):
    """POST a delivery to our webhook as Stripe does: `fresh` signs it now, None sends it unsigned."""
    body = delivery.payload if payload is None else payload
    headers = {}
    if signature == "fresh":
        headers["Stripe-Signature"] = sign(body, SECRET)
    elif signature is not None:
        headers["Stripe-Signature"] = signature
    return client.post(WEBHOOK_URL, data=body, headers=headers, content_type="application/json")


def click(url: str, action: str) -> requests.Response:
    """Press a button of the fake's payment page at `url`, as the debtor's browser would."""
    return requests.post(url, data={"action": action}, allow_redirects=False, timeout=10)
