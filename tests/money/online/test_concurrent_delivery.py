"""Deliveries racing each other: one payment per paid session, whatever arrives at once.

The rows must be committed for other connections to see them, so these tests run on a database of their own
(a file beside the test database on SQLite, `<test database>_online` on PostgreSQL), each delivery in a thread
of its own with its own connection, released together by a barrier.
"""

from __future__ import annotations

import json
import threading

import pytest
import requests
import sqlalchemy as sa

from agency.db import db
from cases import ledger
from cases.models import Case
from money.models import Checkout, Payment, ProviderEvent
from money.online import start_checkout
from money.online.fake_stripe import FakeStripe
from tests import factories
from tests.money.online.conftest import CANCEL_URL, SUCCESS_URL, WEBHOOK_URL, configure, sign
from tests.separate_app import separate_app

pytestmark = pytest.mark.no_db

DELIVERIES = 4


@pytest.fixture
def online_app(app, tmp_path, clock):
    """An app on a fresh database holding a case with a paid (fake) Stripe session, its event not yet delivered."""
    fake = FakeStripe().start()
    with separate_app(app, tmp_path, "online") as own:
        configure(own, fake)
        with own.app_context(), own.test_request_context():
            factories.agency_profile()
            case = factories.case(amounts=(80_000,))
            started = start_checkout(case, None, purpose="full", success_url=SUCCESS_URL, cancel_url=CANCEL_URL,
                                     actor_label="debtor (space)")
            db.session.commit()
            own.config["CASE_ID"] = case.id
        requests.post(started.url, data={"action": "pay"}, allow_redirects=False, timeout=10)
        own.config["FAKE"] = fake
        yield own
    fake.stop()


def _deliver(app, payload: bytes, answers: list, errors: list, start: threading.Barrier) -> None:
    try:
        signature = sign(payload, app.config["FAKE"].webhook_secret)
        client = app.test_client()
        start.wait()
        response = client.post(WEBHOOK_URL, data=payload, headers={"Stripe-Signature": signature},
                               content_type="application/json")
        answers.append((response.status_code, (response.get_json() or {}).get("outcome")))
    except BaseException as exc:  # reported by the test, which would otherwise pass on a dead thread
        errors.append(exc)


def _race(app, payloads: list[bytes]) -> list:
    answers, errors = [], []
    start = threading.Barrier(len(payloads))
    threads = [threading.Thread(target=_deliver, args=(app, p, answers, errors, start)) for p in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return answers


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_the_same_event_delivered_at_once_records_one_payment(online_app):
    [delivery] = online_app.config["FAKE"].outbox
    answers = _race(online_app, [delivery.payload] * DELIVERIES)
    assert sorted(answers) == [(200, "duplicate")] * (DELIVERIES - 1) + [(200, "recorded")]
    with online_app.app_context():
        assert _count(Payment) == 1 and _count(ProviderEvent) == 1
        case = db.session.get(Case, online_app.config["CASE_ID"])
        assert ledger.balance(case.id).outstanding == 0
        assert db.session.scalar(sa.select(Checkout.status)) == "paid"


def test_two_events_of_one_paid_session_at_once_record_one_payment(online_app):
    [delivery] = online_app.config["FAKE"].outbox
    other = json.loads(delivery.payload)
    other.update(id="evt_async_succeeded", type="checkout.session.async_payment_succeeded")
    answers = _race(online_app, [delivery.payload, json.dumps(other).encode()])
    assert sorted(outcome for _, outcome in answers) == ["already_paid", "recorded"]
    with online_app.app_context():
        assert _count(Payment) == 1 and _count(ProviderEvent) == 2
