"""Embedded mode's card payments: the local fake Stripe on a thread of the web process.

With no STRIPE_SECRET_KEY, `make run` still takes card payments end to end without the internet: the first
checkout starts the fake (money/online/fake_stripe.py) on 127.0.0.1 (FAKE_STRIPE_PORT, any free port by
default), the real `stripe` library talks to it over HTTP, and its payment page POSTs signed webhooks to this
process's own webhook URL, as Stripe would. It is a thread like the embedded scheduler, not routes of the
app: the library's calls never wait on the web server that is making them. Its objects live in memory, so a
restart forgets the open pages (their checkouts stay open, unpaid). The secret is drawn per process.
"""

from __future__ import annotations

import secrets
import threading

from flask import current_app

from money.online.fake_stripe import FakeStripe

_lock = threading.Lock()
_fakes: dict[int, FakeStripe] = {}


def embedded_fake() -> FakeStripe:
    """Return this app's local fake Stripe, started at the first call (from a request: its URL is ours)."""
    from cases.messaging.links import public_url

    app = current_app._get_current_object()
    with _lock:
        fake = _fakes.get(id(app))
        if fake is None:
            fake = FakeStripe(api_key=f"sk_test_{secrets.token_hex(8)}", webhook_secret=f"whsec_{secrets.token_hex(16)}",
                              webhook_url=public_url("online_payments.stripe_webhook"), port=app.config["FAKE_STRIPE_PORT"])
            fake.start()
            app.logger.info("embedded mode: card payments go to the local fake Stripe at %s", fake.url)
            _fakes[id(app)] = fake
    return fake
