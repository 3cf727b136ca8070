"""Embedded mode without Stripe keys: the local fake Stripe on a thread, its page POSTing signed webhooks to us.

The platform is served over HTTP on a database of its own (the fake calls it from another thread), as
`make run` serves it; the debtor's browser is `requests`.
"""

from __future__ import annotations

import threading
import time

import pytest
import requests
import sqlalchemy as sa
from werkzeug.serving import make_server

from agency.db import db
from cases import ledger
from money.models import Checkout, Payment
from money.online import checkout_status, start_checkout
from tests import factories
from tests.separate_app import separate_app

pytestmark = pytest.mark.no_db


@pytest.fixture
def served(app, tmp_path, clock):
    with separate_app(app, tmp_path, "embedded") as own:
        own.config.update(STRIPE_SECRET_KEY="", STRIPE_WEBHOOK_SECRET="", STRIPE_API_BASE="")
        server = make_server("127.0.0.1", 0, own, threaded=True)
        own.config["PUBLIC_URL"] = f"http://127.0.0.1:{server.server_port}"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield own
        finally:
            server.shutdown()


def test_a_debtor_pays_through_the_embedded_fake_end_to_end(served):
    with served.app_context(), served.test_request_context():
        factories.agency_profile()
        case = factories.case(amounts=(30_000,))
        started = start_checkout(case, 7_500, purpose="own", success_url=f"{served.config['PUBLIC_URL']}/back",
                                 cancel_url=served.config["PUBLIC_URL"], actor_label="debtor (space)")
        db.session.commit()
        case_id = case.id
    assert started.url.startswith("http://127.0.0.1:") and "/c/pay/" in started.url
    page = requests.get(started.url, timeout=10)
    assert page.status_code == 200 and "75.00 EUR" in page.text
    # "Pay" on the fake's page: it POSTs the signed event to our webhook, then sends the browser back.
    answer = requests.post(started.url, data={"action": "pay"}, allow_redirects=False, timeout=30)
    assert answer.status_code == 303
    with served.app_context():
        for _ in range(100):  # the event normally lands before the redirect; a retry would come within seconds
            if db.session.scalar(sa.select(sa.func.count(Payment.id))):
                break
            db.session.rollback()
            time.sleep(0.1)
        [payment] = db.session.scalars(sa.select(Payment)).all()
        assert (payment.case_id, payment.amount_cents, payment.method) == (case_id, 7_500, "card")
        assert ledger.balance(case_id).outstanding == 22_500
        assert checkout_status(started.session_id).status == "paid"
        assert db.session.scalar(sa.select(Checkout.fee_cents)) is not None
